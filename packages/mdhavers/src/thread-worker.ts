/**
 * Entry module of a thread started by `thread_spawn` (SPEC.md §12.6): builds a fresh interpreter,
 * re-opens the shared objects, loads the declarations (`fetch`, top-level `dae`) of the function's
 * file, rebuilds the function and calls it. Runs as built JavaScript inside an @mdh/loop worker.
 */
import { readFileSync } from 'node:fs';
import { fromWire, type ThreadPayload, toWire, type Wire } from './builtins/threads.js';
import { Interpreter } from './interpreter.js';
import { loadLoop } from './loop-lazy.js';
import { MFunc, type Value } from './values.js';

/** Runs one spawned function and returns its (cloneable) result. */
export default async function runThread(payload: ThreadPayload): Promise<Wire> {
  const opts: ConstructorParameters<typeof Interpreter>[0] = { worker: true, idBase: payload.idBase };
  if (payload.stdlibRoot !== undefined) opts.stdlibRoot = payload.stdlibRoot;
  const interp = new Interpreter(opts);
  // Shared-memory waits (Atomics.waitAsync) do not keep a worker alive on their own.
  const keep = setInterval(() => undefined, 1000);
  await loadLoop();
  interp.threads.adopt(payload.shared);
  try {
    let fn: Value | undefined;
    if (payload.native) fn = interp.globals.v?.get(payload.name);
    else {
      const src = payload.source ?? readFileSync(payload.file, 'utf8');
      interp.mainFile = payload.file;
      interp.sources.set(payload.file, src);
      const ast = await interp.declareOnly(src, payload.file);
      for (const [k, w] of payload.captured) interp.globals.def(k, fromWire(w));
      const top = payload.topLevel ? interp.globals.v?.get(payload.name) : undefined;
      fn = top instanceof MFunc ? top : (interp.functionAt(ast, payload.file, payload.offset) ?? undefined);
    }
    if (fn === undefined) throw new Error(`thread: cannae find function '${payload.name}'`);
    const result = await interp.call(fn, payload.args.map(fromWire));
    return toWire(result);
  } finally {
    clearInterval(keep);
    await interp.close();
  }
}

import { createSocket } from 'node:dgram';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MdhError } from '../src/errors.js';
import { Interpreter, type InterpreterOptions } from '../src/interpreter.js';

/** Result of running a program. */
export interface RunResult {
  out: string;
  error: MdhError | null;
}

/** Runs program text, capturing output and the uncaught error (if any). */
export async function run(src: string, opts: InterpreterOptions = {}, file?: string): Promise<RunResult> {
  let out = '';
  const interp = new Interpreter({ ...opts, write: (s) => (out += s) });
  let error: MdhError | null = null;
  try {
    await interp.runSource(src, file);
  } catch (e) {
    if (!(e instanceof MdhError)) throw e;
    error = e;
  } finally {
    await interp.close();
  }
  return { out, error };
}

/** Runs a program and returns its output; fails the test on an uncaught error. */
export async function out(src: string, opts: InterpreterOptions = {}): Promise<string> {
  const r = await run(src, opts);
  if (r.error) throw new Error(`unexpected error: ${r.error.message}\noutput so far:\n${r.out}`);
  return r.out;
}

/** Runs a program and returns the uncaught error's message (fails if it succeeds). */
export async function errOf(src: string): Promise<string> {
  const r = await run(src);
  if (!r.error) throw new Error(`expected an error; output:\n${r.out}`);
  return r.error.message;
}

/** Writes files into a fresh temp directory and returns its path. */
export function tempDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'mdh-'));
  for (const [name, text] of Object.entries(files)) {
    const p = join(dir, name);
    const parent = p.slice(0, p.lastIndexOf('/'));
    require_mkdir(parent);
    writeFileSync(p, text);
  }
  return dir;
}

import { mkdirSync } from 'node:fs';

function require_mkdir(p: string): void {
  mkdirSync(p, { recursive: true });
}

/** A free UDP port on 127.0.0.1 (bound, read back, released). */
export async function freePort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const p = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

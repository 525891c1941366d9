/**
 * The mdhavers interpreter: loads a program and its modules, runs the suspend analysis, compiles to
 * closures and runs (SPEC.md §8–9).
 */
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Clock } from '@mdh/loop';
import { SuspendInfo } from './analysis.js';
import type { Stmt } from './ast.js';
import { registerBytes } from './builtins/bytes.js';
import { registerCore } from './builtins/core.js';
import { registerNet } from './builtins/net.js';
import { Registry } from './builtins/registry.js';
import { loadSdkFor, registerSdk } from './builtins/sdk.js';
import { registerThreads, ThreadState } from './builtins/threads.js';
import { registerTls } from './builtins/tls.js';
import { Compiler, type CS, type Runtime, toMdhError } from './compiler.js';
import { MdhError } from './errors.js';
import { SystemClock } from './loop-lazy.js';
import { parseProgram } from './parser.js';
import { type MFunc, MNative, normBig, Scope, type Value } from './values.js';

/** Options for an {@link Interpreter}. */
export interface InterpreterOptions {
  /** Receives program output (`blether`); defaults to buffered process.stdout. */
  write?: (s: string) => void;
  /** Directory holding the .braw standard library (default: the package's `stdlib/`). */
  stdlibRoot?: string;
  /** Script arguments, returned by the `script_args()` builtin. */
  args?: string[];
  /** Treat every call as suspending (used by the REPL, where later input can redefine names). */
  allAsync?: boolean;
  /** Maximum call depth before a recursion error (default 1500). */
  maxDepth?: number;
  /**
   * Step budget: function calls plus loop iterations the program may run before an MdhError of kind
   * `limit` (default unbounded). Bounds untrusted or fuzzed programs.
   */
  maxSteps?: number;
  /** Environment visible to `env_get` (default process.env). */
  env?: Record<string, string | undefined>;
  /** Time source of `mono_ms`, `mono_ns`, timers and polls (default: the system monotonic clock). */
  clock?: Clock;
  /** Internal: this interpreter runs inside a thread worker. */
  worker?: boolean;
  /** Internal: first handle number for shared objects created in this thread. */
  idBase?: number;
}

/** The package's own directory (works from src/ under vitest and from dist/). */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

interface ModuleState {
  ast: Stmt[];
  exports: Map<string, Value> | null;
  loading: boolean;
  suspends: boolean | null;
}

/** Runs mdhavers programs. */
export class Interpreter implements Runtime {
  rv: Value = null;
  last: Value = null;
  ctlLine = 0;
  depth = 0;
  readonly maxDepth: number;
  /** Steps left (see {@link InterpreterOptions.maxSteps}). */
  fuel: number;
  /** The global scope (the builtins and the main program's top level, SPEC.md §5). */
  readonly globals: Scope;
  /** The builtin registry. */
  readonly registry = new Registry();
  private readonly info: SuspendInfo;
  private readonly modules = new Map<string, ModuleState>();
  private readonly loadStack: string[] = [];
  private readonly stdlibRoot: string;
  private out = '';
  private readonly sink: ((s: string) => void) | null;
  /** Script arguments. */
  readonly args: string[];
  /** Environment for env_get. */
  readonly env: Record<string, string | undefined>;
  /** Cleanup hooks run by {@link close} (sockets, loops, workers). */
  readonly closers: (() => void | Promise<void>)[] = [];
  /** Hooks run when {@link stopAll} is called (signal handling). */
  readonly stoppers: (() => void)[] = [];
  /** Called once, when the program creates its first event loop (the CLI installs signal handlers then). */
  onFirstLoop: (() => void) | null = null;
  private lastFlush = 0;
  /** The time source (SystemClock unless a ManualClock was given). */
  readonly clock: Clock;
  /** Main file path (for thread workers). */
  mainFile: string | null = null;
  /** Concurrency state (threads, channels, mutexes, condvars, atomics). */
  readonly threads: ThreadState;
  /** Source text of every file run so far (so thread workers need not re-read them). */
  readonly sources = new Map<string, string>();
  /** Every identifier named by the loaded files (decides which SDK packages to import). */
  readonly usedNames = new Set<string>();
  /** The stdlib directory in use. */
  get stdlibRootDir(): string {
    return this.stdlibRoot;
  }

  constructor(opts: InterpreterOptions = {}) {
    this.sink = opts.write ?? null;
    this.stdlibRoot = opts.stdlibRoot ?? join(PACKAGE_ROOT, 'stdlib');
    this.args = opts.args ?? [];
    this.env = opts.env ?? process.env;
    this.maxDepth = opts.maxDepth ?? 1500;
    this.fuel = opts.maxSteps ?? Number.POSITIVE_INFINITY;
    this.clock = opts.clock ?? new SystemClock();
    const r = this.registry;
    registerCore(r);
    registerBytes(r);
    const net = registerNet(r, this);
    registerSdk(r, this, net);
    registerTls(r, net);
    this.threads = new ThreadState(opts.idBase ?? 0);
    this.threads.isWorker = opts.worker ?? false;
    registerThreads(r, this, this.threads);
    const clock = this.clock;
    if (opts.clock) {
      r.def('mono_ms', 0, () => Math.floor(clock.now()));
      r.def('mono_ns', 0, () => normBig(BigInt(Math.round(clock.now() * 1e6))));
    }
    r.def('script_args', 0, () => this.args.slice());
    r.def('env_get', 2, ([name, dflt]) => {
      const v = typeof name === 'string' ? this.env[name] : undefined;
      return v === undefined ? (dflt as Value) : v;
    });
    // Blocking builtins flush pending output first, so output is never reordered.
    for (const name of r.async) {
      const n = r.natives.get(name);
      if (n?.afn) {
        const afn = n.afn;
        r.natives.set(
          name,
          new MNative(n.name, n.arity, n.fn, (a: Value[]) => {
            this.flush();
            return afn(a);
          }),
        );
      }
    }
    this.info = new SuspendInfo(r.async, r.hof, new Set(r.natives.keys()), opts.allAsync ?? false);
    this.globals = new Scope(null);
    this.globals.v = new Map(r.natives);
  }

  /** Writes program output. */
  write(s: string): void {
    if (this.sink) {
      this.sink(s);
      return;
    }
    this.out += s;
    // Batched for speed, but never held long: a killed program has written (nearly) all its lines.
    if (this.out.length > 16384 || performance.now() - this.lastFlush > 20) this.flush();
  }

  /** Notes that an event loop was created (fires {@link onFirstLoop} once). */
  loopCreated(): void {
    const f = this.onFirstLoop;
    this.onFirstLoop = null;
    f?.();
  }

  /** Flushes buffered output to stdout. */
  flush(): void {
    this.lastFlush = performance.now();
    if (this.out) {
      process.stdout.write(this.out);
      this.out = '';
    }
  }

  /** Parses a file without running it (`mdhavers check`). Throws an MdhError on a lex or parse error. */
  static check(src: string): Stmt[] {
    return parseProgram(src);
  }

  /** Runs a program file. Resolves when it ends; rejects with an MdhError on an uncaught error. */
  async runFile(path: string): Promise<void> {
    const abs = resolve(path);
    this.mainFile = abs;
    const src = readFileSync(abs, 'utf8');
    await this.runSource(src, abs);
  }

  /** Runs program text; `file` locates relative fetches (default: a file in the working directory). */
  async runSource(src: string, file = join(process.cwd(), '<main>.braw')): Promise<void> {
    if (this.mainFile === null) this.mainFile = file;
    this.sources.set(file, src);
    try {
      const ast = parseProgram(src);
      this.prepare(ast, dirname(file));
      await loadSdkFor(this.usedNames);
      const c = new Compiler(this, this.info, file, dirname(file));
      const cs = ast.map((s) => c.stmt(s));
      await this.runTop(cs, this.globals);
    } catch (e) {
      throw toMdhError(e, 0);
    } finally {
      this.flush();
    }
  }

  /** Compiles and runs more statements in the global scope (the REPL); returns the last value. */
  async evalInGlobals(src: string, file: string): Promise<Value> {
    try {
      const ast = parseProgram(src);
      this.prepare(ast, dirname(file));
      await loadSdkFor(this.usedNames);
      const c = new Compiler(this, this.info, file, dirname(file));
      const cs = ast.map((s) => c.stmt(s));
      this.last = null;
      this.depth = 0;
      await this.runTop(cs, this.globals);
      return this.last;
    } catch (e) {
      throw toMdhError(e, 0);
    } finally {
      this.flush();
    }
  }

  /** Calls a function value with arguments (used by thread workers and embedders). */
  async call(f: Value, args: Value[]): Promise<Value> {
    const { callAsync } = await import('./compiler.js');
    try {
      return await callAsync(f, args, 0);
    } catch (e) {
      throw toMdhError(e, 0);
    } finally {
      this.flush();
    }
  }

  /** Runs the declarations (`fetch` and top-level `dae`) of a file only, for a thread worker. */
  async declareOnly(src: string, file: string): Promise<Stmt[]> {
    const ast = parseProgram(src);
    this.prepare(ast, dirname(file));
    await loadSdkFor(this.usedNames);
    const c = new Compiler(this, this.info, file, dirname(file));
    const cs = ast.filter((s) => s.k === 'fetch' || s.k === 'dae').map((s) => c.stmt(s));
    await this.runTop(cs, this.globals);
    return ast;
  }

  /** Builds a function value from a lambda or `dae` found at `offset` in an already parsed file. */
  functionAt(ast: Stmt[], file: string, offset: number): MFunc | null {
    const c = new Compiler(this, this.info, file, dirname(file));
    let found: MFunc | null = null;
    const visitE = (e: unknown): void => {
      if (found || e === null || typeof e !== 'object') return;
      const n = e as { k?: string; pos?: number };
      if (n.k === 'lambda' && n.pos === offset) {
        const ce = c.expr(n as never);
        found = ce.s(this.globals) as MFunc;
        return;
      }
      if (n.k === 'dae' && n.pos === offset) {
        const scope = new Scope(this.globals);
        c.stmt(n as never).s(scope);
        found = (scope.v?.get((n as { name: string }).name) as MFunc) ?? null;
        return;
      }
      for (const v of Object.values(n)) {
        if (Array.isArray(v)) v.forEach(visitE);
        else if (v && typeof v === 'object') visitE(v);
      }
    };
    ast.forEach(visitE);
    return found;
  }

  private async runTop(cs: CS[], env: Scope): Promise<void> {
    for (const c of cs) {
      const code = c.a ? await c.a(env) : c.s(env);
      if (code === 1 || code === 2) {
        const l = this.ctlLine;
        throw new MdhError(
          'loopctl',
          code === 1
            ? `Wheesht! Break statement ootside a loop at line ${l} - ye can only brak fae inside a whiles or fer loop!`
            : `Haud on there! Continue statement ootside a loop at line ${l} - ye can only haud inside a whiles or fer loop!`,
          l,
        );
      }
    }
  }

  /** Pre-parses every module reachable through literal `fetch` paths and runs the suspend analysis. */
  private prepare(ast: Stmt[], dir: string): void {
    const seen = new Set<string>();
    const visit = (prog: Stmt[], fromDir: string): void => {
      this.info.addFile(prog);
      collectNames(prog, this.usedNames);
      for (const f of collectFetches(prog)) {
        const canon = this.findModule(f, fromDir);
        if (canon === null || seen.has(canon)) continue;
        seen.add(canon);
        const st = this.moduleState(canon);
        if (st) visit(st.ast, dirname(canon));
      }
    };
    visit(ast, dir);
    this.info.solve();
  }

  private moduleState(canon: string): ModuleState | null {
    let st = this.modules.get(canon);
    if (!st) {
      let ast: Stmt[];
      try {
        const text = readFileSync(canon, 'utf8');
        this.sources.set(canon, text);
        ast = parseProgram(text);
      } catch (e) {
        if (e instanceof MdhError) {
          st = { ast: [], exports: null, loading: false, suspends: false };
          (st as ModuleState & { err?: MdhError }).err = e;
          this.modules.set(canon, st);
          return st;
        }
        throw e;
      }
      st = { ast, exports: null, loading: false, suspends: null };
      this.modules.set(canon, st);
    }
    return st;
  }

  /** Finds a module file (SPEC.md §8); returns its canonical path or null. */
  findModule(path: string, curDir: string): string | null {
    const p = extname(path) === '' ? `${path}.braw` : path;
    const forms = (base: string): string[] => {
      const out = [join(base, p), join(base, 'stdlib', p)];
      if (p.startsWith('lib/')) out.push(join(base, 'stdlib', p.slice(4)));
      return out;
    };
    const cands: string[] = [join(curDir, p), join(process.cwd(), p), ...forms(curDir).slice(1)];
    let d = curDir;
    for (;;) {
      const up = dirname(d);
      if (up === d) break;
      d = up;
      cands.push(...forms(d));
    }
    if (p.startsWith('stdlib/')) cands.push(join(this.stdlibRoot, p.slice(7)));
    cands.push(join(this.stdlibRoot, p));
    for (const c of cands) {
      try {
        if (existsSync(c) && statSync(c).isFile()) return realpathSync(c);
      } catch {
        // unreadable candidate: try the next one
      }
    }
    return null;
  }

  resolveModule(path: string, fromDir: string): { canon: string; suspends: boolean } | null {
    const canon = this.findModule(path, fromDir);
    if (canon === null) return null;
    return { canon, suspends: this.moduleSuspends(canon, new Set()) };
  }

  private moduleSuspends(canon: string, visiting: Set<string>): boolean {
    const st = this.moduleState(canon);
    if (!st) return false;
    if (st.suspends !== null) return st.suspends;
    if (visiting.has(canon)) return false;
    visiting.add(canon);
    let s = this.info.stmtsSuspend(st.ast);
    if (!s) {
      for (const f of collectFetches(st.ast)) {
        const c = this.findModule(f, dirname(canon));
        if (c && this.moduleSuspends(c, visiting)) {
          s = true;
          break;
        }
      }
    }
    st.suspends = s;
    return s;
  }

  private beginModule(
    canon: string | null,
    path: string,
    line: number,
  ): { st: ModuleState; cs: CS[]; scope: Scope } | Map<string, Value> {
    if (canon === null) {
      throw new MdhError('module', `Cannae find module '${path}' - hae ye checked the path is richt?`);
    }
    const st = this.moduleState(canon) as ModuleState & { err?: MdhError };
    if (st.err) {
      // SPEC.md §8: a module's parse error is reported at the `fetch` site.
      throw new MdhError(
        st.err.kind,
        `Yer code's a richt guddle! Parser gave up at line ${line}: in module '${path}': ${st.err.message}`,
        line,
      );
    }
    if (st.exports) return st.exports;
    if (st.loading) {
      throw new MdhError(
        'circular',
        `The import's gone in a fankle! Circular import detected: ${[...this.loadStack, canon].join(' -> ')}`,
      );
    }
    st.loading = true;
    this.loadStack.push(canon);
    const scope = new Scope(this.globals);
    scope.v = new Map();
    const c = new Compiler(this, this.info, canon, dirname(canon), { scope });
    let cs: CS[];
    try {
      cs = st.ast.map((s) => c.stmt(s));
    } catch (e) {
      st.loading = false;
      this.loadStack.pop();
      throw e;
    }
    return { st, cs, scope };
  }

  private endModule(st: ModuleState, scope: Scope): Map<string, Value> {
    st.loading = false;
    this.loadStack.pop();
    st.exports = new Map(scope.v ?? []);
    return st.exports;
  }

  fetchSync(canon: string | null, path: string, line: number): Map<string, Value> {
    const b = this.beginModule(canon, path, line);
    if (b instanceof Map) return b;
    const saveLast = this.last;
    try {
      for (const c of b.cs) {
        const code = c.s(b.scope);
        if (code === 1 || code === 2) throw new MdhError('loopctl', `brak or haud ootside a loop in module '${path}'`);
      }
    } catch (e) {
      b.st.loading = false;
      this.loadStack.pop();
      throw e;
    }
    this.last = saveLast;
    return this.endModule(b.st, b.scope);
  }

  async fetchAsync(canon: string | null, path: string, line: number): Promise<Map<string, Value>> {
    const b = this.beginModule(canon, path, line);
    if (b instanceof Map) return b;
    try {
      await this.runTop(b.cs, b.scope);
    } catch (e) {
      b.st.loading = false;
      this.loadStack.pop();
      throw e;
    }
    return this.endModule(b.st, b.scope);
  }

  /** Stops every event loop (their next poll reports `stop`); used on SIGINT/SIGTERM. */
  stopAll(): void {
    for (const s of this.stoppers) s();
  }

  /** Releases sockets, loops and workers. */
  async close(): Promise<void> {
    const cl = this.closers.splice(0);
    for (const c of cl.reverse()) {
      try {
        await c();
      } catch {
        // best effort: the resource may already be gone
      }
    }
    this.flush();
  }
}

/** Calls `f` on every object node of the AST (depth first, parents before children). */
function walkNodes(prog: Stmt[], f: (o: { k?: string; name?: string; path?: string }) => void): void {
  const visit = (n: unknown): void => {
    if (n === null || typeof n !== 'object') return;
    if (Array.isArray(n)) {
      n.forEach(visit);
      return;
    }
    const o = n as { k?: string; name?: string; path?: string };
    f(o);
    for (const v of Object.values(o)) if (v && typeof v === 'object') visit(v);
  };
  visit(prog);
}

function collectNames(prog: Stmt[], out: Set<string>): void {
  walkNodes(prog, (o) => {
    if (o.k === 'var' && typeof o.name === 'string') out.add(o.name);
  });
}

function collectFetches(prog: Stmt[]): string[] {
  const out: string[] = [];
  walkNodes(prog, (o) => {
    if (o.k === 'fetch' && typeof o.path === 'string') out.push(o.path);
  });
  return out;
}

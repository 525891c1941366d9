/**
 * The fuzz harness: targets, the per-case checks (only documented error types escape, no case takes more
 * than 50 ms, round trips are stable) and the runner that prints `cases, failures, slowest` per target.
 */
import { Rng } from './rng.js';

/** A property violation found by a target (anything else thrown is an undocumented error escaping). */
export class FuzzFailure extends Error {
  constructor(
    /** A short class name ('unstable', 'reparse', 'killed', ...) that known-defect predicates match on. */
    readonly kind: string,
    message: string,
  ) {
    super(message);
    this.name = 'FuzzFailure';
  }
}

/** A case that took longer than its target's limit in CPU time (on each of three runs when it can be re-run). */
export class SlowCase extends Error {
  constructor(
    readonly ms: number,
    runs: number,
  ) {
    super(`case took ${ms.toFixed(1)} ms of CPU (limit exceeded on ${runs} run${runs > 1 ? 's' : ''})`);
    this.name = 'SlowCase';
  }
}

/** A prepared target: generates inputs and runs one case. */
export interface Instance<I> {
  gen(rng: Rng): I;
  /** Runs one case; throws FuzzFailure on a violated property. */
  run(input: I): void | Promise<void>;
  /** Printable reproduction of an input. */
  show(input: I): string;
  /**
   * Classifies a failure as one of the known defects reported in issue #14 and owned by another branch
   * (returns its label), so the CI run stays green without disabling the target. Null: a new failure.
   */
  known?(error: unknown, input: I): string | null;
  /** Per-case time limit in ms of CPU time (default 50). */
  limitMs?: number;
  /** Whether a slow case may be timed again by re-running it (default true; false for stateful targets). */
  retimable?: boolean;
}

/** A fuzz target. */
export interface Target {
  name: string;
  /** Group for `pnpm fuzz <group>` (sip, media, dtls, dns, mdhavers, stun). */
  group: string;
  /** Set when the target cannot run in this tree yet (it stays listed, with the reason). */
  disabled?: string;
  setup(): Promise<Instance<unknown>> | Instance<unknown>;
}

/** Helper to keep each target's input type checked. */
export function target<I>(t: {
  name: string;
  group: string;
  disabled?: string;
  setup(): Promise<Instance<I>> | Instance<I>;
}): Target {
  return t as unknown as Target;
}

export interface FailureRecord {
  case: number;
  error: string;
  input: string;
}

/** What one target's run found. */
export interface TargetReport {
  name: string;
  cases: number;
  failures: number;
  /** Counts of known, reported defect classes (not failures of this run). */
  known: Record<string, number>;
  slowestMs: number;
  slowestInput: string;
  /** The first few failures with their reproductions. */
  examples: FailureRecord[];
  knownExamples: Record<string, FailureRecord>;
  elapsedMs: number;
  disabled?: string;
}

export interface RunOptions {
  cases: number;
  seed: number;
  /** Stop early after this many ms of wall time (the report says how many cases ran). */
  timeBudgetMs?: number;
  /** How many failure examples to keep. */
  keep?: number;
}

function describeError(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`.slice(0, 400);
  return String(e).slice(0, 400);
}

/** Runs `opts.cases` cases of one target with a seeded generator. */
export async function runTarget(t: Target, opts: RunOptions): Promise<TargetReport> {
  const rep: TargetReport = {
    name: t.name,
    cases: 0,
    failures: 0,
    known: {},
    slowestMs: 0,
    slowestInput: '',
    examples: [],
    knownExamples: {},
    elapsedMs: 0,
  };
  if (t.disabled) {
    rep.disabled = t.disabled;
    return rep;
  }
  const start = performance.now();
  const inst = await t.setup();
  const limit = inst.limitMs ?? 50;
  const keep = opts.keep ?? 5;
  const rng = new Rng(opts.seed ^ hash(t.name));
  // Warm-up (JIT, lazy tables, first allocations) on a separate stream so that `slowest` measures inputs,
  // not the first call; failures here are not counted (the measured cases cover the same generator).
  const warm = new Rng(~opts.seed ^ hash(t.name));
  for (let i = 0; i < Math.min(50, opts.cases); i++) {
    try {
      const r = inst.run(inst.gen(warm));
      if (r instanceof Promise) await r;
    } catch {
      // counted in the measured run
    }
  }
  // Case time is the process's CPU time (user + system) during the case, not wall time: on a shared machine
  // (8 agents on 2 cores) wall time measures the neighbours, CPU time measures the input.
  const once = async (input: unknown): Promise<number> => {
    const c0 = process.cpuUsage();
    const r = inst.run(input);
    if (r instanceof Promise) await r;
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / 1000;
  };
  for (let i = 0; i < opts.cases; i++) {
    if (opts.timeBudgetMs !== undefined && (i & 63) === 0 && performance.now() - start > opts.timeBudgetMs) break;
    const input = inst.gen(rng);
    rep.cases++;
    let error: unknown = null;
    let ms = 0;
    try {
      ms = await once(input);
      if (ms > limit && inst.retimable !== false) {
        // Re-time twice so that a GC pause or a busy machine is not reported as a slow input.
        ms = Math.min(ms, await once(input), await once(input));
      }
      if (ms > limit) throw new SlowCase(ms, inst.retimable === false ? 1 : 3);
    } catch (e) {
      error = e;
    }
    if (ms > rep.slowestMs) {
      rep.slowestMs = ms;
      rep.slowestInput = inst.show(input).slice(0, 2000);
    }
    if (error === null) continue;
    const label = inst.known?.(error, input) ?? null;
    const rec = { case: i, error: describeError(error), input: inst.show(input) };
    if (label !== null) {
      rep.known[label] = (rep.known[label] ?? 0) + 1;
      rep.knownExamples[label] ??= rec;
    } else {
      rep.failures++;
      if (rep.examples.length < keep) rep.examples.push(rec);
    }
  }
  rep.elapsedMs = performance.now() - start;
  return rep;
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Hex of bytes (for reproductions). */
export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** Byte equality. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Throws an undocumented error type as a failure (`allowed` are the package's documented error classes). */
export function allow(e: unknown, ...allowed: (abstract new (...a: never[]) => Error)[]): void {
  for (const c of allowed) if (e instanceof c) return;
  throw e;
}

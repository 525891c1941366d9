/**
 * @mdh/loop, imported on demand: programs that use no socket, event-loop, DNS or thread builtin never
 * load it (this keeps process start-up short). The monotonic clock is the same source @mdh/loop uses.
 */
import type * as LoopMod from '@mdh/loop';
import type { Clock } from '@mdh/loop';
import { builtinError } from './errors.js';

let mod: typeof LoopMod | null = null;

/** Imports @mdh/loop (once). */
export async function loadLoop(): Promise<typeof LoopMod> {
  if (!mod) mod = await import('@mdh/loop');
  return mod;
}

/** The loaded @mdh/loop module (builtins that need it are only reachable after {@link loadLoop}). */
export function loopMod(): typeof LoopMod {
  if (!mod) throw builtinError("@mdh/loop is no' loaded (internal error)");
  return mod;
}

/** @mdh/loop if already loaded. */
export function loopIfLoaded(): typeof LoopMod | null {
  return mod;
}

/** Monotonic milliseconds (performance.now(), as @mdh/loop's monoMs). */
export function monoMs(): number {
  return performance.now();
}

/** Monotonic nanoseconds (as @mdh/loop's monoNs). */
export function monoNs(): bigint {
  return process.hrtime.bigint();
}

/** The real monotonic clock. */
export class MonoClock implements Clock {
  now(): number {
    return performance.now();
  }
}

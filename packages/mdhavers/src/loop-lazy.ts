/**
 * @mdh/loop, imported on demand: programs that use no socket, event-loop, DNS or thread builtin never
 * load it (this keeps process start-up short). The monotonic clock is the same source @mdh/loop uses.
 */
import type * as LoopMod from '@mdh/loop';
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

// The monotonic clock is @mdh/loop's own (its `./clock` subpath loads nothing else, so start-up stays short).
export { monoMs, monoNs, SystemClock } from '@mdh/loop/clock';

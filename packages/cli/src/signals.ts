/**
 * Ctrl-C for commands that must end cleanly (`mdh call`): the first SIGINT (or SIGTERM) aborts an
 * `AbortSignal` — the command then ends what it started (CANCEL before the answer, BYE after it, RFC 3261 §9.1 /
 * §15) and prints its report; a second one exits at once with 128 + the signal number, as a shell reports it.
 */

/** Exit status of a command ended by SIGINT (128 + 2). */
export const EXIT_SIGINT = 130;

/** See {@link interruptSignal}. */
export interface Interrupt {
  /** Aborted by the first SIGINT/SIGTERM; `signal.reason` is the signal's name. */
  readonly signal: AbortSignal;
  /** Removes the signal listeners (Node's default handling is back). */
  dispose(): void;
}

/**
 * Listens for SIGINT and SIGTERM on `proc`: the first aborts {@link Interrupt.signal} and writes
 * `mdh <command>: <SIG>: <ending>` to stderr; a later one writes `… again, exiting now` and calls `exit` (default
 * `process.exit`) with 130 (SIGINT) or 143 (SIGTERM).
 */
export function interruptSignal(
  command: string,
  ending: string,
  proc: Pick<NodeJS.Process, 'on' | 'off' | 'stderr'> = process,
  exit: (code: number) => void = (c) => process.exit(c),
): Interrupt {
  const ac = new AbortController();
  const on = (sig: 'SIGINT' | 'SIGTERM') => () => {
    if (!ac.signal.aborted) {
      proc.stderr.write(`mdh ${command}: ${sig}: ${ending} (send it again to exit at once)\n`);
      ac.abort(sig);
      return;
    }
    proc.stderr.write(`mdh ${command}: ${sig} again, exiting now\n`);
    exit(sig === 'SIGINT' ? EXIT_SIGINT : 143);
  };
  const int = on('SIGINT');
  const term = on('SIGTERM');
  proc.on('SIGINT', int);
  proc.on('SIGTERM', term);
  return {
    signal: ac.signal,
    dispose() {
      proc.off('SIGINT', int);
      proc.off('SIGTERM', term);
    },
  };
}

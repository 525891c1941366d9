import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Runs the built `mdh` command (packages/cli/dist/bin.js; `pnpm run build` first, as .ci/run does) as a child
 * process for the tests of its process-level behaviour (signals, files, exit codes).
 */
export const MDH_BIN = join(import.meta.dirname, '../../packages/cli/dist/bin.js');

const children = new Set<ChildProcess>();

/** A running `mdh` child. */
export interface MdhProcess {
  proc: ChildProcess;
  out: () => string;
  err: () => string;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string | null>;
  /** Waits until stderr matches `re` (bounded by `ms`; rejects if the process exits first). */
  waitErr: (re: RegExp, ms: number) => Promise<RegExpExecArray>;
}

/** Starts `mdh <args>`. */
export function mdh(args: string[]): MdhProcess {
  if (!existsSync(MDH_BIN)) throw new Error(`${MDH_BIN} is missing: run pnpm run build first`);
  const proc = spawn(process.execPath, [MDH_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(proc);
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d) => {
    out += d;
  });
  proc.stderr!.on('data', (d) => {
    err += d;
  });
  const exited = new Promise<number | string | null>((r) =>
    proc.on('exit', (code, sig) => {
      children.delete(proc);
      r(code ?? sig);
    }),
  );
  const waitErr = async (re: RegExp, ms: number) => {
    const t0 = Date.now();
    for (;;) {
      const m = re.exec(err);
      if (m) return m;
      if (proc.exitCode !== null || proc.signalCode !== null)
        throw new Error(`mdh ${args[0]} exited before ${re}: ${err}`);
      if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${re}: ${err}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  return { proc, out: () => out, err: () => err, exited, waitErr };
}

/** Starts `mdh echo --sip 127.0.0.1:0 <args>` and waits for its listening line; resolves with it and its port. */
export async function mdhEcho(args: string[]): Promise<MdhProcess & { port: number }> {
  const p = mdh(['echo', '--sip', '127.0.0.1:0', ...args]);
  const m = await p.waitErr(/listening on \w+ 127\.0\.0\.1:(\d+)/, 20_000);
  return { ...p, port: Number(m[1]) };
}

/** Sends `signal` and waits for the exit (SIGKILL after `ms`). */
export async function stopMdh(p: MdhProcess, signal: NodeJS.Signals = 'SIGINT', ms = 10_000) {
  p.proc.kill(signal);
  const t = setTimeout(() => p.proc.kill('SIGKILL'), ms);
  const code = await p.exited;
  clearTimeout(t);
  return code;
}

/** Kills every child still running (afterAll). */
export function killMdh(): void {
  for (const c of children) c.kill('SIGKILL');
}

/** `tshark <args>` (stdout; the root warning on stderr is dropped). */
export function tshark(args: string[]): string {
  const r = spawnSync('tshark', args, { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`tshark ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

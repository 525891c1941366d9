import { type ChildProcess, spawn } from 'node:child_process';

/** sipp as a test peer: bounded runs with parsed counters, long-running servers, and their clean-up. */

const children = new Set<ChildProcess>();

/** What a finished sipp run reported. */
export interface SippResult {
  code: number | null;
  out: string;
  successful: number;
  failed: number;
}

/**
 * A media port for sipp (`-mp`): sipp binds 6000 (and 6002) by default, so two sipp processes at once — test
 * files run in parallel — would collide and one would exit at start. An even port from a wide random range.
 */
export function sippMediaPort(): number {
  return 20_000 + 2 * Math.floor(Math.random() * 15_000);
}

/** Runs sipp with a global timeout (and a hard kill as a backstop); resolves with its counters. */
export function sipp(args: string[], hardMs = 90_000): Promise<SippResult> {
  const mp = args.includes('-mp') ? [] : ['-mp', String(sippMediaPort())];
  const p = spawn('sipp', [...args, ...mp, '-nostdin', '-buff_size', '1048576'], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(p);
  let out = '';
  p.stdout?.on('data', (d) => {
    out += d;
    if (out.length > 200_000) out = out.slice(-100_000);
  });
  p.stderr?.on('data', (d) => {
    out += d;
  });
  const kill = setTimeout(() => p.kill('SIGKILL'), hardMs);
  return new Promise((resolve) => {
    p.on('exit', (code) => {
      clearTimeout(kill);
      children.delete(p);
      const num = (name: string) => {
        const m = [...out.matchAll(new RegExp(`${name}\\s*\\|\\s*\\d+\\s*\\|\\s*(\\d+)`, 'g'))].at(-1);
        return m ? Number(m[1]) : -1;
      };
      let successful = num('Successful call');
      let failed = num('Failed call');
      // sipp's exit status is authoritative: 0 means every call succeeded. Its final statistics screen is
      // occasionally missing from a piped stdout on a loaded machine; then the counts follow from `-m`.
      const m = args.indexOf('-m');
      if (code === 0 && successful === -1 && failed === -1 && m >= 0) {
        successful = Number(args[m + 1]);
        failed = 0;
      }
      resolve({ code, out, successful, failed });
    });
  });
}

/** Starts sipp as a long-running peer (killed by {@link killSipps}). */
export function sippServer(args: string[]): ChildProcess {
  const mp = args.includes('-mp') ? [] : ['-mp', String(sippMediaPort())];
  const p = spawn('sipp', [...args, ...mp, '-nostdin'], { stdio: ['ignore', 'ignore', 'ignore'] });
  children.add(p);
  p.on('exit', () => children.delete(p));
  return p;
}

/** Kills every sipp child still running. */
export function killSipps(): void {
  for (const c of children) c.kill('SIGKILL');
}

/** sipp client options: `count` calls at `rate` cps from 127.0.0.1 to 127.0.0.1:`port`, failing on `timeout`. */
export function uacArgs(port: number, count: number, rate: number, timeout: string): string[] {
  return [
    `127.0.0.1:${port}`,
    '-i',
    '127.0.0.1',
    '-m',
    String(count),
    '-r',
    String(rate),
    '-timeout',
    timeout,
    '-timeout_error',
  ];
}

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freeUdpPort } from './helpers.js';
import { hasPeer } from './peers.js';
import { killSipps, sipp, sippServer, uacArgs } from './sipp-helpers.js';

// sipp UAC → `mdh proxy --workers 2` (node:cluster, one shared UDP port) → sipp UAS. The proxy forks workers
// that re-run the command line, so it runs from the built CLI (`pnpm run build`, as .ci/run does first).
const BIN = join(import.meta.dirname, '../../packages/cli/dist/bin.js');
const SIPP = join(import.meta.dirname, 'sipp');

const procs = new Set<ChildProcess>();
const pids = new Set<number>();

afterAll(() => {
  killSipps();
  for (const p of procs) p.kill('SIGKILL');
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** Direct children of a process (the cluster workers of the primary). */
function childrenOf(pid: number): number[] {
  const list = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  const ids = list ? list.split(/\s+/).map(Number) : [];
  for (const id of ids) pids.add(id);
  return ids;
}

interface WorkerStats {
  forwarded: number;
  statelessForwards: number;
  liveContexts: number;
  loopsDetected: number;
}

describe.skipIf(!hasPeer('sipp'))('mdh proxy --workers 2 (node:cluster) between sipp peers', () => {
  it('300 calls sipp UAC → proxy workers → sipp UAS, 0 failed; each call stays on one worker; SIGTERM ends all', async () => {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run pnpm run build first`);
    const N = 300;
    const uasPort = await freeUdpPort();
    sippServer(['-sf', join(SIPP, 'uas-answer.xml'), '-i', '127.0.0.1', '-p', String(uasPort), '-timeout', '80s']);
    const port = await freeUdpPort();
    const proc = spawn(
      process.execPath,
      [
        BIN,
        'proxy',
        '--listen',
        `127.0.0.1:${port}`,
        '--to',
        `sip:svc@127.0.0.1:${uasPort}`,
        '--json',
        '--workers',
        '2',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    procs.add(proc);
    let out = '';
    let err = '';
    proc.stdout!.on('data', (d) => {
      out += d;
    });
    proc.stderr!.on('data', (d) => {
      err += d;
    });
    const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
    const t0 = Date.now();
    while (!/"listening"/.test(out)) {
      if (Date.now() - t0 > 20_000 || proc.exitCode !== null) throw new Error(`mdh proxy did not start: ${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(JSON.parse(out.split('\n')[0]!).workers).toBe(2);
    const workers = childrenOf(proc.pid!);
    expect(workers).toHaveLength(2);

    const r = await sipp(['-sf', join(SIPP, 'uac-routed.xml'), ...uacArgs(port, N, 100, '60s')]);
    expect(r.failed, `code ${r.code}: ${r.out.slice(-3000)}`).toBe(0);
    expect(r.successful).toBe(N);

    proc.kill('SIGTERM');
    const kill = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    expect(await exited).toBe(0);
    clearTimeout(kill);
    const line = out.split('\n').find((l) => l.startsWith('{"workers"'));
    expect(line, out).toBeDefined();
    const stats = JSON.parse(line!).workers as WorkerStats[];
    expect(stats).toHaveLength(2);
    // Every INVITE and its BYE were proxied statefully by the worker owning the Call-ID (2 per call in all),
    // every ACK statelessly; both workers carried calls; nothing left pending, no request looped back.
    expect(stats.reduce((n, s) => n + s.forwarded, 0)).toBe(2 * N);
    expect(stats.reduce((n, s) => n + s.statelessForwards, 0)).toBe(N);
    for (const s of stats) {
      expect(s.forwarded).toBeGreaterThan(N / 4);
      expect(s.forwarded % 2).toBe(0); // an INVITE and its BYE on the same worker
      expect(s.liveContexts).toBe(0);
      expect(s.loopsDetected).toBe(0);
    }
  }, 120_000);
});

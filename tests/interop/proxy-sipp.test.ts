import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ProxyServer, startProxy } from '@mdh/cli';
import { afterAll, describe, expect, it } from 'vitest';
import { freeUdpPort } from './helpers.js';
import { hasPeer } from './peers.js';
import { killSipps, sipp, uacArgs } from './sipp-helpers.js';

// sipp UAC → mdh proxy → sipp UAS(es): forking, CANCEL, best-response choice, loop detection and Record-Route,
// each with real sipp scenarios (tests/interop/sipp/*.xml).

const here = join(import.meta.dirname, 'sipp');
const dir = mkdtempSync(join(tmpdir(), 'mdh-proxy-sipp-'));

afterAll(() => {
  killSipps();
  rmSync(dir, { recursive: true, force: true });
});

/** A scenario file with STATUS replaced by a status code. */
function scenario(name: string, status?: number): string {
  if (status === undefined) return join(here, name);
  const f = join(dir, `${status}-${name}`);
  writeFileSync(f, readFileSync(join(here, name), 'utf8').replaceAll('STATUS', String(status)));
  return f;
}

/** Starts a sipp UAS on a free port with a scenario; returns its port. */
async function uas(file: string, calls: number): Promise<{ port: number; done: ReturnType<typeof sipp> }> {
  const port = await freeUdpPort();
  const mp = await freeUdpPort();
  const done = sipp(
    ['-sf', file, '-i', '127.0.0.1', '-p', String(port), '-mp', String(mp), '-m', String(calls), '-timeout', '60s'],
    90_000,
  );
  await waitBound(port);
  return { port, done };
}

/** Resolves once something (sipp) holds UDP `port` on 127.0.0.1 (bounded: 10 s). */
async function waitBound(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const s = createSocket('udp4');
    const inUse = await new Promise<boolean>((r) => {
      s.once('error', () => r(true));
      s.bind(port, '127.0.0.1', () => r(false));
    });
    await new Promise<void>((r) => (inUse ? r() : s.close(() => r())));
    if (inUse) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`sipp did not bind 127.0.0.1:${port}`);
}

async function withProxy<T>(
  to: string[],
  fork: 'parallel' | 'sequential',
  f: (p: ProxyServer) => Promise<T>,
): Promise<T> {
  const p = await startProxy({ host: '127.0.0.1', port: 0, to, fork });
  try {
    return await f(p);
  } finally {
    await p.stop();
  }
}

describe.skipIf(!hasPeer('sipp'))('mdh proxy with sipp peers', () => {
  it('parallel fork: the answering branch wins, the ringing one is CANCELled; BYE passes through the proxy', async () => {
    const N = 10;
    const a = await uas(scenario('uas-answer.xml'), N);
    const b = await uas(scenario('uas-ring-cancel.xml'), N);
    await withProxy([`sip:svc@127.0.0.1:${a.port}`, `sip:svc@127.0.0.1:${b.port}`], 'parallel', async (p) => {
      const r = await sipp(['-sf', scenario('uac-routed.xml'), ...uacArgs(p.transport.localPort, N, 5, '30s')]);
      expect(r.failed, `code ${r.code}: ${r.out.slice(-3000)}`).toBe(0);
      expect(r.successful).toBe(N);
      const [ra, rb] = await Promise.all([a.done, b.done]);
      expect(ra.successful).toBe(N);
      expect(rb.successful).toBe(N);
      const s = p.stats();
      expect(s.cancelsSent).toBe(N);
      // INVITE and BYE of every call went through the proxy statefully; the ACK for the 2xx statelessly.
      expect(s.forwarded).toBe(2 * N);
      expect(s.statelessForwards).toBe(N);
      expect(s.liveContexts).toBe(0);
    });
  });

  it('sequential fork moves on after a 486', async () => {
    const N = 5;
    const busy = await uas(scenario('uas-reject.xml', 486), N);
    const a = await uas(scenario('uas-answer.xml'), N);
    await withProxy([`sip:svc@127.0.0.1:${busy.port}`, `sip:svc@127.0.0.1:${a.port}`], 'sequential', async (p) => {
      const r = await sipp(['-sf', scenario('uac-routed.xml'), ...uacArgs(p.transport.localPort, N, 5, '30s')]);
      expect(r.failed, `code ${r.code}: ${r.out.slice(-3000)}`).toBe(0);
      expect(r.successful).toBe(N);
      expect((await busy.done).successful).toBe(N);
      expect((await a.done).successful).toBe(N);
    });
  });

  it('a 6xx stops the fork: the ringing branch is CANCELled and the caller gets the 603', async () => {
    const N = 5;
    const decline = await uas(scenario('uas-reject.xml', 603), N);
    const ring = await uas(scenario('uas-ring-cancel.xml'), N);
    await withProxy([`sip:svc@127.0.0.1:${ring.port}`, `sip:svc@127.0.0.1:${decline.port}`], 'parallel', async (p) => {
      const r = await sipp(['-sf', scenario('uac-status.xml', 603), ...uacArgs(p.transport.localPort, N, 5, '30s')]);
      expect(r.failed, `code ${r.code}: ${r.out.slice(-3000)}`).toBe(0);
      expect(r.successful).toBe(N);
      expect((await ring.done).successful).toBe(N);
      expect((await decline.done).successful).toBe(N);
    });
  });

  it('a request routed back to the proxy is a loop: 482', async () => {
    const port = await freeUdpPort();
    const p = await startProxy({ host: '127.0.0.1', port, to: [`sip:svc@127.0.0.1:${port}`] });
    try {
      const r = await sipp(['-sf', scenario('uac-status.xml', 482), ...uacArgs(port, 3, 5, '20s')]);
      expect(r.failed, `code ${r.code}: ${r.out.slice(-3000)}`).toBe(0);
      expect(r.successful).toBe(3);
      expect(p.stats().loopsDetected).toBe(3);
    } finally {
      await p.stop();
    }
  });

  it('a target that never answers: 408 to the caller (Timer B), nothing left behind', async () => {
    const dead = await freeUdpPort();
    await withProxy([`sip:svc@127.0.0.1:${dead}`], 'parallel', async (p) => {
      const r = await sipp(['-sf', scenario('uac-status.xml', 408), ...uacArgs(p.transport.localPort, 1, 1, '60s')]);
      expect(r.failed, `code ${r.code}: ${r.out.slice(-3000)}`).toBe(0);
      expect(r.successful).toBe(1);
      expect(p.stats().liveContexts).toBe(0);
    });
  }, 60_000);
});

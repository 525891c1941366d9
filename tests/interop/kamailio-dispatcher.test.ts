import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freeUdpPort } from './helpers.js';
import { hasPeer } from './peers.js';

// sipp UAC → Kamailio (dispatcher, deploy/kamailio/kamailio.cfg) → 2 `mdh echo` processes (the built CLI,
// `pnpm run build`, as .ci/run does before the tests). Loopback, ephemeral ports, every wait bounded.
const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'packages/cli/dist/bin.js');
const PING_S = 1;
const FR_MS = 3000;

const procs = new Set<ChildProcess>();
const socks: Socket[] = [];
const dirs: string[] = [];

/** Kamailio forks its children: it runs in its own process group, and the whole group is ended. */
const groups = new Set<number>();

afterAll(async () => {
  for (const g of groups) {
    try {
      process.kill(-g, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  await sleep(500);
  for (const g of groups) {
    try {
      process.kill(-g, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const p of procs) p.kill('SIGKILL');
  for (const s of socks) s.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function track(p: ChildProcess): ChildProcess {
  procs.add(p);
  p.on('exit', () => procs.delete(p));
  return p;
}

interface Echo {
  proc: ChildProcess;
  port: number;
  /** Calls this instance answered and saw ended (one JSON record each). */
  calls: () => number;
}

async function startEcho(): Promise<Echo> {
  const port = await freeUdpPort();
  const proc = track(
    spawn(process.execPath, [BIN, 'echo', '--sip', `127.0.0.1:${port}`, '--no-media', '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d) => {
    out += d;
  });
  proc.stderr!.on('data', (d) => {
    err += d;
  });
  for (let i = 0; !/listening on/.test(err); i++) {
    if (i > 400 || proc.exitCode !== null) throw new Error(`mdh echo did not start: ${err}`);
    await sleep(50);
  }
  return { proc, port, calls: () => out.split('\n').filter((l) => l.includes('"ended"')).length };
}

/** Resolves once a UDP SIP server at `port` answers an OPTIONS with `want` (bounded: 15 s). */
async function answers(port: number, want: RegExp): Promise<void> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  let got = false;
  s.on('message', (m) => {
    if (want.test(m.toString('latin1'))) got = true;
  });
  try {
    for (let i = 0; i < 75 && !got; i++) {
      const me = s.address().port;
      s.send(
        [
          `OPTIONS sip:127.0.0.1:${port} SIP/2.0`,
          `Via: SIP/2.0/UDP 127.0.0.1:${me};branch=z9hG4bKready${i}x${Date.now()}`,
          'From: <sip:test@127.0.0.1>;tag=t',
          `To: <sip:127.0.0.1:${port}>`,
          `Call-ID: ready-${i}-${Date.now()}`,
          'CSeq: 1 OPTIONS',
          'Max-Forwards: 70',
          'Content-Length: 0',
          '',
          '',
        ].join('\r\n'),
        port,
        '127.0.0.1',
      );
      await sleep(200);
    }
  } finally {
    s.close();
  }
  if (!got) throw new Error(`nothing at 127.0.0.1:${port} answered OPTIONS`);
}

/** Kamailio with the repository's config, on ephemeral ports, dispatching to `targets`. */
async function startKamailio(targets: number[]): Promise<{ proc: ChildProcess; port: number; log: () => string }> {
  const dir = mkdtempSync(join(tmpdir(), 'mdh-kamailio-'));
  dirs.push(dir);
  const port = await freeUdpPort();
  writeFileSync(join(dir, 'dispatcher.list'), targets.map((p) => `1 sip:127.0.0.1:${p}\n`).join(''));
  const template = readFileSync(join(ROOT, 'deploy/kamailio/kamailio.cfg'), 'utf8');
  const nl = template.indexOf('\n');
  const defines = [
    `#!define LISTEN udp:127.0.0.1:${port}`,
    `#!define DS_LIST "${join(dir, 'dispatcher.list')}"`,
    `#!define DS_PING_INTERVAL ${PING_S}`,
    `#!define FR_TIMER ${FR_MS}`,
    '#!define CHILDREN 2',
  ];
  writeFileSync(
    join(dir, 'kamailio.cfg'),
    `${template.slice(0, nl + 1)}${defines.join('\n')}\n${template.slice(nl + 1)}`,
  );
  const proc = track(
    spawn('kamailio', ['-DD', '-E', '-Y', dir, '-f', join(dir, 'kamailio.cfg'), '-m', '64', '-M', '8'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    }),
  );
  groups.add(proc.pid!);
  let log = '';
  proc.stderr!.on('data', (d) => {
    log += d;
    if (log.length > 200_000) log = log.slice(-100_000);
  });
  await answers(port, /^SIP\/2\.0 200 Keepalive/);
  return { proc, port, log: () => log };
}

interface SippResult {
  out: string;
  successful: number;
  failed: number;
}

/**
 * sipp's built-in `uac` scenario, except that it keeps the Record-Route set of the 200 (rrs) and sends ACK
 * and BYE to the remote target with that Route set (RFC 3261 §12.1.2, §12.2.1.1) — the built-in one sends
 * them to the proxy without Route headers, which no proxy can route with round-robin.
 */
const UAC_RR = join(import.meta.dirname, 'sipp/uac-rr.xml');

/** `count` calls at `rate` cps to Kamailio at `port` with {@link UAC_RR} (bounded: -timeout and a hard kill). */
async function sipp(port: number, count: number, rate: number): Promise<SippResult> {
  const local = await freeUdpPort();
  const dir = mkdtempSync(join(tmpdir(), 'mdh-sipp-'));
  dirs.push(dir);
  const args = ['-sf', UAC_RR, `127.0.0.1:${port}`, '-i', '127.0.0.1', '-p', String(local)];
  args.push('-m', String(count), '-r', String(rate), '-timeout', '60s', '-timeout_error', '-nostdin');
  args.push('-trace_err', '-error_file', join(dir, 'errors.log'));
  const p = track(spawn('sipp', args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  let out = '';
  p.stdout!.on('data', (d) => {
    out += d;
    if (out.length > 200_000) out = out.slice(-100_000);
  });
  p.stderr!.on('data', (d) => {
    out += d;
  });
  const kill = setTimeout(() => p.kill('SIGKILL'), 80_000);
  await new Promise((r) => p.on('exit', r));
  clearTimeout(kill);
  const num = (name: string) => {
    const m = [...out.matchAll(new RegExp(`${name}\\s*\\|\\s*\\d+\\s*\\|\\s*(\\d+)`, 'g'))].at(-1);
    return m ? Number(m[1]) : -1;
  };
  const errors = existsSync(join(dir, 'errors.log')) ? readFileSync(join(dir, 'errors.log'), 'utf8') : '';
  return {
    out: `${out.slice(-1500)}\n${errors.slice(0, 3000)}`,
    successful: num('Successful call'),
    failed: num('Failed call'),
  };
}

/** Calls of the even-split run (the 5,000: 20 s at 250 calls/s). */
const CALLS = 5000;

describe.skipIf(!hasPeer('kamailio') || !hasPeer('sipp'))('sipp → Kamailio dispatcher → 2 mdh echo', () => {
  it('splits 5000 calls evenly with 0 failed; after one instance dies and the probe marks it down, 0 failed', async () => {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run pnpm run build first`);
    const a = await startEcho();
    const b = await startEcho();
    const k = await startKamailio([a.port, b.port]);

    // 1. round-robin over both instances
    const r1 = await sipp(k.port, CALLS, 250);
    expect(r1.failed, r1.out).toBe(0);
    expect(r1.successful).toBe(CALLS);
    await sleep(300);
    expect(a.calls() + b.calls(), `a ${a.calls()} b ${b.calls()}`).toBe(CALLS);
    // ±5 % of the calls on each instance
    expect(Math.abs(a.calls() - CALLS / 2)).toBeLessThanOrEqual(CALLS / 20);
    expect(Math.abs(b.calls() - CALLS / 2)).toBeLessThanOrEqual(CALLS / 20);

    // 2. a long run; instance b is killed 3 s in
    const aBefore = a.calls();
    const long = sipp(k.port, 1500, 100);
    await sleep(3000);
    b.proc.kill('SIGKILL');
    await new Promise((r) => (b.proc.exitCode !== null || b.proc.signalCode !== null ? r(0) : b.proc.once('exit', r)));
    // b's port now swallows everything without answering (a hung server): count INVITEs that still reach it
    const hole = createSocket('udp4');
    socks.push(hole);
    const invitesToB: number[] = [];
    hole.on('message', (m) => {
      if (m.toString('latin1', 0, 7) === 'INVITE ') invitesToB.push(Date.now());
    });
    await new Promise<void>((r) => hole.bind(b.port, '127.0.0.1', () => r()));
    // the probe marks b down within one ping interval plus one probe time-out; then a second caller starts
    await sleep(PING_S * 1000 + FR_MS + 2000);
    expect(k.log()).toMatch(new RegExp(`destination down .*127\\.0\\.0\\.1:${b.port}\\b`));
    expect(k.log()).not.toMatch(new RegExp(`destination down .*127\\.0\\.0\\.1:${a.port}\\b`));
    const t2 = Date.now();
    const r2 = await sipp(k.port, 500, 100);
    const r1long = await long;
    // every call started after the probe marked b down succeeded, and none of them was sent to b
    expect(r2.failed, r2.out).toBe(0);
    expect(r2.successful).toBe(500);
    expect(invitesToB.filter((t) => t >= t2)).toEqual([]);
    // of the long run, only calls in flight on b when it died may fail (failover covers INVITEs that
    // reached b: Kamailio moves on to a after FR_TIMER)
    expect(r1long.successful + r1long.failed).toBe(1500);
    expect(r1long.failed).toBeLessThanOrEqual(10);
    expect(a.calls() - aBefore).toBeGreaterThanOrEqual(500);
    console.log(
      `kamailio dispatcher: split ${aBefore}/${CALLS - aBefore} over ${CALLS} calls; ` +
        `long run: ${r1long.successful} ok, ${r1long.failed} failed (in flight on the killed instance); ` +
        `after the probe: ${r2.successful} ok, ${r2.failed} failed`,
    );
  }, 180_000);
});

// baresip under remote control for the interop tests: its ctrl_tcp module (netstring-framed JSON commands and
// events on a TCP port of the test's own) drives the call (hold, resume, transfer, DTMF) and reports what
// baresip saw (CALL_ESTABLISHED, CALL_DTMF_START, CALL_CLOSED, ...). Bounded: every wait has a limit, the process
// a hard kill.
import { type ChildProcess, spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { baresipDir, freePortPair } from './baresip-helpers.js';

/** An event baresip's ctrl_tcp reported (`{"event":true,"type":"CALL_ESTABLISHED",...}`). */
export interface BaresipEvent {
  type: string;
  param?: string;
  peeruri?: string;
  [k: string]: unknown;
}

/** A running baresip with its control connection. */
export interface BaresipCtrl {
  /** Its SIP port (UDP and TCP). */
  port: number;
  /** Its account's URI, to call it. */
  uri: string;
  /** Its config dir (the decoded audio is dumped there by sndfile). */
  dir: string;
  /** Every event so far, in order. */
  events: BaresipEvent[];
  /** Everything it printed so far (stdout and stderr, bounded). */
  log(): string;
  /** Runs a command (`hold`, `resume`, `transfer sip:…`, `sndcode 12#`, …); resolves with its response text. */
  command(line: string, timeoutMs?: number): Promise<{ ok: boolean; data: string }>;
  /** Resolves with the first event (from `from` on) matching `pred`; rejects after `timeoutMs`. */
  waitEvent(pred: (e: BaresipEvent) => boolean, timeoutMs?: number, from?: number): Promise<BaresipEvent>;
  /** Quits baresip (SIGTERM, then SIGKILL) and resolves once it exited. */
  stop(): Promise<void>;
}

const procs = new Set<ChildProcess>();

/** Kills every controlled baresip still running (call from afterAll). */
export function killControlled(): void {
  for (const p of procs) p.kill('SIGKILL');
}

function netstrings(onMessage: (o: Record<string, unknown>) => void): (d: Buffer) => void {
  let buf = Buffer.alloc(0);
  return (d) => {
    buf = Buffer.concat([buf, d]);
    for (;;) {
      const colon = buf.indexOf(0x3a);
      if (colon < 0 || colon > 10) return;
      const len = Number(buf.subarray(0, colon).toString('latin1'));
      if (!Number.isInteger(len) || buf.length < colon + 1 + len + 1) return;
      const body = buf.subarray(colon + 1, colon + 1 + len).toString('utf8');
      buf = buf.subarray(colon + 1 + len + 1);
      try {
        onMessage(JSON.parse(body) as Record<string, unknown>);
      } catch {
        // not JSON: ignored
      }
    }
  };
}

/**
 * Starts baresip (auto-answer, PCMU, a `toneHz` tone as its microphone, decoded audio dumped) with ctrl_tcp on
 * a free port, waits until it is ready and the control connection is up. It quits by itself after `seconds`.
 */
export async function startBaresip(
  opts: { toneHz?: number; seconds?: number; extra?: string[] } = {},
): Promise<BaresipCtrl> {
  const port = await freePortPair();
  const ctrlPort = await freePortPair();
  const seconds = opts.seconds ?? 60;
  const dir = baresipDir(
    port,
    'none',
    false,
    opts.toneHz ?? 600,
    ['module_app ctrl_tcp.so', `ctrl_tcp_listen 127.0.0.1:${ctrlPort}`, ...(opts.extra ?? [])],
    seconds,
  );
  const p = spawn('baresip', ['-f', dir, '-t', String(seconds)], { stdio: ['ignore', 'pipe', 'pipe'] });
  procs.add(p);
  let out = '';
  const onOut = (d: Buffer) => {
    if (out.length < 400_000) out += d;
  };
  p.stdout?.on('data', onOut);
  p.stderr?.on('data', onOut);
  const kill = setTimeout(() => p.kill('SIGKILL'), (seconds + 10) * 1000);
  const exited = new Promise<void>((r) =>
    p.on('exit', () => {
      clearTimeout(kill);
      procs.delete(p);
      r();
    }),
  );
  // ready: the control port accepts (bounded)
  let sock: Socket | undefined;
  for (let i = 0; i < 100 && !sock; i++) {
    await new Promise((r) => setTimeout(r, 100));
    if (!out.includes('baresip is ready')) continue;
    sock = await new Promise<Socket | undefined>((resolve) => {
      const s = connect(ctrlPort, '127.0.0.1');
      s.once('connect', () => resolve(s));
      s.once('error', () => resolve(undefined));
    });
  }
  if (!sock) {
    p.kill('SIGKILL');
    throw new Error(`baresip did not start:\n${out.slice(-2000)}`);
  }
  const s = sock;
  s.on('error', () => {});
  const events: BaresipEvent[] = [];
  const waiters = new Set<() => void>();
  const replies = new Map<string, (r: { ok: boolean; data: string }) => void>();
  let token = 0;
  s.on(
    'data',
    netstrings((o) => {
      if (o.event) events.push(o as unknown as BaresipEvent);
      else if (o.response && typeof o.token === 'string') {
        replies.get(o.token)?.({ ok: o.ok === true, data: String(o.data ?? '') });
        replies.delete(o.token);
      }
      for (const w of waiters) w();
    }),
  );
  const ctrl: BaresipCtrl = {
    port,
    uri: `sip:br@127.0.0.1:${port}`,
    dir,
    events,
    log: () => out,
    command(line, timeoutMs = 10_000) {
      const t = String(++token);
      const sp = line.indexOf(' ');
      const msg = JSON.stringify({
        command: sp < 0 ? line : line.slice(0, sp),
        ...(sp < 0 ? {} : { params: line.slice(sp + 1) }),
        token: t,
      });
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          replies.delete(t);
          reject(new Error(`baresip: no answer to '${line}'`));
        }, timeoutMs);
        replies.set(t, (r) => {
          clearTimeout(timer);
          resolve(r);
        });
        s.write(`${Buffer.byteLength(msg)}:${msg},`);
      });
    },
    waitEvent(pred, timeoutMs = 15_000, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const e = events.slice(from).find(pred);
          if (!e) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(e);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `baresip: no such event within ${timeoutMs} ms; events: ${events.map((e) => `${e.type}(${e.param ?? ''})`).join(' ')}`,
            ),
          );
        }, timeoutMs);
        if (!check()) waiters.add(check);
      });
    },
    async stop() {
      s.destroy();
      p.kill('SIGTERM');
      const t = setTimeout(() => p.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    },
  };
  return ctrl;
}

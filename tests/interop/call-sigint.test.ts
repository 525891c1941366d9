import { createSocket } from 'node:dgram';
import { type IncomingCall, listenTransport, UserAgent } from '@mdh/sip';
import { afterAll, describe, expect, it } from 'vitest';
import { killMdh, mdh, mdhEcho, stopMdh } from './cli-process.js';

// Issue #17 item 5: Ctrl-C on `mdh call` ends the call with BYE (CANCEL before the answer) and prints the report,
// exit 130; a second Ctrl-C exits at once.

afterAll(() => killMdh());

interface Report {
  ok: boolean;
  status: number;
  byeStatus?: number;
  durationS: number;
  media?: { packetsSent: number; packetsReceived: number };
}

describe('mdh call and SIGINT', () => {
  it('mid-call: BYE reaches mdh echo, the report is printed, exit 130', async () => {
    const echo = await mdhEcho(['--json']);
    const call = mdh(['call', `sip:echo@127.0.0.1:${echo.port}`, '--duration', '120', '--json', '-v']);
    // answered: our ACK went out
    await call.waitErr(/>> to [^\n]*\nACK sip:/, 30_000);
    await new Promise((r) => setTimeout(r, 1000));
    call.proc.kill('SIGINT');
    const code = await Promise.race([call.exited, new Promise((r) => setTimeout(() => r('still running'), 30_000))]);
    expect(code).toBe(130);
    expect(call.err()).toMatch(/SIGINT: ending the call/);
    const report = JSON.parse(call.out().slice(call.out().indexOf('{'))) as Report;
    expect(report.ok).toBe(true);
    expect(report.byeStatus).toBe(200);
    expect(report.durationS).toBeLessThan(60);
    expect(report.media!.packetsSent).toBeGreaterThan(0);
    // the far end saw a BYE from us
    const t0 = Date.now();
    while (!/"n":1/.test(echo.out()) && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 50));
    const rec = JSON.parse(
      echo
        .out()
        .split('\n')
        .find((l) => l.includes('"n":1'))!,
    ) as { ended: string };
    expect(rec.ended).toBe('remote-bye');
    expect(await stopMdh(echo)).toBe(0);
  }, 90_000);

  it('before the answer: CANCEL reaches the ringing far end, the report says 487, exit 130', async () => {
    const t = await listenTransport('udp', { host: '127.0.0.1', port: 0 });
    const ua = new UserAgent({ transports: [t], user: 'ringer' });
    let ringing!: () => void;
    const rang = new Promise<void>((r) => {
      ringing = r;
    });
    const cancelled = new Promise<void>((resolve) => {
      ua.on('invite', (inv: IncomingCall) => {
        inv.on('cancel', () => resolve());
        inv.ring(180);
        ringing();
      });
    });
    try {
      const call = mdh(['call', `sip:x@127.0.0.1:${t.localPort}`, '--json', '--timeout', '120']);
      await rang;
      await call.waitErr(/ringing… \(180/, 30_000);
      call.proc.kill('SIGINT');
      await cancelled;
      expect(await call.exited).toBe(130);
      const report = JSON.parse(call.out()) as Report;
      expect(report.ok).toBe(false);
      expect(report.status).toBe(487);
    } finally {
      await ua.close();
    }
  }, 60_000);

  it('a second SIGINT exits at once (no provisional yet, so no CANCEL may be sent: RFC 3261 §9.1)', async () => {
    const silent = createSocket('udp4');
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
    let invites = 0;
    silent.on('message', (m) => {
      if (m.toString('latin1').startsWith('INVITE ')) invites++;
    });
    try {
      const port = silent.address().port;
      const call = mdh(['call', `sip:x@127.0.0.1:${port}`, '--json', '--timeout', '120']);
      await call.waitErr(/trying sip:/, 30_000);
      const t0 = Date.now();
      while (invites === 0 && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 25));
      call.proc.kill('SIGINT');
      await call.waitErr(/SIGINT: ending the call/, 30_000);
      // the first one waits for a provisional (or Timer B) to CANCEL: still running
      await new Promise((r) => setTimeout(r, 500));
      expect(call.proc.exitCode).toBe(null);
      call.proc.kill('SIGINT');
      const code = await Promise.race([call.exited, new Promise((r) => setTimeout(() => r('still running'), 15_000))]);
      expect(code).toBe(130);
      expect(call.err()).toMatch(/SIGINT again, exiting now/);
    } finally {
      silent.close();
    }
  }, 60_000);
});

import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { readdirSync, readlinkSync } from 'node:fs';
import net from 'node:net';
import { type EchoCallRecord, startEcho, stopSignal } from '@mdh/cli';
import { StreamFramer } from '@mdh/sip';
import { describe, expect, it } from 'vitest';
import { hasPeer } from './peers.js';
import { sippMediaPort } from './sipp-helpers.js';

// Issue #14 item 12: a call whose ACK and BYE arrive in one TCP write is reported, and its media socket closed.

/** Open sockets of this process (Linux: /proc/self/fd links named socket:[inode]). */
function socketCount(): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:')) n++;
    } catch {}
  }
  return n;
}

async function until(pred: () => boolean, ms: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const sdp =
  'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\na=sendrecv\r\n';

/** One call over its own TCP connection: INVITE, then ACK and BYE in a single write, then FIN. */
function oneCall(port: number, i: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    const f = new StreamFramer();
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`call ${i} timed out`));
    }, 10_000);
    const lp = () => sock.localPort;
    const req = (method: string, cseq: number, to: string, body = '') =>
      `${method} sip:echo@127.0.0.1:${port};transport=tcp SIP/2.0\r\n` +
      `Via: SIP/2.0/TCP 127.0.0.1:${lp()};branch=z9hG4bK${method}${i}\r\n` +
      'Max-Forwards: 70\r\n' +
      `From: <sip:c@127.0.0.1>;tag=f${i}\r\nTo: ${to}\r\nCall-ID: ackbye-${i}\r\nCSeq: ${cseq} ${method}\r\n` +
      `Contact: <sip:c@127.0.0.1:${lp()};transport=tcp>\r\n` +
      (body ? 'Content-Type: application/sdp\r\n' : '') +
      `Content-Length: ${body.length}\r\n\r\n${body}`;
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.on('data', (d) => {
      for (const ev of f.push(new Uint8Array(d))) {
        if (ev.type !== 'message' || ev.message.kind !== 'response') continue;
        const m = ev.message;
        const cseq = m.get('cseq') ?? '';
        if (cseq.endsWith('INVITE') && m.status === 200) {
          const to = m.get('to') ?? '';
          // the ACK and the BYE together: one write, one TCP segment on loopback
          sock.write(req('ACK', 1, to) + req('BYE', 2, to));
        } else if (cseq.endsWith('INVITE') && m.status >= 300) {
          clearTimeout(timer);
          sock.destroy();
          reject(new Error(`INVITE answered ${m.status}`));
        } else if (cseq.endsWith('BYE')) {
          clearTimeout(timer);
          sock.end();
          sock.once('close', () => resolve(m.status));
        }
      }
    });
    sock.once('connect', () => sock.write(req('INVITE', 1, '<sip:echo@127.0.0.1>', sdp)));
  });
}

describe('mdh echo: call lifecycle over TCP (issue #14 item 12)', () => {
  it('INVITE, then ACK and BYE in one TCP write, 100 times: 100 calls reported, 0 sockets left', async () => {
    const calls: EchoCallRecord[] = [];
    const echo = await startEcho({ host: '127.0.0.1', port: 0, transport: 'tcp', onCall: (c) => calls.push(c) });
    try {
      const base = socketCount();
      const statuses: number[] = [];
      for (let batch = 0; batch < 10; batch++) {
        const got = await Promise.all(Array.from({ length: 10 }, (_, k) => oneCall(echo.port, batch * 10 + k)));
        statuses.push(...got);
      }
      expect(statuses.filter((s) => s === 200).length).toBe(100);
      await until(() => calls.length === 100, 10_000, '100 call records');
      expect(calls.every((c) => c.ended === 'remote-bye')).toBe(true);
      expect(echo.ua.activeCalls).toBe(0);
      // every media socket and every TCP connection (both ends live in this process) is closed
      await until(() => socketCount() <= base, 10_000, `sockets back to ${base} (now ${socketCount()})`);
      expect(echo.transport.stats.connections).toBe(0);
    } finally {
      await echo.stop();
    }
  }, 60_000);

  it.skipIf(!hasPeer('sipp'))(
    'sipp over TCP, 500 calls at 250 cps (ACK and BYE back to back): 500 calls reported, 0 sockets left',
    async () => {
      const calls: EchoCallRecord[] = [];
      const echo = await startEcho({ host: '127.0.0.1', port: 0, transport: 'tcp', onCall: (c) => calls.push(c) });
      try {
        const base = socketCount();
        const args = ['-sn', 'uac', '-t', 't1', `127.0.0.1:${echo.port}`, '-i', '127.0.0.1'];
        args.push(
          '-m',
          '500',
          '-r',
          '250',
          '-timeout',
          '30s',
          '-timeout_error',
          '-nostdin',
          '-mp',
          String(sippMediaPort()),
        );
        const p = spawn('sipp', args, { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        p.stdout?.on('data', (d) => {
          out = (out + d).slice(-4000);
        });
        const kill = setTimeout(() => p.kill('SIGKILL'), 45_000);
        const code = await new Promise<number | null>((r) => p.on('exit', r));
        clearTimeout(kill);
        expect(code, out).toBe(0);
        await until(() => calls.length === 500, 10_000, '500 call records');
        expect(echo.ua.activeCalls).toBe(0);
        await until(() => socketCount() <= base, 10_000, `sockets back to ${base} (now ${socketCount()})`);
      } finally {
        await echo.stop();
      }
    },
    60_000,
  );

  it('stopSignal: the first SIGINT/SIGTERM starts the graceful stop, the second exits at once', async () => {
    const proc = new EventEmitter();
    const again: string[] = [];
    const first = stopSignal(proc, (s) => again.push(s));
    proc.emit('SIGTERM');
    expect(await first).toBe('SIGTERM');
    expect(again).toEqual([]);
    proc.emit('SIGINT');
    expect(again).toEqual(['SIGINT']);
  });
});

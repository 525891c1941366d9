import v8 from 'node:v8';
import vm from 'node:vm';
import { createLoop, ManualClock } from '@mdh/loop';
import { describe, expect, it } from 'vitest';
import { UserAgent } from '../src/index.js';
import { MemoryNetwork } from '../src/testing.js';

// Issue #14 "Also": after 100,000 INVITEs that never get an ACK, and after their timers end (manual clock),
// the heap after GC is back within 10% of the baseline.

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
}

const sdp = 'v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
const enc = new TextEncoder();

function invite(i: number): Uint8Array {
  return enc.encode(
    'INVITE sip:bob@127.0.0.2:5060 SIP/2.0\r\n' +
      `Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKmem${i}\r\n` +
      `From: <sip:raw@127.0.0.1>;tag=f${i}\r\nTo: <sip:bob@127.0.0.2>\r\nCall-ID: mem-${i}@raw\r\n` +
      'CSeq: 1 INVITE\r\nContact: <sip:raw@127.0.0.1:5070>\r\nMax-Forwards: 70\r\n' +
      `Content-Type: application/sdp\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`,
  );
}

describe('UAS memory under INVITEs that are never acknowledged', () => {
  it('100,000 answered INVITEs without ACK: once their timers end, heap after GC is within 10% of baseline', async () => {
    const clock = new ManualClock(0);
    const loop = createLoop({ clock });
    const net = new MemoryNetwork(); // synchronous delivery
    const uas = new UserAgent({ loop, transports: [net.attach('127.0.0.2', 5060)], user: 'bob' });
    const raw = net.attach('127.0.0.1', 5070);
    let received = 0;
    raw.onPacket(() => {
      received++;
    });
    let answered = 0;
    let noAck = 0;
    uas.on('invite', (inv) => {
      answered++;
      inv.answer(sdp).catch(() => {
        noAck++;
      });
    });
    const dest = { address: '127.0.0.2', port: 5060 };
    const drive = async (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        void raw.send(invite(i), dest);
        if (i % 1000 === 999) {
          // 500 INVITEs a second: their INVITE (Timer L) and BYE (Timer F) transactions, 32 s each, stay
          // below the stack’s 50,000 live-transaction cap (beyond it a new request is answered 503)
          clock.advance(2000);
          await new Promise((r) => setImmediate(r));
        }
      }
      // past 64×T1 (2xx retransmission and the BYE's Timer F) and Timer H/I/J
      for (let t = 0; t < 200; t++) {
        clock.advance(1000);
        await new Promise((r) => setImmediate(r));
      }
    };
    // warm up (code paths, pools, caches), then the baseline
    await drive(0, 2000);
    const base = heapAfterGc();
    await drive(2000, 102_000);
    await new Promise((r) => setImmediate(r));
    const after = heapAfterGc();
    expect(answered).toBe(102_000);
    expect(noAck).toBe(102_000);
    expect(uas.activeCalls).toBe(0);
    expect(received).toBeGreaterThan(102_000 * 2); // 200s retransmitted and BYEs sent
    const growth = (after - base) / base;
    if (process.env.MDH_PRINT_HEAP)
      process.stderr.write(`heap after GC: ${base} → ${after} (${(growth * 100).toFixed(2)}%)\n`);
    expect(growth, `heap ${base} → ${after}`).toBeLessThan(0.1);
    await uas.close();
  }, 300_000);
});

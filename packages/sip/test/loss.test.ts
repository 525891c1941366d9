import { createLoop, ManualClock } from '@mdh/loop';
import { describe, expect, it } from 'vitest';
import { type Call, UserAgent } from '../src/index.js';
import { MemoryNetwork } from '../src/testing.js';

const flush = () => new Promise<void>((r) => setImmediate(r));
const offer = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';

function seeded(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x100000000;
  };
}

describe('calls over a lossy network (30% loss, manual clock)', () => {
  for (const seed of [1, 7, 42]) {
    it(`seed ${seed}: 10 calls all complete via retransmission`, async () => {
      const clock = new ManualClock(0);
      const loop = createLoop({ clock });
      const net = new MemoryNetwork({
        loss: 0.3,
        random: seeded(seed),
        delayMs: 5,
        schedule: (ms, f) => void loop.after(ms, f),
      });
      const uas = new UserAgent({ loop, transports: [net.attach('127.0.0.2', 5060)], user: 'bob' });
      const uac = new UserAgent({ loop, transports: [net.attach('127.0.0.1', 5060)], user: 'alice' });
      const remoteEnds: string[] = [];
      uas.on('invite', (inv) => {
        inv.ring();
        void inv.answer(offer).catch(() => {});
      });
      const run = async (ms: number) => {
        for (let t = 0; t < ms; t += 20) {
          clock.advance(20);
          await flush();
        }
      };
      uas.on('callEnded', (c) => remoteEnds.push(c.id));
      const results: number[] = [];
      for (let i = 0; i < 10; i++) {
        const p = uac.invite('sip:bob@127.0.0.2', { sdp: offer }).result;
        let call: Call | undefined;
        p.then(
          (c) => {
            call = c;
          },
          () => {},
        );
        for (let guard = 0; guard < 200 && !call; guard++) await run(100);
        expect(call?.state).toBe('confirmed');
        const bye = call!.hangup();
        let status: number | undefined;
        void bye.then((s) => {
          status = s;
        });
        for (let guard = 0; guard < 400 && status === undefined; guard++) await run(100);
        results.push(status ?? 0);
      }
      expect(results).toEqual(new Array(10).fill(200));
      expect(net.counters.lost).toBeGreaterThan(10);
      // the losses were repaired by retransmissions (requests resent by Timers A/E, 2xx by §13.3.1.4)
      expect(uas.stack.stats.retransmissionsIn).toBeGreaterThan(0);
      await run(40_000);
      expect(remoteEnds.length).toBe(10);
      expect(uas.activeCalls).toBe(0);
      expect(uac.activeCalls).toBe(0);
      expect(uas.stack.liveTransactions).toEqual({ client: 0, server: 0 });
      expect(uac.stack.liveTransactions).toEqual({ client: 0, server: 0 });
    }, 60_000);
  }
});

// Shared test helpers: a simulated network on a manual clock, for the UserAgent tests.
import { createLoop, ManualClock } from '@mdh/loop';
import { MemoryNetwork } from '../src/testing.js';

/** Lets pending promise callbacks and immediates run. */
export const flush = () => new Promise<void>((r) => setImmediate(r));

/** A minimal audio offer (PCMU on 127.0.0.1:4000). */
export const offer =
  'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';

/** A manual clock, a loop on it, a memory network (optional loss and random source) and `run(ms, step)`. */
export function world(loss = 0, seed?: () => number) {
  const clock = new ManualClock(0);
  const loop = createLoop({ clock });
  const net = new MemoryNetwork({
    loss,
    ...(seed ? { random: seed } : {}),
    schedule: (ms, f) => (ms > 0 ? void loop.after(ms, f) : queueMicrotask(f)),
  });
  const run = async (ms: number, step = 10) => {
    await flush();
    for (let t = 0; t < ms; t += step) {
      clock.advance(step);
      await flush();
    }
  };
  return { clock, loop, net, run };
}

/**
 * The @mdh/media README's IVR example runs as written: the README shows packages/media/examples/ivr.ts verbatim,
 * and a real call placed through the public user agent API hears the prompt and gets hung up on after four digits.
 */

import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { dominantFrequency } from '@mdh/media';
import { listenTransport, UserAgent } from '@mdh/sip';
import { describe, expect, it } from 'vitest';
import { startIvr } from '../packages/media/examples/ivr.js';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.bind(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

describe('packages/media/README.md', () => {
  it('shows the IVR example verbatim', () => {
    const readme = readFileSync(new URL('../packages/media/README.md', import.meta.url), 'utf8');
    const example = readFileSync(new URL('../packages/media/examples/ivr.ts', import.meta.url), 'utf8');
    expect(readme).toContain(`\`\`\`ts\n${example}\`\`\``);
  });

  it('the IVR answers, plays its prompt, collects four DTMF digits and hangs up', async () => {
    const port = await freePort();
    const got: string[] = [];
    const ivr = await startIvr(port, (d) => got.push(d));
    // the caller: a user agent of its own (public API), media opened by it
    const caller = new UserAgent({
      transports: [await listenTransport('udp', { host: '127.0.0.1', port: 0 })],
      media: true,
    });
    try {
      const call = await caller.invite(`sip:ivr@127.0.0.1:${port}`).result;
      const heard: number[] = [];
      call.media!.on('audio', (e) => {
        if (!e.concealed) for (const x of e.pcm) if (heard.length < 8000) heard.push(x);
      });
      const t0 = Date.now();
      setTimeout(() => call.media!.sendDtmf('1234'), 1000);
      const why = await Promise.race([call.whenEnded(), new Promise((r) => setTimeout(() => r('still up'), 8000))]);
      // The IVR hung up after the four digits (100 ms each, 50 ms apart) well before 8 s.
      expect(why).toBe('remote-bye');
      expect(Date.now() - t0).toBeLessThan(5000);
      // the IVR reports the digits once its BYE was answered
      for (let i = 0; i < 100 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(got).toEqual(['1234']);
      expect(call.media!.stats().received.packets).toBeGreaterThan(40);
      expect([440, 480]).toContain(Math.round(dominantFrequency(heard) / 10) * 10);
    } finally {
      await caller.close();
      await ivr.close();
    }
  });
});

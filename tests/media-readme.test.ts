/**
 * The @mdh/media README's IVR example runs as written: the README shows packages/media/examples/ivr.ts verbatim,
 * and a real call (`mdh call --dtmf 1234`, its library entry point) hears the prompt and gets hung up on after
 * four digits.
 */

import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { placeCall } from '../packages/cli/src/commands/call.js';
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
    const ua = await startIvr(port, (d) => got.push(d));
    try {
      const r = await placeCall({ target: `sip:ivr@127.0.0.1:${port}`, durationS: 6, dtmf: '1234' });
      expect(r.ok, r.reason).toBe(true);
      expect(got).toEqual(['1234']);
      // The IVR hung up (no BYE from us) well before the 6 s were over.
      expect(r.byeStatus).toBeUndefined();
      expect(r.durationS).toBeLessThan(4);
      expect(r.media!.packetsReceived).toBeGreaterThan(40);
      expect([440, 480]).toContain(Math.round(r.media!.receivedToneHz / 10) * 10);
    } finally {
      await ua.close();
    }
  });
});

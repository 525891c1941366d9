import { createLoop } from '@mdh/loop';
import { formatSdesCrypto, generateSdesCrypto } from '@mdh/srtp';
import { afterAll, describe, expect, it } from 'vitest';
import { type MediaChannel, openMediaSession } from '../src/index.js';

const loop = createLoop();
const open: MediaChannel[] = [];
afterAll(async () => {
  for (const m of open) await m.close();
  loop.stop();
});

function waitFor(pred: () => boolean, ms = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const poll = () => {
      if (pred()) resolve();
      else if (Date.now() - t0 > ms) reject(new Error('timed out'));
      else setTimeout(poll, 5);
    };
    poll();
  });
}

describe('openMediaSession over loopback UDP', () => {
  it('SDES-SRTP both ways, events after the caller holds the channel, BYE on close', async () => {
    const ca = formatSdesCrypto(generateSdesCrypto('AES_CM_128_HMAC_SHA1_80'));
    const cb = formatSdesCrypto(generateSdesCrypto('AES_CM_128_HMAC_SHA1_80'));
    const a = await openMediaSession({ loop, security: { kind: 'sdes', local: ca, remote: cb } });
    const secure: string[] = [];
    a.on('secure', (e) => secure.push(e.profile));
    const b = await openMediaSession({ loop, security: { kind: 'sdes', local: cb, remote: ca }, remote: a.local });
    open.push(a, b);
    const got: number[] = [];
    a.on('rtp', (e) => got.push(e.packet.payload[0]!));
    const byes: number[] = [];
    a.on('bye', (e) => byes.push(e.ssrc));
    a.on('rtp', () => {
      throw new Error('a listener bug must not break the loop');
    });
    for (let i = 0; i < 10; i++) b.sendRtp(new Uint8Array(160).fill(i));
    await waitFor(() => got.length === 10);
    expect(secure).toEqual(['SRTP_AES128_CM_HMAC_SHA1_80']);
    expect(got).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(a.listenerErrors).toBe(10);
    // A learnt B's address from its authenticated media (symmetric RTP) and can answer.
    expect(a.session.remote).toEqual(b.local);
    const back: number[] = [];
    b.on('rtp', (e) => back.push(e.packet.payload[0]!));
    a.sendRtp(new Uint8Array(160).fill(42));
    await waitFor(() => back.length === 1);
    expect(back).toEqual([42]);
    await b.close('done');
    await waitFor(() => byes.length === 1);
    expect(byes).toEqual([b.session.ssrc]);
    expect(b.state).toBe('closed');
  });
});

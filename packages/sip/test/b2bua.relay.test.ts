import { createSocket } from 'node:dgram';
import { createLoop } from '@mdh/loop';
import { openMediaSession } from '@mdh/media';
import { RtpPacket } from '@mdh/rtp';
import { afterAll, describe, expect, it } from 'vitest';
import { RtpRelay } from '../src/index.js';

const loop = createLoop();
afterAll(() => loop.stop());

describe('RtpRelay: RTP header fields across an anchored bridge (RFC 3550 §5.1, RFC 3264 §5.1)', () => {
  it('maps payload types by codec, sends with our SSRC and consecutive sequence numbers, re-bases the timestamp on a new source', async () => {
    const sink = createSocket('udp4');
    await new Promise<void>((r) => sink.bind(0, '127.0.0.1', () => r()));
    const got: RtpPacket[] = [];
    sink.on('message', (m) => got.push(RtpPacket.parse(new Uint8Array(m))));
    const legA = await openMediaSession({ loop, telephoneEventPt: 101 });
    const legB = await openMediaSession({
      loop,
      telephoneEventPt: 96,
      remote: { address: '127.0.0.1', port: sink.address().port },
    });
    const relay = new RtpRelay(
      legA,
      legB,
      new Map([
        [0, 0],
        [101, 96],
      ]),
    );
    const src = createSocket('udp4');
    const send = (ssrc: number, seq: number, ts: number, pt = 0, marker = false) =>
      new Promise<void>((r) =>
        src.send(
          new RtpPacket({
            ssrc,
            sequenceNumber: seq,
            timestamp: ts,
            payloadType: pt,
            marker,
            payload: new Uint8Array(160).fill(seq),
          }).serialize(),
          legA.local.port,
          '127.0.0.1',
          () => r(),
        ),
      );
    await send(1111, 10, 1000);
    await send(1111, 11, 1160);
    await send(1111, 12, 1320, 101, true); // a DTMF event start (PT 101 → 96)
    await send(1111, 13, 1320, 8); // PCMA: not negotiated on leg B, dropped
    await send(2222, 500, 90_000); // the peer changed source
    await send(2222, 501, 90_160);
    for (let i = 0; i < 100 && got.length < 5; i++) await new Promise((r) => setTimeout(r, 10));
    expect(got.map((p) => p.payloadType)).toEqual([0, 0, 96, 0, 0]);
    expect(new Set(got.map((p) => p.ssrc))).toEqual(new Set([legB.session.ssrc]));
    expect(got[0]!.ssrc).not.toBe(1111);
    for (let i = 1; i < got.length; i++) expect((got[i]!.sequenceNumber - got[i - 1]!.sequenceNumber) & 0xffff).toBe(1);
    const ts = got.map((p) => p.timestamp);
    expect([ts[1]! - ts[0]!, ts[2]! - ts[1]!, ts[3]! - ts[2]!, ts[4]! - ts[3]!]).toEqual([160, 160, 160, 160]);
    expect(got.map((p) => p.marker)).toEqual([true, false, true, true, false]);
    expect(got.map((p) => p.payload[0])).toEqual([10, 11, 12, 500 & 0xff, 501 & 0xff]);
    expect(relay.stats).toEqual({ relayed: 5, dropped: 1, rebased: 1 });
    relay.stop();
    src.close();
    sink.close();
    await legA.close();
    await legB.close();
  });
});

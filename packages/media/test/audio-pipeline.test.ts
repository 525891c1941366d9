/**
 * The audio components together over the simulated network, on a manual clock:
 *  - RFC 4733 digits from DtmfSender, in RTP, through loss + duplication + reordering + jitter, to DtmfReceiver:
 *    every digit arrives exactly once and in order (the end-packet triple and the receiver's timeout/supersede);
 *  - a 1 kHz tone, G.711-encoded in 20 ms RTP packets, through the same kind of network into the JitterBuffer,
 *    decoded (missing frames concealed with silence): the played audio is still the 1 kHz tone.
 */
import { ManualClock } from '@mdh/loop';
import { RtpPacket } from '@mdh/rtp';
import { describe, expect, it } from 'vitest';
import {
  type DtmfDigitEvent,
  DtmfReceiver,
  DtmfSender,
  dominantFrequency,
  g711Decode,
  g711Encode,
  JitterBuffer,
  ToneGenerator,
} from '../src/index.js';
import { SimNetwork } from '../src/testing.js';

const DIGITS = '0123456789*#ABCD';

function dtmfOverNetwork(seed: number) {
  const clock = new ManualClock(0);
  const net = new SimNetwork({
    seed,
    clock,
    link: { loss: 0.1, duplicate: 0.05, reorder: 0.2, reorderDelayMs: 30, delayMs: 40, jitterMs: 20 },
  });
  const tx = new DtmfSender({ durationMs: 100, gapMs: 60 });
  const rx = new DtmfReceiver({ timeoutMs: 400 });
  const got: DtmfDigitEvent[] = [];
  let seq = 65_500; // crosses the sequence wrap
  const ts0 = 0xfffff000; // and the timestamp wrap
  tx.enqueue(DIGITS, 0);
  for (let guard = 0; guard < 10_000; guard++) {
    const now = clock.now();
    const rtpTs = (ts0 + now * 8) >>> 0;
    for (let p = tx.poll(now, rtpTs); p; p = tx.poll(now, rtpTs)) {
      const pkt = new RtpPacket({
        payloadType: 101,
        marker: p.marker,
        sequenceNumber: seq,
        timestamp: p.timestamp,
        ssrc: 7,
        payload: p.payload,
      });
      seq = (seq + 1) & 0xffff;
      net.send('tx', 'rx', pkt.serialize());
    }
    for (let d = net.poll(); d; d = net.poll()) {
      const r = RtpPacket.tryParse(d.data);
      if (r instanceof Error) throw r;
      expect(rx.handlePayload(r.payload, r.timestamp, r.marker, now)).toBeUndefined();
    }
    rx.handleTimeout(now);
    for (let e = rx.poll(); e; e = rx.poll()) got.push(e);
    const next = [tx.nextDeadline(), net.nextDeliveryAt(), rx.nextDeadline()].filter(
      (x): x is number => x !== undefined,
    );
    if (next.length === 0) break;
    clock.set(Math.max(now, Math.min(...next)));
  }
  return { got, rx, net };
}

describe('audio components over a lossy simulated network', () => {
  it('every DTMF digit arrives once, in order, for 20 seeds at 10% loss, 5% duplication, 20% reordering', () => {
    let byEnd = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const { got, net } = dtmfOverNetwork(seed);
      expect([seed, got.map((e) => e.digit).join('')]).toEqual([seed, DIGITS]);
      expect(net.stats.lost).toBeGreaterThan(0);
      for (const e of got) {
        expect(e.duration).toBeLessThanOrEqual(800);
        if (e.reason === 'end') {
          byEnd++;
          expect(e.duration).toBe(800);
        }
      }
    }
    expect(byEnd).toBeGreaterThan(20 * DIGITS.length * 0.95);
  });

  it('a G.711 tone through the jitter buffer is still the tone', () => {
    const clock = new ManualClock(0);
    const net = new SimNetwork({
      seed: 5,
      clock,
      link: { loss: 0.03, reorder: 0.1, reorderDelayMs: 25, delayMs: 30, jitterMs: 15 },
    });
    const tone = new ToneGenerator({ frequency: 1000, amplitude: 8000 });
    const jb = new JitterBuffer({ mode: 'adaptive', targetDelayMs: 40, maxDelayMs: 120 });
    const pcm = new Int16Array(160);
    const enc = new Uint8Array(160);
    const out = new Int16Array(160 * 200);
    let written = 0;
    let frames = 0;
    for (let guard = 0; guard < 100_000 && written < out.length; guard++) {
      const now = clock.now();
      if (now % 20 === 0 && now / 20 === frames && frames < 220) {
        tone.fill(pcm);
        g711Encode('PCMU', pcm, enc);
        const pkt = new RtpPacket({
          payloadType: 0,
          sequenceNumber: frames,
          timestamp: frames * 160,
          ssrc: 1,
          marker: frames === 0,
          payload: enc,
        });
        net.send('a', 'b', pkt.serialize());
        frames++;
      }
      for (let d = net.poll(); d; d = net.poll()) {
        const r = RtpPacket.tryParse(d.data);
        if (r instanceof Error) throw r;
        jb.push(r.payload, r.timestamp, r.sequenceNumber, r.marker, now);
      }
      for (let f = jb.pop(now); f && written < out.length; f = jb.pop(now)) {
        if (f.kind === 'frame') g711Decode('PCMU', f.payload, out, written);
        written += 160; // a missing frame stays silent
      }
      const next = [frames < 220 ? frames * 20 : undefined, net.nextDeliveryAt(), jb.nextDeadline()].filter(
        (x): x is number => x !== undefined,
      );
      if (next.length === 0) break;
      clock.set(Math.max(now, Math.min(...next)));
    }
    expect(written).toBe(out.length);
    expect(Math.abs(dominantFrequency(out) - 1000)).toBeLessThanOrEqual(1);
    const s = jb.stats;
    expect(s.played).toBeGreaterThan(180);
    expect(s.played + s.concealed).toBeGreaterThanOrEqual(200);
    expect(s.concealed).toBeGreaterThan(0); // the network lost some
  });
});

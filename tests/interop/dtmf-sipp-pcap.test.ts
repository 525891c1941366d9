/**
 * Interop: RFC 4733 DTMF captured from a real sender — sipp's own pcaps (package sip-tester,
 * /usr/share/sip-tester/dtmf_2833_*.pcap, the files sipp plays with `play_pcap_audio`). Every RTP packet with
 * payload type 101 is fed to a DtmfReceiver at its capture time; the digits and durations it reports must be
 * exactly what Wireshark's dissector (`tshark -Y rtpevent`) reads from the same file.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DtmfDigitEvent, DtmfReceiver } from '@mdh/media';
import { RtpPacket } from '@mdh/rtp';
import { describe, expect, it } from 'vitest';
import { PcapError, readPcapUdp } from './pcap.js';
import { hasPeer } from './peers.js';

const DIR = '/usr/share/sip-tester';
/** RFC 4733 §3.2 event codes, as the test's own table (independent of the code under test). */
const CODES = '0123456789*#ABCD';

/** The events tshark dissects in a capture: digit and final duration per (SSRC, RTP timestamp), in order. */
function tsharkEvents(file: string): { digit: string; duration: number }[] {
  const r = spawnSync(
    'tshark',
    ['-r', file, '-o', 'rtp.heuristic_rtp:TRUE', '-Y', 'rtpevent', '-T', 'fields', '-E', 'separator=,'].concat([
      '-e',
      'rtp.ssrc',
      '-e',
      'rtp.timestamp',
      '-e',
      'rtpevent.event_id',
      '-e',
      'rtpevent.duration',
    ]),
    { encoding: 'utf8', timeout: 30_000 },
  );
  if (r.status !== 0) throw new Error(`tshark failed: ${r.stderr}`);
  const events = new Map<string, { digit: string; duration: number }>();
  for (const line of r.stdout.split('\n')) {
    if (!line.trim()) continue;
    const [ssrc, ts, id, dur] = line.split(',');
    const key = `${ssrc}/${ts}`;
    const digit = CODES[Number(id)] ?? (Number(id) === 16 ? '!' : `?${id}`);
    const e = events.get(key);
    if (e) e.duration = Math.max(e.duration, Number(dur));
    else events.set(key, { digit, duration: Number(dur) });
  }
  return [...events.values()];
}

/** Feeds a capture's PT-101 packets to a receiver at their capture times; returns the digits reported. */
function ourEvents(file: string): { got: DtmfDigitEvent[]; rx: DtmfReceiver; fed: number } {
  const rx = new DtmfReceiver();
  const got: DtmfDigitEvent[] = [];
  let fed = 0;
  let last = 0;
  for (const d of readPcapUdp(new Uint8Array(readFileSync(file)))) {
    const p = RtpPacket.tryParse(d.payload);
    if (p instanceof Error || p.payloadType !== 101) continue;
    rx.handleTimeout(d.timeMs);
    expect(rx.handlePayload(p.payload, p.timestamp, p.marker, d.timeMs)).toBeUndefined();
    fed++;
    last = d.timeMs;
    for (let e = rx.poll(); e; e = rx.poll()) got.push(e);
  }
  rx.handleTimeout(last + 10_000); // an event whose end packets are missing from the capture still ends
  for (let e = rx.poll(); e; e = rx.poll()) got.push(e);
  return { got, rx, fed };
}

const havePcaps = existsSync(DIR) && readdirSync(DIR).some((f) => f.startsWith('dtmf_2833_'));
if (!havePcaps) console.warn(`\n*** sipp's DTMF pcaps (${DIR}, package sip-tester) are missing: SKIPPED ***\n`);

describe.skipIf(!hasPeer('tshark') || !hasPeer('sipp') || !havePcaps)('RFC 4733 receiver on sipp DTMF pcaps', () => {
  const files = havePcaps
    ? readdirSync(DIR)
        .filter((f) => /^dtmf_2833_.*\.pcap$/.test(f))
        .sort()
    : [];

  it('dtmf_2833_1.pcap gives exactly the digit tshark dissects, once, with its duration', () => {
    const file = join(DIR, 'dtmf_2833_1.pcap');
    const expected = tsharkEvents(file);
    expect(expected.length).toBeGreaterThan(0);
    const { got, rx, fed } = ourEvents(file);
    expect(fed).toBeGreaterThan(expected.length);
    expect(got.map((e) => e.digit)).toEqual(expected.map((e) => e.digit));
    expect(got.map((e) => e.duration)).toEqual(expected.map((e) => e.duration));
    expect(got.every((e) => e.reason === 'end')).toBe(true);
    expect(rx.stats.duplicates).toBeGreaterThan(0); // the repeated end packets
  });

  it.each(files)('%s: digits and durations equal tshark', (name) => {
    const file = join(DIR, name);
    const expected = tsharkEvents(file);
    expect(expected.length).toBeGreaterThan(0);
    const { got } = ourEvents(file);
    expect(got.map((e) => [e.digit, e.duration])).toEqual(expected.map((e) => [e.digit, e.duration]));
  });

  it('the pcaps replayed as sipp plays them in one call (any order, repeats, 1.5 s apart) give every digit', () => {
    // play_pcap_audio sends a capture's packets unchanged: replaying one file twice repeats its RTP timestamp,
    // and playing them out of capture order sends older timestamps after newer ones.
    const order = [...files].reverse().concat(files[0]!, files[0]!, files[3]!);
    const rx = new DtmfReceiver();
    const got: string[] = [];
    let expected = '';
    let t0 = 0;
    for (const name of order) {
      const file = join(DIR, name);
      expected += tsharkEvents(file)
        .map((e) => e.digit)
        .join('');
      const datagrams = readPcapUdp(new Uint8Array(readFileSync(file)));
      const start = datagrams[0]?.timeMs ?? 0;
      let last = t0;
      for (const d of datagrams) {
        const p = RtpPacket.tryParse(d.payload);
        if (p instanceof Error || p.payloadType !== 101) continue;
        last = t0 + (d.timeMs - start);
        rx.handleTimeout(last);
        rx.handlePayload(p.payload, p.timestamp, p.marker, last);
        for (let e = rx.poll(); e; e = rx.poll()) got.push(e.digit!);
      }
      t0 = last + 1500;
    }
    expect(got.join('')).toBe(expected);
    expect(expected.length).toBe(order.length);
  });
});

describe('pcap reader bad input', () => {
  it('rejects truncated, foreign and oversized captures with PcapError', () => {
    expect(() => readPcapUdp(new Uint8Array(10))).toThrow(PcapError);
    expect(() => readPcapUdp(new Uint8Array(24))).toThrow(PcapError); // magic 0
    const hdr = new Uint8Array(24 + 16);
    const dv = new DataView(hdr.buffer);
    dv.setUint32(0, 0xa1b2c3d4);
    dv.setUint32(16, 65535);
    dv.setUint32(20, 1);
    dv.setUint32(24 + 8, 1_000_000); // a record claiming 1 MB
    expect(() => readPcapUdp(hdr)).toThrow(PcapError);
    expect(() => readPcapUdp(hdr.subarray(0, 30))).toThrow(PcapError);
    expect(readPcapUdp(hdr.subarray(0, 24))).toEqual([]);
  });
});

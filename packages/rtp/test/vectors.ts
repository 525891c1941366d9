/** Loads the RTP/RTCP sample vectors from the repository's vector directory (tests/vectors, see its README). */
import { readFileSync } from 'node:fs';
import { fromHex, toHex } from '@mdh/bytes';
import { expect } from 'vitest';
import type { ReportBlock, RtcpPacket } from '../src/index.js';

export interface RtpSample {
  id: string;
  hex: string;
  length: number;
  expect_error?: string;
  decoded?: any;
}
export interface RtcpSample {
  id: string;
  hex: string;
  length: number;
  decoded: any[];
}

const json = JSON.parse(readFileSync(new URL('../../../tests/vectors/rtp-rtcp-samples.json', import.meta.url), 'utf8'));
export const rtpSamples: RtpSample[] = json.rtp;
export const rtcpSamples: RtcpSample[] = json.rtcp;

export function rtcpSample(id: string): RtcpSample {
  const s = rtcpSamples.find((x) => x.id === id);
  if (!s) throw new Error(`no sample ${id}`);
  return s;
}

export function bytesOf(s: { hex: string }): Uint8Array {
  return fromHex(s.hex);
}

export const hex32 = (v: number): string => v.toString(16).padStart(8, '0');

function checkBlocks(got: ReportBlock[], want: any[]): void {
  expect(got.length).toBe(want.length);
  want.forEach((w, i) => {
    const g = got[i]!;
    expect(hex32(g.ssrc)).toBe(w.ssrc);
    expect(g.fractionLost).toBe(w.fraction_lost);
    expect(g.cumulativeLost).toBe(w.cumulative_lost);
    expect(g.highestSeq).toBe(w.extended_highest_seq);
    expect(g.jitter).toBe(w.jitter);
    expect(g.lsr).toBe(w.lsr);
    expect(g.dlsr).toBe(w.dlsr);
  });
}

/** Compares one parsed RTCP packet with the vector's independent decoding, field by field. */
export function checkDecoded(p: RtcpPacket, d: any): void {
  expect(p.packetType).toBe(d.packet_type);
  expect(p.paddingLength).toBe(d.padding_length);
  expect(p.size()).toBe(d.byte_length);
  switch (d.type) {
    case 'SR':
      if (p.kind !== 'sr') throw new Error(`expected SR, got ${p.kind}`);
      expect(hex32(p.ssrc)).toBe(d.ssrc);
      expect(p.ntpSeconds).toBe(d.ntp_seconds);
      expect(p.ntpFraction).toBe(d.ntp_fraction);
      expect(p.rtpTimestamp).toBe(d.rtp_timestamp);
      expect(p.packetCount).toBe(d.packet_count);
      expect(p.octetCount).toBe(d.octet_count);
      checkBlocks(p.reports, d.report_blocks);
      break;
    case 'RR':
      if (p.kind !== 'rr') throw new Error(`expected RR, got ${p.kind}`);
      expect(hex32(p.ssrc)).toBe(d.ssrc);
      checkBlocks(p.reports, d.report_blocks);
      break;
    case 'SDES':
      if (p.kind !== 'sdes') throw new Error(`expected SDES, got ${p.kind}`);
      expect(p.chunks.length).toBe(d.chunks.length);
      d.chunks.forEach((c: any, i: number) => {
        expect(hex32(p.chunks[i]!.ssrc)).toBe(c.ssrc);
        expect(p.chunks[i]!.items.map((it) => ({ type: it.type, length: it.text.length, text: it.text }))).toEqual(
          c.items,
        );
      });
      break;
    case 'BYE':
      if (p.kind !== 'bye') throw new Error(`expected BYE, got ${p.kind}`);
      expect(p.ssrcs.map(hex32)).toEqual(d.ssrcs);
      expect(p.reason).toBe(d.reason);
      break;
    case 'APP':
      if (p.kind !== 'app') throw new Error(`expected APP, got ${p.kind}`);
      expect(p.subtype).toBe(d.subtype);
      expect(hex32(p.ssrc)).toBe(d.ssrc);
      expect(p.name).toBe(d.name);
      expect(toHex(p.data)).toBe(d.data);
      break;
    case 'RTPFB':
    case 'PSFB': {
      const fmtOf: Record<string, number> = { nack: 1, pli: 1, fir: 4, remb: 15 };
      const fmt = p.kind === 'feedback' ? p.fmt : fmtOf[p.kind];
      expect(fmt).toBe(d.fmt);
      if (!('senderSsrc' in p)) throw new Error(`expected a feedback packet, got ${p.kind}`);
      expect(hex32(p.senderSsrc)).toBe(d.sender_ssrc);
      expect(hex32(p.mediaSsrc)).toBe(d.media_ssrc);
      if (d.name === 'Generic NACK') {
        if (p.kind !== 'nack') throw new Error('expected NACK');
        expect(p.pairs.map((x) => ({ pid: x.pid, blp: x.blp.toString(16).padStart(4, '0') }))).toEqual(d.nack_pairs);
        expect(p.lostSequenceNumbers()).toEqual(d.lost_sequence_numbers);
      } else if (d.name === 'PLI') {
        expect(p.kind).toBe('pli');
      } else if (d.name.startsWith('FIR')) {
        if (p.kind !== 'fir') throw new Error('expected FIR');
        expect(p.entries.map((e) => ({ ssrc: hex32(e.ssrc), seq_nr: e.seqNr, reserved: '000000' }))).toEqual(d.entries);
      } else if (d.name.startsWith('REMB')) {
        if (p.kind !== 'remb') throw new Error('expected REMB');
        expect(p.bitrate).toBe(d.bitrate_bps);
        expect(p.encodeBitrate()).toEqual({ exp: d.br_exp, mantissa: d.br_mantissa });
        expect(p.ssrcs.map(hex32)).toEqual(d.ssrcs);
        expect(p.ssrcs.length).toBe(d.num_ssrc);
      } else {
        if (p.kind !== 'feedback') throw new Error(`expected a generic feedback packet, got ${p.kind}`);
        if (d.fci !== undefined) expect(toHex(p.fci)).toBe(d.fci);
      }
      break;
    }
    case 'unknown':
      if (p.kind !== 'unknown') throw new Error(`expected unknown, got ${p.kind}`);
      expect(p.count).toBe(d.count_or_fmt);
      expect(toHex(p.body)).toBe(d.body);
      break;
    default:
      throw new Error(`vector type ${d.type} not handled by the checker`);
  }
}

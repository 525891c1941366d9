/**
 * Interop: Wireshark's RTCP dissector (tshark) reads the RTCP a MediaSession sends — SR with sender counts, a
 * report block with the loss and highest sequence it measured, SDES CNAME, and the final BYE — from a capture of
 * the session's own output, with no malformed or length warnings. The session runs on virtual time; the capture
 * (LINKTYPE_RAW IPv4/UDP) carries the virtual timestamps.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type MediaAddress, MediaSession } from '@mdh/media';
import { RtpPacket } from '@mdh/rtp';
import { afterAll, describe, expect, it } from 'vitest';
import { hasPeer } from './peers.js';

const dir = mkdtempSync(join(tmpdir(), 'mdh-media-tshark-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A pcap file (LINKTYPE_RAW = 101: each record an IPv4 packet) of UDP datagrams. */
function pcap(records: { at: number; data: Uint8Array; from: MediaAddress; to: MediaAddress }[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const g = new DataView(new ArrayBuffer(24));
  g.setUint32(0, 0xa1b2c3d4, true);
  g.setUint16(4, 2, true);
  g.setUint16(6, 4, true);
  g.setUint32(16, 65535, true);
  g.setUint32(20, 101, true);
  parts.push(new Uint8Array(g.buffer));
  for (const r of records) {
    const len = 20 + 8 + r.data.length;
    const h = new DataView(new ArrayBuffer(16 + 28));
    const t = 1_700_000_000_000 + r.at;
    h.setUint32(0, Math.floor(t / 1000), true);
    h.setUint32(4, Math.floor((t % 1000) * 1000), true);
    h.setUint32(8, len, true);
    h.setUint32(12, len, true);
    h.setUint8(16, 0x45);
    h.setUint16(18, len);
    h.setUint8(24, 64);
    h.setUint8(25, 17);
    const ip = (a: string) => a.split('.').reduce((x, o) => x * 256 + Number(o), 0);
    h.setUint32(28, ip(r.from.address));
    h.setUint32(32, ip(r.to.address));
    let sum = 0;
    for (let i = 16; i < 36; i += 2) sum += h.getUint16(i);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    h.setUint16(26, ~sum & 0xffff);
    h.setUint16(36, r.from.port);
    h.setUint16(38, r.to.port);
    h.setUint16(40, 8 + r.data.length);
    parts.push(new Uint8Array(h.buffer), r.data);
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

describe.skipIf(!hasPeer('tshark'))("@mdh/media RTCP through Wireshark's dissector", () => {
  it('SR/RR blocks, SDES CNAME and BYE dissect cleanly with the values the session computed', () => {
    const A = { address: '127.0.0.1', port: 40000 };
    const B = { address: '127.0.0.2', port: 50000 };
    const Artcp = { address: A.address, port: A.port + 1 };
    const Brtcp = { address: B.address, port: B.port + 1 };
    let seed = 5;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const s = new MediaSession({ now: 0, random, remote: B, rtcpMux: false, ssrc: 0x1234, cname: 'mdh@tshark' });
    const rec: { at: number; data: Uint8Array; from: MediaAddress; to: MediaAddress }[] = [];
    const drain = (now: number) => {
      for (let o = s.pollOutput(); o.kind !== 'deadline'; o = s.pollOutput()) {
        if (o.kind === 'datagram')
          rec.push({ at: now, data: o.data.slice(), from: o.via === 'rtcp' ? Artcp : A, to: o.to });
      }
    };
    let sentRtp = 0;
    const peerSsrc = 0xbeef;
    for (let t = 0; t <= 12_000; t += 20) {
      // The peer sends seq 1000.. every 20 ms but every 7th packet is lost.
      const k = t / 20;
      if (k % 7 !== 3) {
        const p = new RtpPacket({
          payloadType: 0,
          sequenceNumber: 1000 + k,
          timestamp: 160 * k,
          ssrc: peerSsrc,
          payload: new Uint8Array(160),
        });
        s.handleInput(p.serialize(), B, t);
      }
      s.sendRtp(new Uint8Array(160), { now: t });
      sentRtp++;
      s.handleTimeout(t);
      drain(t);
    }
    s.close(12_010, 'end of test');
    drain(12_010);
    const file = join(dir, 'rtcp.pcap');
    writeFileSync(file, pcap(rec));
    const r = spawnSync(
      'tshark',
      [
        '-r',
        file,
        '-d',
        `udp.port==${Brtcp.port},rtcp`,
        '-Y',
        'rtcp',
        '-T',
        'fields',
        '-E',
        'separator=|',
        '-e',
        'frame.number',
        '-e',
        'rtcp.pt',
        '-e',
        'rtcp.senderssrc',
        '-e',
        'rtcp.sender.packetcount',
        '-e',
        'rtcp.sender.octetcount',
        '-e',
        'rtcp.ssrc.identifier',
        '-e',
        'rtcp.ssrc.cum_nr',
        '-e',
        'rtcp.ssrc.ext_high',
        '-e',
        'rtcp.sdes.text',
        '-e',
        'rtcp.length_check',
        '-e',
        '_ws.expert.message',
      ],
      { encoding: 'utf8' },
    );
    expect(r.status, r.stderr).toBe(0);
    const rows = r.stdout
      .trim()
      .split('\n')
      .map((l) => l.split('|'));
    const rtcpRecs = rec.filter((x) => x.to.port === Brtcp.port);
    expect(rows.length).toBe(rtcpRecs.length);
    expect(rows.length).toBeGreaterThanOrEqual(3);
    for (const [i, row] of rows.entries()) {
      const [, pts, sender, pcount, ocount, blockSsrc, cum, extHigh, sdes, lengthOk, expert] = row as string[];
      const last = i === rows.length - 1;
      expect(pts).toBe(last ? '200,202,203' : '200,202');
      expect(Number(sender)).toBe(0x1234);
      // What the SR counted: the packets sent up to this report (one per 20 ms tick, the report right after).
      const at = rtcpRecs[i]!.at;
      const sentBefore = Math.min(sentRtp, at / 20 + 1);
      expect(Number(pcount)).toBe(sentBefore);
      expect(Number(ocount)).toBe(sentBefore * 160);
      // Identifiers: the report block's source, then the SDES chunk's (and the BYE's) SSRC: ours.
      expect(blockSsrc!.split(',').map(Number)).toEqual(last ? [peerSsrc, 0x1234, 0x1234] : [peerSsrc, 0x1234]);
      // Loss the session measured: every 7th sequence number (k ≡ 3 mod 7) up to the highest received.
      const high = Number(extHigh);
      let lost = 0;
      for (let k = 0; 1000 + k <= high; k++) if (k % 7 === 3) lost++;
      expect(Number(cum)).toBe(lost);
      expect(sdes).toBe(last ? 'mdh@tshark,end of test' : 'mdh@tshark'); // the BYE reason shows as text too
      expect(lengthOk).toBe('1');
      expect(expert ?? '').not.toMatch(/malformed|incorrect|bad/i);
    }
  });
});

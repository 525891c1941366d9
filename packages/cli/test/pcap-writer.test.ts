import { describe, expect, it } from 'vitest';
import { LINKTYPE_RAW, pcapGlobalHeader, pcapRecord, udpPacket } from '../src/pcap-writer.js';

/** RFC 1071 sum over 16-bit words, folded. */
function sum(b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += (b[i]! << 8) | (b[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

describe('pcap writer', () => {
  it('global header: magic, version 2.4, LINKTYPE_RAW', () => {
    const v = new DataView(pcapGlobalHeader().buffer);
    expect(v.getUint32(0, true)).toBe(0xa1b2c3d4);
    expect([v.getUint16(4, true), v.getUint16(6, true)]).toEqual([2, 4]);
    expect(v.getUint32(20, true)).toBe(LINKTYPE_RAW);
  });

  it('IPv4/UDP: header checksum and UDP checksum verify (RFC 791, RFC 768)', () => {
    const payload = new TextEncoder().encode('hello, odd length');
    const p = udpPacket({ address: '127.0.0.1', port: 5060 }, { address: '10.1.2.3', port: 40000 }, payload);
    expect(p[0]).toBe(0x45);
    expect(sum(p.subarray(0, 20))).toBe(0xffff);
    const v = new DataView(p.buffer);
    expect([v.getUint16(20), v.getUint16(22), v.getUint16(24)]).toEqual([5060, 40000, 8 + payload.length]);
    const pseudo = new Uint8Array(12 + p.length - 20 + 1);
    pseudo.set(p.subarray(12, 20), 0);
    pseudo[9] = 17;
    new DataView(pseudo.buffer).setUint16(10, p.length - 20);
    pseudo.set(p.subarray(20), 12);
    expect(sum(pseudo.subarray(0, 12 + p.length - 20))).toBe(0xffff);
    expect(p.subarray(28)).toEqual(payload);
  });

  it('IPv6/UDP: addresses (compressed, IPv4-mapped), payload length, checksum (RFC 8200 §8.1)', () => {
    const payload = new Uint8Array([1, 2, 3, 4]);
    const p = udpPacket({ address: '2001:db8::1', port: 1 }, { address: '127.0.0.1', port: 2 }, payload);
    expect(p[0]! >> 4).toBe(6);
    expect(new DataView(p.buffer).getUint16(4)).toBe(12);
    expect([...p.subarray(8, 24)]).toEqual([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect([...p.subarray(24, 40)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1]);
    const pseudo = new Uint8Array(40 + 12);
    pseudo.set(p.subarray(8, 40), 0);
    new DataView(pseudo.buffer).setUint32(32, 12);
    pseudo[39] = 17;
    pseudo.set(p.subarray(40), 40);
    expect(sum(pseudo)).toBe(0xffff);
    const loop = udpPacket({ address: '::1', port: 1 }, { address: 'fe80::1:2%eth0', port: 2 }, payload);
    expect([...loop.subarray(8, 24)]).toEqual([...new Array(15).fill(0), 1]);
    expect([...loop.subarray(24, 40)]).toEqual([0xfe, 0x80, ...new Array(10).fill(0), 0, 1, 0, 2]);
  });

  it('records: timestamp split into s/µs, lengths, cut at the snap length', () => {
    const r = pcapRecord(new Uint8Array(70000), 1_700_000_000_123_456);
    const v = new DataView(r.buffer);
    expect([v.getUint32(0, true), v.getUint32(4, true)]).toEqual([1_700_000_000, 123_456]);
    expect([v.getUint32(8, true), v.getUint32(12, true)]).toEqual([65535, 70000]);
    expect(r.length).toBe(16 + 65535);
  });
});

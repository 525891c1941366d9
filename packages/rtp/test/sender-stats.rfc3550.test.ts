import { describe, expect, it } from 'vitest';
import {
  NTP_UNIX_OFFSET,
  ntpFromUnixMs,
  ntpMiddle32,
  ntpToUnixMs,
  roundTripTimeMs,
  SenderStats,
} from '../src/index.js';

describe('SenderStats (RFC 3550 §6.4.1)', () => {
  it('counts packets and payload octets and maps NTP to RTP time', () => {
    const s = new SenderStats({ ssrc: 0x1234, clockRate: 8000 });
    expect(s.hasSent).toBe(false);
    s.onPacketSent(1000, 160, 0);
    s.onPacketSent(1160, 160, 20);
    s.onPacketSent(1320, 160, 40);
    expect(s.packetCount).toBe(3);
    expect(s.octetCount).toBe(480);
    // 10 ms after the last packet at 8 kHz: +80.
    expect(s.rtpTimestampAt(50)).toBe(1400);
    const sr = s.senderReport(50, 1500);
    expect(sr.ssrc).toBe(0x1234);
    expect(sr.ntpSeconds).toBe(NTP_UNIX_OFFSET + 1);
    expect(sr.ntpFraction).toBe(0x80000000);
    expect(sr.rtpTimestamp).toBe(1400);
    expect(sr.packetCount).toBe(3);
    expect(sr.octetCount).toBe(480);
  });

  it('wraps the RTP timestamp modulo 2^32', () => {
    const s = new SenderStats({ ssrc: 1, clockRate: 48000 });
    s.onPacketSent(0xffffff00, 10, 0);
    expect(s.rtpTimestampAt(10)).toBe((0xffffff00 + 480) >>> 0);
  });
});

describe('NTP helpers', () => {
  it('converts Unix ms ↔ NTP and takes the middle 32 bits', () => {
    expect(ntpFromUnixMs(0)).toEqual({ seconds: 2208988800, fraction: 0 });
    expect(ntpFromUnixMs(250)).toEqual({ seconds: 2208988800, fraction: 0x40000000 });
    expect(ntpToUnixMs(2208988801, 0x80000000)).toBe(1500);
    expect(ntpMiddle32(0x12345678, 0x9abcdef0)).toBe(0x56789abc);
  });

  it('computes the round-trip time A - LSR - DLSR (§6.4.1 example)', () => {
    // RFC 3550 §6.4.1 figure: A = 0xb710:8000 (46864.5 s), LSR = 0xb705:2000 (46853.125 s), DLSR = 0x0005:4000 (5.25 s).
    expect(roundTripTimeMs(0xb7108000, 0xb7052000, 0x00054000)).toBe(6125);
    expect(roundTripTimeMs(0xb7108000, 0, 0)).toBeUndefined();
  });
});

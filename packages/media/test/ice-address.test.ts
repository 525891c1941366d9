import { describe, expect, it } from 'vitest';
import { bytesToIp, formatAddress, ipToBytes, sameAddress } from '../src/index.js';

describe('IP text ↔ octets', () => {
  it('parses IPv4 and IPv6 (compressed, embedded IPv4, zone ids) and prints RFC 5952 form', () => {
    expect(ipToBytes('192.0.2.1')).toEqual(new Uint8Array([192, 0, 2, 1]));
    expect(bytesToIp(ipToBytes('2001:0DB8:0000:0000:0001:0000:0000:0001')!)).toBe('2001:db8::1:0:0:1');
    expect(bytesToIp(ipToBytes('1:0:2:0:3:0:4:0')!)).toBe('1:0:2:0:3:0:4:0');
    expect(bytesToIp(ipToBytes('fe80::1%eth0')!)).toBe('fe80::1');
    expect(bytesToIp(ipToBytes('::ffff:127.0.0.1')!)).toBe('::ffff:7f00:1');
    expect(bytesToIp(ipToBytes('::')!)).toBe('::');
    expect(bytesToIp(ipToBytes('::1')!)).toBe('::1');
    for (const bad of ['1.2.3', '1.2.3.256', '01.2.3.4', '1::2::3', '1:2:3:4:5:6:7:8:9', 'g::1', 'host.example', ''])
      expect(ipToBytes(bad), bad).toBeUndefined();
  });
  it('compares addresses as octets, IPv4-mapped IPv6 equal to IPv4', () => {
    expect(sameAddress({ address: '::ffff:127.0.0.1', port: 5 }, { address: '127.0.0.1', port: 5 })).toBe(true);
    expect(sameAddress({ address: '2001:db8::1', port: 5 }, { address: '2001:DB8:0::1', port: 5 })).toBe(true);
    expect(sameAddress({ address: '127.0.0.1', port: 5 }, { address: '127.0.0.1', port: 6 })).toBe(false);
    expect(sameAddress({ address: '127.0.0.1', port: 5 }, { address: '127.0.0.2', port: 5 })).toBe(false);
    expect(formatAddress({ address: '::1', port: 9 })).toBe('[::1]:9');
  });
});

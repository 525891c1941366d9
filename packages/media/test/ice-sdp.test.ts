import { describe, expect, it } from 'vitest';
import {
  candidatePriority,
  formatIceAttributes,
  formatIceCandidate,
  generateIceCredentials,
  hostCandidates,
  IceSdpError,
  parseIceAttributes,
  parseIceCandidate,
  tryParseIceCandidate,
} from '../src/index.js';

describe('a=candidate (RFC 8839 §5.1)', () => {
  it('parses what browsers send: srflx with raddr/rport and extensions, mDNS host, TCP', () => {
    const c = parseIceCandidate(
      'a=candidate:842163049 1 udp 1677729535 198.51.100.3 54321 typ srflx raddr 10.0.0.1 rport 54320 generation 0 ufrag EsAw network-cost 999',
    );
    expect(c).toEqual({
      foundation: '842163049',
      component: 1,
      transport: 'udp',
      priority: 1677729535,
      address: '198.51.100.3',
      port: 54321,
      type: 'srflx',
      relatedAddress: '10.0.0.1',
      relatedPort: 54320,
      extensions: [
        ['generation', '0'],
        ['ufrag', 'EsAw'],
        ['network-cost', '999'],
      ],
    });
    expect(formatIceCandidate(c)).toBe(
      'candidate:842163049 1 udp 1677729535 198.51.100.3 54321 typ srflx raddr 10.0.0.1 rport 54320 generation 0 ufrag EsAw network-cost 999',
    );
    const m = parseIceCandidate('candidate:1 1 udp 2122260223 3b0bbd3c-6ab5-4c7b-9d7e-0b5e8a.local 5000 typ host');
    expect(m.address).toBe('3b0bbd3c-6ab5-4c7b-9d7e-0b5e8a.local');
    const t = parseIceCandidate('candidate:2 1 TCP 1518280447 ::1 9 typ host tcptype active');
    expect([t.transport, t.address, t.extensions]).toEqual(['TCP', '::1', [['tcptype', 'active']]]);
  });

  it('rejects malformed candidates with IceSdpError', () => {
    for (const bad of [
      'candidate:1 1 udp 100 192.0.2.1 5000 typ',
      'candidate:1 1 udp 0 192.0.2.1 5000 typ host',
      'candidate:1 1 udp 2147483648 192.0.2.1 5000 typ host',
      'candidate:1 0 udp 1 192.0.2.1 5000 typ host',
      'candidate:1 257 udp 1 192.0.2.1 5000 typ host',
      'candidate:1 1 udp 1 192.0.2.1 65536 typ host',
      'candidate:1 1 udp 1 192.0.2.1 5000 type host',
      `candidate:${'a'.repeat(33)} 1 udp 1 192.0.2.1 5000 typ host`,
      'candidate:1 1 udp 1 bad_host! 5000 typ host',
      'candidate:1 1 udp 1 192.0.2.1 5000 typ host raddr',
      'candidate:1 1 udp 1 192.0.2.1 5000 typ host rport x',
      'candidate:1 1 udp 1 192.0.2.1 5000 typ host generation',
      `candidate:1 1 udp 1 192.0.2.1 5000 typ host ${'x y '.repeat(300)}`,
    ])
      expect(tryParseIceCandidate(bad), bad).toBeInstanceOf(IceSdpError);
    expect(() => parseIceCandidate('candidate:')).toThrow(IceSdpError);
  });

  it('host priorities per RFC 8445 §5.1.2.1 and one foundation per base IP', () => {
    expect(candidatePriority(126, 65535, 1)).toBe(2130706431);
    const cs = hostCandidates([
      { address: '192.0.2.1', port: 1 },
      { address: '192.0.2.1', port: 2 },
      { address: '2001:db8::1', port: 3 },
    ]);
    expect(cs.map((c) => [c.foundation, c.priority])).toEqual([
      ['1', 2130706431],
      ['1', 2130706175],
      ['2', 2130705919],
    ]);
  });
});

describe('ICE credentials and attributes (RFC 8839 §5.3–§5.4)', () => {
  it('generates ice-char credentials of the right length from the injected random source', () => {
    let k = 0;
    const random = (n: number) => Uint8Array.from({ length: n }, () => k++);
    const c = generateIceCredentials(random);
    expect(c.ufrag).toBe('ABCDEFGH');
    expect(c.pwd).toHaveLength(24);
    expect(c.pwd).toMatch(/^[A-Za-z0-9+/]+$/);
  });

  it('parses a browser offer’s ICE attributes', () => {
    const sdp = [
      'v=0',
      'o=- 1 2 IN IP4 127.0.0.1',
      's=-',
      't=0 0',
      'a=group:BUNDLE 0',
      'm=audio 9 UDP/TLS/RTP/SAVPF 111 0',
      'c=IN IP4 0.0.0.0',
      'a=candidate:1 1 udp 2122260223 127.0.0.1 55555 typ host generation 0 network-id 1',
      'a=candidate:garbage',
      'a=ice-ufrag:Wq2T',
      'a=ice-pwd:Zx3PNaM0c5+RzSyfPnB5E/4e',
      'a=ice-options:trickle',
      'a=end-of-candidates',
      '',
    ].join('\r\n');
    const info = parseIceAttributes(sdp);
    if (info instanceof IceSdpError) throw info;
    expect(info).toMatchObject({
      ufrag: 'Wq2T',
      pwd: 'Zx3PNaM0c5+RzSyfPnB5E/4e',
      lite: false,
      options: ['trickle'],
      invalidCandidates: 1,
      endOfCandidates: true,
    });
    expect(info.candidates).toHaveLength(1);
  });

  it('rejects bad or conflicting credentials', () => {
    expect(parseIceAttributes(['a=ice-ufrag:abc'])).toBeInstanceOf(IceSdpError);
    expect(parseIceAttributes(['a=ice-pwd:tooshort'])).toBeInstanceOf(IceSdpError);
    expect(parseIceAttributes(['a=ice-ufrag:abcd', 'a=ice-ufrag:abce'])).toBeInstanceOf(IceSdpError);
    expect(parseIceAttributes(['a=ice-ufrag:ab d'])).toBeInstanceOf(IceSdpError);
    expect(() => formatIceAttributes({ ufrag: 'a', pwd: 'x'.repeat(22) })).toThrow(IceSdpError);
    expect(() => formatIceAttributes({ ufrag: 'abcd', pwd: 'x'.repeat(21) })).toThrow(IceSdpError);
  });

  it('bounds the number of candidates read', () => {
    const lines = Array.from({ length: 100 }, (_, i) => `a=candidate:1 1 udp 1 192.0.2.1 ${1000 + i} typ host`);
    const info = parseIceAttributes(lines);
    if (info instanceof IceSdpError) throw info;
    expect(info.candidates).toHaveLength(64);
    expect(info.invalidCandidates).toBe(36);
  });
});

import { describe, expect, it } from 'vitest';
import { formatUri, parseUri, SipParseError, type SipUri, stripBrackets, uriEquals } from '../src/message-layer.js';

const sip = (s: string) => parseUri(s) as SipUri;

describe('parseUri (RFC 3261 §19.1, §25.1)', () => {
  it('parses every part of a SIP URI', () => {
    expect(sip('sips:alice:secret@atlanta.com:5061;transport=tcp;lr?subject=project%20x&priority=urgent')).toEqual({
      kind: 'sip',
      scheme: 'sips',
      user: 'alice',
      password: 'secret',
      host: 'atlanta.com',
      port: 5061,
      params: { transport: 'tcp', lr: null },
      headers: { subject: 'project x', priority: 'urgent' },
    });
  });
  it('handles IPv4, IPv6 references and hostnames', () => {
    expect(sip('sip:192.0.2.4').host).toBe('192.0.2.4');
    expect(sip('sip:[2001:db8::1]:5070')).toMatchObject({ host: '[2001:db8::1]', port: 5070 });
    expect(stripBrackets(sip('sip:[::1]').host)).toBe('::1');
    expect(sip('SIP:Bob@Biloxi.COM.').host).toBe('Biloxi.COM.');
  });
  it('lower-cases parameter names and the scheme, unescapes once', () => {
    const u = sip('sip:%61lice@x.org;Transport=UDP;n%61me=v%2541');
    expect(u.scheme).toBe('sip');
    expect(u.user).toBe('alice');
    expect(u.params).toEqual({ transport: 'UDP', name: 'v%41' });
  });
  it('parses tel: and other absolute URIs', () => {
    expect(parseUri('tel:+1-201-555-0123;phone-context=example.com')).toEqual({
      kind: 'tel',
      scheme: 'tel',
      number: '+1-201-555-0123',
      params: { 'phone-context': 'example.com' },
    });
    expect(parseUri('http://www.example.com/a?b')).toEqual({
      kind: 'absolute',
      scheme: 'http',
      opaque: '//www.example.com/a?b',
    });
  });
  it('rejects malformed URIs with SipParseError', () => {
    for (const bad of [
      'sip:',
      'sip:user@',
      'sip:2001:db8::10',
      'sip:host:99999',
      'sip:a b@host',
      'sip:host;;lr',
      'sip:ho_st.com',
      'sip:-host.com',
      'sip:host..com',
      'sip:[::1',
      'sip:1.2.3.256',
      '<sip:a@b>',
      'sip:user@host?',
      'sip:%zz@host',
      'nocolon',
    ]) {
      expect(() => parseUri(bad), bad).toThrow(SipParseError);
    }
  });
  it('formats with escaping and round-trips', () => {
    const u: SipUri = {
      kind: 'sip',
      scheme: 'sip',
      user: 'a b@c',
      host: 'x.org',
      port: 5060,
      params: { lr: null, maddr: '239.255.255.1' },
      headers: { Subject: 'hi there' },
    };
    const t = formatUri(u);
    expect(t).toBe('sip:a%20b%40c@x.org:5060;lr;maddr=239.255.255.1?Subject=hi%20there');
    expect(parseUri(t)).toEqual(u);
  });
});

describe('uriEquals (RFC 3261 §19.1.4 examples)', () => {
  const equal: [string, string][] = [
    ['sip:%61lice@atlanta.com;transport=TCP', 'sip:alice@AtLanTa.CoM;Transport=tcp'],
    ['sip:carol@chicago.com', 'sip:carol@chicago.com;newparam=5'],
    ['sip:carol@chicago.com', 'sip:carol@chicago.com;security=on'],
    [
      'sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com',
      'sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com',
    ],
    [
      'sip:alice@atlanta.com?subject=project%20x&priority=urgent',
      'sip:alice@atlanta.com?priority=urgent&subject=project%20x',
    ],
  ];
  const different: [string, string][] = [
    ['SIP:ALICE@AtLanTa.CoM;Transport=udp', 'sip:alice@AtLanTa.CoM;Transport=UDP'],
    ['sip:bob@biloxi.com', 'sip:bob@biloxi.com:5060'],
    ['sip:bob@biloxi.com', 'sip:bob@biloxi.com;transport=udp'],
    ['sip:bob@biloxi.com', 'sip:bob@biloxi.com:6000;transport=tcp'],
    ['sip:carol@chicago.com', 'sip:carol@chicago.com?Subject=next%20meeting'],
    ['sip:bob@phone21.boxesbybob.com', 'sip:bob@192.0.2.4'],
    ['sip:carol@chicago.com;security=on', 'sip:carol@chicago.com;security=off'],
  ];
  for (const [a, b] of equal) it(`${a} == ${b}`, () => expect(uriEquals(a, b)).toBe(true));
  for (const [a, b] of different) it(`${a} != ${b}`, () => expect(uriEquals(a, b)).toBe(false));
});

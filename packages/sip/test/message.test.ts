import { describe, expect, it } from 'vitest';
import {
  BRANCH_MAGIC,
  createRequest,
  createResponse,
  formatNameAddr,
  formatVia,
  newBranch,
  newCallId,
  newTag,
  parseAuth,
  parseMessage,
  parseVia,
  SipParseError,
  type SipRequest,
  type SipResponse,
  serializeMessage,
  tryParseMessage,
} from '../src/message-layer.js';

const INVITE = [
  'INVITE sip:bob@biloxi.com SIP/2.0',
  'Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds;rport, SIP/2.0/TCP proxy.example.com:5070;branch=z9hG4bK1;received=192.0.2.1',
  'Max-Forwards: 70',
  'To: Bob <sip:bob@biloxi.com>',
  'From: Alice <sip:alice@atlanta.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710@pc33.atlanta.com',
  'CSeq: 314159 INVITE',
  'Contact: <sip:alice@pc33.atlanta.com>;expires=60;q=0.5, "Al" <sip:al@[2001:db8::5]:5080>',
  'Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>',
  'X-Custom:   keep  me  ',
  'Supported: replaces, timer',
  'Content-Type: application/sdp',
  'Content-Length: 4',
  '',
  'v=0\r\n',
].join('\r\n');

describe('parseMessage', () => {
  it('parses a request with typed views', () => {
    const r = parseMessage(INVITE) as SipRequest;
    expect(r.kind).toBe('request');
    expect(r.vias.length).toBe(2);
    expect(r.via).toMatchObject({
      transport: 'UDP',
      host: 'pc33.atlanta.com',
      branch: 'z9hG4bK776asdhds',
      rport: null,
    });
    expect(r.vias[1]).toMatchObject({ transport: 'TCP', port: 5070, received: '192.0.2.1' });
    expect(r.from?.tag).toBe('1928301774');
    expect(r.to?.displayName).toBe('Bob');
    expect(r.contacts.map((c) => [c.uriText, c.expires, c.q])).toEqual([
      ['sip:alice@pc33.atlanta.com', 60, 0.5],
      ['sip:al@[2001:db8::5]:5080', undefined, undefined],
    ]);
    expect(r.recordRoutes.map((x) => x.uriText)).toEqual(['sip:p1.example.com;lr', 'sip:p2.example.com;lr']);
    expect(r.supported).toEqual(['replaces', 'timer']);
    expect(r.get('x-custom')).toBe('keep  me');
    expect(r.body).toEqual(new TextEncoder().encode('v=0\r'));
  });
  it('keeps every occurrence in order and accepts compact forms', () => {
    const r = parseMessage(
      'OPTIONS sip:a@b SIP/2.0\r\nv: SIP/2.0/UDP h1;branch=z9hG4bK1\r\nV: SIP/2.0/UDP h2;branch=z9hG4bK2\r\nf: <sip:x@y>;tag=1\r\nt: <sip:a@b>\r\ni: cid\r\nCSEQ: 1 OPTIONS\r\nl: 0\r\n\r\n',
    );
    expect(r.vias.map((v) => v.host)).toEqual(['h1', 'h2']);
    expect(r.get('Call-ID')).toBe('cid');
    expect(r.headers.map((h) => h.name)).toEqual(['Via', 'Via', 'From', 'To', 'Call-ID', 'CSeq', 'Content-Length']);
  });
  it('folding, LF-only line ends and leading CRLFs are accepted', () => {
    const r = parseMessage('\r\n\r\nBYE sip:a@b SIP/2.0\nVia: SIP/2.0/UDP h;\n branch=z9hG4bK1\nCSeq: 2\n  BYE\n\n');
    expect(r.via?.branch).toBe('z9hG4bK1');
    expect(r.cseq).toEqual({ seq: 2, method: 'BYE' });
  });
  it('Content-Length: datagram vs stream', () => {
    const m = 'MESSAGE sip:a@b SIP/2.0\r\nCSeq: 1 MESSAGE\r\n\r\nhello';
    expect(parseMessage(m).bodyText).toBe('hello');
    // RFC 3261 §18.3: Content-Length MUST be used with stream-oriented transports
    expect(() => parseMessage(m, { transport: 'stream' })).toThrow(
      expect.objectContaining({ reason: 'missing-content-length', status: 400 }),
    );
    const withCl = m.replace('\r\n\r\n', '\r\nContent-Length: 0\r\n\r\n');
    expect(parseMessage(withCl, { transport: 'stream' }).body.length).toBe(0);
    expect(() => parseMessage('MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 9\r\n\r\nhello')).toThrow(/Content-Length/);
  });
  it('errors carry reason, offset and status', () => {
    const e = tryParseMessage('INVITE sip:a@b SIP/3.0\r\n\r\n') as SipParseError;
    expect(e).toBeInstanceOf(SipParseError);
    expect(e.status).toBe(505);
    expect(e.offset).toBe(15);
    const e2 = tryParseMessage('SIP/2.0 99 Low\r\n\r\n') as SipParseError;
    expect(e2.reason).toBe('bad-status-code');
    const e3 = tryParseMessage('INVITE sip:a@b SIP/2.0\r\nBad Header: x\r\n\r\n') as SipParseError;
    expect(e3.reason).toBe('bad-header-line');
  });
  it('parses digest challenges and credentials', () => {
    expect(
      parseAuth(
        'Digest realm="atlanta.com", nonce="84a4cc6f3082121f32b42a2187831a9e", qop="auth,auth-int", algorithm=MD5, stale=FALSE',
      ),
    ).toEqual({
      scheme: 'Digest',
      params: {
        realm: 'atlanta.com',
        nonce: '84a4cc6f3082121f32b42a2187831a9e',
        qop: 'auth,auth-int',
        algorithm: 'MD5',
        stale: 'FALSE',
      },
    });
  });
  it('views serialise to plain JSON with their parameters', () => {
    const r = parseMessage(INVITE);
    expect(JSON.parse(JSON.stringify(r.via))).toEqual({
      protocol: 'SIP/2.0',
      transport: 'UDP',
      host: 'pc33.atlanta.com',
      branch: 'z9hG4bK776asdhds',
      rport: null,
      params: { branch: 'z9hG4bK776asdhds', rport: null },
    });
    expect(JSON.parse(JSON.stringify(r.from))).toEqual({
      displayName: 'Alice',
      uri: 'sip:alice@atlanta.com',
      tag: '1928301774',
      params: { tag: '1928301774' },
    });
    expect({ ...r.contacts[0]?.params }).toEqual({ expires: '60', q: '0.5' });
  });
  it('lazy views throw SipParseError only when read (strict: false)', () => {
    const r = parseMessage('OPTIONS sip:a@b SIP/2.0\r\nVia: junk\r\nCSeq: x\r\n\r\n', { strict: false });
    expect(() => r.via).toThrow(SipParseError);
    expect(() => r.cseq).toThrow(SipParseError);
  });
});

describe('serializeMessage', () => {
  it('round-trips, one value per line, unknown headers kept', () => {
    const r = parseMessage(INVITE);
    const out = new TextDecoder().decode(serializeMessage(r));
    expect(out).toContain('X-Custom: keep  me\r\n');
    expect(out.match(/^Via: /gm)?.length).toBe(2);
    expect(parseMessage(out).headers).toEqual(r.headers);
  });
  it('Content-Length is the UTF-8 byte length of the body', () => {
    const r = parseMessage(INVITE) as SipRequest;
    r.setBody('héllo ☃', 'text/plain');
    const out = new TextDecoder().decode(serializeMessage(r));
    expect(out).toMatch(/Content-Length: 10\r\n/);
    expect(parseMessage(serializeMessage(r)).bodyText).toBe('héllo ☃');
  });
  it('header edits invalidate the cached views', () => {
    const r = parseMessage(INVITE) as SipRequest;
    expect(r.vias.length).toBe(2);
    r.removeFirst('Via');
    expect(r.vias.length).toBe(1);
    r.prepend('Via', formatVia({ transport: 'TLS', host: 'me.example.com', port: 5061, branch: newBranch() }));
    expect(r.via?.transport).toBe('TLS');
    r.set('Max-Forwards', 69);
    expect(r.maxForwards).toBe(69);
  });
});

describe('builders (RFC 3261 §8.1.1, §8.2.6)', () => {
  it('generators: branch cookie, tags, Call-IDs, injectable randomness', () => {
    expect(newBranch().startsWith(BRANCH_MAGIC)).toBe(true);
    expect(newBranch()).not.toBe(newBranch());
    const zero = (n: number) => new Uint8Array(n);
    expect(newTag(zero)).toBe('aaaaaaaaaa');
    expect(newCallId('host.example', zero)).toBe('aaaaaaaaaaaaaaaaaaaa@host.example');
  });
  it('createRequest fills the mandatory headers', () => {
    const req = createRequest({
      method: 'INVITE',
      uri: 'sip:bob@biloxi.com',
      from: formatNameAddr({ displayName: 'Alice', uri: 'sip:alice@atlanta.com' }),
      to: '<sip:bob@biloxi.com>',
      via: formatVia({ transport: 'UDP', host: 'pc33.atlanta.com', branch: 'z9hG4bKabc' }),
      contact: '<sip:alice@pc33.atlanta.com>',
      cseq: 7,
      body: 'v=0\r\n',
      contentType: 'application/sdp',
    });
    const again = parseMessage(serializeMessage(req)) as SipRequest;
    expect(again.method).toBe('INVITE');
    expect(again.maxForwards).toBe(70);
    expect(again.cseq).toEqual({ seq: 7, method: 'INVITE' });
    expect(again.from?.displayName).toBe('Alice');
    expect(again.from?.tag?.length).toBe(10);
    expect(again.callId?.length).toBeGreaterThan(10);
    expect(again.via?.branch).toBe('z9hG4bKabc');
    expect(again.contentLength).toBe(5);
  });
  it('createResponse copies Via/From/To/Call-ID/CSeq and adds the To tag', () => {
    const req = parseMessage(INVITE) as SipRequest;
    const res = createResponse(req, 180, { toTag: 'xyz' });
    const back = parseMessage(serializeMessage(res)) as SipResponse;
    expect(back.status).toBe(180);
    expect(back.reason).toBe('Ringing');
    expect(back.getAll('via')).toEqual(req.getAll('via'));
    expect(back.recordRoutes.length).toBe(2);
    expect(back.to?.tag).toBe('xyz');
    expect(back.from?.tag).toBe('1928301774');
    expect(back.cseq).toEqual({ seq: 314159, method: 'INVITE' });
    const trying = createResponse(req, 100, { toTag: 'xyz' });
    expect(trying.to?.tag).toBeUndefined();
    expect(() => createResponse(req, 99)).toThrow(RangeError);
  });
  it('parseVia accepts LWS around "/" and ":" and IPv6 received without brackets', () => {
    expect(parseVia('SIP / 2.0 / udp [2001:db8::1] : 5060 ; received=2001:db8::9:255 ; rport=5062')).toMatchObject({
      transport: 'UDP',
      host: '[2001:db8::1]',
      port: 5060,
      received: '2001:db8::9:255',
      rport: 5062,
    });
  });
});

import {
  parseContact,
  parseMessage,
  parseNameAddr,
  parseVia,
  type SipMessage,
  SipParseError,
  type SipUri,
  serializeMessage,
} from '@mdh/sip';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

/** Shapes seen from Asterisk, FreeSWITCH, Kamailio, Linphone, Zoiper, baresip and Cisco phones. */
const crlf = (s: string) => s.replace(/\n/g, '\r\n');

function invite(extra: string, body = ''): string {
  return `${crlf(`INVITE sip:bob@example.com SIP/2.0
Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-1;rport
From: <sip:alice@example.com>;tag=1
To: <sip:bob@example.com>
Call-ID: abc@10.0.0.1
CSeq: 1 INVITE
Max-Forwards: 70
`)}${crlf(extra)}Content-Length: ${new TextEncoder().encode(body).length}\r\n\r\n${body}`;
}

/** parse → serialize → parse gives the same views. */
function roundTrip(m: SipMessage): SipMessage {
  const again = parseMessage(serializeMessage(m));
  expect(JSON.parse(JSON.stringify(again.vias))).toEqual(JSON.parse(JSON.stringify(m.vias)));
  expect(JSON.parse(JSON.stringify(again.contacts))).toEqual(JSON.parse(JSON.stringify(m.contacts)));
  return again;
}

describe('messages from real user agents (RFC 3261 §7.3, §20)', () => {
  it('compact forms (§7.3.3) for every core header', () => {
    const m = parseMessage(
      crlf(`INVITE sip:bob@example.com SIP/2.0
v: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-1;rport
f: "A" <sip:alice@example.com>;tag=1
t: sip:bob@example.com
i: abc@10.0.0.1
CSeq: 1 INVITE
m: <sip:alice@10.0.0.1>
k: 100rel
x: 1800;refresher=uac
r: <sip:carol@x>
b: <sip:alice@x>
c: application/sdp
l: 0

`),
    );
    expect(m.via?.branch).toBe('z9hG4bK-1');
    expect(m.from?.displayName).toBe('A');
    expect(m.to?.uriText).toBe('sip:bob@example.com');
    expect(m.callId).toBe('abc@10.0.0.1');
    expect(m.contacts[0]?.uriText).toBe('sip:alice@10.0.0.1');
    expect(m.get('Session-Expires')).toBe('1800;refresher=uac');
    expect(m.get('Refer-To')).toBe('<sip:carol@x>');
    expect(m.get('Referred-By')).toBe('<sip:alice@x>');
    expect(m.contentType).toEqual({ type: 'application', subtype: 'sdp', params: {} });
    roundTrip(m);
  });

  it('combined and repeated Via, IPv6 sent-by and received (RFC 5118)', () => {
    const m = parseMessage(
      invite(
        'Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK2, SIP/2.0/TCP [2001:db8::1]:5061;branch=z9hG4bK3;received=2001:db8::2\n',
      ),
    );
    expect(m.vias.map((v) => [v.transport, v.host, v.port ?? null, v.branch])).toEqual([
      ['UDP', '10.0.0.1', 5060, 'z9hG4bK-1'],
      ['UDP', 'a.example.com', null, 'z9hG4bK2'],
      ['TCP', '[2001:db8::1]', 5061, 'z9hG4bK3'],
    ]);
    expect(m.vias[2]?.received).toBe('2001:db8::2');
    expect(m.via?.rport).toBeNull();
    roundTrip(m);
  });

  it('Kamailio double Record-Route with lr=on and IPv6, Route with ;lr', () => {
    const m = parseMessage(
      invite(
        'Record-Route: <sip:1.2.3.4;r2=on;lr=on;ftag=abc;nat=yes>,<sip:[2001:db8::5];r2=on;lr=on>\nRoute: <sip:10.0.0.2;lr>, <sip:p2.example.com;lr;transport=tcp>\n',
      ),
    );
    expect(m.recordRoutes.map((r) => (r.uri as SipUri).host)).toEqual(['1.2.3.4', '[2001:db8::5]']);
    expect((m.recordRoutes[0]!.uri as SipUri).params).toMatchObject({ lr: 'on', r2: 'on' });
    expect(m.routes.map((r) => r.uriText)).toEqual(['sip:10.0.0.2;lr', 'sip:p2.example.com;lr;transport=tcp']);
    expect((m.routes[0]!.uri as SipUri).params).toEqual({ lr: null });
  });

  it('header parameters without values, quoted values with commas (Linphone, baresip, Cisco)', () => {
    const m = parseMessage(
      invite(
        'Contact: <sip:u@1.2.3.4:5060;transport=udp>;+org.linphone.specs="groupchat,lime";expires=600;+sip.ice;reg-id=1;+sip.instance="<urn:uuid:0000-1>";+u.sip!devicename.ccm.cisco.com="SEP0004F2A1B2C3"\n',
      ),
    );
    expect(m.contacts).toHaveLength(1);
    const c = m.contacts[0]!;
    expect(c.expires).toBe(600);
    expect(c.params).toEqual({
      '+org.linphone.specs': 'groupchat,lime',
      expires: '600',
      '+sip.ice': null,
      'reg-id': '1',
      '+sip.instance': '<urn:uuid:0000-1>',
      '+u.sip!devicename.ccm.cisco.com': 'SEP0004F2A1B2C3',
    });
    roundTrip(m);
  });

  it('display names: quoted with escapes, UTF-8, commas, tokens, none (addr-spec)', () => {
    const m = parseMessage(
      invite(
        'Contact: "Al \\"The Cat\\" \\\\ Ice" <sip:a@10.0.0.1>, "Doe, John" <sip:j@x>;q=0.7, "Jürgen Müller" <sip:j@10.0.0.1>, Alice Smith <sip:s@x>, sip:k@y;expires=60\n',
      ),
    );
    expect(m.contacts.map((c) => c.displayName ?? null)).toEqual([
      'Al "The Cat" \\ Ice',
      'Doe, John',
      'Jürgen Müller',
      'Alice Smith',
      null,
    ]);
    expect(m.contacts[1]?.q).toBe(0.7);
    expect(m.contacts[4]).toMatchObject({ uriText: 'sip:k@y', expires: 60 });
    roundTrip(m);
  });

  it('tel: URIs in the Request-URI, From and To (RFC 3966)', () => {
    const m = parseMessage(
      crlf(`INVITE tel:+1-201-555-0123;phone-context=example.com SIP/2.0
Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-1
From: "Anonymous" <tel:+12015550123>;tag=1
To: <tel:+15551234;phone-context=+1>
Call-ID: abc
CSeq: 1 INVITE
Max-Forwards: 70
Content-Length: 0

`),
    );
    expect(m.kind === 'request' && m.requestUri).toMatchObject({ kind: 'tel', number: '+1-201-555-0123' });
    expect(m.from?.uri).toMatchObject({ kind: 'tel', number: '+12015550123' });
    expect(m.to?.uri).toMatchObject({ kind: 'tel', params: { 'phone-context': '+1' } });
  });

  it('Contact: * (RFC 3261 §10.2.2) alone is accepted, mixed or repeated is not', () => {
    const reg = (contacts: string) =>
      crlf(`REGISTER sip:example.com SIP/2.0
Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-1
From: <sip:a@example.com>;tag=1
To: <sip:a@example.com>
Call-ID: abc
CSeq: 2 REGISTER
${contacts}Expires: 0
Max-Forwards: 70
Content-Length: 0

`);
    const m = parseMessage(reg('Contact: *\n'));
    expect(m.contactStar).toBe(true);
    expect(m.contacts).toEqual([]);
    expect(() => parseMessage(reg('Contact: *\nContact: <sip:a@b>\n'))).toThrow(SipParseError);
    expect(() => parseMessage(reg('Contact: *, *\n'))).toThrow(SipParseError);
  });

  it('very long headers are kept whole; a header section over the limit answers 413', () => {
    const long = 'a'.repeat(20000);
    const m = parseMessage(invite(`X-Long: ${long}\nP-Asserted-Identity: "Foo, Bar" <sip:+1555@x.com>, <tel:+1555>\n`));
    expect(m.get('x-long')).toBe(long);
    expect(m.getAll('P-Asserted-Identity')).toEqual(['"Foo, Bar" <sip:+1555@x.com>', '<tel:+1555>']);
    const e = (() => {
      try {
        parseMessage(invite(`X-Long: ${'b'.repeat(70000)}\n`));
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(e).toMatchObject({ reason: 'headers-too-large', status: 413 });
  });

  it('multipart bodies with binary parts are kept byte-exact', () => {
    const enc = new TextEncoder();
    const text = invite(
      'Content-Type: multipart/mixed;boundary=boundary1\nMIME-Version: 1.0\n',
      '--boundary1\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n\r\n--boundary1\r\nContent-Type: application/isup\r\n\r\nXX\r\n--boundary1--\r\n',
    );
    const bytes = enc.encode(text);
    // put non-ASCII octets into the ISUP part (same length)
    const at = text.indexOf('XX');
    bytes[at] = 0x00;
    bytes[at + 1] = 0xff;
    const m = parseMessage(bytes);
    expect(m.contentType).toEqual({ type: 'multipart', subtype: 'mixed', params: { boundary: 'boundary1' } });
    const bodyStart = text.indexOf('\r\n\r\n') + 4;
    expect(Array.from(m.body)).toEqual(Array.from(bytes.subarray(bodyStart)));
    expect(Array.from(serializeMessage(m).subarray(-m.body.length))).toEqual(Array.from(m.body));
  });

  it('missing Content-Length: to the end on datagrams, an error on streams (RFC 3261 §18.3)', () => {
    const text = `${invite('').replace('Content-Length: 0\r\n', '')}v=0\r\n`;
    expect(parseMessage(text).bodyText).toBe('v=0\r\n');
    expect(() => parseMessage(text, { transport: 'stream' })).toThrow(
      expect.objectContaining({ reason: 'missing-content-length', status: 400 }),
    );
  });

  it('Asterisk 200 OK to REGISTER: rport/received, q, token lists, UTF-8 reason', () => {
    const m = parseMessage(
      crlf(`SIP/2.0 200 OK – bien reçu
Via: SIP/2.0/UDP 192.168.1.10:5060;rport=5060;received=203.0.113.5;branch=z9hG4bKPj1
Call-ID: 1
From: <sip:100@pbx>;tag=a
To: <sip:100@pbx>;tag=as5f
CSeq: 1 REGISTER
Server: Asterisk PBX 18
Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, SUBSCRIBE, NOTIFY, INFO, PUBLISH, MESSAGE
Supported: replaces, timer
Supported: path
Expires: 120
Contact: <sip:100@192.168.1.10:5060;ob>;expires=120;q=0.5
Content-Length: 0

`),
    );
    expect(m.kind === 'response' && [m.status, m.reason]).toEqual([200, 'OK – bien reçu']);
    expect(m.via).toMatchObject({ rport: 5060, received: '203.0.113.5', branch: 'z9hG4bKPj1' });
    expect(m.contacts[0]).toMatchObject({ expires: 120, q: 0.5 });
    expect(m.allow).toHaveLength(11);
    expect(m.supported).toEqual(['replaces', 'timer', 'path']);
  });

  it('lower-case names, odd whitespace and tabs', () => {
    const m = parseMessage(
      'SIP/2.0 180 Ringing\r\nvia:   SIP/2.0/UDP 192.168.1.10:5060 ; branch=z9hG4bK1 ; rport\r\nCALL-ID:1\r\nfrom:<sip:100@pbx>;tag=a\r\nTO : <sip:100@pbx>;tag=b\r\ncseq:\t1\tINVITE\r\ncontent-length:0\r\n\r\n',
    );
    expect(m.via).toMatchObject({ host: '192.168.1.10', branch: 'z9hG4bK1', rport: null });
    expect(m.to?.tag).toBe('b');
    expect(m.cseq).toEqual({ seq: 1, method: 'INVITE' });
  });
});

describe('zero-copy scanning of parsed octets', () => {
  it('views do not change when the caller reuses the input buffer after parsing', () => {
    const bytes = new TextEncoder().encode(invite('Contact: "X" <sip:x@10.0.0.9>;expires=5\n'));
    for (const strict of [true, false]) {
      const copy = bytes.slice();
      const m = parseMessage(copy, { strict });
      copy.fill(0x41);
      expect(m.via?.host).toBe('10.0.0.1');
      expect(m.from?.tag).toBe('1');
      expect(m.contacts[0]).toMatchObject({ displayName: 'X', uriText: 'sip:x@10.0.0.9', expires: 5 });
    }
  });

  it('Route read during the parse (fast path) is the same as read later; a bad Route still fails only when read', () => {
    const text = invite('Route: <sip:p1.example.com;lr>, "P 2" <sip:p2.example.com;lr>;x=1\n');
    const bytes = new TextEncoder().encode(text);
    const eager = parseMessage(bytes);
    bytes.fill(0x41);
    const lazy = parseMessage(text, { strict: false });
    expect(eager.routes.map((r) => [r.uriText, r.displayName, r.params])).toEqual(
      lazy.routes.map((r) => [r.uriText, r.displayName, r.params]),
    );
    expect(eager.routes.map((r) => (r.uri.kind === 'sip' ? r.uri.host : r.uri.kind))).toEqual([
      'p1.example.com',
      'p2.example.com',
    ]);
    const bad = parseMessage(invite('Route: <sip:p1.example.com;lr\n'));
    expect(() => bad.routes).toThrow(SipParseError);
  });

  it('values longer than the scratch copy (4096) take the full scanner with the same result', () => {
    const branch = `z9hG4bK${'a'.repeat(5000)}`;
    const via = parseVia(`SIP/2.0/UDP h.example.com:5060;branch=${branch};rport`);
    expect(via).toMatchObject({ transport: 'UDP', host: 'h.example.com', port: 5060, branch, rport: null });
    const na = parseNameAddr(`"A" <sip:a@b.example.com>;tag=${'t'.repeat(5000)}`, 'From');
    expect(na.tag).toHaveLength(5000);
    expect(na.displayName).toBe('A');
    expect(na.uri.kind === 'sip' && na.uri.host).toBe('b.example.com');
  });

  it('a name one octet away from a known one is an extension header (the word-wise name table)', () => {
    const known = ['Via', 'From', 'To', 'Call-ID', 'CSeq', 'Contact', 'Max-Forwards', 'Content-Length', 'Record-Route'];
    for (const name of known) {
      for (let j = 1; j < name.length; j++) {
        const ch = name[j] === 'x' || name[j] === 'X' ? 'y' : 'x';
        const near = name.slice(0, j) + ch + name.slice(j + 1);
        const m = parseMessage(invite(`${near}: 7\n`));
        expect(m.get(near)).toBe('7');
        expect(m.headers.some((h) => h.name === near && h.value === '7')).toBe(true);
        expect(m.count(name)).toBe(parseMessage(invite('')).count(name));
      }
    }
  });

  it('views follow header edits made after parsing', () => {
    const m = parseMessage(invite('Contact: <sip:x@10.0.0.9>\n'));
    m.prepend('Via', 'SIP/2.0/TCP proxy.example.com;branch=z9hG4bKtop');
    expect(m.vias.map((v) => v.host)).toEqual(['proxy.example.com', '10.0.0.1']);
    m.set('From', '"New" <sip:new@example.com>;tag=9');
    expect(m.from).toMatchObject({ displayName: 'New', tag: '9' });
    m.removeFirst('Via');
    expect(m.vias.map((v) => v.host)).toEqual(['10.0.0.1']);
  });

  const tokenArb = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9.!%*_+`'~-]{0,8}$/);
  const paramArb = fc
    .tuple(tokenArb, fc.option(fc.stringMatching(/^[A-Za-z0-9:[\].-]{1,8}$/), { nil: undefined }))
    .map(([n, v]) => (v === undefined ? `;${n}` : `;${n}=${v}`));
  const hostArb = fc.constantFrom('example.com', '10.0.0.1', '[2001:db8::1]', 'a-b.c', '999.1.1.1', 'x..y', '-bad');
  const displayArb = fc.constantFrom('', '"Alice" ', '"" ', '"A,B"', '"Q\\"x" ', 'Tok En ', '"é" ');
  const uriArb = fc
    .tuple(fc.constantFrom('sip:', 'sips:', 'tel:', 'SIP:', 'x-y+z.1:'), fc.constantFrom('u@', ''), hostArb)
    .map(([s, u, h]) => `${s}${u}${h}`);

  it('the octet fast paths agree with the string parsers (fast-check)', () => {
    fc.assert(
      fc.property(
        displayArb,
        uriArb,
        fc.array(paramArb, { maxLength: 4 }),
        fc.constantFrom('UDP', 'tcp', 'TLS', 'WS'),
        hostArb,
        fc.option(fc.integer({ min: 0, max: 70000 }), { nil: undefined }),
        fc.array(paramArb, { maxLength: 4 }),
        (disp, uri, ps, tr, vhost, port, vps) => {
          const na = `${disp}<${uri}>${ps.join('')}`;
          const via = `SIP/2.0/${tr} ${vhost}${port === undefined ? '' : `:${port}`}${vps.join('')}`;
          const text = invite(`Contact: ${na}\n`).replace(
            'Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-1;rport',
            `Via: ${via}`,
          );
          const outcome = (f: () => unknown) => {
            try {
              return { ok: JSON.parse(JSON.stringify(f())) };
            } catch (e) {
              if (!(e instanceof SipParseError)) throw e;
              return { err: e.reason };
            }
          };
          const msg = outcome(() => {
            const m = parseMessage(text, { strict: false });
            return [m.vias[0], m.contacts[0]];
          });
          const strict = outcome(() => {
            const m = parseMessage(text);
            return [m.vias[0], m.contacts[0]];
          });
          const viaAlone = outcome(() => parseVia(via));
          const contactAlone = outcome(() => parseContact(na));
          if ('ok' in viaAlone && 'ok' in contactAlone) {
            expect(msg).toEqual({ ok: [viaAlone.ok, contactAlone.ok] });
            expect(strict).toEqual(msg);
          } else {
            expect('err' in strict).toBe(true);
          }
          // a name-addr read as From goes through the same fast path
          const from = outcome(() => parseMessage(text.replace('<sip:alice@example.com>;tag=1', na)).from);
          const fromAlone = outcome(() => parseNameAddr(na, 'From'));
          if ('ok' in from) expect(from).toEqual(fromAlone);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('the one octet fast path per header agrees with the full scanner (fast-check)', () => {
    // a leading SP is legal LWS (RFC 3261 §25.1) that the fast paths never take: it forces the full scanner
    const outcome = (f: () => unknown) => {
      try {
        return { ok: JSON.parse(JSON.stringify(f())) };
      } catch (e) {
        if (!(e instanceof SipParseError)) throw e;
        return { err: e.reason };
      }
    };
    const addrArb = fc.oneof(
      fc
        .tuple(displayArb, uriArb, fc.array(paramArb, { maxLength: 4 }))
        .map(([d, u, ps]) => `${d}<${u}>${ps.join('')}`),
      fc.tuple(uriArb, fc.array(paramArb, { maxLength: 4 })).map(([u, ps]) => `${u}${ps.join('')}`),
    );
    const viaArb = fc
      .tuple(
        fc.constantFrom('UDP', 'tcp', 'TLS', 'WSS', 'ws', 'SCTP'),
        hostArb,
        fc.option(fc.integer({ min: 0, max: 70000 }), { nil: undefined }),
        fc.array(paramArb, { maxLength: 4 }),
      )
      .map(([t, h, p, ps]) => `SIP/2.0/${t} ${h}${p === undefined ? '' : `:${p}`}${ps.join('')}`);
    let fastNameAddrs = 0;
    let fastVias = 0;
    fc.assert(
      fc.property(addrArb, viaArb, (na, via) => {
        const a = outcome(() => parseNameAddr(na, 'To'));
        const b = outcome(() => parseNameAddr(` ${na}`, 'To'));
        if ('ok' in a) {
          fastNameAddrs++;
          expect(b).toEqual(a);
        }
        const v = outcome(() => parseVia(via));
        const w = outcome(() => parseVia(` ${via}`));
        if ('ok' in v) {
          fastVias++;
          expect(w).toEqual(v);
        }
      }),
      { numRuns: 600 },
    );
    // the property is not vacuous: most generated values are accepted
    expect(fastNameAddrs).toBeGreaterThan(100);
    expect(fastVias).toBeGreaterThan(100);
  });
});

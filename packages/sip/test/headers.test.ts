import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalHeaderName,
  headerKey,
  parseContact,
  parseMessage,
  parseNameAddr,
  parseUri,
  parseVia,
  SipParseError,
  serializeMessage,
} from '../src/message-layer.js';

// The common shapes go through single-pass fast paths; inserting LWS that RFC 3261 allows forces the
// general scanner. Both must give the same answer (or the same rejection).
const tok = fc.stringMatching(/^[a-zA-Z0-9][a-zA-Z0-9.!%*_+`'~-]{0,8}$/);
const host = fc.oneof(
  fc.stringMatching(/^[a-z][a-z0-9-]{0,6}[a-z0-9](\.[a-z][a-z0-9]{0,5}){0,3}$/),
  fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(300)).map((a) => a.join('.')),
  fc.constantFrom('[2001:db8::1]', '[::1]', '[::ffff:192.0.2.1]', 'a..b', '-x.com', '[zz::1]'),
);
const param = fc.tuple(
  fc.oneof(fc.constantFrom('branch', 'received', 'rport', 'maddr', 'ttl', 'Branch', 'lr', 'tag', 'expires', 'q'), tok),
  fc.option(fc.oneof(tok, fc.constantFrom('z9hG4bK1', '5060', '70000', '0.5', '2001:db8::9', '[2001:db8::9]', '1.5')), {
    nil: undefined,
  }),
);
const params = fc.array(param, { maxLength: 4 });
const fmt = (ps: [string, string | undefined][], lws: boolean) =>
  ps.map(([n, v]) => (lws ? ` ; ${n}` : `;${n}`) + (v === undefined ? '' : lws ? ` = ${v}` : `=${v}`)).join('');

function outcome(f: () => unknown): unknown {
  try {
    return JSON.parse(JSON.stringify(f(), (k, v) => (k === 'u' || k === 'what' || k.startsWith('_') ? undefined : v)));
  } catch (e) {
    if (e instanceof SipParseError) return 'rejected';
    throw e;
  }
}

describe('fast paths agree with the general scanner', () => {
  it('Via', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('UDP', 'tcp', 'TLS', 'WSS'),
        host,
        fc.option(fc.nat(70000), { nil: undefined }),
        params,
        (t, h, port, ps) => {
          const sent = `${h}${port === undefined ? '' : `:${port}`}`;
          const fast = outcome(() => {
            const v = parseVia(`SIP/2.0/${t} ${sent}${fmt(ps, false)}`);
            return { ...v, params: v.params };
          });
          const slow = outcome(() => {
            const v = parseVia(`SIP / 2.0 / ${t}  ${sent}${fmt(ps, true)}`);
            return { ...v, params: v.params };
          });
          expect(fast).toEqual(slow);
        },
      ),
      { numRuns: 1500 },
    );
  });
  it('name-addr and Contact', () => {
    fc.assert(
      fc.property(
        fc.option(fc.oneof(tok, fc.constant('"Quoted Name"'), fc.constant('Two Tokens')), { nil: undefined }),
        fc.constantFrom('sip:alice@example.com', 'sips:[::1]:5061;transport=tcp', 'tel:+1-555-0100', 'sip:a@b.c;lr'),
        params,
        (dn, uri, ps) => {
          const fast = outcome(() => {
            const n = parseContact(`${dn === undefined ? '' : `${dn} `}<${uri}>${fmt(ps, false)}`);
            return { ...n, params: n.params, uri: n.uri };
          });
          const slow = outcome(() => {
            const n = parseContact(`${dn === undefined ? '' : `${dn}  `}<${uri}>${fmt(ps, true)}`);
            return { ...n, params: n.params, uri: n.uri };
          });
          expect(fast).toEqual(slow);
        },
      ),
      { numRuns: 1500 },
    );
  });
  it('SIP URIs: fast form equals the escaped form', () => {
    fc.assert(
      fc.property(tok, host, fc.array(tok, { maxLength: 3 }), (user, h, ps) => {
        const plain = `sip:${user}@${h}${ps.map((p) => `;${p}`).join('')}`;
        const escaped = `sip:${user.replace(/^./, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}@${h}${ps.map((p) => `;${p}`).join('')}`;
        expect(outcome(() => parseUri(plain))).toEqual(outcome(() => parseUri(escaped)));
      }),
      { numRuns: 1500 },
    );
  });
});

describe('header names (RFC 3261 §7.3.3)', () => {
  it('expands compact forms and canonicalises known names', () => {
    expect(headerKey('i')).toBe('call-id');
    expect(headerKey('V')).toBe('via');
    expect(canonicalHeaderName('CALL-ID')).toBe('Call-ID');
    expect(canonicalHeaderName('www-authenticate')).toBe('WWW-Authenticate');
    expect(canonicalHeaderName('X-Mine')).toBe('X-Mine');
    const m = parseMessage(
      'OPTIONS sip:a@b SIP/2.0\r\ni: x\r\nm: <sip:c@d>\r\ne: gzip\r\nk: 100rel\r\nc: text/plain\r\nl: 0\r\nO: dialog\r\nU: presence\r\nR: <sip:r@x>\r\nB: <sip:b@x>\r\nX: 1800\r\nS: hi\r\n\r\n',
    );
    expect(m.headers.map((h) => h.name)).toEqual([
      'Call-ID',
      'Contact',
      'Content-Encoding',
      'Supported',
      'Content-Type',
      'Content-Length',
      'Event',
      'Allow-Events',
      'Refer-To',
      'Referred-By',
      'Session-Expires',
      'Subject',
    ]);
  });
  it('splits comma lists respecting quotes and angle brackets, keeps Authorization whole', () => {
    const m = parseMessage(
      'OPTIONS sip:a@b SIP/2.0\r\nContact: "A, B" <sip:a@b;x=1,2>, <sip:c@d>\r\nAuthorization: Digest username="a", realm="b"\r\nUnknown: a, b\r\n\r\n',
    );
    expect(m.getAll('contact')).toEqual(['"A, B" <sip:a@b;x=1,2>', '<sip:c@d>']);
    expect(m.getAll('authorization')).toEqual(['Digest username="a", realm="b"']);
    expect(m.getAll('unknown')).toEqual(['a, b']);
    expect(parseNameAddr('"A, B" <sip:a@b>').displayName).toBe('A, B');
  });
  it('lists other than Via/Contact/Route/Record-Route are split on first access, in order', () => {
    const m = parseMessage(
      'OPTIONS sip:a@b SIP/2.0\r\nAllow: INVITE, ACK,,BYE\r\nX-A: 1\r\nSupported: timer\r\nAllow: CANCEL\r\nRequire: 100rel, timer\r\n\r\n',
    );
    expect(m.get('x-a')).toBe('1');
    expect(m.count('allow')).toBe(4);
    expect(m.getAll('allow')).toEqual(['INVITE', 'ACK', 'BYE', 'CANCEL']);
    expect(m.allow).toEqual(['INVITE', 'ACK', 'BYE', 'CANCEL']);
    expect(m.require).toEqual(['100rel', 'timer']);
    expect(m.headers.map((h) => h.name)).toEqual([
      'Allow',
      'Allow',
      'Allow',
      'X-A',
      'Supported',
      'Allow',
      'Require',
      'Require',
    ]);
    const m2 = parseMessage('OPTIONS sip:a@b SIP/2.0\r\nAllow: A, B\r\nX-B: 1\r\n\r\n');
    m2.add('Allow', 'C');
    m2.prepend('X-B', '0');
    expect(m2.headers.map((h) => `${h.name}=${h.value}`)).toEqual(['Allow=A', 'Allow=B', 'X-B=0', 'X-B=1', 'Allow=C']);
    const again = parseMessage(serializeMessage(m2));
    expect(again.headers).toEqual([...m2.headers, { name: 'Content-Length', value: '0' }]);
  });
  it('a bare-LF empty line before a CRLF one ends the header section there', () => {
    const m = parseMessage('MESSAGE sip:a@b SIP/2.0\nCSeq: 1 MESSAGE\n\nbody\r\n\r\nmore');
    expect(m.bodyText).toBe('body\r\n\r\nmore');
    expect(m.headers.length).toBe(1);
  });
});

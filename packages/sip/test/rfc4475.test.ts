import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  parseMessage,
  parseUri,
  type SipMessage,
  SipParseError,
  type SipRequest,
  type SipResponse,
  type SipUri,
  serializeMessage,
  validateRequest,
} from '../src/message-layer.js';

const DIR = fileURLToPath(new URL('../../../tests/vectors/sip-torture/', import.meta.url));
interface Entry {
  file: string;
  section: string;
  valid: boolean | string | null;
  sha256: string;
  body_octets: number;
  content_length_values: string[];
}
const manifest = JSON.parse(readFileSync(`${DIR}manifest.json`, 'utf8')) as { messages: Entry[] };
const load = (f: string) => new Uint8Array(readFileSync(DIR + f));
const req = (f: string) => parseMessage(load(f)) as SipRequest;
const sip = (u: unknown) => u as SipUri;

function rejected(f: string): SipParseError | { status: number } {
  try {
    const m = parseMessage(load(f));
    if (m.kind === 'request') {
      const r = validateRequest(m);
      if (r) return r.error ?? r;
    }
  } catch (e) {
    if (e instanceof SipParseError) return e;
    throw e;
  }
  throw new Error(`${f} was accepted`);
}

describe('RFC 4475 corpus integrity', () => {
  it('has 50 files, byte-exact', () => {
    expect(manifest.messages.length).toBe(50);
    for (const m of manifest.messages) {
      expect(createHash('sha256').update(load(m.file)).digest('hex'), m.file).toBe(m.sha256);
    }
  });
});

describe('RFC 4475 §3.1.1 valid messages', () => {
  const valid = manifest.messages.filter((m) => m.section.startsWith('3.1.1'));
  it('covers all 13', () => expect(valid.length).toBe(13));
  for (const m of valid) {
    it(`${m.section} ${m.file} parses, round-trips and reads every typed view`, () => {
      const msg = parseMessage(load(m.file));
      expect(msg.body.length).toBe(m.file === 'dblreq.dat' ? 0 : m.body_octets);
      touchViews(msg);
      const again = parseMessage(serializeMessage(msg));
      expect(again.headers).toEqual(msg.headers);
      expect(again.body).toEqual(msg.body);
    });
  }

  it('3.1.1.1 wsinv: folding, LWS, escaped quotes, leading zeros, 3 Vias', () => {
    const r = req('wsinv.dat');
    expect(r.method).toBe('INVITE');
    expect(r.maxForwards).toBe(68);
    expect(r.cseq).toEqual({ seq: 9, method: 'INVITE' });
    expect(r.vias.map((v) => [v.transport, v.host, v.branch])).toEqual([
      ['UDP', '192.0.2.2', '390skdjuw'],
      ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
      ['UDP', '192.168.255.111', 'z9hG4bK30239'],
    ]);
    expect(r.to?.tag).toBe('1918181833n');
    expect(sip(r.to?.uri).user).toBe('vivekg');
    expect(r.from?.displayName).toBe('J Rosenberg \\"');
    expect(r.from?.tag).toBe('98asjd8');
    expect(r.get('Subject')).toBe('');
    expect(r.get('s')).toBe('');
    expect(r.get('newfangledheader')).toBe('newfangled value continued newfangled value');
    expect(r.get('UnknownHeaderWithUnusualValue')).toBe(';;,,;;,;');
    expect(r.callId).toBe('wsinv.ndaksdj@192.0.2.1');
    const c = r.contacts;
    expect(c.length).toBe(1);
    expect(c[0]?.displayName).toBe('Quoted string ""');
    expect(c[0]?.params.newparam).toBe('newvalue');
    expect(c[0]?.params.secondparam).toBeNull();
    expect(c[0]?.q).toBe(0.33);
    expect(r.routes[0]?.uriText).toBe('sip:services.example.com;lr;unknownwith=value;unknown-no-value');
    expect(sip(r.routes[0]?.uri).params).toEqual({ lr: null, unknownwith: 'value', 'unknown-no-value': null });
    expect(r.contentType?.subtype).toBe('sdp');
    expect(r.requestUri).toMatchObject({ host: 'chair-dnrc.example.com', params: { unknownparam: null } });
  });

  it('3.1.1.2 intmeth: exotic method, URI, quoted-pair controls, UTF-8 param, odd Call-ID', () => {
    const r = req('intmeth.dat');
    expect(r.method).toBe("!interesting-Method0123456789_*+`.%indeed'~");
    expect(r.cseq?.method).toBe(r.method);
    const u = sip(r.requestUri);
    expect(u.user).toBe("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    expect(u.password).toBe("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
    expect(u.host).toBe('example.com');
    expect(r.to?.displayName).toBe('BEL:\x07 NUL:\x00 DEL:\x7f');
    expect(r.from?.displayName).toBe("token1~` token2'+_ token3*%!.-");
    expect(r.from?.tag).toBe("_token~1'+`*%!-.");
    expect(r.from?.params["fromparam''~+*_!.-%"]).toBe('работающий');
    expect(r.callId).toBe('intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{');
    expect(r.get("extensionHeader-!.%*+_`'~")).toBe('\ufeff大停電');
    expect(r.maxForwards).toBe(255);
    expect(r.cseq?.seq).toBe(139122385);
    // an endpoint answers 501, not 400
    expect(validateRequest(r)?.status).toBe(501);
  });

  it('3.1.1.3 esc01: escapes decoded exactly once', () => {
    const r = req('esc01.dat');
    expect(sip(r.requestUri).user).toBe('sips:user@example.com');
    expect(sip(r.requestUri).host).toBe('example.net');
    expect(sip(r.to?.uri).user).toBe('user');
    expect(sip(r.from?.uri).user).toBe('I have spaces');
    const c = sip(r.contacts[0]?.uri);
    expect(c.user).toBe('caller');
    expect(c.params).toEqual({ lr: null, name: 'value%41' });
    expect(r.get('c')).toBe('application/sdp');
  });

  it('3.1.1.4 escnull: %00 does not truncate', () => {
    const r = req('escnull.dat');
    expect(sip(r.to?.uri).user).toBe('null-\x00-null');
    expect(sip(r.from?.uri).user).toBe('null-\x00-null');
    expect(r.contacts.map((c) => sip(c.uri).user)).toEqual(['\x00', '\x00\x00']);
  });

  it('3.1.1.5 esc02: % outside URIs is literal', () => {
    const r = req('esc02.dat');
    expect(r.method).toBe('RE%47IST%45R');
    expect(r.from?.displayName).toBe('%Z%45');
    expect(r.contacts.length).toBe(2);
    expect(r.get('C%6Fntact')).toBe('<sip:alias2@host2.example.com>');
    expect(r.via?.branch).toBe('z9hG4bK209%fzsnel234');
    expect(validateRequest(r)?.status).toBe(501);
  });

  it('3.1.1.6 lwsdisp: no LWS before <', () => {
    const r = req('lwsdisp.dat');
    expect(r.from?.displayName).toBe('caller');
    expect(sip(r.from?.uri).user).toBe('caller');
  });

  it('3.1.1.7 longreq: long values, many Vias', () => {
    const r = req('longreq.dat');
    expect(r.to?.displayName).toBe(`I have a user name of ${'extreme'.repeat(10)} proportion`);
    expect(r.vias.length).toBe(34);
    expect(r.from?.tag?.length).toBeGreaterThan(100);
    expect(r.callId?.length).toBeGreaterThan(100);
    expect(sip(r.to?.uri).params.unknownparam1).toBe(`very${'long'.repeat(20)}value`);
    expect(sip(r.to?.uri).params[`longparam${'name'.repeat(25)}`]).toBe('shortvalue');
    expect(sip(r.to?.uri).port).toBe(6000);
  });

  it('3.1.1.8 dblreq: one REGISTER, trailing octets ignored', () => {
    const b = load('dblreq.dat');
    const r = parseMessage(b) as SipRequest;
    expect(r.method).toBe('REGISTER');
    expect(r.body.length).toBe(0);
    expect(serializeMessage(r).length).toBeLessThan(b.length - 400);
  });

  it('3.1.1.9 semiuri: ; in the user part', () => {
    const r = req('semiuri.dat');
    expect(sip(r.requestUri).user).toBe('user;par=u@example.net');
    expect(sip(r.requestUri).host).toBe('example.com');
    expect(Object.keys(sip(r.requestUri).params)).toEqual([]);
    expect(r.getAll('accept')).toEqual([
      'application/sdp',
      'application/pkcs7-mime',
      'multipart/mixed',
      'multipart/signed',
      'message/sip',
      'message/sipfrag',
    ]);
  });

  it('3.1.1.10 transports: unknown transports are legal tokens', () => {
    expect(req('transports.dat').vias.map((v) => v.transport)).toEqual(['UDP', 'SCTP', 'TLS', 'UNKNOWN', 'TCP']);
  });

  it('3.1.1.11 mpart01: binary body framed by Content-Length', () => {
    const b = load('mpart01.dat');
    const r = req('mpart01.dat');
    expect(r.body.length).toBe(553);
    expect(r.body).toEqual(b.subarray(b.length - 553));
    expect(r.body.includes(0)).toBe(true);
    expect(r.contentType).toMatchObject({
      type: 'multipart',
      subtype: 'mixed',
      params: { boundary: '7a9cbec02ceef655' },
    });
  });

  it('3.1.1.12 unreason: UTF-8 reason phrase', () => {
    const r = parseMessage(load('unreason.dat')) as SipResponse;
    expect(r.status).toBe(200);
    expect(r.reason).toBe(
      '= 2**3 * 5**2 \u043d\u043e \u0441\u0442\u043e \u0434\u0435\u0432\u044f\u043d\u043e\u0441\u0442\u043e \u0434\u0435\u0432\u044f\u0442\u044c - \u043f\u0440\u043e\u0441\u0442\u043e\u0435',
    );
    const again = parseMessage(serializeMessage(r)) as SipResponse;
    expect(again.reason).toBe(r.reason);
  });

  it('3.1.1.13 noreason: empty reason phrase', () => {
    const r = parseMessage(load('noreason.dat')) as SipResponse;
    expect(r.status).toBe(100);
    expect(r.reason).toBe('');
  });
});

describe('RFC 4475 §3.1.2 invalid messages are rejected with a reason', () => {
  const invalid = manifest.messages.filter((m) => m.section.startsWith('3.1.2'));
  it('covers all 19', () => expect(invalid.length).toBe(19));
  const expectReason: Record<string, [string, number]> = {
    'badinv01.dat': ['empty-list-element', 400],
    'clerr.dat': ['body-truncated', 400],
    'ncl.dat': ['bad-content-length', 400],
    'scalar02.dat': ['bad-cseq', 400],
    'scalarlg.dat': ['bad-cseq', 400],
    'quotbal.dat': ['bad-to', 400],
    'ltgtruri.dat': ['bad-uri', 400],
    'lwsruri.dat': ['bad-request-line', 400],
    'lwsstart.dat': ['bad-request-line', 400],
    'trws.dat': ['bad-request-line', 400],
    'escruri.dat': ['request-uri-headers', 400],
    'baddate.dat': ['bad-date', 400],
    'regbadct.dat': ['bad-contact', 400],
    'badaspec.dat': ['bad-to', 400],
    'baddn.dat': ['no-header-end', 400],
    'badvers.dat': ['version-not-supported', 505],
    'mismatch01.dat': ['cseq-method-mismatch', 400],
    'mismatch02.dat': ['cseq-method-mismatch', 501],
    'bigcode.dat': ['bad-status-code', 400],
  };
  for (const m of invalid) {
    it(`${m.section} ${m.file}`, () => {
      const e = rejected(m.file);
      expect(e).toBeInstanceOf(SipParseError);
      const pe = e as SipParseError;
      expect([pe.reason, pe.status]).toEqual(expectReason[m.file]);
      expect(pe.message.length).toBeGreaterThan(5);
    });
  }

  it('3.1.2.15 baddn is rejected for its display names even with the missing CRLF added', () => {
    const b = load('baddn.dat');
    const fixed = new Uint8Array(b.length + 2);
    fixed.set(b);
    fixed.set([13, 10], b.length);
    expect(() => parseMessage(fixed)).toThrow(/display name .* must be quoted/);
  });

  it('3.1.2.2 clerr over a stream would wait: the framer buffers instead of failing', async () => {
    const { StreamFramer } = await import('../src/message-layer.js');
    const f = new StreamFramer();
    expect(f.push(load('clerr.dat'))).toEqual([]);
    expect(f.buffered).toBe(load('clerr.dat').length);
  });

  it('3.1.2.3 ncl over a stream is fatal (close)', async () => {
    const { StreamFramer } = await import('../src/message-layer.js');
    const ev = new StreamFramer().push(load('ncl.dat'));
    expect(ev).toMatchObject([{ type: 'error', fatal: true }]);
  });

  it('3.1.2.4 scalar02 values: CSeq overflow is what fails', () => {
    expect(() => parseMessage(load('scalar02.dat'))).toThrow(/CSeq/);
  });
});

describe('RFC 4475 §3.2 transaction and §3.3 application tests', () => {
  it('3.2.1 badbranch: parses; branch is exactly the magic cookie', () => {
    const r = req('badbranch.dat');
    expect(r.via?.branch).toBe('z9hG4bK');
  });
  it('3.3.1 insuf: parses, then 400 for missing headers', () => {
    const r = req('insuf.dat');
    expect(r.has('To') || r.has('From') || r.has('Call-ID')).toBe(false);
    expect(validateRequest(r)?.status).toBe(400);
  });
  it('3.3.2 unkscm: 416', () => {
    const r = req('unkscm.dat');
    expect(r.requestUri).toEqual({ kind: 'absolute', scheme: 'nobodyknowsthisscheme', opaque: 'totallyopaquecontent' });
    expect(validateRequest(r)?.status).toBe(416);
  });
  it('3.3.3 novelsc: 416', () => {
    const r = req('novelsc.dat');
    expect(r.requestUri).toMatchObject({ kind: 'absolute', scheme: 'soap.beep', opaque: '//192.0.2.103:3002' });
    expect(validateRequest(r)?.status).toBe(416);
  });
  it('3.3.4 unksm2: non-SIP URIs in To/From/Contact parse', () => {
    const r = req('unksm2.dat');
    expect(r.to?.uri.scheme).toBe('isbn');
    expect(r.from?.uri.scheme).toBe('http');
    expect(r.contacts[0]?.uri.scheme).toBe('name');
  });
  it('3.3.5 bext01: 420 with Unsupported (UAS: Require; proxy: Proxy-Require)', () => {
    const r = req('bext01.dat');
    expect(r.require).toEqual(['nothingSupportsThis', 'nothingSupportsThisEither']);
    const uas = validateRequest(r);
    expect(uas?.status).toBe(420);
    expect(uas?.headers).toEqual([['Unsupported', 'nothingSupportsThis, nothingSupportsThisEither']]);
    const proxy = validateRequest(r, { proxy: true });
    expect(proxy?.headers).toEqual([['Unsupported', 'noProxiesSupportThis, norDoAnyProxiesSupportThis']]);
  });
  it('3.3.6 invut: 415 at a UAS, forwarded by a proxy', () => {
    const r = req('invut.dat');
    expect(validateRequest(r)?.status).toBe(415);
    expect(validateRequest(r, { proxy: true })).toBeUndefined();
  });
  it('3.3.7 regaut01: unknown auth scheme parses', () => {
    const r = req('regaut01.dat');
    expect(r.authorization[0]?.scheme).toBe('NoOneKnowsThisScheme');
  });
  it('3.3.8 multi01: parses, then 400 for duplicated headers', () => {
    const r = req('multi01.dat');
    expect(r.count('call-id')).toBe(2);
    expect(validateRequest(r)?.status).toBe(400);
  });
  it('3.3.9 mcl01: two Content-Length values are refused (and fatal on a stream)', async () => {
    expect(() => parseMessage(load('mcl01.dat'))).toThrow(SipParseError);
    const { StreamFramer } = await import('../src/message-layer.js');
    expect(new StreamFramer().push(load('mcl01.dat'))).toMatchObject([{ type: 'error', fatal: true }]);
  });
  it('3.3.10 bcast: parses; the second Via names the broadcast address', () => {
    const r = parseMessage(load('bcast.dat')) as SipResponse;
    expect(r.vias[1]?.host).toBe('255.255.255.255');
  });
  it('3.3.11 zeromf: Max-Forwards 0 → 483 at a proxy, processed by the UAS', () => {
    const r = req('zeromf.dat');
    expect(r.maxForwards).toBe(0);
    expect(validateRequest(r)).toBeUndefined();
    const inv = parseMessage(
      new TextDecoder()
        .decode(load('zeromf.dat'))
        .replace(/^OPTIONS/, 'INVITE')
        .replace(/OPTIONS\r\n/, 'INVITE\r\n'),
    ) as SipRequest;
    expect(validateRequest(inv, { proxy: true })?.status).toBe(483);
  });
  it('3.3.12 cparam01: addr-spec params are header params', () => {
    const c = req('cparam01.dat').contacts[0];
    expect(c?.params).toEqual({ unknownparam: null });
    expect(sip(c?.uri).params).toEqual({});
    expect(sip(c?.uri).user).toBe('+19725552222');
  });
  it('3.3.13 cparam02: params inside <> belong to the URI', () => {
    const c = req('cparam02.dat').contacts[0];
    expect(sip(c?.uri).params).toEqual({ unknownparam: null });
    expect(c?.params).toEqual({});
  });
  it('3.3.14 regescrt: escaped header in a Contact URI', () => {
    const c = req('regescrt.dat').contacts[0];
    expect(sip(c?.uri).headers).toEqual({ Route: '<sip:sip.example.com>' });
  });
  it('3.3.15 sdp01: 406 when Accept excludes SDP', () => {
    expect(validateRequest(req('sdp01.dat'))?.status).toBe(406);
  });
  it('3.4.1 inv2543: RFC 2543 request accepted; body to the end of the datagram', () => {
    const r = req('inv2543.dat');
    expect(r.body.length).toBe(105);
    expect(r.via?.branch).toBeUndefined();
    expect(r.from?.tag).toBeUndefined();
    expect(r.maxForwards).toBeUndefined();
    expect(validateRequest(r)).toBeUndefined();
  });
  it('test.dat (not in any section) is rejected', () => {
    expect(() => parseMessage(load('test.dat'))).toThrow(SipParseError);
  });
  it('every message of the archive is exercised by this file', () => {
    const named = new Set(readFileSync(new URL(import.meta.url), 'utf8').match(/[a-z0-9]+\.dat/g));
    for (const m of manifest.messages) expect(named.has(m.file) || m.section.startsWith('3.1'), m.file).toBe(true);
  });
});

function touchViews(m: SipMessage): void {
  m.vias;
  m.from;
  m.to;
  m.cseq;
  m.callId;
  m.maxForwards;
  m.contacts;
  m.routes;
  m.recordRoutes;
  m.contentType;
  m.expires;
  m.allow;
  m.supported;
  m.require;
  if (m.kind === 'request') parseUri(m.uri);
}

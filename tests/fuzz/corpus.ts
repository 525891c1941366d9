/**
 * Fuzz corpora. Everything is read from inside the repository or constructed here: SIP messages written for
 * this suite (plus the RFC 4475/5118 torture messages when `tests/vectors/sip-torture/` is present), SDP
 * offers of the shapes real peers send, the RTP/RTCP sample vectors of @mdh/rtp, DNS answers built with the
 * package's encoder plus a hand-compressed one, and the mdhavers example and stdlib programs.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromHex } from '@mdh/bytes';
import { type DnsMessage, encodeMessage, encodeQuery, RRType } from '../../packages/loop/src/dns/index.js';

/** The repository root (this file is tests/fuzz/corpus.ts). */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const crlf = (lines: string[]): string => `${lines.join('\r\n')}\r\n`;

const SDP_AVP = crlf([
  'v=0',
  'o=alice 2890844526 2890844526 IN IP4 192.0.2.10',
  's=-',
  'c=IN IP4 192.0.2.10',
  't=0 0',
  'm=audio 49170 RTP/AVP 0 8 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
  'a=ptime:20',
  'a=sendrecv',
]);

/** SDP offers: plain RTP, SDES-SRTP, DTLS-SRTP with ICE, hold, two m-lines, IPv6, rtcp attribute. */
export const SDP_OFFERS: string[] = [
  SDP_AVP,
  crlf([
    'v=0',
    'o=- 1 1 IN IP4 198.51.100.7',
    's=call',
    'c=IN IP4 198.51.100.7',
    't=0 0',
    'm=audio 6000 RTP/SAVP 8 0',
    'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4',
    'a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj',
    'a=rtcp:6001',
    'a=sendrecv',
  ]),
  crlf([
    'v=0',
    'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    'a=group:BUNDLE 0',
    'a=msid-semantic: WMS',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111 0 8 126',
    'c=IN IP4 0.0.0.0',
    'a=rtcp:9 IN IP4 0.0.0.0',
    'a=ice-ufrag:4ZcD',
    'a=ice-pwd:2/1muCWoOi3uLifh0NuRHlRC',
    'a=ice-options:trickle',
    'a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08',
    'a=setup:actpass',
    'a=mid:0',
    'a=sendrecv',
    'a=rtcp-mux',
    'a=rtpmap:111 opus/48000/2',
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:126 telephone-event/8000',
    'a=candidate:1 1 udp 2122260223 192.0.2.3 54321 typ host generation 0',
    'a=candidate:2 1 udp 1686052607 203.0.113.9 60000 typ srflx raddr 192.0.2.3 rport 54321',
  ]),
  crlf([
    'v=0',
    'o=bob 2808844564 2808844565 IN IP4 0.0.0.0',
    's= ',
    'c=IN IP4 0.0.0.0',
    't=0 0',
    'm=audio 49172 RTP/AVP 0',
    'a=sendonly',
    'm=video 51372 RTP/AVP 31',
    'a=rtpmap:31 H261/90000',
  ]),
  crlf([
    'v=0',
    'o=- 7 7 IN IP6 2001:db8::1',
    's=-',
    'c=IN IP6 2001:db8::1',
    'b=AS:64',
    't=0 0',
    'm=audio 0 RTP/AVP 8',
    'm=audio 5004 RTP/AVPF 8 101',
    'a=rtpmap:101 telephone-event/8000',
    'a=inactive',
  ]),
];

/** SIP messages written for this suite: the message shapes the stack sees from real user agents. */
export const SIP_MESSAGES: string[] = [
  crlf([
    'INVITE sip:bob@example.com;transport=udp SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport',
    'Via: SIP/2.0/TCP proxy.example.net;branch=z9hG4bK1d2c3;received=198.51.100.1',
    'Max-Forwards: 70',
    'Route: <sip:proxy.example.net;lr>, <sip:edge.example.org;lr;ftag=abc>',
    'To: "Bob" <sip:bob@example.com>',
    'From: Alice <sip:alice@example.org>;tag=1928301774',
    'Call-ID: a84b4c76e66710@pc33.example.org',
    'CSeq: 314159 INVITE',
    'Contact: <sip:alice@192.0.2.10:5060;ob>;expires=3600;+sip.instance="<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>"',
    'Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE',
    'Supported: replaces, timer, 100rel',
    'Session-Expires: 1800;refresher=uac',
    'User-Agent: fuzz-corpus/1.0',
    'Content-Type: application/sdp',
    `Content-Length: ${SDP_AVP.length}`,
    '',
  ]) + SDP_AVP,
  crlf([
    'REGISTER sip:registrar.example.com SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.20:5061;branch=z9hG4bKnashds7',
    'Max-Forwards: 70',
    'To: <sip:carol@example.com>',
    'From: <sip:carol@example.com>;tag=456248',
    'Call-ID: 843817637684230@998sdasdh09',
    'CSeq: 1826 REGISTER',
    'Contact: <sip:carol@192.0.2.20:5061>;q=0.7;expires=3600, <mailto:carol@example.com>;q=0.1',
    'Authorization: Digest username="carol", realm="example.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="sip:registrar.example.com", response="6629fae49393a05397450978507c4ef1", algorithm=MD5, qop=auth, nc=00000001, cnonce="0a4f113b", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    'Expires: 7200',
    'Content-Length: 0',
    '',
  ]),
  crlf([
    'SIP/2.0 200 OK',
    'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;received=192.0.2.10;rport=5060',
    'Record-Route: <sip:proxy.example.net;lr>',
    'To: "Bob" <sip:bob@example.com>;tag=a6c85cf',
    'From: Alice <sip:alice@example.org>;tag=1928301774',
    'Call-ID: a84b4c76e66710@pc33.example.org',
    'CSeq: 314159 INVITE',
    'Contact: <sip:bob@192.0.2.4>',
    'Require: timer',
    'Session-Expires: 1800;refresher=uac',
    'Content-Type: application/sdp',
    `Content-Length: ${SDP_OFFERS[3]!.length}`,
    '',
  ]) + SDP_OFFERS[3],
  crlf([
    'OPTIONS sip:[2001:db8::10]:5070;maddr=[2001:db8::20] SIP/2.0',
    'v: SIP/2.0/UDP [2001:db8::9]:5060;branch=z9hG4bK-opt-1',
    'f: <sip:user%40host@example.com>;tag=xyz',
    't: sip:%61lice@example.com',
    'i: opt1@[2001:db8::9]',
    'CSeq: 63104 OPTIONS',
    'Max-Forwards: 1',
    'k: path,',
    ' gruu',
    'Accept: application/sdp, text/plain;q=0.5',
    'l: 0',
    '',
  ]),
  crlf([
    'BYE tel:+1-201-555-0123;phone-context=example.com SIP/2.0',
    'Via: SIP/2.0/TLS client.example.com:5061;branch=z9hG4bK-bye;alias',
    'Max-Forwards: 69',
    'From: <sips:alice@example.com>;tag=aa',
    'To: <tel:+12015550123>;tag=bb',
    'Call-ID: bye-1@example.com',
    'CSeq: 2 BYE',
    'Reason: Q.850;cause=16;text="Terminated"',
    'Content-Length: 0',
    '',
  ]),
  crlf([
    'SIP/2.0 401 Unauthorized',
    'Via: SIP/2.0/UDP 192.0.2.20:5061;branch=z9hG4bKnashds7',
    'To: <sip:carol@example.com>;tag=2493k59kd',
    'From: <sip:carol@example.com>;tag=456248',
    'Call-ID: 843817637684230@998sdasdh09',
    'CSeq: 1826 REGISTER',
    'WWW-Authenticate: Digest realm="example.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="", algorithm=SHA-256, stale=FALSE',
    'Date: Sat, 13 Nov 2010 23:29:00 GMT',
    'Content-Length: 0',
    '',
  ]),
  crlf([
    'MESSAGE sip:user;par=%22q%22@example.com;transport=tcp?Subject=hi%20there SIP/2.0',
    'Via: SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bK-msg;ttl=1;maddr=224.2.0.1',
    'Max-Forwards: 70',
    'From: "J\\"o\\" \\\\ e" <sip:joe@example.com>;tag=m1',
    'To: <sip:user;par=%22q%22@example.com>',
    'Call-ID: msg-1',
    'CSeq: 1 MESSAGE',
    'Content-Type: text/plain;charset=utf-8',
    'Content-Length: 12',
    '',
    'hello, wörl',
  ]),
  crlf([
    'ACK sip:bob@192.0.2.4 SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKnashds9',
    'Max-Forwards: 70',
    'Route: <sip:proxy.example.net;lr>',
    'From: Alice <sip:alice@example.org>;tag=1928301774',
    'To: "Bob" <sip:bob@example.com>;tag=a6c85cf',
    'Call-ID: a84b4c76e66710@pc33.example.org',
    'CSeq: 314159 ACK',
    'Content-Length: 0',
    '',
  ]),
  crlf([
    'SUBSCRIBE sip:presence@example.com SIP/2.0',
    'Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKsub',
    'Max-Forwards: 70',
    'From: <sip:watcher@example.com>;tag=w1',
    'To: <sip:presence@example.com>',
    'Call-ID: sub-1',
    'CSeq: 10 SUBSCRIBE',
    'Event: presence;id=1',
    'Accept: application/pidf+xml',
    'Expires: 600',
    'Supported: eventlist, gruu, outbound',
    'Contact: <sip:watcher@df7jal23ls0d.invalid;transport=ws;ob>',
    'Content-Length: 0',
    '',
  ]),
  crlf([
    'CANCEL sip:bob@example.com SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds',
    'Max-Forwards: 70',
    'To: "Bob" <sip:bob@example.com>',
    'From: Alice <sip:alice@example.org>;tag=1928301774',
    'Call-ID: a84b4c76e66710@pc33.example.org',
    'CSeq: 314159 CANCEL',
    'Content-Length: 0',
    '',
  ]),
];

/** SIP corpus: this suite's messages plus, when present in the tree, the RFC 4475/5118 torture messages. */
export function sipCorpus(): string[] {
  const out = [...SIP_MESSAGES];
  const dir = join(ROOT, 'tests', 'vectors', 'sip-torture');
  if (existsSync(dir)) {
    for (const f of readdirSync(dir).sort()) {
      if (f.endsWith('.dat')) out.push(readFileSync(join(dir, f), 'latin1'));
    }
  }
  return out;
}

/** Words the text mutator splices into SIP and SDP. */
export const SIP_DICT = [
  'SIP/2.0',
  'INVITE',
  'ACK',
  'BYE',
  'sip:',
  'sips:',
  'tel:',
  'Via: SIP/2.0/UDP h;branch=z9hG4bK1',
  'Content-Length: ',
  'Content-Length: 99999999',
  'Max-Forwards: ',
  'CSeq: 1 INVITE',
  'Call-ID: ',
  'Contact: *',
  'Supported: ',
  ';tag=',
  ';branch=',
  ';lr',
  ';received=',
  ';rport',
  '<',
  '>',
  '@',
  '[::1]',
  '[2001:db8::1]:5060',
  '%',
  '%zz',
  '"',
  'Digest ',
  'm=audio ',
  'a=fingerprint:sha-256 ',
  'a=setup:',
  'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:',
  'a=rtpmap:',
  'c=IN IP4 ',
  'RTP/SAVP',
  'UDP/TLS/RTP/SAVP',
  'IN IP6',
  'a=rtcp-mux',
  'a=rtcp:',
  '192.0.2.1',
];

/** The RTP and RTCP sample vectors of @mdh/rtp (captured packets from real stacks). */
export function rtpRtcpCorpus(): { rtp: Uint8Array[]; rtcp: Uint8Array[] } {
  const json = JSON.parse(
    readFileSync(join(ROOT, 'tests', 'vectors', 'rtp-rtcp-samples.json'), 'utf8'),
  ) as { rtp: { hex: string }[]; rtcp: { hex: string }[] };
  return { rtp: json.rtp.map((s) => fromHex(s.hex)), rtcp: json.rtcp.map((s) => fromHex(s.hex)) };
}

function answer(q: string, type: number, records: DnsMessage['answers'], extra: Partial<DnsMessage> = {}): Uint8Array {
  return encodeMessage({
    id: 0x1234,
    qr: true,
    opcode: 0,
    aa: true,
    tc: false,
    rd: true,
    ra: true,
    rcode: 0,
    questions: [{ name: q, type, class: 1 }],
    answers: records,
    authorities: [],
    additionals: [],
    ...extra,
  });
}

const rr = (name: string, type: number, fields: Partial<DnsMessage['answers'][number]>) => ({
  name,
  type,
  class: 1,
  ttl: 300,
  rdata: new Uint8Array(0),
  ...fields,
});

/** DNS answers of every record type the resolver reads (RFC 3263 NAPTR → SRV → A/AAAA chains). */
export function dnsCorpus(): Uint8Array[] {
  return [
    answer('example.com', RRType.NAPTR, [
      rr('example.com', RRType.NAPTR, {
        naptr: {
          order: 10,
          preference: 50,
          flags: 's',
          services: 'SIP+D2U',
          regexp: '',
          replacement: '_sip._udp.example.com',
        },
      }),
      rr('example.com', RRType.NAPTR, {
        naptr: {
          order: 20,
          preference: 50,
          flags: 'S',
          services: 'SIPS+D2T',
          regexp: '',
          replacement: '_sips._tcp.example.com',
        },
      }),
    ]),
    answer('_sip._udp.example.com', RRType.SRV, [
      rr('_sip._udp.example.com', RRType.SRV, {
        srv: { priority: 0, weight: 5, port: 5060, target: 'sip1.example.com' },
      }),
      rr('_sip._udp.example.com', RRType.SRV, {
        srv: { priority: 1, weight: 0, port: 5062, target: 'sip2.example.com' },
      }),
    ]),
    answer('sip1.example.com', RRType.A, [
      rr('sip1.example.com', RRType.CNAME, { target: 'host.example.net' }),
      rr('host.example.net', RRType.A, { address: '192.0.2.1' }),
      rr('host.example.net', RRType.A, { address: '192.0.2.2' }),
    ]),
    answer('sip2.example.com', RRType.AAAA, [rr('sip2.example.com', RRType.AAAA, { address: '2001:db8::1:0:0:1' })]),
    answer('example.com', RRType.TXT, [rr('example.com', RRType.TXT, { txt: ['v=spf1 -all', '', 'x'.repeat(255)] })]),
    answer('nope.example.com', RRType.A, [], {
      rcode: 3,
      authorities: [
        rr('example.com', RRType.SOA, {
          soa: {
            mname: 'ns.example.com',
            rname: 'host\\.master.example.com',
            serial: 2024010101,
            refresh: 7200,
            retry: 900,
            expire: 1209600,
            minimum: 300,
          },
        }),
      ],
    }),
    encodeQuery(7, '_sips._tcp.example.com', RRType.SRV, 1232),
    // Hand-compressed (RFC 1035 §4.1.4): the answer's owner and the SRV target point into the question.
    fromHex(
      `abcd81800001000100000000` +
        `045f736970045f756470076578616d706c6503636f6d0000210001` +
        `c00c002100010000012c000d0000000513c40473697031c016`,
    ),
  ];
}

/** mdhavers programs: the package's example, its .braw standard library, and small programs of every construct. */
export function mdhaversCorpus(): string[] {
  const out: string[] = [];
  const pkg = join(ROOT, 'packages', 'mdhavers');
  for (const d of ['examples', 'stdlib']) {
    for (const f of readdirSync(join(pkg, d)).sort())
      if (f.endsWith('.braw')) out.push(readFileSync(join(pkg, d, f), 'utf8'));
  }
  return out.concat(MDH_PROGRAMS);
}

/** Small pure programs (no I/O builtins): the interpreter target runs mutations of these. */
export const MDH_PROGRAMS: string[] = [
  'ken x = 1\nken y = [1, 2, 3]\nblether x + len(y)\n',
  'dae fib(n) {\n  gin n < 2 { gie n }\n  gie fib(n - 1) + fib(n - 2)\n}\nblether fib(10)\n',
  'ken d = {"a": 1, "b": [1, 2], 3: {"k": naething}}\nfer k in keys(d) { blether f"{k} -> {d[k]}" }\n',
  'ken s = 0\nfer i in 0..10 { gin i % 2 == 0 { haud }\n s += i }\nblether s\n',
  'ken i = 0\nwhiles i < 5 { i = i + 1\n gin i == 3 { brak } }\nblether i\n',
  'hae_a_bash {\n  hurl "oops"\n} gin_it_gangs_wrang e {\n  blether "caught: " + e\n}\n',
  'ken v = 7\nkeek v {\n  whan 0 -> blether "zero"\n  whan 1..10 -> blether "small"\n  whan _ -> blether "big"\n}\n',
  'ken f = |a, b| a * b\nblether [1, 2, 3] |> len\nblether f(6, 7)\nmak_siccar f(1, 1) == 1, "one"\n',
  'ken [a, b, ...rest] = [1, 2, 3, 4]\nblether rest\nken t = gin a > b than "a" ither "b"\nblether t\n',
  'ken xs = [3, 1, 2]\nblether sort(xs)\nblether xs[1:]\nblether "braw"[::-1]\nblether upper("och") + repeat("!", 3)\n',
  'ken blk = {\n  ken q = 2\n  gie q * 21\n}\nblether blk\nblether tae_int("42") + tae_float("0.5")\n',
  'dae greet(name, greeting = "Hullo") { gie f"{greeting}, {name}!" }\nblether greet("pal")\nblether whit_kind(greet)\n',
];

/** Words the text mutator splices into mdhavers source. */
export const MDH_DICT = [
  'ken ',
  'dae ',
  'gin ',
  'ither ',
  'than ',
  'whiles ',
  'fer ',
  ' in ',
  'gie ',
  'blether ',
  'brak',
  'haud',
  'keek ',
  'whan ',
  '->',
  'hae_a_bash ',
  'gin_it_gangs_wrang ',
  'hurl ',
  'mak_siccar ',
  'fetch ',
  'aye',
  'nae',
  'naething',
  ' an ',
  ' or ',
  '{',
  '}',
  '[',
  ']',
  '(',
  ')',
  '|x|',
  '|>',
  '..',
  '..=',
  '...',
  ':',
  ',',
  '=',
  '+=',
  '==',
  '-',
  '!',
  '"s"',
  'f"{x}"',
  '1.5',
  '9223372036854775807',
  '_',
];

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportKeyingMaterial } from '@mdh/dtls';
import { getSrtpProfile, SrtpSession } from '@mdh/srtp';
import { afterAll, describe, expect, it } from 'vitest';
import { killMdh, mdh, mdhEcho, stopMdh, tshark } from './cli-process.js';
import { readPcapUdp } from './pcap.js';
import { hasPeer } from './peers.js';

// Issue #17 item 6: `--keylog FILE` writes the DTLS master secret (NSS key log CLIENT_RANDOM), the DTLS-SRTP
// exporter output and the SRTP master keys per direction. Proven on a capture of the same call (--pcap): the
// client random is the one tshark reads in the ClientHello, the master secret re-derives (RFC 5705 with the
// ServerHello random from the capture) exactly the exporter and SRTP keys logged, and those keys decrypt the SRTP
// packets captured. Both ends log the same secrets.

const dir = mkdtempSync(join(tmpdir(), 'mdh-keylog-'));
afterAll(() => {
  killMdh();
  rmSync(dir, { recursive: true, force: true });
});

interface SrtpLine {
  keying: string;
  profile: string;
  dir: 'out' | 'in';
  from: string;
  to: string;
  ssrc: string;
  keySalt: Uint8Array;
}

function parseKeylog(text: string) {
  const lines = text.split('\n').filter((l) => l && !l.startsWith('#'));
  const clientRandom: [string, string][] = [];
  const srtp: SrtpLine[] = [];
  const exporter: [string, string, string][] = [];
  for (const l of lines) {
    const f = l.split(' ');
    if (f[0] === 'CLIENT_RANDOM') clientRandom.push([f[1]!, f[2]!]);
    else if (f[0] === 'SRTP') {
      srtp.push({
        keying: f[1]!,
        profile: f[2]!,
        dir: f[3] as 'out' | 'in',
        from: f[4]!,
        to: f[5]!,
        ssrc: f[6]!,
        keySalt: new Uint8Array(Buffer.from(f[7]!, 'base64')),
      });
    } else if (f[0] === 'DTLS_SRTP_EXPORTER') exporter.push([f[1]!, f[2]!, f[3]!]);
    else throw new Error(`unexpected key log line: ${l}`);
  }
  return { clientRandom, srtp, exporter };
}

const hexBytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const port = (hp: string) => Number(hp.slice(hp.lastIndexOf(':') + 1));

/** The captured RTP-shaped datagrams (SRTP: version 2, PCMU) sent from `fromPort`. */
function srtpFrom(file: string, fromPort: number): Uint8Array[] {
  return readPcapUdp(new Uint8Array(readFileSync(file)))
    .filter((d) => d.srcPort === fromPort && d.payload[0]! >> 6 === 2 && (d.payload[1]! & 0x7f) === 0)
    .map((d) => d.payload);
}

/** Decrypts every packet with the key; returns how many authenticated and had a 160-octet PCMU payload. */
function decrypts(profile: string, keySalt: Uint8Array, packets: Uint8Array[]): number {
  const p = getSrtpProfile(profile);
  const s = new SrtpSession({
    profile: p,
    key: keySalt.subarray(0, p.masterKeyLength),
    salt: keySalt.subarray(p.masterKeyLength),
  });
  let ok = 0;
  for (const pkt of packets) {
    try {
      if (s.unprotect(pkt).length === 12 + 160) ok++;
    } catch {}
  }
  return ok;
}

describe.skipIf(!hasPeer('tshark'))('--keylog', () => {
  it('DTLS-SRTP: CLIENT_RANDOM + master secret re-derive the exporter and SRTP keys, which decrypt the capture', async () => {
    const echoKeys = join(dir, 'echo.keys');
    const callKeys = join(dir, 'call.keys');
    const pcap = join(dir, 'dtls.pcap');
    const echo = await mdhEcho(['--keylog', echoKeys]);
    const call = mdh([
      'call',
      `sip:echo@127.0.0.1:${echo.port}`,
      '--srtp',
      'dtls',
      '--duration',
      '1',
      '--json',
      '--pcap',
      pcap,
      '--keylog',
      callKeys,
    ]);
    expect(await call.exited).toBe(0);
    const report = JSON.parse(call.out()) as { media: { srtpProfile: string; packetsSent: number } };
    expect(await stopMdh(echo)).toBe(0);
    const c = parseKeylog(readFileSync(callKeys, 'utf8'));
    const e = parseKeylog(readFileSync(echoKeys, 'utf8'));
    expect(c.clientRandom).toHaveLength(1);
    expect(e.clientRandom).toEqual(c.clientRandom);
    const [cr, master] = c.clientRandom[0]!;
    expect(master).toMatch(/^[0-9a-f]{96}$/);
    // the randoms on the wire, as tshark dissects the ClientHello (1) and ServerHello (2)
    const hellos = tshark([
      '-r',
      pcap,
      '-Y',
      'dtls.handshake.type == 1 || dtls.handshake.type == 2',
      '-T',
      'fields',
      '-e',
      'dtls.handshake.type',
      '-e',
      'dtls.handshake.random',
    ])
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    const clientHello = hellos.find(([t]) => t!.split(',')[0] === '1')!;
    const serverHello = hellos.find(([t]) => t!.split(',')[0] === '2')!;
    expect(clientHello[1]).toBe(cr);
    const sr = serverHello[1]!;
    // RFC 5705 §4 / RFC 5764 §4.2: the exporter from the logged master secret (the suite's PRF hash: SHA-256 for
    // the AES-128-GCM suites mdh negotiates by default)
    const profile = getSrtpProfile(report.media.srtpProfile);
    const km = exportKeyingMaterial(
      'sha256',
      hexBytes(master),
      'EXTRACTOR-dtls_srtp',
      hexBytes(cr),
      hexBytes(sr),
      profile.keyingMaterialLength,
    );
    expect(c.exporter).toEqual([[cr, profile.name, Buffer.from(km).toString('hex')]]);
    const k = profile.masterKeyLength;
    const s = profile.masterSaltLength;
    const clientKey = new Uint8Array([...km.subarray(0, k), ...km.subarray(2 * k, 2 * k + s)]);
    const serverKey = new Uint8Array([...km.subarray(k, 2 * k), ...km.subarray(2 * k + s)]);
    const out = c.srtp.find((l) => l.dir === 'out')!;
    const inn = c.srtp.find((l) => l.dir === 'in')!;
    // the caller offered actpass and mdh echo answered active: the echo is the DTLS client (RFC 5763 §5)
    expect([...inn.keySalt]).toEqual([...clientKey]);
    expect([...out.keySalt]).toEqual([...serverKey]);
    expect(out.keying).toBe('dtls');
    // each end's outbound key is the other's inbound one
    expect([...e.srtp.find((l) => l.dir === 'out')!.keySalt]).toEqual([...inn.keySalt]);
    expect([...e.srtp.find((l) => l.dir === 'in')!.keySalt]).toEqual([...out.keySalt]);
    // the logged keys decrypt the SRTP captured in both directions
    const sent = srtpFrom(pcap, port(out.from));
    const received = srtpFrom(pcap, port(inn.from));
    expect(sent.length).toBe(report.media.packetsSent);
    expect(decrypts(profile.name, out.keySalt, sent)).toBe(sent.length);
    expect(decrypts(profile.name, inn.keySalt, received)).toBe(received.length);
    expect(received.length).toBeGreaterThan(20);
    // and a wrong key does not
    expect(decrypts(profile.name, inn.keySalt, sent)).toBe(0);
  }, 90_000);

  it('SDES: the inline key||salt per direction decrypts the capture', async () => {
    const callKeys = join(dir, 'sdes.keys');
    const pcap = join(dir, 'sdes.pcap');
    const echo = await mdhEcho([]);
    const call = mdh([
      'call',
      `sip:echo@127.0.0.1:${echo.port}`,
      '--srtp',
      'sdes',
      '--suite',
      'AES_CM_128_HMAC_SHA1_32',
      '--duration',
      '1',
      '--json',
      '--pcap',
      pcap,
      '--keylog',
      callKeys,
    ]);
    expect(await call.exited).toBe(0);
    expect(await stopMdh(echo)).toBe(0);
    const c = parseKeylog(readFileSync(callKeys, 'utf8'));
    expect(c.clientRandom).toHaveLength(0);
    expect(c.srtp.map((l) => [l.keying, l.profile, l.dir])).toEqual([
      ['sdes', 'SRTP_AES128_CM_HMAC_SHA1_32', 'out'],
      ['sdes', 'SRTP_AES128_CM_HMAC_SHA1_32', 'in'],
    ]);
    const out = c.srtp[0]!;
    const inn = c.srtp[1]!;
    expect(out.keySalt.length).toBe(30);
    // the offer's a=crypto line for that suite carries the same inline key (RFC 4568 §6.1)
    const invite = tshark(['-r', pcap, '-Y', 'sip.Method == "INVITE"', '-T', 'fields', '-e', 'sdp.media_attr']);
    expect(invite).toContain(`inline:${Buffer.from(out.keySalt).toString('base64')}`);
    const sent = srtpFrom(pcap, port(out.from));
    const received = srtpFrom(pcap, port(inn.from));
    expect(decrypts(out.profile, out.keySalt, sent)).toBe(sent.length);
    expect(decrypts(inn.profile, inn.keySalt, received)).toBe(received.length);
    expect(received.length).toBeGreaterThan(20);
  }, 90_000);
});

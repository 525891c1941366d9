import { createSocket, type Socket } from 'node:dgram';
import diagnostics_channel from 'node:diagnostics_channel';
import { placeCall, startEcho } from '@mdh/cli';
import type { MediaPacketEvent } from '@mdh/media';
import { afterAll, describe, expect, it } from 'vitest';
import { killMdh, mdh, mdhEcho, stopMdh } from './interop/cli-process.js';

// Issue #17 item 5: `--suite` (SDES suites, DTLS-SRTP profiles) and `--rtp-ports LO-HI` on mdh call / mdh echo.

afterAll(() => killMdh());

async function exitOf(args: string[]): Promise<{ code: unknown; out: string; err: string }> {
  const p = mdh(args);
  const code = await p.exited;
  return { code, out: p.out(), err: p.err() };
}

/** Binds `n` consecutive UDP ports on 127.0.0.1 from an even base (the sockets are returned, still bound). */
async function holdRange(n: number): Promise<{ base: number; socks: Socket[] }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + 2 * Math.floor(Math.random() * 20000);
    const socks: Socket[] = [];
    try {
      for (let i = 0; i < n; i++) {
        const s = createSocket('udp4');
        socks.push(s);
        await new Promise<void>((resolve, reject) => {
          s.once('error', reject);
          s.bind(base + i, '127.0.0.1', () => resolve());
        });
      }
      return { base, socks };
    } catch {
      for (const s of socks) s.close();
    }
  }
  throw new Error('no free port range');
}

function release(socks: Socket[]): Promise<void> {
  return Promise.all(socks.map((s) => new Promise<void>((r) => s.close(() => r())))).then(() => undefined);
}

describe('--suite and --rtp-ports: usage errors (exit 2)', () => {
  it.each([
    [
      ['call', 'sip:x@127.0.0.1:9', '--srtp', 'sdes', '--suite', 'AES_CM_129_HMAC_SHA1_80'],
      /unknown suite 'AES_CM_129/,
    ],
    [['call', 'sip:x@127.0.0.1:9', '--suite', 'AES_CM_128_HMAC_SHA1_80'], /--suite needs --srtp sdes or dtls/],
    [
      ['call', 'sip:x@127.0.0.1:9', '--srtp', 'dtls', '--suite', 'AES_256_CM_HMAC_SHA1_80'],
      /none of these is a DTLS-SRTP profile/,
    ],
    [['echo', '--srtp', 'none', '--suite', 'AEAD_AES_128_GCM'], /--suite needs --srtp/],
    [['call', 'sip:x@127.0.0.1:9', '--rtp-ports', '4000-3000'], /--rtp-ports: '4000-3000' is not a port range/],
    [['echo', '--rtp-ports', '40000'], /not a port range/],
    [['echo', '--rtp-ports', '40001-40002'], /no even\/odd RTP\/RTCP port pair/],
  ])('mdh %j', async (args, re) => {
    const r = await exitOf(args as string[]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(re as RegExp);
    expect(r.err).toMatch(/usage: mdh/);
  });

  it('--help lists the suite and profile names', async () => {
    for (const cmd of ['call', 'echo']) {
      const r = await exitOf([cmd, '--help']);
      expect(r.code).toBe(0);
      for (const n of [
        'AES_CM_128_HMAC_SHA1_32',
        'AEAD_AES_128_GCM',
        'SRTP_AES128_CM_HMAC_SHA1_80',
        'SRTP_AEAD_AES_128_GCM',
      ])
        expect(r.out).toContain(n);
      expect(r.out).toContain('--rtp-ports LO-HI');
    }
  });
});

describe('--suite: the negotiated suite is the chosen one', () => {
  it('SDES and DTLS-SRTP, caller and echo choosing', async () => {
    const echo = await mdhEcho([
      '--suite',
      'AEAD_AES_128_GCM',
      '--suite',
      'AES_CM_128_HMAC_SHA1_32',
      '--suite',
      'SRTP_AEAD_AES_256_GCM',
      '--suite',
      'SRTP_AES128_CM_SHA1_32',
    ]);
    const uri = `sip:echo@127.0.0.1:${echo.port}`;
    const cases: [string[], string | number][] = [
      [['--srtp', 'sdes', '--suite', 'AES_CM_128_HMAC_SHA1_32'], 'SRTP_AES128_CM_HMAC_SHA1_32'],
      [['--srtp', 'sdes', '--suite', 'AEAD_AES_128_GCM'], 'SRTP_AEAD_AES_128_GCM'],
      // the caller prefers _80 but the echo only accepts GCM and _32: the first offered that it accepts (RFC 4568 §7.1.1)
      [
        ['--srtp', 'sdes', '--suite', 'AES_CM_128_HMAC_SHA1_80', '--suite', 'AES_CM_128_HMAC_SHA1_32'],
        'SRTP_AES128_CM_HMAC_SHA1_32',
      ],
      // nothing in common: 488
      [['--srtp', 'sdes', '--suite', 'AES_256_CM_HMAC_SHA1_80'], 488],
      [['--srtp', 'dtls', '--suite', 'SRTP_AEAD_AES_256_GCM'], 'SRTP_AEAD_AES_256_GCM'],
      [['--srtp', 'dtls', '--suite', 'SRTP_AES128_CM_SHA1_32'], 'SRTP_AES128_CM_HMAC_SHA1_32'],
    ];
    for (const [args, want] of cases) {
      const r = await exitOf(['call', uri, '--duration', '0.5', '--json', ...args]);
      const report = JSON.parse(r.out) as { status: number; media?: { srtpProfile?: string; packetsReceived: number } };
      if (typeof want === 'number') {
        expect(r.code, args.join(' ')).toBe(1);
        expect(report.status).toBe(want);
      } else {
        expect(r.code, `${args.join(' ')}: ${r.err}`).toBe(0);
        expect(report.media?.srtpProfile, args.join(' ')).toBe(want);
        expect(report.media?.packetsReceived, args.join(' ')).toBeGreaterThan(5);
      }
    }
    expect(await stopMdh(echo)).toBe(0);
  }, 120_000);
});

describe('--rtp-ports', () => {
  it('every media datagram of both ends uses a port of its range', async () => {
    const a = await holdRange(4);
    const b = await holdRange(4);
    await release([...a.socks, ...b.socks]);
    const echo = await startEcho({
      host: '127.0.0.1',
      port: 0,
      mediaChoice: { portRange: { min: a.base, max: a.base + 3 } },
    });
    const ports = new Set<number>();
    const tap = (m: unknown) => ports.add((m as MediaPacketEvent).local.port);
    diagnostics_channel.subscribe('mdh:media:packet', tap);
    try {
      for (let i = 0; i < 2; i++) {
        const r = await placeCall({
          target: `sip:echo@127.0.0.1:${echo.port}`,
          durationS: 0.3,
          drainMs: 100,
          media: { portRange: { min: b.base, max: b.base + 3 } },
        });
        expect(r.ok).toBe(true);
        expect(r.media!.packetsReceived).toBeGreaterThan(3);
      }
    } finally {
      diagnostics_channel.unsubscribe('mdh:media:packet', tap);
      await echo.stop();
    }
    expect(ports.size).toBeGreaterThanOrEqual(2);
    for (const p of ports) {
      const inA = p >= a.base && p <= a.base + 3;
      const inB = p >= b.base && p <= b.base + 3;
      expect(inA || inB, `port ${p}`).toBe(true);
    }
  }, 60_000);

  it('an exhausted range is a clear error: mdh call exits 1 saying so; mdh echo answers 500', async () => {
    const held = await holdRange(4);
    try {
      const range = `${held.base}-${held.base + 3}`;
      const r = await exitOf(['call', 'sip:x@127.0.0.1:9', '--rtp-ports', range]);
      expect(r.code).toBe(1);
      expect(r.out).toContain(`no free even/odd RTP/RTCP port pair on 127.0.0.1 in ${range} (all in use)`);
      const echo = await mdhEcho(['--rtp-ports', range, '--json']);
      const c = await exitOf(['call', `sip:echo@127.0.0.1:${echo.port}`, '--json']);
      expect(c.code).toBe(1);
      expect((JSON.parse(c.out) as { status: number }).status).toBe(500);
      await stopMdh(echo);
    } finally {
      await release(held.socks);
    }
  }, 60_000);
});

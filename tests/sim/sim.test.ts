/**
 * The deterministic network simulation (sim.ts, `pnpm sim`): whole calls — SIP transactions of two user agents,
 * the DTLS-SRTP handshake, SRTP audio with RTCP, RFC 4733 digits, BYE — on one manual clock over a seeded lossy
 * network. Same seed → same digest; another seed → another digest; every call completes or fails with a typed
 * reason within bounded virtual time. The full sweeps (1,000 calls; 100 seeds × 20 calls) run with `pnpm sim`.
 */
import { describe, expect, it } from 'vitest';
import { main, parseSimArgs } from './cli.js';
import { runSimulation, type SimFailureKind, type SimResult } from './sim.js';

const KINDS: readonly SimFailureKind[] = [
  'invite-failed',
  'sdp-failed',
  'dtls-failed',
  'media-timeout',
  'dtmf-mismatch',
  'audio-short',
  'bye-failed',
  'call-dropped',
  'deadline',
  'internal',
];

/** Every call accounted for: completed, or failed with a known kind and a message. */
function accounted(r: SimResult): void {
  expect(r.completed + r.failed).toBe(r.calls);
  expect(r.internal_errors).toBe(0);
  const byKind = Object.values(r.failures).reduce((a, b) => a + (b ?? 0), 0);
  expect(byKind).toBe(r.failed);
  for (const f of r.first_failures) {
    expect(KINDS).toContain(f.kind);
    expect(f.message.length).toBeGreaterThan(0);
    expect(f.call).toBeGreaterThanOrEqual(0);
  }
}

const ROUGH = { loss: 0.2, dup: 0.1, reorder: 0.3 } as const;

describe('pnpm sim: deterministic calls on one manual clock', () => {
  it('the same seed gives the same digest, byte for byte; another seed another digest', async () => {
    const o = { calls: 4, durationS: 3, ...ROUGH };
    const [a, b, c] = [
      await runSimulation({ ...o, seed: 7 }),
      await runSimulation({ ...o, seed: 7 }),
      await runSimulation({ ...o, seed: 8 }),
    ];
    expect(a.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(b.digest).toBe(a.digest);
    expect(b.network).toEqual(a.network);
    expect(b.virtual_ms).toBe(a.virtual_ms);
    expect(c.digest).not.toBe(a.digest);
    expect(c.network).not.toEqual(a.network);
    for (const r of [a, b, c]) accounted(r);
  });

  it('the digest covers the trace lines it reports, in order', async () => {
    const lines: string[] = [];
    const r = await runSimulation({ calls: 2, durationS: 2, seed: 3, loss: 0.1, onTrace: (l) => lines.push(l) });
    const { createHash } = await import('node:crypto');
    expect(
      createHash('sha256')
        .update(lines.map((l) => `${l}\n`).join(''))
        .digest('hex'),
    ).toBe(r.digest);
    // what a call is made of, as seen in the trace
    const text = lines.join('\n');
    for (const what of [
      'sip INVITE_sip:bob',
      'sip SIP/2.0_200',
      'sip ACK',
      'sip BYE',
      'dtls22',
      'rtp0 ',
      'rtp101 ',
      'rtcp200 ',
    ]) {
      expect(text).toContain(what);
    }
    expect(text).toMatch(/call 0 a secure SRTP_AES128_CM_HMAC_SHA1_80\n/);
    expect(text).toMatch(/call 1 b dtmf [0-9*#A-D] \d+/);
    expect(text).toMatch(/call 1 completed/);
  });

  it('20 calls at 10% loss: all complete (INVITE, DTLS-SRTP, 10 s of audio each way, DTMF, BYE)', async () => {
    const r = await runSimulation({ calls: 20, loss: 0.1, seed: 1 });
    accounted(r);
    expect(r.first_failures).toEqual([]);
    expect(r.completed).toBe(20);
    expect(r.network.lost).toBeGreaterThan(0.08 * r.network.sent);
    // 10 s at 50 packets/s each way, less the frames held back while digits are sent
    expect(r.rtp_sent).toBeGreaterThan(20 * 2 * 480);
  }, 120_000);

  // seed 13 hung the DtmfSender (fractional-time update loop; packages/media/test/dtmf.test.ts): kept
  for (const seed of [11, 12, 13]) {
    it(`20% loss, 10% duplication, 30% reordering, seed ${seed}: every call completes or fails typed`, async () => {
      const r = await runSimulation({ calls: 20, seed, ...ROUGH });
      accounted(r);
      expect(r.network.duplicated).toBeGreaterThan(0);
      expect(r.network.reordered).toBeGreaterThan(0);
      // each call is bounded in virtual time: 10 s of audio plus the SIP and DTLS timers (maxCallMs)
      expect(r.virtual_ms).toBeLessThan(19 * 50 + 10_000 + 120_000);
    }, 120_000);
  }

  it('a DTLS client keyed after the other side’s audio would have ended still gets audio and digits both ways', async () => {
    // The 100-seed sweep (seed 20, calls 10 ms apart) found it: the caller's 10 s of audio had ended before the
    // callee was keyed, so the callee never heard it and never sent its digits (dtmf-mismatch). The duration now
    // counts from hearing the other side. Here (seed 24, 3 s of audio) call 4's client is keyed 4.9 s after the server.
    const lines: string[] = [];
    const r = await runSimulation({
      calls: 10,
      seed: 24,
      durationS: 3,
      intervalMs: 10,
      ...ROUGH,
      onTrace: (l) => lines.push(l),
    });
    accounted(r);
    expect(r.first_failures).toEqual([]);
    const at = (what: string) => Number(lines.find((l) => l.includes(what))?.split(' ')[0]);
    expect(at('call 4 b secure') - at('call 4 a secure')).toBeGreaterThan(3_000_000); // µs: more than the duration
    expect(lines.filter((l) => / call 4 b dtmf /.test(l))).toHaveLength(4);
    expect(lines.filter((l) => / call 4 a dtmf /.test(l))).toHaveLength(3);
    expect(lines.some((l) => l.endsWith('call 4 completed'))).toBe(true);
  }, 120_000);

  it('a network that loses almost everything: calls fail with typed reasons in bounded virtual time', async () => {
    const r = await runSimulation({ calls: 5, seed: 2, loss: 0.9, durationS: 2, maxCallMs: 60_000 });
    accounted(r);
    expect(r.failed).toBeGreaterThan(0);
    expect(r.virtual_ms).toBeLessThanOrEqual(4 * 50 + 60_000);
  }, 60_000);

  it('strict arguments: unknown flags, missing or out-of-range values are usage errors (exit 2)', async () => {
    expect(parseSimArgs(['--calls', '3', '--loss', '0.1', '--seed', '9'])).toMatchObject({
      calls: 3,
      loss: 0.1,
      seed: 9,
    });
    const bad = [
      [],
      ['--calls', '3', '--loss', '0.1'],
      ['--calls', '0', '--loss', '0.1', '--seed', '1'],
      ['--calls', '2.5', '--loss', '0.1', '--seed', '1'],
      ['--calls', '3', '--loss', '1', '--seed', '1'],
      ['--calls', '3', '--loss', 'x', '--seed', '1'],
      ['--calls', '3', '--loss', '0.1', '--seed', '-1'],
      ['--calls', '3', '--loss', '0.1', '--seed', '1', '--bogus'],
      ['--calls', '3', '--calls', '4', '--loss', '0.1', '--seed', '1'],
      ['--calls', '3', '--loss', '0.1', '--seed'],
      ['--calls', '3', '--loss', '0.1', '--seed', '1', '--seeds', '0'],
      ['--calls', '3', '--loss', '0.1', '--seed', '1', '--seeds', '2', '--trace', 'x.txt'],
      ['--calls', '3', '--loss', '0.1', '--seed', '4294967295', '--seeds', '2'],
    ];
    const write = process.stderr.write;
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      for (const argv of bad) expect(await main(argv), argv.join(' ')).toBe(2);
    } finally {
      process.stderr.write = write;
    }
  });
});

import {
  estimateSrtpIndex,
  ReplayWindow,
  SRTP_PROFILES,
  SrtpAuthError,
  SrtpConfigError,
  SrtpError,
  SrtpLimitError,
  SrtpParseError,
  SrtpReplayError,
  SrtpSession,
  type SrtpSessionOptions,
} from '@mdh/srtp';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BACKENDS, toh } from './vectors.js';

function keysFor(profile: string, seed = 1): { key: Uint8Array; salt: Uint8Array } {
  const p = SRTP_PROFILES.find((x) => x.name === profile)!;
  return {
    key: Uint8Array.from({ length: p.masterKeyLength }, (_, i) => (i * 7 + seed) & 0xff),
    salt: Uint8Array.from({ length: p.masterSaltLength }, (_, i) => (i * 13 + seed * 3) & 0xff),
  };
}

function pair(profile: string, extra: Partial<SrtpSessionOptions> = {}): { tx: SrtpSession; rx: SrtpSession } {
  const o = { profile, ...keysFor(profile), ...extra } as SrtpSessionOptions;
  return { tx: new SrtpSession(o), rx: new SrtpSession(o) };
}

function rtp(seq: number, ssrc = 0x11223344, payload = 160, extra: { cc?: number; ext?: number } = {}): Uint8Array {
  const cc = extra.cc ?? 0;
  const ext = extra.ext ?? -1;
  const h = 12 + 4 * cc + (ext >= 0 ? 4 + 4 * ext : 0);
  const p = new Uint8Array(h + payload);
  p[0] = 0x80 | cc | (ext >= 0 ? 0x10 : 0);
  p[1] = 0;
  p[2] = (seq >>> 8) & 0xff;
  p[3] = seq & 0xff;
  p[8] = ssrc >>> 24;
  p[9] = (ssrc >>> 16) & 0xff;
  p[10] = (ssrc >>> 8) & 0xff;
  p[11] = ssrc & 0xff;
  if (ext >= 0) {
    const o = 12 + 4 * cc;
    p[o] = 0xbe;
    p[o + 1] = 0xde;
    p[o + 3] = ext;
  }
  for (let i = h; i < p.length; i++) p[i] = (i * 31 + seq) & 0xff;
  return p;
}

function rtcp(ssrc = 0x11223344, words = 6): Uint8Array {
  const p = new Uint8Array(4 * (words + 1));
  p[0] = 0x80;
  p[1] = 200;
  p[3] = words;
  p[4] = ssrc >>> 24;
  p[5] = (ssrc >>> 16) & 0xff;
  p[6] = (ssrc >>> 8) & 0xff;
  p[7] = ssrc & 0xff;
  for (let i = 8; i < p.length; i++) p[i] = i;
  return p;
}

const NAMES = SRTP_PROFILES.map((p) => p.name);

describe('profiles round-trip and properties', () => {
  for (const profile of NAMES) {
    it(`${profile}: unprotect(protect(p)) = p; any flipped bit → SrtpAuthError; replay → SrtpReplayError`, () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: 0xffff }),
          fc.integer({ min: 0, max: 0xffffffff }),
          fc.integer({ min: 0, max: 300 }),
          fc.integer({ min: 0, max: 3 }),
          fc.integer({ min: -1, max: 3 }),
          fc.nat(),
          (seq, ssrc, len, cc, ext, bit) => {
            const { tx, rx } = pair(profile);
            const p = rtp(seq, ssrc, len, { cc, ext });
            const s = tx.protect(p);
            const prof = tx.profile;
            expect(s.length).toBe(p.length + prof.srtpTagLength);
            expect(toh(rx.unprotect(s))).toBe(toh(p));
            expect(() => rx.unprotect(s)).toThrow(SrtpReplayError);
            // a fresh receiver rejects any single flipped bit
            const rx2 = pair(profile).rx;
            const bad = s.slice();
            const b = bit % (bad.length * 8);
            bad[b >> 3] = bad[b >> 3]! ^ (1 << (b & 7));
            const r = rx2.tryUnprotect(bad);
            expect(r).toBeInstanceOf(SrtpError);
            // flipping the version bits or lengths makes it unparseable; everything else fails auth
            if (!(r instanceof SrtpParseError)) expect(r).toBeInstanceOf(SrtpAuthError);
            // state was not committed by the forgery: the genuine packet still authenticates
            expect(toh(rx2.unprotect(s))).toBe(toh(p));
          },
        ),
        { numRuns: 40 },
      );
    });

    it(`${profile}: SRTCP round trip, flipped bit rejected, replay rejected`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 60 }), fc.nat(), (words, bit) => {
          const { tx, rx } = pair(profile);
          const p = rtcp(0xcafe0001, words);
          const s = tx.protectRtcp(p);
          expect(s.length).toBe(p.length + tx.rtcpOverhead);
          expect(toh(rx.unprotectRtcp(s))).toBe(toh(p));
          expect(() => rx.unprotectRtcp(s)).toThrow(SrtpReplayError);
          const rx2 = pair(profile).rx;
          const bad = s.slice();
          const b = bit % (bad.length * 8);
          bad[b >> 3] = bad[b >> 3]! ^ (1 << (b & 7));
          const r = rx2.tryUnprotectRtcp(bad);
          expect(r).toBeInstanceOf(SrtpError);
          expect(toh(rx2.unprotectRtcp(s))).toBe(toh(p));
        }),
        { numRuns: 25 },
      );
    });
  }
});

describe('backends give identical bytes (js, noble, node)', () => {
  for (const profile of NAMES) {
    it(profile, () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 1400 }), (seq, len) => {
          const k = keysFor(profile, seq & 7);
          const [a, ...others] = BACKENDS.map((backend) => new SrtpSession({ profile, ...k, backend }));
          const p = rtp(seq, 0x5555aaaa, len);
          const c = rtcp(0x5555aaaa, 1 + (len % 40));
          const sa = a!.protect(p);
          const ca = a!.protectRtcp(c);
          for (const b of others) {
            expect(toh(b.protect(p))).toBe(toh(sa));
            expect(toh(b.protectRtcp(c))).toBe(toh(ca));
          }
          // cross: every backend unprotects what js protected
          for (const backend of BACKENDS) {
            const r = new SrtpSession({ profile, ...k, backend });
            expect(toh(r.unprotect(sa))).toBe(toh(p));
            expect(toh(r.unprotectRtcp(ca))).toBe(toh(c));
            expect(r.backend).toBe(backend);
          }
        }),
        { numRuns: 15 },
      );
    });
  }
});

describe('rollover counter and index estimation (RFC 3711 §3.3.1)', () => {
  it('estimateSrtpIndex follows Appendix A on both sides of the wrap', () => {
    // s_l < 2^15: a big jump ahead is a late packet of the previous ROC
    expect(estimateSrtpIndex(5 * 65536 + 10, 11)).toBe(5 * 65536 + 11);
    expect(estimateSrtpIndex(5 * 65536 + 10, 65530)).toBe(4 * 65536 + 65530);
    expect(estimateSrtpIndex(5 * 65536 + 10, 32778)).toBe(5 * 65536 + 32778); // exactly 2^15 ahead: same ROC
    expect(estimateSrtpIndex(5 * 65536 + 10, 32779)).toBe(4 * 65536 + 32779);
    // s_l ≥ 2^15: a small SEQ far behind is the next ROC
    expect(estimateSrtpIndex(5 * 65536 + 65530, 3)).toBe(6 * 65536 + 3);
    expect(estimateSrtpIndex(5 * 65536 + 65530, 65000)).toBe(5 * 65536 + 65000);
    expect(estimateSrtpIndex(5 * 65536 + 40000, 7232)).toBe(5 * 65536 + 7232); // s_l - 2^15 = SEQ: same ROC
    expect(estimateSrtpIndex(5 * 65536 + 40000, 7231)).toBe(6 * 65536 + 7231);
    // before ROC 0
    expect(estimateSrtpIndex(3, 65535)).toBe(-1);
  });

  for (const backend of BACKENDS) {
    it(`follows the 65535→0 wrap with loss and reordering, several times (${backend})`, () => {
      const { tx, rx } = pair('SRTP_AES128_CM_HMAC_SHA1_80', { backend });
      const ssrc = 0x01020304;
      // send a sequence that crosses the wrap three times; near each wrap deliver ~80% of packets with
      // neighbours swapped, elsewhere one packet in 1000 (gaps far below 2^15, so estimation must hold)
      const start = 65000;
      const sent: { seq: number; pkt: Uint8Array }[] = [];
      let rnd = 12345;
      const next = (): number => {
        rnd = (rnd * 1103515245 + 12345) & 0x7fffffff;
        return rnd / 0x7fffffff;
      };
      for (let i = 0; i < 3 * 65536 + 2000; i++) {
        const seq = (start + i) & 0xffff;
        const pkt = tx.protect(rtp(seq, ssrc, 20));
        const dense = seq > 65400 || seq < 200;
        if ((dense && next() < 0.8) || i % 1000 === 0) sent.push({ seq, pkt });
      }
      expect(tx.getRoc(ssrc)).toBe(Math.floor((start + 3 * 65536 + 1999) / 65536));
      for (let i = 0; i + 1 < sent.length; i += 2) {
        const a = sent[i]!;
        const b = sent[i + 1]!;
        if (((b.seq - a.seq) & 0xffff) < 20 && next() < 0.5) {
          sent[i] = b;
          sent[i + 1] = a;
        }
      }
      let ok = 0;
      for (const s of sent) {
        const out = rx.unprotect(s.pkt);
        expect((out[2]! << 8) | out[3]!).toBe(s.seq);
        ok++;
      }
      expect(ok).toBe(sent.length);
      expect(rx.getRoc(ssrc)).toBe(tx.getRoc(ssrc));
    });
  }

  it('property: any start near the wrap, loss, reordering within 64 packets, duplicates refused', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 100, max: 400 }),
        fc.array(fc.integer({ min: 0, max: 99 }), { minLength: 400, maxLength: 400 }),
        fc.integer({ min: 1, max: 64 }),
        fc.boolean(),
        (start, count, noise, span, gcm) => {
          const profile = gcm ? 'SRTP_AEAD_AES_128_GCM' : 'SRTP_AES128_CM_HMAC_SHA1_32';
          const { tx, rx } = pair(profile);
          const ssrc = 0x77;
          // start within 200 of the wrap, so that most runs cross it (start = 0 begins right at 0)
          const first = (65536 - (start % 200)) & 0xffff;
          const pk: { seq: number; idx: number; pkt: Uint8Array }[] = [];
          for (let i = 0; i < count; i++) {
            const seq = (first + i) & 0xffff;
            pk.push({ seq, idx: first + i, pkt: tx.protect(rtp(seq, ssrc, 8)) });
          }
          // the first packet arrives first (the receiver learns ROC from it); then loss (~10%), bounded reorder
          const rest = pk.slice(1).filter((_, i) => noise[i % noise.length]! >= 10);
          for (let i = 0; i < rest.length; i += span) {
            const chunk = rest.slice(i, i + span).reverse();
            rest.splice(i, chunk.length, ...chunk);
          }
          expect(rx.unprotect(pk[0]!.pkt)[3]).toBe(pk[0]!.seq & 0xff);
          for (const p of rest) {
            const out = rx.unprotect(p.pkt);
            expect((out[2]! << 8) | out[3]!).toBe(p.seq);
          }
          for (const p of rest.slice(-5)) expect(rx.tryUnprotect(p.pkt)).toBeInstanceOf(SrtpError);
          // the receiver's ROC is that of the highest index it got (the last packets may have been lost)
          const top = Math.max(pk[0]!.idx, ...rest.map((p) => p.idx));
          expect(rx.getRoc(ssrc)).toBe(Math.floor(top / 65536));
          expect(tx.getRoc(ssrc)).toBe(Math.floor((first + count - 1) / 65536));
        },
      ),
      { numRuns: 30 },
    );
  });

  it('a late packet from before the wrap authenticates with ROC-1; the window catches its replay', () => {
    const { tx, rx } = pair('SRTP_AES128_CM_HMAC_SHA1_80');
    const ssrc = 7;
    const p65534 = tx.protect(rtp(65534, ssrc));
    const p65535 = tx.protect(rtp(65535, ssrc));
    const p0 = tx.protect(rtp(0, ssrc));
    const p1 = tx.protect(rtp(1, ssrc));
    rx.unprotect(p65534);
    rx.unprotect(p0); // ROC 1 now
    expect(rx.getRoc(ssrc)).toBe(1);
    rx.unprotect(p65535); // late, index 65535 (ROC 0)
    expect(rx.getRoc(ssrc)).toBe(1);
    rx.unprotect(p1);
    expect(() => rx.unprotect(p65535)).toThrow(SrtpReplayError);
    expect(() => rx.unprotect(p0)).toThrow(SrtpReplayError);
  });

  it('a forged packet does not move the ROC or the window', () => {
    const { tx, rx } = pair('SRTP_AES128_CM_HMAC_SHA1_80');
    const ssrc = 9;
    rx.unprotect(tx.protect(rtp(65530, ssrc)));
    // forged packet with seq 2 (would be ROC 1) and a garbage tag
    const forged = tx.protect(rtp(2, 999)).slice();
    forged.set([0, 0, 0, 9], 8);
    expect(() => rx.unprotect(forged)).toThrow(SrtpAuthError);
    expect(rx.getRoc(ssrc)).toBe(0);
    rx.unprotect(tx.protect(rtp(65531, ssrc)));
    expect(rx.stats.authFailures).toBe(1);
    expect(rx.stats.rtpUnprotected).toBe(2);
  });

  it('setRoc lets a late joiner decrypt a stream already at ROC 5', () => {
    const { tx, rx } = pair('SRTP_AEAD_AES_128_GCM');
    const ssrc = 0xabcdef01;
    tx.setRoc(ssrc, 5);
    const s = tx.protect(rtp(100, ssrc));
    expect(pair('SRTP_AEAD_AES_128_GCM').rx.tryUnprotect(s)).toBeInstanceOf(SrtpError);
    rx.setRoc(ssrc, 5);
    expect(rx.getRoc(ssrc)).toBe(5);
    expect(rx.unprotect(s)[3]).toBe(100);
    expect(rx.getRoc(ssrc)).toBe(5);
    // changing ROC mid-stream keeps the sequence number
    tx.setRoc(ssrc, 7);
    rx.setRoc(ssrc, 7);
    expect(rx.unprotect(tx.protect(rtp(101, ssrc)))[3]).toBe(101);
    expect(() => rx.setRoc(ssrc, -1)).toThrow(SrtpConfigError);
    expect(rx.getRoc(12345)).toBeUndefined();
  });
});

describe('replay window (RFC 3711 §3.3.2)', () => {
  it('ReplayWindow matches a reference set on random traffic for several sizes', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(64, 100, 128, 1000, 32768),
        fc.array(fc.integer({ min: 0, max: 5000 }), { maxLength: 300 }),
        (size, idx) => {
          const w = new ReplayWindow(size);
          const seen = new Set<number>();
          let top = -1;
          for (const i of idx) {
            const expected = top >= 0 && i <= top ? (top - i >= size ? 2 : seen.has(i) ? 1 : 0) : 0;
            expect(w.check(i)).toBe(expected);
            if (expected === 0) {
              w.commit(i);
              seen.add(i);
              top = Math.max(top, i);
            }
          }
          expect(w.top).toBe(top);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('default 128: accepts out-of-order packets once, rejects too-old ones', () => {
    const { tx, rx } = pair('SRTP_AES128_CM_HMAC_SHA1_80');
    const pk = Array.from({ length: 400 }, (_, i) => tx.protect(rtp(i, 1)));
    rx.unprotect(pk[300]!);
    rx.unprotect(pk[173]!); // 127 behind: inside
    expect(() => rx.unprotect(pk[172]!)).toThrow(/older than the replay window/);
    expect(() => rx.unprotect(pk[173]!)).toThrow(/replayed/);
    rx.unprotect(pk[299]!);
    expect(rx.stats.replays).toBe(2);
  });

  it('a 1024 window accepts a NACK retransmission 900 packets late, exactly once', () => {
    const { tx, rx } = pair('SRTP_AES128_CM_HMAC_SHA1_80', { replayWindow: 1024 });
    const pk = Array.from({ length: 1000 }, (_, i) => tx.protect(rtp(i, 1)));
    for (let i = 0; i < 1000; i++) if (i !== 50) rx.unprotect(pk[i]!);
    expect(rx.unprotect(pk[50]!)[3]).toBe(50);
    expect(() => rx.unprotect(pk[50]!)).toThrow(SrtpReplayError);
    const small = pair('SRTP_AES128_CM_HMAC_SHA1_80').rx;
    for (let i = 0; i < 1000; i++) if (i !== 50) small.unprotect(pk[i]!);
    expect(() => small.unprotect(pk[50]!)).toThrow(SrtpReplayError);
  });

  it('window sizes outside 64..32768 are refused; 32768 works; SRTCP has its own window', () => {
    expect(() => pair('SRTP_AES128_CM_HMAC_SHA1_80', { replayWindow: 32769 })).toThrow(SrtpConfigError);
    expect(() => pair('SRTP_AES128_CM_HMAC_SHA1_80', { replayWindow: 10 })).toThrow(SrtpConfigError);
    const { tx, rx } = pair('SRTP_AES128_CM_HMAC_SHA1_80', { replayWindow: 32768 });
    const first = tx.protectRtcp(rtcp(1));
    const later = Array.from({ length: 5 }, () => tx.protectRtcp(rtcp(1)));
    for (const l of later) rx.unprotectRtcp(l);
    expect(rx.unprotectRtcp(first).length).toBe(28);
    expect(() => rx.unprotectRtcp(first)).toThrow(SrtpReplayError);
  });

  it('replayProtection: false accepts duplicates', () => {
    const { tx, rx } = pair('SRTP_AES128_CM_HMAC_SHA1_80', { replayProtection: false });
    const s = tx.protect(rtp(1));
    rx.unprotect(s);
    expect(rx.unprotect(s).length).toBe(172);
  });
});

describe('MKI (RFC 3711 §3.1)', () => {
  for (const profile of ['SRTP_AES128_CM_HMAC_SHA1_32', 'SRTP_AEAD_AES_256_GCM', 'SRTP_NULL_HMAC_SHA1_80']) {
    it(`${profile}: MKI is carried and checked on SRTP and SRTCP`, () => {
      const mki = Uint8Array.of(0xde, 0xad, 0xbe, 0xef);
      const { tx, rx } = pair(profile, { mki });
      const p = rtp(10);
      const s = tx.protect(p);
      expect(s.length).toBe(p.length + tx.profile.srtpTagLength + 4);
      const mkiAt = tx.profile.aead ? s.length - 4 : p.length;
      expect(toh(s.subarray(mkiAt, mkiAt + 4))).toBe('deadbeef');
      expect(toh(rx.unprotect(s))).toBe(toh(p));
      const c = rtcp();
      const sc = tx.protectRtcp(c);
      expect(toh(rx.unprotectRtcp(sc))).toBe(toh(c));
      const other = pair(profile, { mki: Uint8Array.of(1, 2, 3, 4) }).rx;
      expect(() => other.unprotect(s)).toThrow(/MKI/);
      expect(() => other.unprotectRtcp(sc)).toThrow(/MKI/);
      // without MKI configured the packet does not authenticate
      expect(pair(profile).rx.tryUnprotect(s)).toBeInstanceOf(SrtpError);
    });
  }
});

describe('several master keys selected by MKI (RFC 3711 §3.1)', () => {
  for (const profile of ['SRTP_AES128_CM_HMAC_SHA1_80', 'SRTP_AEAD_AES_128_GCM']) {
    it(`${profile}: re-keying mid-stream keeps ROC and replay state; unknown MKIs are refused`, () => {
      const k1 = { ...keysFor(profile, 1), mki: Uint8Array.of(0, 1) };
      const k2 = { ...keysFor(profile, 2), mki: Uint8Array.of(0, 2) };
      const tx = new SrtpSession({ profile, masterKeys: [k1] });
      const rx = new SrtpSession({ profile, masterKeys: [k1, k2] });
      const ssrc = 0x0a0b0c0d;
      rx.unprotect(tx.protect(rtp(65534, ssrc)));
      const a = tx.protect(rtp(65535, ssrc));
      expect(toh(a.subarray(a.length - tx.profile.srtpTagLength - 2, a.length - tx.profile.srtpTagLength))).toBe(
        profile.includes('GCM') ? toh(a.subarray(a.length - 18, a.length - 16)) : '0001',
      );
      tx.addMasterKey(k2);
      tx.useMasterKey(k2.mki);
      const b = tx.protect(rtp(0, ssrc)); // crosses the wrap under the new key
      expect(toh(rx.unprotect(b).subarray(0, 4))).toBe(toh(rtp(0, ssrc).subarray(0, 4)));
      expect(rx.unprotect(a)[3]).toBe(0xff); // late packet under the old key
      expect(rx.getRoc(ssrc)).toBe(1);
      expect(() => rx.unprotect(b)).toThrow(SrtpReplayError);
      const rc = tx.protectRtcp(rtcp(ssrc));
      expect(rx.unprotectRtcp(rc).length).toBe(28);
      rx.useMasterKey(k2.mki);
      rx.removeMasterKey(k1.mki);
      expect(() => rx.unprotect(tx.protect(rtp(1, ssrc)).slice())).not.toThrow();
      tx.useMasterKey(k1.mki);
      expect(() => rx.unprotect(tx.protect(rtp(2, ssrc)))).toThrow(/unknown MKI/);
      // misuse
      expect(() => tx.addMasterKey(k2)).toThrow(/exists/);
      expect(() => tx.addMasterKey({ ...k2, mki: Uint8Array.of(9) })).toThrow(/2 octets/);
      expect(() => tx.useMasterKey(Uint8Array.of(7, 7))).toThrow(SrtpConfigError);
      expect(() => tx.removeMasterKey(k1.mki)).toThrow(/sending/);
      expect(() => new SrtpSession({ profile, masterKeys: [] })).toThrow(SrtpConfigError);
      expect(() => new SrtpSession({ profile, ...keysFor(profile) }).addMasterKey(k2)).toThrow(/no MKI/);
      expect(() => new SrtpSession({ profile, masterKeys: [k1], key: k1.key })).toThrow(/either/);
    });
  }
});

describe('garbage in gives typed errors', () => {
  it('never throws an untyped error on random input', () => {
    for (const profile of NAMES) {
      const rx = pair(profile).rx;
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 120 }), (b) => {
          // the try* rule: the packet or the typed error, never a throw
          for (const r of [rx.tryUnprotect(b), rx.tryUnprotectRtcp(b), rx.tryProtect(b)])
            expect(r instanceof Uint8Array || r instanceof SrtpError).toBe(true);
          try {
            rx.protectRtcp(b);
          } catch (e) {
            expect(e).toBeInstanceOf(SrtpError);
          }
        }),
        { numRuns: 60 },
      );
    }
  });

  it('every truncation of a valid packet is a typed error, never an untyped throw', () => {
    for (const profile of NAMES) {
      const { tx } = pair(profile, { mki: Uint8Array.of(7) });
      const s = tx.protect(rtp(5, 1, 40, { cc: 1, ext: 1 }));
      const c = tx.protectRtcp(rtcp());
      for (let n = 0; n < s.length; n++) {
        const r = pair(profile, { mki: Uint8Array.of(7) }).rx.tryUnprotect(s.subarray(0, n));
        expect(r).toBeInstanceOf(SrtpError);
      }
      for (let n = 0; n < c.length; n++) {
        const r = pair(profile, { mki: Uint8Array.of(7) }).rx.tryUnprotectRtcp(c.subarray(0, n));
        expect(r).toBeInstanceOf(SrtpError);
      }
    }
  });

  it('names what is wrong', () => {
    const { tx, rx } = pair('SRTP_AES128_CM_HMAC_SHA1_80');
    expect(() => tx.protect(new Uint8Array(5))).toThrow(/too short/);
    const v1 = rtp(1);
    v1[0] = 0x40;
    expect(() => tx.protect(v1)).toThrow(/version 1/);
    const cc = rtp(1, 1, 10);
    cc[0] = 0x8f; // 15 CSRCs do not fit
    expect(() => tx.protect(cc)).toThrow(SrtpParseError);
    const ext = rtp(1, 1, 0, { ext: 0 });
    ext[15] = 200; // extension length past the end
    expect(() => tx.protect(ext)).toThrow(/extension/);
    expect(() => rx.unprotect(new Uint8Array(20).fill(0x80))).toThrow(SrtpParseError);
    expect(() => rx.unprotectRtcp(new Uint8Array(10))).toThrow(SrtpParseError);
    expect(() => rx.unprotect('x' as unknown as Uint8Array)).toThrow(SrtpParseError);
    expect(rx.stats.parseErrors).toBeGreaterThanOrEqual(3);
  });

  it('refuses misuse at construction', () => {
    expect(() => new SrtpSession({ profile: 'NOPE', key: new Uint8Array(16), salt: new Uint8Array(14) })).toThrow(
      SrtpConfigError,
    );
    expect(
      () => new SrtpSession({ profile: 'AES_CM_128_HMAC_SHA1_80', key: new Uint8Array(1), salt: new Uint8Array(14) }),
    ).toThrow(/16-octet master key/);
    expect(
      () => new SrtpSession({ profile: 'AES_CM_128_HMAC_SHA1_80', key: new Uint8Array(16), salt: new Uint8Array(12) }),
    ).toThrow(/14-octet master salt/);
    expect(() => new SrtpSession({ profile: 'AES_CM_128_HMAC_SHA1_80' })).toThrow(/key/);
    expect(
      () =>
        new SrtpSession({
          profile: 'AES_CM_128_HMAC_SHA1_80',
          ...keysFor('SRTP_AES128_CM_HMAC_SHA1_80'),
          backend: 'x' as 'js',
        }),
    ).toThrow(/backend/);
  });
});

describe('caller buffers and limits', () => {
  it('protectInto / unprotectInto, including in place', () => {
    for (const profile of ['SRTP_AES128_CM_HMAC_SHA1_80', 'SRTP_AEAD_AES_128_GCM']) {
      const { tx, rx } = pair(profile);
      const p = rtp(3, 1, 100);
      const buf = new Uint8Array(400);
      const n = tx.protectInto(p, buf, 7);
      expect(n).toBe(p.length + tx.rtpOverhead);
      const ref = pair(profile).tx.protect(p);
      expect(toh(buf.subarray(7, 7 + n))).toBe(toh(ref));
      // in place: the packet lives in a larger buffer
      const big = new Uint8Array(300);
      big.set(p);
      const inPlace = tx.protectInto(big.subarray(0, p.length), big, 0);
      const m = rx.unprotectInto(ref, big, 0);
      expect(m).toBe(p.length);
      expect(toh(big.subarray(0, m))).toBe(toh(p));
      expect(inPlace).toBe(n);
      expect(() => tx.protectInto(p, new Uint8Array(10))).toThrow(SrtpLimitError);
      const r = rx.tryUnprotectInto(ref, new Uint8Array(10));
      expect(r).toBeInstanceOf(SrtpError);
      const rr = pair(profile).rx.tryUnprotectInto(ref, new Uint8Array(200), 1);
      expect(rr).toBe(p.length);
      const cbuf = new Uint8Array(200);
      const cl = tx.protectRtcpInto(rtcp(), cbuf, 0);
      expect(rx.unprotectRtcpInto(cbuf.subarray(0, cl), cbuf, 0)).toBe(28);
    }
  });

  it('maxStreams caps per-SSRC state; SRTCP index exhaustion is reported', () => {
    const { tx, rx } = pair('SRTP_AES128_CM_HMAC_SHA1_80', { maxStreams: 2 });
    const a = tx.protect(rtp(1, 1));
    const b = tx.protect(rtp(1, 2));
    expect(() => tx.protect(rtp(1, 3))).toThrow(SrtpLimitError);
    rx.unprotect(a);
    rx.unprotect(b);
    const c = pair('SRTP_AES128_CM_HMAC_SHA1_80').tx.protect(rtp(1, 3));
    expect(() => rx.unprotect(c)).toThrow(SrtpLimitError);
    tx.setSrtcpIndex(1, 0x7fffffff);
    tx.protectRtcp(rtcp(1));
    expect(() => tx.protectRtcp(rtcp(1))).toThrow(/re-key/);
  });

  it('close wipes keys and refuses further use', () => {
    for (const profile of ['SRTP_AES128_CM_HMAC_SHA1_80', 'SRTP_AEAD_AES_128_GCM']) {
      const { tx } = pair(profile);
      tx.protect(rtp(1));
      tx.close();
      expect(() => tx.protect(rtp(2))).toThrow(/closed/);
      expect(tx.tryUnprotect(rtp(2))).toBeInstanceOf(SrtpError);
      expect(() => tx.setRoc(1, 1)).toThrow(SrtpConfigError);
    }
  });

  it('protected and unprotected packets never share an ArrayBuffer', () => {
    const { tx, rx } = pair('SRTP_AES128_CM_HMAC_SHA1_80');
    const s = tx.protect(rtp(1));
    const p = rx.unprotect(s);
    expect(s.buffer).not.toBe(p.buffer);
    const s2 = tx.protect(rtp(2));
    expect(s2.byteOffset % 8).toBe(0);
    expect(toh(rx.unprotect(s2))).toBe(toh(rtp(2)));
    expect(toh(p)).toBe(toh(rtp(1)));
  });

  it('NULL profiles send SRTCP with E = 0 and plaintext RTP', () => {
    const { tx, rx } = pair('SRTP_NULL_HMAC_SHA1_80');
    const p = rtp(1);
    const s = tx.protect(p);
    expect(toh(s.subarray(0, p.length))).toBe(toh(p));
    const c = tx.protectRtcp(rtcp());
    expect(c[28]! & 0x80).toBe(0);
    expect(rx.unprotectRtcp(c).length).toBe(28);
  });

  it('srtcpTagLength: 4 makes 4-octet SRTCP tags (ffmpeg SDES _32); refused for AEAD and other sizes', () => {
    const { tx, rx } = pair('SRTP_AES128_CM_HMAC_SHA1_32', { srtcpTagLength: 4 });
    const s = tx.protectRtcp(rtcp());
    expect(s.length).toBe(28 + 4 + 4);
    expect(rx.unprotectRtcp(s).length).toBe(28);
    expect(pair('SRTP_AES128_CM_HMAC_SHA1_32').rx.tryUnprotectRtcp(s)).toBeInstanceOf(SrtpError);
    expect(() => pair('SRTP_AEAD_AES_128_GCM', { srtcpTagLength: 4 })).toThrow(SrtpConfigError);
    expect(() => pair('SRTP_AES128_CM_HMAC_SHA1_80', { srtcpTagLength: 7 as 4 })).toThrow(SrtpConfigError);
  });

  it('encryptRtcp: false sends authenticated-only SRTCP that still verifies', () => {
    const { tx, rx } = pair('SRTP_AES128_CM_HMAC_SHA1_80', { encryptRtcp: false });
    const c = rtcp();
    const s = tx.protectRtcp(c);
    expect(toh(s.subarray(0, 28))).toBe(toh(c));
    expect(toh(rx.unprotectRtcp(s))).toBe(toh(c));
  });
});

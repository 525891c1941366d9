import type { Aead, CtrCipher, Mac, SrtpBackend } from './crypto/backend.js';
import { defaultBackend, resolveBackend, type SrtpBackendName } from './crypto/select.js';
import {
  SrtpAuthError,
  SrtpConfigError,
  SrtpError,
  SrtpLimitError,
  SrtpParseError,
  SrtpReplayError,
} from './errors.js';
import { deriveSrtpSessionKeys, type SrtpSessionKeys } from './kdf.js';
import { allocPacket } from './pool.js';
import { getSrtpProfile, type SrtpProfile } from './profiles.js';
import { ReplayWindow } from './replay.js';
import { estimateSrtpIndex } from './rollover.js';
import { aesF8, cmIv, f8RtcpIv, f8RtpIv, gcmIv } from './transforms.js';

/** Options of {@link SrtpSession}. */
export interface SrtpSessionOptions {
  /** Profile, by DTLS-SRTP name, SDES name (case-insensitive) or profile object. */
  profile: string | SrtpProfile;
  /** Master key (RFC 3711 §4.3). Required unless `sessionKeys` is given. */
  key?: Uint8Array;
  /** Master salt. Required unless `sessionKeys` is given. */
  salt?: Uint8Array;
  /**
   * Session keys given directly, bypassing the KDF (RFC 7714 §16-17 vectors publish session keys). `srtcp`
   * defaults to `srtp`.
   */
  sessionKeys?: { srtp: SrtpSessionKeys; srtcp?: SrtpSessionKeys };
  /** Key derivation rate; only 0 is supported (RFC 5764 §4.1.2 and RFC 4568 default). */
  keyDerivationRate?: number;
  /** Replay window in packets, 64..32768 (default 128), for SRTP and SRTCP alike (RFC 3711 §3.3.2). */
  replayWindow?: number;
  /** Set false to accept replays (debugging only). Default true. */
  replayProtection?: boolean;
  /** Master Key Identifier sent on every packet and required on every received one (RFC 3711 §3.1), 1-128 octets. */
  mki?: Uint8Array;
  /**
   * Several master keys told apart by their MKI (RFC 3711 §3.1; several `inline:` keys of one SDES line), instead
   * of `key`/`salt`/`mki`. All MKIs have the same length. The first one protects until {@link SrtpSession.useMasterKey};
   * every one is accepted on receive. More can be added with {@link SrtpSession.addMasterKey}.
   */
  masterKeys?: SrtpMasterKeyWithMki[];
  /** Encrypt outgoing SRTCP (E flag). Default true; always false for NULL profiles (RFC 3711 §3.4). */
  encryptRtcp?: boolean;
  /**
   * Encrypt the RTP payload. Default true; false is SDES `UNENCRYPTED_SRTP` (RFC 4568 §6.3.2: authenticated,
   * clear payload), for HMAC-SHA1 profiles only (AEAD always encrypts, RFC 7714 §8).
   */
  encryptRtp?: boolean;
  /**
   * Crypto backend: 'auto' (default: 'wasm' where WebAssembly SIMD exists, else 'js'), 'wasm' (own WebAssembly
   * core), 'js' (own TypeScript core, portable), 'noble' (@noble primitives), 'node' (node:crypto), or an object.
   */
  backend?: SrtpBackendName | SrtpBackend;
  /** Maximum SSRC streams per direction (default 1024); further new SSRCs fail with SrtpLimitError. */
  maxStreams?: number;
  /**
   * Override the SRTCP tag length of an HMAC-SHA1 profile (4 or 10 octets). The _32 profiles keep 80-bit SRTCP
   * tags (RFC 3711 §5.2, RFC 5764 §4.1.2) as libsrtp does; ffmpeg applies the 32-bit tag to SRTCP too when the
   * suite is named `AES_CM_128_HMAC_SHA1_32`, so talking to it needs `srtcpTagLength: 4`.
   */
  srtcpTagLength?: 4 | 10;
}

/** A master key, its salt and its MKI. */
export interface SrtpMasterKeyWithMki {
  /** Master key. */
  key: Uint8Array;
  /** Master salt. */
  salt: Uint8Array;
  /** Master Key Identifier, 1-128 octets. */
  mki: Uint8Array;
}

/** Counters of a session (noise is counted, never fatal). */
export interface SrtpStats {
  /** SRTP packets protected. */
  rtpProtected: number;
  /** SRTP packets unprotected. */
  rtpUnprotected: number;
  /** SRTCP packets protected. */
  rtcpProtected: number;
  /** SRTCP packets unprotected. */
  rtcpUnprotected: number;
  /** Packets that failed authentication. */
  authFailures: number;
  /** Packets rejected as replays or too old. */
  replays: number;
  /** Packets rejected as malformed. */
  parseErrors: number;
}

interface Crypto {
  readonly salt: Uint8Array;
  readonly ctr: CtrCipher | null;
  /** f8 only: cipher under k_e XOR m (RFC 3711 §4.1.2.2). */
  readonly ctrMasked: CtrCipher | null;
  readonly mac: Mac | null;
  readonly gcm: Aead | null;
  readonly keys: SrtpSessionKeys;
}

/** The session keys of one master key, and its MKI. */
interface KeySet {
  readonly mki: Uint8Array;
  readonly rtp: Crypto;
  readonly rtcp: Crypto;
}

interface TxStream {
  /** Highest SRTP index sent, -1 before the first. */
  top: number;
  /** ROC to start from (setRoc before the first packet). */
  initRoc: number;
  /** Next SRTCP index to send. */
  rtcpIndex: number;
}

interface RxStream {
  readonly win: ReplayWindow;
  initRoc: number;
}

const MAX_INDEX = 2 ** 48 - 1;
const MAX_RTCP_INDEX = 0x7fffffff;

const SCRATCH_MAC = new Uint8Array(32);

/**
 * One direction of SRTP and SRTCP under one master key (RFC 3711): `protect`/`protectRtcp` for what we send,
 * `unprotect`/`unprotectRtcp` for what we receive. Keys are derived, AES key schedules expanded and HMAC
 * states precomputed once, at construction. Per-SSRC stream state (ROC, replay windows, SRTCP index) is made
 * on first use; a receiving stream's state changes only after its packet authenticates.
 */
export class SrtpSession {
  /** The profile in use. */
  readonly profile: SrtpProfile;
  /** Name of the crypto backend in use ('wasm', 'js', 'noble' or 'node'). */
  readonly backend: string;
  /** Counters. */
  readonly stats: SrtpStats = {
    rtpProtected: 0,
    rtpUnprotected: 0,
    rtcpProtected: 0,
    rtcpUnprotected: 0,
    authFailures: 0,
    replays: 0,
    parseErrors: 0,
  };
  private readonly keySets: KeySet[] = [];
  private sendKey: KeySet;
  private readonly mkiLen: number;
  private readonly be: SrtpBackend;
  private readonly kdr: number;
  private readonly tagLen: number;
  private readonly rtcpTagLen: number;
  private readonly window: number;
  private readonly replayOn: boolean;
  private readonly encryptRtcp: boolean;
  private readonly rtpCipher: 'AES_CM' | 'AES_F8' | 'NULL' | 'AES_GCM';
  private readonly maxStreams: number;
  private readonly tx = new Map<number, TxStream>();
  private readonly rx = new Map<number, RxStream>();
  private readonly rxRtcp = new Map<number, ReplayWindow>();
  private readonly iv = new Uint8Array(16);
  private out: Uint8Array = new Uint8Array(0);
  private closed = false;

  constructor(opts: SrtpSessionOptions) {
    if (opts === null || typeof opts !== 'object') throw new SrtpConfigError('SrtpSession needs an options object');
    const prof = getSrtpProfile(opts.profile);
    this.profile = prof;
    const be = opts.backend === undefined ? defaultBackend() : resolveBackend(opts.backend);
    this.backend = be.name;
    const window = opts.replayWindow ?? 128;
    if (!Number.isInteger(window) || window < 64 || window > 32768) {
      throw new SrtpConfigError(`replayWindow must be an integer in 64..32768, got ${window}`);
    }
    this.window = window;
    this.replayOn = opts.replayProtection !== false;
    const maxStreams = opts.maxStreams ?? 1024;
    if (!Number.isInteger(maxStreams) || maxStreams < 1) throw new SrtpConfigError('maxStreams must be ≥ 1');
    this.maxStreams = maxStreams;
    this.be = be;
    this.kdr = opts.keyDerivationRate ?? 0;
    this.tagLen = prof.srtpTagLength;
    this.rtcpTagLen = prof.srtcpTagLength;
    if (opts.srtcpTagLength !== undefined) {
      if (prof.aead || (opts.srtcpTagLength !== 4 && opts.srtcpTagLength !== 10)) {
        throw new SrtpConfigError('srtcpTagLength must be 4 or 10, and only for HMAC-SHA1 profiles');
      }
      this.rtcpTagLen = opts.srtcpTagLength;
    }
    this.encryptRtcp = prof.cipher !== 'NULL' && opts.encryptRtcp !== false;
    if (opts.encryptRtp === false && prof.aead) throw new SrtpConfigError('AEAD profiles always encrypt RTP');
    this.rtpCipher = opts.encryptRtp === false ? 'NULL' : prof.cipher;

    if (opts.masterKeys !== undefined) {
      if (opts.key !== undefined || opts.salt !== undefined || opts.mki !== undefined || opts.sessionKeys) {
        throw new SrtpConfigError('give either masterKeys, or key/salt/mki, or sessionKeys');
      }
      if (!Array.isArray(opts.masterKeys) || opts.masterKeys.length === 0) {
        throw new SrtpConfigError('masterKeys needs at least one key');
      }
      const first = opts.masterKeys[0];
      if (first === null || typeof first !== 'object')
        throw new SrtpConfigError('masterKeys entries are { key, salt, mki }');
      this.mkiLen = checkMki(first.mki, true).length;
      this.sendKey = this.derive(first.key, first.salt, first.mki);
      for (const k of opts.masterKeys.slice(1)) this.addMasterKey(k);
    } else {
      const mki = checkMki(opts.mki ?? new Uint8Array(0), false);
      this.mkiLen = mki.length;
      if (opts.sessionKeys) {
        const sk = opts.sessionKeys;
        const srtp = checkSessionKeys(prof, sk.srtp);
        const srtcp = checkSessionKeys(prof, sk.srtcp ?? sk.srtp);
        this.sendKey = { mki: mki.slice(), rtp: makeCrypto(prof, be, srtp), rtcp: makeCrypto(prof, be, srtcp) };
        this.keySets.push(this.sendKey);
      } else {
        if (opts.key === undefined || opts.salt === undefined) {
          throw new SrtpConfigError('SrtpSession needs `key` and `salt` (the master key and salt) or `sessionKeys`');
        }
        this.sendKey = this.derive(opts.key, opts.salt, mki);
      }
    }
  }

  private derive(key: Uint8Array, salt: Uint8Array, mki: Uint8Array): KeySet {
    const keys = deriveSrtpSessionKeys(this.profile, key, salt, this.kdr);
    const ks: KeySet = {
      mki: mki.slice(),
      rtp: makeCrypto(this.profile, this.be, keys.srtp),
      rtcp: makeCrypto(this.profile, this.be, keys.srtcp),
    };
    this.keySets.push(ks);
    return ks;
  }

  /**
   * Adds a master key that received packets may select by its MKI (RFC 3711 §3.1, §9.1 re-keying). The session
   * must have been made with an MKI (or `masterKeys`), and the new MKI must have the same length and be new.
   */
  addMasterKey(k: SrtpMasterKeyWithMki): void {
    this.usable();
    if (k === null || typeof k !== 'object') throw new SrtpConfigError('addMasterKey needs { key, salt, mki }');
    const mki = checkMki(k.mki, true);
    if (this.mkiLen === 0) throw new SrtpConfigError('this session has no MKI: it cannot hold several master keys');
    if (mki.length !== this.mkiLen) throw new SrtpConfigError(`MKI must be ${this.mkiLen} octets like the others`);
    if (this.findKey(mki, 0) !== undefined) throw new SrtpConfigError('a master key with this MKI exists already');
    if (this.keySets.length >= 64) throw new SrtpConfigError('at most 64 master keys per session');
    this.derive(k.key, k.salt, mki);
  }

  /** Protects from now on with the master key of this MKI (it must have been added). */
  useMasterKey(mki: Uint8Array): void {
    this.usable();
    const ks = mki instanceof Uint8Array ? this.findKey(mki, 0) : undefined;
    if (!ks) throw new SrtpConfigError('no master key with this MKI');
    this.sendKey = ks;
  }

  /** Forgets (and wipes) the master key of this MKI; the one in use for sending cannot be removed. */
  removeMasterKey(mki: Uint8Array): void {
    this.usable();
    const ks = mki instanceof Uint8Array ? this.findKey(mki, 0) : undefined;
    if (!ks) throw new SrtpConfigError('no master key with this MKI');
    if (ks === this.sendKey) throw new SrtpConfigError('cannot remove the master key used for sending');
    this.keySets.splice(this.keySets.indexOf(ks), 1);
    wipeKeySet(ks);
  }

  /** The key set whose MKI equals buf[at..at+mkiLen). */
  private findKey(buf: Uint8Array, at: number): KeySet | undefined {
    const sets = this.keySets;
    const n = this.mkiLen;
    for (let k = 0; k < sets.length; k++) {
      const m = sets[k]!.mki;
      let i = 0;
      while (i < n && buf[at + i] === m[i]) i++;
      if (i === n) return sets[k];
    }
    return undefined;
  }

  /** Octets `protect` adds to an RTP packet (tag + MKI). */
  get rtpOverhead(): number {
    return this.tagLen + this.mkiLen;
  }

  /** Octets `protectRtcp` adds to an RTCP packet (E|index word + tag + MKI). */
  get rtcpOverhead(): number {
    return 4 + this.rtcpTagLen + this.mkiLen;
  }

  // ---------------------------------------------------------------- SRTP

  /** Protects an RTP packet (RFC 3711 §3.3). Throws SrtpParseError / SrtpLimitError. */
  protect(rtp: Uint8Array): Uint8Array {
    const r = this.protectCore(rtp, null, 0);
    if (typeof r !== 'number') throw r;
    return this.out;
  }

  /** Protects into `out[offset..]` (may be the same memory as `rtp`); returns the protected length. */
  protectInto(rtp: Uint8Array, out: Uint8Array, offset = 0): number {
    const r = this.protectCore(rtp, out, offset);
    if (typeof r !== 'number') throw r;
    return r;
  }

  /** Non-throwing {@link protect}: the SRTP packet or the typed error `protect` would throw (the `try*` rule, docs/design.md). */
  tryProtect(rtp: Uint8Array): Uint8Array | SrtpError {
    const r = this.protectCore(rtp, null, 0);
    return typeof r === 'number' ? this.out : r;
  }

  /** Unprotects an SRTP packet. Throws SrtpAuthError | SrtpReplayError | SrtpParseError (| SrtpLimitError). */
  unprotect(srtp: Uint8Array): Uint8Array {
    const r = this.unprotectCore(srtp, null, 0);
    if (typeof r !== 'number') throw r;
    return this.out;
  }

  /** Unprotects into `out[offset..]` (may be the same memory as `srtp`); returns the RTP length. */
  unprotectInto(srtp: Uint8Array, out: Uint8Array, offset = 0): number {
    const r = this.unprotectCore(srtp, out, offset);
    if (typeof r !== 'number') throw r;
    return r;
  }

  /** Non-throwing {@link unprotect} for hot paths: the RTP packet, or the typed error (a bad packet is a value, not an exception). */
  tryUnprotect(srtp: Uint8Array): Uint8Array | SrtpError {
    const r = this.unprotectCore(srtp, null, 0);
    return typeof r === 'number' ? this.out : r;
  }

  /** Non-throwing {@link unprotectInto}: the RTP length, or the typed error. */
  tryUnprotectInto(srtp: Uint8Array, out: Uint8Array, offset = 0): number | SrtpError {
    return this.unprotectCore(srtp, out, offset);
  }

  // ---------------------------------------------------------------- SRTCP

  /** Protects an RTCP (compound) packet (RFC 3711 §3.4; RFC 7714 §9 for AEAD). */
  protectRtcp(rtcp: Uint8Array): Uint8Array {
    const r = this.protectRtcpCore(rtcp, null, 0);
    if (typeof r !== 'number') throw r;
    return this.out;
  }

  /** Protects RTCP into `out[offset..]`; returns the SRTCP length. */
  protectRtcpInto(rtcp: Uint8Array, out: Uint8Array, offset = 0): number {
    const r = this.protectRtcpCore(rtcp, out, offset);
    if (typeof r !== 'number') throw r;
    return r;
  }

  /** Non-throwing {@link protectRtcp}: the SRTCP packet, or the typed error. */
  tryProtectRtcp(rtcp: Uint8Array): Uint8Array | SrtpError {
    const r = this.protectRtcpCore(rtcp, null, 0);
    return typeof r === 'number' ? this.out : r;
  }

  /** Unprotects an SRTCP packet. Throws SrtpAuthError | SrtpReplayError | SrtpParseError. */
  unprotectRtcp(srtcp: Uint8Array): Uint8Array {
    const r = this.unprotectRtcpCore(srtcp, null, 0);
    if (typeof r !== 'number') throw r;
    return this.out;
  }

  /** Unprotects SRTCP into `out[offset..]`; returns the RTCP length. */
  unprotectRtcpInto(srtcp: Uint8Array, out: Uint8Array, offset = 0): number {
    const r = this.unprotectRtcpCore(srtcp, out, offset);
    if (typeof r !== 'number') throw r;
    return r;
  }

  /** Non-throwing {@link unprotectRtcp}: the RTCP packet, or the typed error. */
  tryUnprotectRtcp(srtcp: Uint8Array): Uint8Array | SrtpError {
    const r = this.unprotectRtcpCore(srtcp, null, 0);
    return typeof r === 'number' ? this.out : r;
  }

  // ---------------------------------------------------------------- state

  /**
   * Sets the rollover counter of an SSRC for both directions (late joiners learn it out of band, RFC 3711
   * §3.3.1). Before the stream's first packet it is the starting ROC; afterwards it replaces the current ROC,
   * keeping the highest sequence number, and clears the replay window.
   */
  setRoc(ssrc: number, roc: number): void {
    this.usable();
    if (!Number.isInteger(roc) || roc < 0 || roc > 0xffffffff) throw new SrtpConfigError('roc must be a uint32');
    const key = ssrc >>> 0;
    const t = this.txStream(key);
    if (t.top < 0) t.initRoc = roc;
    else t.top = roc * 65536 + (t.top % 65536);
    let r = this.rx.get(key);
    if (!r) {
      this.streamRoom(this.rx.size);
      r = { win: new ReplayWindow(this.window), initRoc: roc };
      this.rx.set(key, r);
    } else {
      r.initRoc = roc;
      if (r.win.top >= 0) r.win.reset(roc * 65536 + (r.win.top % 65536));
    }
  }

  /** The rollover counter of an SSRC: the receiving stream's if there is one, else the sending one's. */
  getRoc(ssrc: number): number | undefined {
    const key = ssrc >>> 0;
    const r = this.rx.get(key);
    if (r) return r.win.top >= 0 ? Math.floor(r.win.top / 65536) : r.initRoc;
    const t = this.tx.get(key);
    if (t) return t.top >= 0 ? Math.floor(t.top / 65536) : t.initRoc;
    return undefined;
  }

  /** Sets the next SRTCP index `protectRtcp` uses for an SSRC (0..2^31-1; the first is 1 by default, as libsrtp). */
  setSrtcpIndex(ssrc: number, index: number): void {
    this.usable();
    if (!Number.isInteger(index) || index < 0 || index > MAX_RTCP_INDEX) {
      throw new SrtpConfigError('SRTCP index must be in 0..2^31-1');
    }
    this.txStream(ssrc >>> 0).rtcpIndex = index;
  }

  /** Wipes the session keys and forgets every stream; the session cannot be used afterwards. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const ks of this.keySets) wipeKeySet(ks);
    this.tx.clear();
    this.rx.clear();
    this.rxRtcp.clear();
  }

  // ---------------------------------------------------------------- internals

  private usable(): void {
    if (this.closed) throw new SrtpConfigError('SrtpSession is closed');
  }

  private streamRoom(size: number): void {
    if (size >= this.maxStreams) {
      throw new SrtpLimitError(`more than ${this.maxStreams} SSRC streams (maxStreams)`, 'streams');
    }
  }

  private txStream(ssrc: number): TxStream {
    let s = this.tx.get(ssrc);
    if (!s) {
      this.streamRoom(this.tx.size);
      s = { top: -1, initRoc: 0, rtcpIndex: 1 };
      this.tx.set(ssrc, s);
    }
    return s;
  }

  private target(need: number, out: Uint8Array | null, offset: number, pool: 0 | 1): Uint8Array | SrtpError {
    if (out === null) {
      this.out = allocPacket(need, pool);
      return this.out;
    }
    if (!(out instanceof Uint8Array)) return new SrtpConfigError('the output buffer must be a Uint8Array');
    if (!Number.isInteger(offset) || offset < 0 || offset + need > out.length) {
      return new SrtpLimitError(`output buffer too small: need ${need} octets at offset ${offset}`, 'buffer');
    }
    return out;
  }

  private parseFail(msg: string, code: string): SrtpParseError {
    this.stats.parseErrors++;
    return new SrtpParseError(msg, code);
  }

  /** RTP header length (RFC 3550 §5.1, §5.3.1) or an error. */
  private rtpHeader(p: Uint8Array, avail: number): number | SrtpError {
    if (!(p instanceof Uint8Array)) return this.parseFail('packet must be a Uint8Array', 'type');
    if (avail < 12) return this.parseFail(`RTP packet too short (${avail} octets)`, 'short');
    const b0 = p[0]!;
    if (b0 >>> 6 !== 2) return this.parseFail(`RTP version ${b0 >>> 6}, expected 2`, 'version');
    let h = 12 + 4 * (b0 & 0x0f);
    if (b0 & 0x10) {
      if (h + 4 > avail) return this.parseFail('RTP header extension runs past the packet', 'length');
      h += 4 + 4 * ((p[h + 2]! << 8) | p[h + 3]!);
    }
    if (h > avail) {
      const what = b0 & 0x10 ? 'RTP header extension' : 'RTP header with its CSRC list';
      return this.parseFail(`${what} (${h} octets) runs past the packet (${avail})`, 'length');
    }
    return h;
  }

  private protectCore(rtp: Uint8Array, outArg: Uint8Array | null, off: number): number | SrtpError {
    if (this.closed) return new SrtpConfigError('SrtpSession is closed');
    const len = rtp?.length ?? 0;
    const h = this.rtpHeader(rtp, len);
    if (typeof h !== 'number') return h;
    const ssrc = ((rtp[8]! << 24) | (rtp[9]! << 16) | (rtp[10]! << 8) | rtp[11]!) >>> 0;
    const seq = (rtp[2]! << 8) | rtp[3]!;
    let st = this.tx.get(ssrc);
    if (!st) {
      if (this.tx.size >= this.maxStreams)
        return new SrtpLimitError(`more than ${this.maxStreams} SSRC streams`, 'streams');
      st = { top: -1, initRoc: 0, rtcpIndex: 1 };
      this.tx.set(ssrc, st);
    }
    const index = st.top < 0 ? st.initRoc * 65536 + seq : estimateSrtpIndex(st.top, seq);
    if (index < 0 || index > MAX_INDEX) {
      return new SrtpLimitError('SRTP packet index out of range: re-key (RFC 3711 §9.2)', 'index');
    }
    const roc = Math.floor(index / 65536);
    const mkiLen = this.mkiLen;
    const ks = this.sendKey;
    const c = ks.rtp;
    const prof = this.profile;
    const need = len + mkiLen + this.tagLen;
    const out = this.target(need, outArg, off, 0);
    if (out instanceof SrtpError) return out;
    if (out !== rtp || off !== 0) out.set(rtp.subarray(0, h), off);
    const plen = len - h;
    if (prof.aead) {
      const iv = gcmIv(this.iv, c.salt, ssrc, roc, seq, 2);
      c.gcm!.seal(iv, out, off, h, -1, rtp, h, plen, out, off + h);
      if (mkiLen) out.set(ks.mki, off + len + 16);
    } else {
      if (this.rtpCipher === 'AES_CM') {
        c.ctr!.xor(cmIv(this.iv, c.salt, ssrc, roc, seq), rtp, h, out, off + h, plen);
      } else if (this.rtpCipher === 'AES_F8') {
        aesF8(c.ctr!, c.ctrMasked!, f8RtpIv(this.iv, rtp, roc), rtp, h, out, off + h, plen);
      } else if (out !== rtp || off !== 0) {
        out.set(rtp.subarray(h, len), off + h);
      }
      if (mkiLen) out.set(ks.mki, off + len);
      c.mac!.sign(out, off, off + len, roc, out, off + len + mkiLen, this.tagLen);
    }
    if (index > st.top) st.top = index;
    this.stats.rtpProtected++;
    return need;
  }

  private unprotectCore(srtp: Uint8Array, outArg: Uint8Array | null, off: number): number | SrtpError {
    if (this.closed) return new SrtpConfigError('SrtpSession is closed');
    const len = srtp?.length ?? 0;
    const mkiLen = this.mkiLen;
    const tagLen = this.tagLen;
    const authEnd = len - mkiLen - tagLen;
    const h = this.rtpHeader(srtp, authEnd);
    if (typeof h !== 'number') return h;
    const prof = this.profile;
    const mkiAt = prof.aead ? len - mkiLen : authEnd;
    const ks = mkiLen === 0 ? this.sendKey : this.findKey(srtp, mkiAt);
    if (ks === undefined) return this.parseFail('unknown MKI', 'mki');
    const ssrc = ((srtp[8]! << 24) | (srtp[9]! << 16) | (srtp[10]! << 8) | srtp[11]!) >>> 0;
    const seq = (srtp[2]! << 8) | srtp[3]!;
    const st = this.rx.get(ssrc);
    const top = st ? st.win.top : -1;
    const index = top < 0 ? (st ? st.initRoc : 0) * 65536 + seq : estimateSrtpIndex(top, seq);
    if (index < 0 || index > MAX_INDEX) {
      this.stats.replays++;
      return new SrtpReplayError(`SRTP index out of range for SSRC ${ssrc}`, ssrc, index);
    }
    if (st && this.replayOn) {
      const r = st.win.check(index);
      if (r !== 0) {
        this.stats.replays++;
        return new SrtpReplayError(
          r === 1 ? `replayed SRTP packet (SSRC ${ssrc}, index ${index})` : `SRTP packet older than the replay window`,
          ssrc,
          index,
        );
      }
    }
    if (!st && this.rx.size >= this.maxStreams) {
      return new SrtpLimitError(`more than ${this.maxStreams} SSRC streams`, 'streams');
    }
    const roc = Math.floor(index / 65536);
    const c = ks.rtp;
    let outLen: number;
    let out: Uint8Array;
    if (prof.aead) {
      const clen = authEnd - h;
      outLen = h + clen;
      const o = this.target(outLen, outArg, off, 1);
      if (o instanceof SrtpError) return o;
      out = o;
      // AAD is the header of the received packet; verify before writing anything.
      const iv = gcmIv(this.iv, c.salt, ssrc, roc, seq, 2);
      if (!c.gcm!.open(iv, srtp, 0, h, -1, srtp, h, clen, out, off + h)) {
        this.stats.authFailures++;
        return new SrtpAuthError(`SRTP authentication failed (SSRC ${ssrc}, index ${index})`, ssrc);
      }
      if (out !== srtp || off !== 0) out.set(srtp.subarray(0, h), off);
    } else {
      const mac = SCRATCH_MAC;
      c.mac!.sign(srtp, 0, authEnd, roc, mac, 0, tagLen);
      let diff = 0;
      const t = authEnd + mkiLen;
      for (let i = 0; i < tagLen; i++) diff |= mac[i]! ^ srtp[t + i]!;
      if (diff !== 0) {
        this.stats.authFailures++;
        return new SrtpAuthError(`SRTP authentication failed (SSRC ${ssrc}, index ${index})`, ssrc);
      }
      outLen = authEnd;
      const o = this.target(outLen, outArg, off, 1);
      if (o instanceof SrtpError) return o;
      out = o;
      if (out !== srtp || off !== 0) out.set(srtp.subarray(0, h), off);
      if (this.rtpCipher === 'AES_CM') {
        c.ctr!.xor(cmIv(this.iv, c.salt, ssrc, roc, seq), srtp, h, out, off + h, authEnd - h);
      } else if (this.rtpCipher === 'AES_F8') {
        aesF8(c.ctr!, c.ctrMasked!, f8RtpIv(this.iv, srtp, roc), srtp, h, out, off + h, authEnd - h);
      } else if (out !== srtp || off !== 0) {
        out.set(srtp.subarray(h, authEnd), off + h);
      }
    }
    // Authenticated: commit ROC / highest index and the replay window (RFC 3711 §3.3.1, §3.3.2).
    if (st) {
      st.win.commit(index);
    } else {
      const win = new ReplayWindow(this.window);
      win.commit(index);
      this.rx.set(ssrc, { win, initRoc: 0 });
    }
    this.stats.rtpUnprotected++;
    return outLen;
  }

  private rtcpCheck(p: Uint8Array, avail: number): SrtpError | null {
    if (!(p instanceof Uint8Array)) return this.parseFail('packet must be a Uint8Array', 'type');
    if (avail < 8) return this.parseFail(`RTCP packet too short (${avail} octets)`, 'short');
    if (p[0]! >>> 6 !== 2) return this.parseFail(`RTCP version ${p[0]! >>> 6}, expected 2`, 'version');
    return null;
  }

  private protectRtcpCore(rtcp: Uint8Array, outArg: Uint8Array | null, off: number): number | SrtpError {
    if (this.closed) return new SrtpConfigError('SrtpSession is closed');
    const len = rtcp?.length ?? 0;
    const bad = this.rtcpCheck(rtcp, len);
    if (bad) return bad;
    const ssrc = ((rtcp[4]! << 24) | (rtcp[5]! << 16) | (rtcp[6]! << 8) | rtcp[7]!) >>> 0;
    let st = this.tx.get(ssrc);
    if (!st) {
      if (this.tx.size >= this.maxStreams)
        return new SrtpLimitError(`more than ${this.maxStreams} SSRC streams`, 'streams');
      st = { top: -1, initRoc: 0, rtcpIndex: 1 };
      this.tx.set(ssrc, st);
    }
    const index = st.rtcpIndex;
    if (index > MAX_RTCP_INDEX) {
      return new SrtpLimitError('SRTCP index exhausted (2^31 packets): re-key (RFC 3711 §9.2)', 'index');
    }
    const e = this.encryptRtcp;
    const word = ((e ? 0x80000000 : 0) | index) >>> 0;
    const mkiLen = this.mkiLen;
    const tagLen = this.rtcpTagLen;
    const need = len + 4 + tagLen + mkiLen;
    const out = this.target(need, outArg, off, 0);
    if (out instanceof SrtpError) return out;
    const ks = this.sendKey;
    const c = ks.rtcp;
    if (this.profile.aead) {
      // RFC 7714 §9: header+SSRC || ciphertext || tag || E|index || MKI; AAD = 8 octets || word (E=1)
      // or the whole packet || word (E=0, empty plaintext).
      if (out !== rtcp || off !== 0) out.set(rtcp.subarray(0, e ? 8 : len), off);
      const iv = gcmIv(this.iv, c.salt, ssrc, 0, index, 4);
      if (e) c.gcm!.seal(iv, out, off, 8, word, rtcp, 8, len - 8, out, off + 8);
      else c.gcm!.seal(iv, out, off, len, word, rtcp, len, 0, out, off + len);
      writeU32(out, off + len + 16, word);
      if (mkiLen) out.set(ks.mki, off + len + 20);
    } else {
      // RFC 3711 §3.4: header+SSRC || (encrypted) rest || E|index || MKI || tag; auth covers up to the word.
      if (out !== rtcp || off !== 0) out.set(rtcp.subarray(0, 8), off);
      if (e && this.profile.cipher === 'AES_CM') {
        c.ctr!.xor(cmIv(this.iv, c.salt, ssrc, index >>> 16, index & 0xffff), rtcp, 8, out, off + 8, len - 8);
      } else if (e && this.profile.cipher === 'AES_F8') {
        aesF8(c.ctr!, c.ctrMasked!, f8RtcpIv(this.iv, rtcp, word), rtcp, 8, out, off + 8, len - 8);
      } else if (out !== rtcp || off !== 0) {
        out.set(rtcp.subarray(8, len), off + 8);
      }
      writeU32(out, off + len, word);
      if (mkiLen) out.set(ks.mki, off + len + 4);
      c.mac!.sign(out, off, off + len + 4, -1, out, off + len + 4 + mkiLen, tagLen);
    }
    st.rtcpIndex = index + 1;
    this.stats.rtcpProtected++;
    return need;
  }

  private unprotectRtcpCore(srtcp: Uint8Array, outArg: Uint8Array | null, off: number): number | SrtpError {
    if (this.closed) return new SrtpConfigError('SrtpSession is closed');
    const len = srtcp?.length ?? 0;
    const mkiLen = this.mkiLen;
    const tagLen = this.rtcpTagLen;
    const aead = this.profile.aead;
    const body = len - 4 - tagLen - mkiLen; // RTCP octets
    const bad = this.rtcpCheck(srtcp, body);
    if (bad) return bad;
    const wordAt = aead ? len - mkiLen - 4 : body;
    const mkiAt = aead ? len - mkiLen : body + 4;
    const ks = mkiLen === 0 ? this.sendKey : this.findKey(srtcp, mkiAt);
    if (ks === undefined) return this.parseFail('unknown MKI', 'mki');
    const word =
      ((srtcp[wordAt]! << 24) | (srtcp[wordAt + 1]! << 16) | (srtcp[wordAt + 2]! << 8) | srtcp[wordAt + 3]!) >>> 0;
    const e = word >>> 31 === 1;
    const index = word & 0x7fffffff;
    const ssrc = ((srtcp[4]! << 24) | (srtcp[5]! << 16) | (srtcp[6]! << 8) | srtcp[7]!) >>> 0;
    const win = this.rxRtcp.get(ssrc);
    if (win && this.replayOn) {
      const r = win.check(index);
      if (r !== 0) {
        this.stats.replays++;
        return new SrtpReplayError(
          r === 1
            ? `replayed SRTCP packet (SSRC ${ssrc}, index ${index})`
            : 'SRTCP packet older than the replay window',
          ssrc,
          index,
        );
      }
    }
    if (!win && this.rxRtcp.size >= this.maxStreams) {
      return new SrtpLimitError(`more than ${this.maxStreams} SSRC streams`, 'streams');
    }
    if (e && this.profile.cipher === 'NULL') return this.parseFail('SRTCP E flag set under a NULL cipher', 'eflag');
    const c = ks.rtcp;
    const out = this.target(body, outArg, off, 1);
    if (out instanceof SrtpError) return out;
    if (aead) {
      const iv = gcmIv(this.iv, c.salt, ssrc, 0, index, 4);
      const ok = e
        ? c.gcm!.open(iv, srtcp, 0, 8, word, srtcp, 8, body - 8, out, off + 8)
        : c.gcm!.open(iv, srtcp, 0, body, word, srtcp, body, 0, out, off + body);
      if (!ok) {
        this.stats.authFailures++;
        return new SrtpAuthError(`SRTCP authentication failed (SSRC ${ssrc}, index ${index})`, ssrc);
      }
      if (out !== srtcp || off !== 0) out.set(srtcp.subarray(0, e ? 8 : body), off);
    } else {
      const mac = SCRATCH_MAC;
      c.mac!.sign(srtcp, 0, body + 4, -1, mac, 0, tagLen);
      let diff = 0;
      const t = body + 4 + mkiLen;
      for (let i = 0; i < tagLen; i++) diff |= mac[i]! ^ srtcp[t + i]!;
      if (diff !== 0) {
        this.stats.authFailures++;
        return new SrtpAuthError(`SRTCP authentication failed (SSRC ${ssrc}, index ${index})`, ssrc);
      }
      if (out !== srtcp || off !== 0) out.set(srtcp.subarray(0, 8), off);
      if (e && this.profile.cipher === 'AES_CM') {
        c.ctr!.xor(cmIv(this.iv, c.salt, ssrc, index >>> 16, index & 0xffff), srtcp, 8, out, off + 8, body - 8);
      } else if (e && this.profile.cipher === 'AES_F8') {
        aesF8(c.ctr!, c.ctrMasked!, f8RtcpIv(this.iv, srtcp, word), srtcp, 8, out, off + 8, body - 8);
      } else if (out !== srtcp || off !== 0) {
        out.set(srtcp.subarray(8, body), off + 8);
      }
    }
    if (win) {
      win.commit(index);
    } else {
      const w = new ReplayWindow(this.window);
      w.commit(index);
      this.rxRtcp.set(ssrc, w);
    }
    this.stats.rtcpUnprotected++;
    return body;
  }
}

function writeU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

function checkMki(mki: unknown, required: boolean): Uint8Array {
  if (!(mki instanceof Uint8Array) || mki.length > 128 || (required && mki.length === 0)) {
    throw new SrtpConfigError(`mki must be ${required ? '1' : '0'}-128 octets`);
  }
  return mki;
}

function wipeKeySet(ks: KeySet): void {
  for (const c of [ks.rtp, ks.rtcp]) {
    c.ctr?.wipe?.();
    c.ctrMasked?.wipe?.();
    c.mac?.wipe?.();
    c.gcm?.wipe?.();
    c.keys.cipherKey.fill(0);
    c.keys.authKey.fill(0);
    c.keys.salt.fill(0);
  }
}

function checkSessionKeys(prof: SrtpProfile, k: SrtpSessionKeys): SrtpSessionKeys {
  if (!k || !(k.cipherKey instanceof Uint8Array) || k.cipherKey.length !== prof.cipherKeyLength) {
    throw new SrtpConfigError(`${prof.name} needs a ${prof.cipherKeyLength}-octet session cipher key`);
  }
  if (!(k.salt instanceof Uint8Array) || k.salt.length !== prof.sessionSaltLength) {
    throw new SrtpConfigError(`${prof.name} needs a ${prof.sessionSaltLength}-octet session salt`);
  }
  const auth = k.authKey ?? new Uint8Array(0);
  if (!(auth instanceof Uint8Array) || auth.length !== prof.authKeyLength) {
    throw new SrtpConfigError(`${prof.name} needs a ${prof.authKeyLength}-octet session auth key`);
  }
  return { cipherKey: k.cipherKey.slice(), salt: k.salt.slice(), authKey: auth.slice() };
}

function makeCrypto(prof: SrtpProfile, be: SrtpBackend, keys: SrtpSessionKeys): Crypto {
  let ctr: CtrCipher | null = null;
  let ctrMasked: CtrCipher | null = null;
  let mac: Mac | null = null;
  let gcm: Aead | null = null;
  if (prof.cipher === 'AES_GCM') {
    gcm = be.gcm(keys.cipherKey);
  } else {
    mac = be.hmacSha1(keys.authKey);
    if (prof.cipher === 'AES_CM') ctr = be.ctr(keys.cipherKey);
    if (prof.cipher === 'AES_F8') {
      ctr = be.ctr(keys.cipherKey);
      // m = k_s || 0x555..5, as long as the key (RFC 3711 §4.1.2.1).
      const masked = new Uint8Array(keys.cipherKey.length).fill(0x55);
      masked.set(keys.salt.subarray(0, Math.min(keys.salt.length, masked.length)));
      for (let i = 0; i < masked.length; i++) masked[i] = masked[i]! ^ keys.cipherKey[i]!;
      ctrMasked = be.ctr(masked);
      masked.fill(0);
    }
  }
  return { salt: keys.salt, ctr, ctrMasked, mac, gcm, keys };
}

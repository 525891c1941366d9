import type { Aead, CtrCipher, Mac, SrtpBackend } from './crypto/backend.js';
import { defaultBackend, resolveBackend, type SrtpBackendName } from './crypto/select.js';
import { SrtpConfigError, type SrtpError, SrtpLimitError, SrtpParseError } from './errors.js';
import { deriveSrtpSessionKeys, type SrtpSessionKeys } from './kdf.js';
import { allocPacket } from './pool.js';
import { getSrtpProfile, type SrtpProfile } from './profiles.js';
import { ReplayWindow } from './replay.js';

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

export interface Crypto {
  readonly salt: Uint8Array;
  readonly ctr: CtrCipher | null;
  /** f8 only: cipher under k_e XOR m (RFC 3711 §4.1.2.2). */
  readonly ctrMasked: CtrCipher | null;
  readonly mac: Mac | null;
  readonly gcm: Aead | null;
  readonly keys: SrtpSessionKeys;
}

/** The session keys of one master key, and its MKI. */
export interface KeySet {
  readonly mki: Uint8Array;
  readonly rtp: Crypto;
  readonly rtcp: Crypto;
}

export interface TxStream {
  /** Highest SRTP index sent, -1 before the first. */
  top: number;
  /** ROC to start from (setRoc before the first packet). */
  initRoc: number;
  /** Next SRTCP index to send. */
  rtcpIndex: number;
}

export interface RxStream {
  readonly win: ReplayWindow;
  initRoc: number;
}

export const MAX_INDEX = 2 ** 48 - 1;
export const MAX_RTCP_INDEX = 0x7fffffff;

export const SCRATCH_MAC = new Uint8Array(32);

/**
 * The state of an {@link SrtpSession}: profile, master keys and their derived session keys (RFC 3711 §4.3), per-SSRC
 * streams, replay windows and the ROC/SRTCP-index controls. The protect/unprotect transforms live in session.ts.
 *
 * @internal
 */
export abstract class SrtpSessionState {
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
  protected readonly keySets: KeySet[] = [];
  protected sendKey: KeySet;
  protected readonly mkiLen: number;
  protected readonly be: SrtpBackend;
  protected readonly kdr: number;
  protected readonly tagLen: number;
  protected readonly rtcpTagLen: number;
  protected readonly window: number;
  protected readonly replayOn: boolean;
  protected readonly encryptRtcp: boolean;
  protected readonly rtpCipher: 'AES_CM' | 'AES_F8' | 'NULL' | 'AES_GCM';
  protected readonly maxStreams: number;
  protected readonly tx = new Map<number, TxStream>();
  protected readonly rx = new Map<number, RxStream>();
  protected readonly rxRtcp = new Map<number, ReplayWindow>();
  protected readonly iv = new Uint8Array(16);
  protected out: Uint8Array = new Uint8Array(0);
  protected closed = false;

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

  protected derive(key: Uint8Array, salt: Uint8Array, mki: Uint8Array): KeySet {
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
  protected findKey(buf: Uint8Array, at: number): KeySet | undefined {
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

  protected usable(): void {
    if (this.closed) throw new SrtpConfigError('SrtpSession is closed');
  }

  protected streamRoom(size: number): void {
    if (size >= this.maxStreams) {
      throw new SrtpLimitError(`more than ${this.maxStreams} SSRC streams (maxStreams)`, 'streams');
    }
  }

  protected txStream(ssrc: number): TxStream {
    let s = this.tx.get(ssrc);
    if (!s) {
      this.streamRoom(this.tx.size);
      s = { top: -1, initRoc: 0, rtcpIndex: 1 };
      this.tx.set(ssrc, s);
    }
    return s;
  }

  protected target(need: number, out: Uint8Array | null, offset: number, pool: 0 | 1): Uint8Array | SrtpError {
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

  protected parseFail(msg: string, code: string): SrtpParseError {
    this.stats.parseErrors++;
    return new SrtpParseError(msg, code);
  }

  /** RTP header length (RFC 3550 §5.1, §5.3.1) or an error. */
  protected rtpHeader(p: Uint8Array, avail: number): number | SrtpError {
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
}

export function writeU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

export function checkMki(mki: unknown, required: boolean): Uint8Array {
  if (!(mki instanceof Uint8Array) || mki.length > 128 || (required && mki.length === 0)) {
    throw new SrtpConfigError(`mki must be ${required ? '1' : '0'}-128 octets`);
  }
  return mki;
}

export function wipeKeySet(ks: KeySet): void {
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

export function checkSessionKeys(prof: SrtpProfile, k: SrtpSessionKeys): SrtpSessionKeys {
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

export function makeCrypto(prof: SrtpProfile, be: SrtpBackend, keys: SrtpSessionKeys): Crypto {
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

import { SrtpAuthError, SrtpConfigError, SrtpError, SrtpLimitError, SrtpReplayError } from './errors.js';
import { ReplayWindow } from './replay.js';
import { estimateSrtpIndex } from './rollover.js';
import {
  MAX_INDEX,
  MAX_RTCP_INDEX,
  SCRATCH_MAC,
  type SrtpSessionOptions,
  SrtpSessionState,
  writeU32,
} from './session-state.js';
import { aesF8, cmIv, f8RtcpIv, f8RtpIv, gcmIv } from './transforms.js';

export type { SrtpMasterKeyWithMki, SrtpSessionOptions, SrtpStats } from './session-state.js';

/**
 * One direction of SRTP and SRTCP under one master key (RFC 3711): `protect`/`protectRtcp` for what we send,
 * `unprotect`/`unprotectRtcp` for what we receive. Keys are derived, AES key schedules expanded and HMAC
 * states precomputed once, at construction. Per-SSRC stream state (ROC, replay windows, SRTCP index) is made
 * on first use; a receiving stream's state changes only after its packet authenticates.
 */
export class SrtpSession extends SrtpSessionState {
  /** A session for one direction; throws SrtpConfigError on a bad profile, key, salt or option. */
  constructor(opts: SrtpSessionOptions) {
    super(opts);
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

  protected protectCore(rtp: Uint8Array, outArg: Uint8Array | null, off: number): number | SrtpError {
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

  protected unprotectCore(srtp: Uint8Array, outArg: Uint8Array | null, off: number): number | SrtpError {
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

  protected rtcpCheck(p: Uint8Array, avail: number): SrtpError | null {
    if (!(p instanceof Uint8Array)) return this.parseFail('packet must be a Uint8Array', 'type');
    if (avail < 8) return this.parseFail(`RTCP packet too short (${avail} octets)`, 'short');
    if (p[0]! >>> 6 !== 2) return this.parseFail(`RTCP version ${p[0]! >>> 6}, expected 2`, 'version');
    return null;
  }

  protected protectRtcpCore(rtcp: Uint8Array, outArg: Uint8Array | null, off: number): number | SrtpError {
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

  protected unprotectRtcpCore(srtcp: Uint8Array, outArg: Uint8Array | null, off: number): number | SrtpError {
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

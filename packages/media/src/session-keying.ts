/**
 * The keying and connectivity layer of {@link MediaSession}: SDES (RFC 4568) and DTLS-SRTP (RFC 5763/5764)
 * keys, including the RTCP component's own association without rtcp-mux, and STUN routed to the ICE-lite agent
 * (RFC 8445).
 */
import { DtlsEngine, srtpSessionsFromDtls } from '@mdh/dtls';
import { RtcpScheduler } from '@mdh/rtp';
import {
  parseSdesCrypto,
  type SdesCrypto,
  SrtpSession,
  sdesSessionOptions,
  srtpKeysFromKeyingMaterial,
} from '@mdh/srtp';
import { MediaError } from './errors.js';
import type { MediaKeyEvent } from './observability.js';
import { DEFAULT_DTLS_SRTP_PROFILES, MediaSessionBase, sameAddress, UDP_IP_OVERHEAD } from './session-base.js';
import type { MediaAddress, MediaSecurity } from './types.js';

/**
 * Keying (SDES, DTLS-SRTP) and ICE of a {@link MediaSession}.
 *
 * @internal
 */
export abstract class MediaSessionKeying extends MediaSessionBase {
  // ------------------------------------------------------------------------------------------------ keying

  protected keySdes(sec: Extract<MediaSecurity, { kind: 'sdes' }>): void {
    let local: SdesCrypto;
    let remote: SdesCrypto;
    try {
      local = typeof sec.local === 'string' ? parseSdesCrypto(sec.local) : sec.local;
      remote = typeof sec.remote === 'string' ? parseSdesCrypto(sec.remote) : sec.remote;
    } catch (e) {
      throw new MediaError('bad-crypto', `a=crypto: ${(e as Error).message}`);
    }
    const extra = sec.srtcpTagLength ? { srtcpTagLength: sec.srtcpTagLength } : {};
    try {
      this.tx = new SrtpSession({ ...sdesSessionOptions(local), ...extra });
      this.rx = new SrtpSession({ ...sdesSessionOptions(remote), ...extra });
    } catch (e) {
      throw new MediaError('bad-crypto', `a=crypto: ${(e as Error).message}`);
    }
    this.profile = this.tx.profile.name;
    if (this.keylog) {
      const lk = local.keyParams[0]!;
      const rk = remote.keyParams[0]!;
      this.logKey({
        kind: 'srtp',
        keying: 'sdes',
        profile: this.profile,
        ...this.keyEnds(),
        outbound: { key: lk.key.slice(), salt: lk.salt.slice() },
        inbound: { key: rk.key.slice(), salt: rk.salt.slice() },
      });
    }
  }

  /** The key log's addresses and our SSRC. */
  protected keyEnds(): { local: MediaAddress; remote: MediaAddress | undefined; ssrc: number } {
    return { local: this.local ?? { address: '0.0.0.0', port: 0 }, remote: this.remoteRtp, ssrc: this._ssrc };
  }

  protected logKey(e: MediaKeyEvent): void {
    try {
      this.keylog?.(e);
    } catch {
      // the hook's problem
    }
  }

  protected newDtlsEngine(sec: Extract<MediaSecurity, { kind: 'dtls' }>): DtlsEngine {
    return new DtlsEngine({
      role: sec.role,
      certificate: sec.certificate,
      srtpProfiles: sec.profiles ?? DEFAULT_DTLS_SRTP_PROFILES,
      expectedFingerprints: sec.remoteFingerprints,
      requestClientCertificate: true,
      requireClientCertificate: true,
      // RFC 5763 §5: the fingerprint in the signalled SDP authenticates the peer; no cookie round trip is needed
      // on a port already bound to this call.
      cookieExchange: false,
      handshakeTimeoutMs: sec.handshakeTimeoutMs ?? 20_000,
      ...(sec.randomBytes ? { random: sec.randomBytes } : {}),
      wallClock: () => this.wallClock(this.now),
      ...(this.keylog
        ? {
            keylog: (k: { clientRandom: Uint8Array; masterSecret: Uint8Array }) =>
              this.logKey({ kind: 'dtls-master', ...k }),
          }
        : {}),
    });
  }

  protected onDtls(datagram: Uint8Array, from: MediaAddress, now: number): void {
    const dtls = this.dtls!;
    // RFC 5763 §5: the passive side answers the handshake where it comes from when no address was signalled.
    if (this._state === 'keying' && this.remoteRtp === undefined) this.setRemoteFrom(from);
    // Once keyed, only the peer's RTP address speaks DTLS to this association (a late retransmitted flight); the
    // RTCP component's handshake arrives on the RTCP port (onRtcpDtls).
    if (this._state === 'active' && !sameAddress(this.remoteRtp, from)) {
      this.dropped.unhandled++;
      return;
    }
    dtls.handleInput(datagram, now);
    this.drainDtls(now);
  }

  /** A DTLS client for the RTCP component starts once the peer's RTCP address is known. */
  protected startRtcpDtls(now: number): void {
    const e = this.rtcpDtls;
    if (!e || this.security.kind !== 'dtls' || this.security.role !== 'client' || !this.remoteRtcpAddr) return;
    if (this.rtcpTx || this._state === 'closed' || this._state === 'failed') return;
    try {
      e.start(now);
    } catch {
      // already started
    }
    this.drainRtcpDtls(now);
  }

  /** DTLS on the RTCP port: the RTCP component's association (RFC 5764 §4.1). */
  protected onRtcpDtls(datagram: Uint8Array, from: MediaAddress, now: number): void {
    if (!this.rtcpTx && this.remoteRtcpAddr === undefined)
      this.remoteRtcpAddr = { address: from.address, port: from.port };
    // once keyed, only the peer's RTCP address speaks to this association
    if (this.rtcpTx && !sameAddress(this.remoteRtcpAddr, from)) {
      this.dropped.unhandled++;
      return;
    }
    this.rtcpDtls!.handleInput(datagram, now);
    this.drainRtcpDtls(now);
  }

  /**
   * Outputs of the RTCP component's association: its flights go out of the RTCP port; once connected its exported
   * keys protect SRTCP (RFC 5764 §4.2). A failure there loses RTCP only: the call's RTP goes on (principle 6).
   */
  protected drainRtcpDtls(now: number): void {
    const e = this.rtcpDtls;
    if (!e) return;
    for (let o = e.pollOutput(); o.kind !== 'deadline'; o = e.pollOutput()) {
      if (o.kind === 'datagram') {
        if (this.remoteRtcpAddr) this.push({ kind: 'datagram', data: o.data, to: this.remoteRtcpAddr, via: 'rtcp' });
        continue;
      }
      const ev = o.event;
      if (ev.type === 'connected' && !this.rtcpTx && ev.info.srtpProfile) {
        const k = srtpSessionsFromDtls(e);
        this.rtcpTx = k.outbound;
        this.rtcpRx = k.inbound;
      } else if (ev.type === 'error' && !this.rtcpTx) {
        this.dropped.unhandled++;
      }
    }
    void now;
  }

  protected drainDtls(now: number): void {
    const dtls = this.dtls;
    if (!dtls) return;
    for (let o = dtls.pollOutput(); o.kind !== 'deadline'; o = dtls.pollOutput()) {
      if (o.kind === 'datagram') {
        if (this.remoteRtp) this.push({ kind: 'datagram', data: o.data, to: this.remoteRtp, via: 'rtp' });
        continue;
      }
      const ev = o.event;
      if (ev.type === 'connected' && this._state === 'keying') {
        if (!ev.info.srtpProfile) {
          this.fail(new MediaError('no-srtp-profile', 'the DTLS peer did not negotiate use_srtp (RFC 5764 §4.1.2)'));
          return;
        }
        const s = srtpSessionsFromDtls(dtls);
        if (this.keylog) {
          const km = dtls.srtpKeyingMaterial()!;
          const keys = srtpKeysFromKeyingMaterial(s.profile, km.material, dtls.role);
          this.logKey({
            kind: 'srtp',
            keying: 'dtls',
            profile: s.profile,
            ...this.keyEnds(),
            outbound: keys.local,
            inbound: keys.remote,
            exporter: km.material,
            clientRandom: dtls.clientHelloRandom,
          });
        }
        this.tx = s.outbound;
        this.rx = s.inbound;
        this.profile = s.profile;
        this.activate(now);
      } else if (ev.type === 'error' && this._state === 'keying') {
        const fp = /fingerprint/i.test(ev.error.message);
        this.fail(new MediaError(fp ? 'fingerprint-mismatch' : 'dtls-failed', `DTLS-SRTP: ${ev.error.message}`));
        return;
      }
      // After keying, DTLS errors and close_notify do not end the media (principle 6): SRTP goes on.
    }
  }

  protected activate(now: number): void {
    this._state = 'active';
    this.lastMediaAt = now;
    // RFC 3550 §6.2/A.7: a participant joins when it can send; the first report is due after half the minimum
    // interval, randomised.
    this.scheduler = new RtcpScheduler({
      sessionBandwidth: this.sessionBandwidth,
      random: this.random,
      now,
      initialAvgRtcpSize: UDP_IP_OVERHEAD + 28 + 8 + 4 + this.cnameOctets + 4,
      ...(this.rtcpMinIntervalMs !== undefined ? { minIntervalMs: this.rtcpMinIntervalMs } : {}),
    });
    if (this.profile) {
      this.emit({ type: 'secure', profile: this.profile, keying: this.security.kind === 'dtls' ? 'dtls' : 'sdes' });
    }
  }

  protected fail(error: MediaError): void {
    this._state = 'failed';
    this.emit({ type: 'error', error });
    this.emit({ type: 'closed', reason: error.message });
  }

  // ------------------------------------------------------------------------------------------------ receive

  /** STUN (RFC 7983: first octet 0..3) goes to the ICE-lite agent, which answers checks. */
  protected onStun(datagram: Uint8Array, from: MediaAddress, now: number): void {
    if (!this.ice) {
      this.dropped.unhandled++;
      return;
    }
    this.ice.handleInput(datagram, from, now, this.local);
    this.drainIce(now);
  }

  /** ICE outputs: responses to send, and the nominated pair, which becomes where media goes (RFC 8445 §8.1.1). */
  protected drainIce(now: number): void {
    const ice = this.ice;
    if (!ice) return;
    for (let o = ice.pollOutput(); o.kind !== 'deadline'; o = ice.pollOutput()) {
      if (o.kind === 'datagram') this.push({ kind: 'datagram', data: o.data, to: o.to, via: 'rtp' });
      else if (o.event.type === 'selected-pair') {
        const r = o.event.pair.remote;
        if (!sameAddress(this.remoteRtp, r)) {
          this.setRemoteFrom(r);
          // A DTLS client waiting for an address starts now.
          if (
            this.dtls &&
            this.security.kind === 'dtls' &&
            this.security.role === 'client' &&
            this._state === 'keying'
          ) {
            this.setRemote(this.remoteRtp!, undefined, now);
          }
        }
      } else if (o.event.type === 'failed') {
        this.emit({ type: 'ice-failed', reason: o.event.reason, message: o.event.message });
      }
    }
  }
}

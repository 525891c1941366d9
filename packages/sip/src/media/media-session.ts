import { randomBytes } from 'node:crypto';
import { fingerprint as certFingerprint, type DtlsCertificate, DtlsSession, generateCertificate } from '@mdh/dtls';
import { createLoop, createUdpSocket, type Loop, type TimerId, type UdpSocket } from '@mdh/loop';
import { classifyPacket } from '@mdh/media';
import { ReceiverStats, RtpPacket } from '@mdh/rtp';
import { getSrtpProfile, SrtpSession, srtpKeysFromKeyingMaterial } from '@mdh/srtp';
import type { LocalMedia, NegotiatedMedia, SdpCrypto, SrtpMode } from '../sdp/offer-answer.js';
import { defaultDtlsCertificate, makeSdesCrypto } from './call-media.js';
import { decodeG711 } from './g711.js';
import { dominantFrequency, ToneGenerator } from './tone.js';

/** DTLS-SRTP profiles we offer (RFC 5764 §4.1.2, RFC 7714). */
export const DTLS_SRTP_PROFILES = [
  'SRTP_AEAD_AES_128_GCM',
  'SRTP_AES128_CM_HMAC_SHA1_80',
  'SRTP_AES128_CM_HMAC_SHA1_32',
];

/** Media failure (bad crypto line, DTLS handshake failure, fingerprint mismatch). */
export class MediaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MediaError';
  }
}

/** Decodes `inline:<base64>|...` (RFC 4568 §9.2) into master key and salt for a suite. */
export function parseSdesKey(c: SdpCrypto): { profile: string; key: Uint8Array; salt: Uint8Array } {
  const prof = getSrtpProfile(c.suite);
  const m = /^inline:([A-Za-z0-9+/=]+)/.exec(c.keyParams);
  if (!m) throw new MediaError(`unsupported a=crypto key params '${c.keyParams}'`);
  const raw = new Uint8Array(Buffer.from(m[1]!, 'base64'));
  const k = prof.masterKeyLength;
  const s = prof.masterSaltLength;
  if (raw.length !== k + s)
    throw new MediaError(`a=crypto key for ${c.suite} must be ${k + s} octets, got ${raw.length}`);
  return { profile: prof.name, key: raw.slice(0, k), salt: raw.slice(k) };
}

/** What the media does once started. */
export type MediaMode = 'echo' | 'tone' | 'silent';

/** Media statistics (the call report). */
export interface MediaStats {
  packetsSent: number;
  packetsReceived: number;
  bytesSent: number;
  bytesReceived: number;
  /** Tone mode: packets sent whose echo never came back; echo mode: RTP sequence gaps (RFC 3550 A.3). */
  lost: number;
  /** lost / sent (tone) or lost / expected (echo), in percent. */
  lossPercent: number;
  /** Interarrival jitter, ms (RFC 3550 A.8). */
  jitterMs: number;
  /** Round trip of echoed packets (tone mode), ms. */
  rttMs: { avg: number; min: number; max: number } | undefined;
  /** Dominant frequency of the received audio, Hz (tone mode). */
  receivedToneHz: number;
  /** Packets dropped: SRTP authentication/replay failures, malformed RTP. */
  dropped: number;
  /** SRTP profile in use, when protected. */
  srtpProfile: string | undefined;
}

/** Options of {@link MediaEndpoint.open}. */
export interface MediaEndpointOptions {
  srtp: SrtpMode;
  /** Address to bind and advertise (default 127.0.0.1). */
  host?: string;
  /** Port (default 0: OS-assigned). */
  port?: number;
  loop?: Loop;
  /** DTLS identity (generated once per process when absent). */
  certificate?: DtlsCertificate;
  /** Codecs in preference order. */
  codecs?: ('PCMU' | 'PCMA')[];
}

const MAX_RTT_TRACK = 1024;

/**
 * One audio stream's media: a UDP socket, optional SRTP keyed by SDES or DTLS-SRTP, RTP in and out, stats.
 * `open()` binds and yields the {@link LocalMedia} to put in the SDP; `start()` runs it after negotiation.
 *
 * ```ts
 * const m = await MediaEndpoint.open({ srtp: 'dtls' });
 * const offer = createSdpOffer(m.local, { sessionId: '1', version: 1 });
 * // ... after the answer:
 * await m.start(readSdpAnswer(answer, m.local), 'tone');
 * ```
 */
export class MediaEndpoint {
  readonly socket: UdpSocket;
  readonly loop: Loop;
  /** Our side for the SDP. */
  readonly local: LocalMedia;
  private readonly cert: DtlsCertificate | undefined;
  private neg: NegotiatedMedia | undefined;
  private tx: SrtpSession | undefined;
  private rx: SrtpSession | undefined;
  private dtls: DtlsSession | undefined;
  private mode: MediaMode = 'silent';
  private remote: { address: string; port: number } | undefined;
  private latched = false;
  private readonly ssrc = randomBytes(4).readUInt32BE(0);
  private seq = randomBytes(2).readUInt16BE(0);
  private ts = randomBytes(4).readUInt32BE(0);
  private timer: TimerId | undefined;
  private tone: ToneGenerator | undefined;
  private rxStats: ReceiverStats | undefined;
  private readonly sentAt = new Map<number, number>();
  private rtts: number[] = [];
  private samples: number[] = [];
  private toneCache: { n: number; hz: number } | undefined;
  private closed = false;
  private readonly s = {
    packetsSent: 0,
    packetsReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
    dropped: 0,
    echoed: 0,
  };
  private profileName: string | undefined;
  private readonly early: { data: Uint8Array; address: string; port: number }[] = [];

  private constructor(socket: UdpSocket, loop: Loop, local: LocalMedia, cert: DtlsCertificate | undefined) {
    this.socket = socket;
    this.loop = loop;
    this.local = local;
    this.cert = cert;
    socket.onMessage((m) => this.onDatagram(m.data, m.address, m.port));
  }

  /** Binds the media socket and prepares our SDP side (keys for SDES, fingerprint for DTLS). */
  static async open(o: MediaEndpointOptions): Promise<MediaEndpoint> {
    const host = o.host ?? '127.0.0.1';
    const socket = await createUdpSocket({
      type: host.includes(':') ? 'udp6' : 'udp4',
      address: host,
      port: o.port ?? 0,
    });
    const local: LocalMedia = { address: host, port: socket.port, srtp: o.srtp };
    if (o.codecs) local.codecs = o.codecs;
    let cert: DtlsCertificate | undefined;
    if (o.srtp === 'sdes') local.crypto = makeSdesCrypto();
    if (o.srtp === 'dtls') {
      cert = o.certificate ?? defaultDtlsCertificate();
      const fp = certFingerprint(cert.chain[0]!, 'sha-256');
      const [hash, value] = fp.split(' ') as [string, string];
      local.fingerprint = { hash, value };
    }
    return new MediaEndpoint(socket, o.loop ?? createLoop(), local, cert);
  }

  /** Negotiated parameters once started. */
  get negotiated(): NegotiatedMedia | undefined {
    return this.neg;
  }

  /**
   * Starts media for a negotiation result: keys SRTP (SDES now; DTLS after the handshake, which this awaits
   * with a bound of `timeoutMs`), then echoes, sends a tone, or stays silent (receiving only).
   */
  async start(neg: NegotiatedMedia, mode: MediaMode, o: { toneHz?: number; timeoutMs?: number } = {}): Promise<void> {
    if (this.neg) throw new Error('media already started');
    this.neg = neg;
    this.mode = mode;
    this.remote = { address: neg.remoteAddress, port: neg.remotePort };
    if (neg.srtp === 'sdes') {
      if (!neg.localCrypto || !neg.remoteCrypto) throw new MediaError('SDES negotiation without crypto lines');
      const l = parseSdesKey(neg.localCrypto);
      const r = parseSdesKey(neg.remoteCrypto);
      this.tx = new SrtpSession({ profile: l.profile, key: l.key, salt: l.salt });
      this.rx = new SrtpSession({ profile: r.profile, key: r.key, salt: r.salt });
      this.profileName = l.profile;
    } else if (neg.srtp === 'dtls') {
      await this.startDtls(neg, o.timeoutMs ?? 10_000);
    }
    if (mode === 'tone') {
      this.tone = new ToneGenerator({ frequency: o.toneHz ?? 440, codec: neg.codec, ptimeMs: neg.ptime });
      this.timer = this.loop.every(neg.ptime, () => this.sendTone());
    }
  }

  private async startDtls(neg: NegotiatedMedia, timeoutMs: number): Promise<void> {
    if (!this.cert || !neg.remoteFingerprint || !neg.dtlsRole) throw new MediaError('DTLS negotiation incomplete');
    const role = neg.dtlsRole;
    const expected = `${neg.remoteFingerprint.hash} ${neg.remoteFingerprint.value}`;
    this.dtls = new DtlsSession(
      {
        role,
        certificate: this.cert,
        srtpProfiles: DTLS_SRTP_PROFILES,
        expectedFingerprints: [expected],
        requestClientCertificate: true,
        requireClientCertificate: true,
        cookieExchange: false,
        handshakeTimeoutMs: timeoutMs,
        loop: this.loop,
      },
      (d) => {
        const r = this.remote;
        if (r && !this.closed) this.socket.send(d, r.port, r.address);
      },
    );
    const early = this.early.splice(0);
    if (role === 'server' && early[0]) this.remote = { address: early[0].address, port: early[0].port };
    for (const e of early) this.dtls.handleDatagram(e.data);
    const info = await (role === 'client' ? this.dtls.start() : this.dtls.ready);
    const km = this.dtls.srtpKeyingMaterial();
    if (!km || !info.srtpProfile) throw new MediaError('DTLS peer did not negotiate use_srtp');
    const keys = srtpKeysFromKeyingMaterial(km.profile.name, km.material, role);
    this.tx = new SrtpSession({ profile: keys.profile, key: keys.local.key, salt: keys.local.salt });
    this.rx = new SrtpSession({ profile: keys.profile, key: keys.remote.key, salt: keys.remote.salt });
    this.profileName = keys.profile.name;
  }

  private sendTone(): void {
    if (!this.tone || !this.neg) return;
    const payload = this.tone.nextFrame();
    this.sendRtp(this.neg.payloadType, this.seq, this.ts, payload, this.s.packetsSent === 0);
    if (this.sentAt.size >= MAX_RTT_TRACK) this.sentAt.delete(this.sentAt.keys().next().value as number);
    this.sentAt.set(this.seq, this.loop.now());
    this.seq = (this.seq + 1) & 0xffff;
    this.ts = (this.ts + payload.length) >>> 0;
  }

  private sendRtp(pt: number, seq: number, ts: number, payload: Uint8Array, marker: boolean): void {
    const r = this.remote;
    if (!r || this.closed) return;
    if (this.neg?.srtp !== 'none' && !this.tx) return; // not keyed yet
    const pkt = new RtpPacket({
      payloadType: pt,
      sequenceNumber: seq,
      timestamp: ts,
      ssrc: this.ssrc,
      payload,
      marker,
    });
    let bytes = pkt.serialize();
    if (this.tx) bytes = this.tx.protect(bytes);
    this.socket.send(bytes, r.port, r.address);
    this.s.packetsSent++;
    this.s.bytesSent += bytes.length;
  }

  private onDatagram(data: Uint8Array, address: string, port: number): void {
    if (this.closed) return;
    const kind = classifyPacket(data);
    if (kind === 'dtls') {
      if (this.dtls) {
        if (!this.latched && this.neg?.dtlsRole === 'server') this.remote = { address, port };
        this.dtls.handleDatagram(data);
      } else if (this.early.length < 8) {
        // A ClientHello may arrive before our answer/ACK processing created the session: keep it.
        this.early.push({ data: data.slice(), address, port });
      } else this.s.dropped++;
      return;
    }
    if (kind !== 'rtp' || !this.neg) {
      this.s.dropped++;
      return;
    }
    const pt = data[1]! & 0x7f;
    if (pt >= 72 && pt <= 76) return; // RTCP on a muxed port (RFC 5761 §4): not used for the report
    let plain = data;
    if (this.neg.srtp !== 'none') {
      if (!this.rx) {
        this.s.dropped++;
        return;
      }
      const r = this.rx.tryUnprotect(data);
      if (!r.ok) {
        this.s.dropped++;
        return;
      }
      plain = r.packet;
    }
    const p = RtpPacket.tryParse(plain);
    if (!(p instanceof RtpPacket)) {
      this.s.dropped++;
      return;
    }
    this.s.packetsReceived++;
    this.s.bytesReceived += data.length;
    // Symmetric RTP: answer where the media really comes from.
    if (!this.latched) {
      this.latched = true;
      this.remote = { address, port };
    }
    const now = this.loop.now();
    if (!this.rxStats) this.rxStats = new ReceiverStats({ ssrc: p.ssrc, clockRate: this.neg.clockRate, probation: 0 });
    this.rxStats.update(p.sequenceNumber, p.timestamp, now, p.payloadLength);
    if (this.mode === 'echo') {
      if (p.payloadType === this.neg.payloadType || p.payloadType === this.neg.telephoneEventPt) {
        this.sendRtp(p.payloadType, p.sequenceNumber, p.timestamp, p.payload, p.marker);
        this.s.echoed++;
      }
      return;
    }
    if (this.mode === 'tone') {
      const t = this.sentAt.get(p.sequenceNumber);
      if (t !== undefined) {
        this.sentAt.delete(p.sequenceNumber);
        if (this.rtts.length < 100_000) this.rtts.push(now - t);
      }
    }
    if (p.payloadType === this.neg.payloadType && this.samples.length < 16000) {
      const dec = decodeG711(p.payload, this.neg.codec);
      for (let i = 0; i < dec.length && this.samples.length < 16000; i++) this.samples.push(dec[i]!);
    }
  }

  /** Current statistics. */
  stats(): MediaStats {
    const rs = this.rxStats;
    const clock = this.neg?.clockRate ?? 8000;
    let lost: number;
    let lossPercent: number;
    if (this.mode === 'tone') {
      lost = Math.max(0, this.s.packetsSent - this.s.packetsReceived);
      lossPercent = this.s.packetsSent ? (100 * lost) / this.s.packetsSent : 0;
    } else {
      lost = rs ? Math.max(0, rs.cumulativeLost) : 0;
      lossPercent = rs?.expected ? (100 * lost) / rs.expected : 0;
    }
    let rtt: MediaStats['rttMs'];
    if (this.rtts.length) {
      let sum = 0;
      let min = Number.POSITIVE_INFINITY;
      let max = 0;
      for (const r of this.rtts) {
        sum += r;
        if (r < min) min = r;
        if (r > max) max = r;
      }
      rtt = { avg: round2(sum / this.rtts.length), min: round2(min), max: round2(max) };
    }
    return {
      packetsSent: this.s.packetsSent,
      packetsReceived: this.s.packetsReceived,
      bytesSent: this.s.bytesSent,
      bytesReceived: this.s.bytesReceived,
      lost,
      lossPercent: round2(lossPercent),
      jitterMs: rs ? round2((rs.jitter / clock) * 1000) : 0,
      rttMs: rtt,
      receivedToneHz: this.toneHz(clock),
      dropped: this.s.dropped,
      srtpProfile: this.profileName,
    };
  }

  /** Packet counters only (cheap; {@link stats} also analyses the received audio). */
  counters(): { packetsSent: number; packetsReceived: number; dropped: number } {
    return { packetsSent: this.s.packetsSent, packetsReceived: this.s.packetsReceived, dropped: this.s.dropped };
  }

  private toneHz(clock: number): number {
    if (this.samples.length < 800) return 0;
    if (this.toneCache && this.toneCache.n === this.samples.length) return this.toneCache.hz;
    const hz = round2(dominantFrequency(this.samples, clock));
    this.toneCache = { n: this.samples.length, hz };
    return hz;
  }

  /** Stops sending (keeps receiving, so late echoes still count). */
  stopSending(): void {
    if (this.timer !== undefined) this.loop.cancel(this.timer);
    this.timer = undefined;
    this.tone = undefined;
  }

  /** Stops everything and closes the socket. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.stopSending();
    this.closed = true;
    try {
      this.dtls?.close();
    } catch {}
    this.tx?.close();
    this.rx?.close();
    await this.socket.close();
  }
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

import type { DtlsCertificate } from '@mdh/dtls';
import type { RtcpPacket, RtpPacket } from '@mdh/rtp';
import type { SdesCrypto } from '@mdh/srtp';
import type { JitterBufferOptions } from './audio/jitter-buffer.js';
import type { MediaError } from './errors.js';
import type { IceFailureReason, IceLiteAgent } from './ice/ice-lite-agent.js';
import type { MediaKeyEvent } from './observability.js';

/** A transport address (IPv4 or IPv6 literal and UDP port). */
export interface MediaAddress {
  readonly address: string;
  readonly port: number;
}

/**
 * How the SRTP keys of a session are obtained:
 * - `none`: plain RTP/RTCP (RTP/AVP);
 * - `sdes`: RFC 4568 `a=crypto` lines, ours (protects what we send) and the peer's (what we receive);
 * - `dtls`: DTLS-SRTP (RFC 5763/5764): a DTLS handshake on the media port in the role given by `a=setup`, the
 *   peer's certificate checked against its `a=fingerprint`, keys from the exporter (RFC 5764 §4.2).
 */
export type MediaSecurity =
  | { kind: 'none' }
  | {
      kind: 'sdes';
      /** Our `a=crypto` line (text with or without `a=`, or parsed). */
      local: string | SdesCrypto;
      /** The peer's `a=crypto` line that answered (or was answered by) ours. */
      remote: string | SdesCrypto;
      /** SRTCP tag length override for `_32` suites (see @mdh/srtp `srtcpTagLength`). */
      srtcpTagLength?: 4 | 10;
    }
  | {
      kind: 'dtls';
      /** Our DTLS role: `a=setup:active` is the client, `passive` the server (RFC 5763 §5, RFC 4145). */
      role: 'client' | 'server';
      /** Our certificate (its fingerprint went into our SDP). */
      certificate: DtlsCertificate;
      /** The peer's RFC 8122 fingerprints from its SDP (`sha-256 AB:CD:…`); the handshake fails on a mismatch. */
      remoteFingerprints: readonly string[];
      /** DTLS-SRTP profiles in preference order (default GCM-128, AES_CM_128_HMAC_SHA1_80, _32). */
      profiles?: readonly string[];
      /** Give up the handshake after this many ms (default 20000). */
      handshakeTimeoutMs?: number;
      /** Random octets for the DTLS engine (default: the platform CSPRNG). */
      randomBytes?: (n: number) => Uint8Array;
    };

/**
 * Our media direction after offer/answer (RFC 3264 §6.1): whether we send RTP (`sendrecv`, `sendonly`) or not
 * (`recvonly`, `inactive`; RTCP flows either way, §5.1).
 */
export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** Options of {@link MediaSession}. Everything but `now` has a default. */
export interface MediaSessionOptions {
  /** The current time in ms on the caller's monotonic clock (a `ManualClock` in tests). */
  now: number;
  /** Uniform random source in [0, 1) for SSRC, sequence/timestamp starts and RTCP intervals (default Math.random). */
  random?: () => number;
  /** Unix time in ms for a given `now` (SR NTP timestamps, RTT). Default: `now` itself (a manual clock). */
  wallClock?: (now: number) => number;
  /** Where to send RTP. When absent the session latches onto the source of the first authenticated media. */
  remote?: MediaAddress;
  /** Where to send RTCP when not muxed (default: `remote` port + 1, RFC 3550 §11). */
  remoteRtcp?: MediaAddress;
  /** RTP and RTCP on one port (RFC 5761). Default true. */
  rtcpMux?: boolean;
  /**
   * Symmetric RTP (RFC 4961): follow the source address of authenticated media from the peer. Default true. Only
   * packets that passed SRTP authentication (or, without SRTP, parsed as RTP/RTCP) move the destination.
   */
  latch?: boolean;
  /**
   * The peer is a media reflector that sends our own packets back (e.g. `sipp -rtp_echo`): RTP carrying our SSRC
   * is received as the peer's stream instead of being an SSRC collision (RFC 3550 §8.2 would call it a loop), and
   * our reflected reports are ignored. Default false.
   */
  reflector?: boolean;
  /** Our own address, to tell our looped-back packets from an SSRC collision (RFC 3550 §8.2). */
  local?: MediaAddress;
  /** RTP payload type of the audio codec (default 0, PCMU). */
  payloadType?: number;
  /**
   * The codec: 'PCMU' (default for PT 0), 'PCMA' (default for PT 8), or 'opus' (RFC 7587: give `clockRate: 48000`;
   * the PCM API stays 8 kHz, see audio/opus.ts; needs the opusscript package).
   */
  codec?: 'PCMU' | 'PCMA' | 'opus';
  /** RTP clock rate (default 8000). */
  clockRate?: number;
  /** RFC 4733 telephone-event payload type (default 101); null disables DTMF. */
  telephoneEventPt?: number | null;
  /** Packetisation time in ms (default 20). */
  ptimeMs?: number;
  /** Our SSRC (default random). */
  ssrc?: number;
  /** First RTP sequence number (default random, RFC 3550 §5.1). */
  initialSequenceNumber?: number;
  /** First RTP timestamp (default random, RFC 3550 §5.1). */
  initialTimestamp?: number;
  /** Our SDES CNAME, 1..255 UTF-8 octets (default random). */
  cname?: string;
  /** Our negotiated direction (default sendrecv); `recvonly`/`inactive` send no RTP (hold, RFC 3264 §8.4). */
  direction?: MediaDirection;
  /** Keys (default `{ kind: 'none' }`). */
  security?: MediaSecurity;
  /**
   * Read-only key log hook: the SRTP master keys once keyed and, with DTLS-SRTP, the DTLS master secret (see
   * {@link MediaKeyEvent}; debugging only). The loop adapter sets it when `mdh:media:keylog` has subscribers.
   */
  keylog?: (e: MediaKeyEvent) => void;
  /** Media timeout: no RTP or RTCP received for this many ms raises a `timeout` event (default 30000; 0 = off). */
  mediaTimeoutMs?: number;
  /** RTCP minimum interval in ms (default 5000, RFC 3550 §6.2). */
  rtcpMinIntervalMs?: number;
  /** Session bandwidth in bits/s for the RTCP interval (default 80000: 64 kbit/s G.711 plus headers). */
  sessionBandwidth?: number;
  /** At most this many remote SSRCs are tracked (default 16); packets of more are dropped and counted. */
  maxSources?: number;
  /**
   * Run received audio through the jitter buffer and raise `audio` events (default true). An application that only
   * relays or echoes packets (the raw `rtp` path) turns it off and saves the copy and the decoding.
   */
  decodeAudio?: boolean;
  /** Jitter buffer options (default adaptive, 20..200 ms; clock rate and frame size follow the session). */
  jitterBuffer?: JitterBufferOptions;
  /**
   * ICE-lite (RFC 8445 §2.5): the agent answers STUN checks arriving on the media port (RFC 7983 demux), and the
   * pair it nominates becomes the media destination. Symmetric latching is off by default with ICE.
   */
  ice?: IceLiteAgent;
}

/** Lifecycle of a {@link MediaSession}. */
export type MediaState = 'keying' | 'active' | 'failed' | 'closed';

/** What the far end said about our stream in its last report block (RFC 3550 §6.4.1). */
export interface RemoteReception {
  /** SSRC of the reporter. */
  reporter: number;
  /** Fraction of our packets lost in its last interval, 0..1. */
  fractionLost: number;
  /** Cumulative packets of ours it lost. */
  cumulativeLost: number;
  /** Interarrival jitter it measured, ms. */
  jitterMs: number;
  /** Extended highest sequence number it received. */
  highestSeq: number;
  /** When we received the report (session clock, ms). */
  at: number;
}

/** What the far end said about its own sending in its last SR (RFC 3550 §6.4.1). */
export interface RemoteSender {
  /** SSRC of the sender. */
  ssrc: number;
  /** Its sender packet count. */
  packetCount: number;
  /** Its sender octet count. */
  octetCount: number;
  /** When we received the SR (session clock, ms). */
  at: number;
}

/** Counters of datagrams the session dropped: noise is dropped and counted, never fatal. */
export interface MediaDropCounters {
  /** Datagrams no RFC 7983 range claims, or empty. */
  unknown: number;
  /** RTP/RTCP that failed to parse (after SRTP). */
  malformed: number;
  /** SRTP/SRTCP authentication failures (forged or corrupted). */
  unauthenticated: number;
  /** SRTP/SRTCP replays and packets too old for the window. */
  replayed: number;
  /** SRTP/RTP arriving before the keys were ready. */
  notKeyed: number;
  /** Packets of new SSRCs beyond `maxSources`. */
  sources: number;
  /** Our own packets looped back (RFC 3550 §8.2). */
  looped: number;
  /** STUN without a responder; DTLS without DTLS-SRTP; ZRTP; TURN channel data. */
  unhandled: number;
  /** Anything that raised inside the session (a bug): counted, and the session goes on. */
  internal: number;
  /** RTCP datagrams not used: before keys, SRTCP authentication/replay failures (or RTCP in the clear), malformed. */
  rtcp: number;
}

/** The statistics of a session: what we sent, what we received, and what the far end reported. */
export interface MediaStats {
  state: MediaState;
  /** Our SSRC. */
  ssrc: number;
  /** SRTP profile in use, when keyed. */
  srtpProfile: string | undefined;
  /** How keys were obtained. */
  keying: MediaSecurity['kind'];
  /** RTP we sent. */
  sent: { packets: number; octets: number };
  /** RTP we received from the main remote source (RFC 3550 A.1/A.3/A.8). */
  received: {
    packets: number;
    octets: number;
    expected: number;
    lost: number;
    /** lost / expected, 0..1. */
    lossFraction: number;
    jitterMs: number;
    ssrc: number | undefined;
  };
  /** RTCP compounds sent and received. */
  rtcp: { sent: number; received: number };
  /** Round-trip time from the far end's last report block (LSR/DLSR, RFC 3550 §6.4.1), ms. */
  rttMs: number | undefined;
  /** The far end's view of our stream (from its SR/RR report block about our SSRC). */
  remote: RemoteReception | undefined;
  /** The far end's own sender counts (from its SR). */
  remoteSender: RemoteSender | undefined;
  /** SSRC collisions we resolved by changing SSRC. */
  ssrcCollisions: number;
  /** The jitter buffer: frames played, gaps concealed, packets dropped as late/duplicate/overflow, delay. */
  audio: { played: number; concealed: number; late: number; duplicate: number; overflow: number; delayMs: number };
  /** Dropped datagrams by reason. */
  dropped: MediaDropCounters;
}

/** Events of a {@link MediaSession}. */
export type MediaEvent =
  /** Keys are ready (SDES at once; DTLS-SRTP when the handshake completed and the fingerprint matched). */
  | { type: 'secure'; profile: string; keying: 'sdes' | 'dtls' }
  /**
   * An RTP packet from the peer, after SRTP and validation. `packet` parses `bytes`, the decrypted packet in the
   * datagram's own buffer (valid while the event is handled; `echoRtp(bytes)` sends it back without a copy).
   */
  | { type: 'rtp'; packet: RtpPacket; bytes: Uint8Array; from: MediaAddress }
  /** An RTCP compound from the peer, after SRTCP. */
  | { type: 'rtcp'; packets: readonly RtcpPacket[]; from: MediaAddress }
  /** A far-end report changed RTT / remote loss / remote jitter. */
  | { type: 'stats'; stats: MediaStats }
  /** A remote source left (RTCP BYE). */
  | { type: 'bye'; ssrc: number; reason: string | undefined }
  /** We changed SSRC after a collision (RFC 3550 §8.2). */
  | { type: 'ssrc-change'; oldSsrc: number; newSsrc: number }
  /** We now send to a new address (symmetric RTP latch or ICE nomination). */
  | { type: 'remote'; remote: MediaAddress }
  /** The ICE-lite agent failed (no checks, no nomination, consent expired: RFC 7675). */
  | { type: 'ice-failed'; reason: IceFailureReason; message: string }
  /** No RTP or RTCP for `silentMs` (the media timeout). Raised once per silence. */
  | { type: 'timeout'; silentMs: number }
  /** Keying failed (DTLS handshake, fingerprint, profile): the session is `failed`. */
  | { type: 'error'; error: MediaError }
  /**
   * Decoded audio: one frame (ptime) of 16-bit linear PCM at the clock rate, at the playout clock of the jitter
   * buffer (reordered, duplicates dropped). A frame that never arrived is a frame of silence with `concealed`.
   */
  | { type: 'audio'; pcm: Int16Array; timestamp: number; concealed: boolean }
  /** An RFC 4733 DTMF event ended (reported once, however many end packets arrive). */
  | { type: 'dtmf'; digit: string; durationMs: number; volume: number }
  /** The session closed (`close()`), or keying failed. */
  | { type: 'closed'; reason: string };

/** One output of the core: a datagram to send, an event, or the next deadline (`at: null` = none). */
export type MediaOutput =
  | {
      kind: 'datagram';
      data: Uint8Array;
      to: MediaAddress;
      /** Which local socket sends it: the RTP one, or the RTCP one when RTCP is not muxed. */
      via: 'rtp' | 'rtcp';
    }
  | { kind: 'event'; event: MediaEvent }
  | { kind: 'deadline'; at: number | null };

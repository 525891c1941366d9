/**
 * The one loop adapter of @mdh/media: binds the UDP socket(s) of a call with @mdh/loop and drives a
 * {@link MediaSession} (inputs from the sockets, its deadline on one loop timer, outputs to the sockets, events to
 * listeners). Nothing else in the SDK drives media.
 */
import { createUdpSocket, type Loop, type TimerId, type UdpSocket } from '@mdh/loop';
import type { RtcpPacket } from '@mdh/rtp';
import { MediaError } from './errors.js';
import { MediaSession, type SendRtpOptions } from './media-session.js';
import { mediaKeylogChannel, publishMediaKeys, tapMediaPacket } from './observability.js';
import type { MediaAddress, MediaDirection, MediaEvent, MediaSessionOptions, MediaStats } from './types.js';

/** Options of {@link openMediaSession}: the session options (minus time, which the loop gives) plus where to bind. */
export interface OpenMediaSessionOptions extends Omit<MediaSessionOptions, 'now' | 'local' | 'wallClock'> {
  /** The loop whose clock and timers drive the session. */
  loop: Loop;
  /** Local address to bind (default 127.0.0.1). */
  address?: string;
  /** Local RTP port (default: chosen by the OS; without rtcp-mux an even port whose successor is free). */
  port?: number;
  /** Unix time in ms for a loop time (default: `Date.now()` at open plus the loop clock's progress). */
  wallClock?: (now: number) => number;
  /** Bind within this port range (see {@link OpenMediaPortsOptions.portRange}). */
  portRange?: PortRange;
}

/** A listener of one {@link MediaEvent} type (see {@link MediaChannel.on}). */
export type Listener<T extends MediaEvent['type']> = (event: Extract<MediaEvent, { type: T }>) => void;

/**
 * A {@link MediaSession} bound to sockets and a loop. Listen with `on(type, cb)`; listener exceptions are
 * caught and counted (`listenerErrors`), never thrown into the loop.
 */
export class MediaChannel {
  /** The sans-I/O core. */
  readonly session: MediaSession;
  /** The loop driving it. */
  readonly loop: Loop;
  /** Local RTP address (what goes into the SDP `m=`/`c=` lines). */
  readonly local: MediaAddress;
  /** Local RTCP address (the RTP one with rtcp-mux). */
  readonly localRtcp: MediaAddress;
  /** Exceptions thrown by listeners (caught). */
  listenerErrors = 0;

  private readonly rtpSocket: UdpSocket;
  private readonly rtcpSocket: UdpSocket | undefined;
  private readonly listeners = new Map<string, Set<(e: MediaEvent) => void>>();
  private readonly unsubscribes: (() => void)[] = [];
  private timer: TimerId | undefined;
  private timerAt: number | null = null;
  private pumping = false;
  private again = false;
  private closing: Promise<void> | undefined;
  private finalSends: Promise<void>[] | undefined;

  /** @internal use {@link openMediaSession}. */
  constructor(
    session: MediaSession,
    loop: Loop,
    rtpSocket: UdpSocket,
    rtcpSocket: UdpSocket | undefined,
    early: readonly { data: Uint8Array; address: string; port: number; via: 'rtp' | 'rtcp' }[] = [],
  ) {
    this.session = session;
    this.loop = loop;
    this.rtpSocket = rtpSocket;
    this.rtcpSocket = rtcpSocket;
    this.local = { address: rtpSocket.address, port: rtpSocket.port };
    this.localRtcp = rtcpSocket ? { address: rtcpSocket.address, port: rtcpSocket.port } : this.local;
    const onMsg =
      (local: MediaAddress, via: 'rtp' | 'rtcp') => (m: { data: Uint8Array; address: string; port: number }) => {
        tapMediaPacket('receive', m.data, local, m);
        this.session.handleInput(m.data, { address: m.address, port: m.port }, this.loop.now(), via);
        this.pump();
      };
    this.unsubscribes.push(rtpSocket.onMessage(onMsg(this.local, 'rtp')));
    if (rtcpSocket) this.unsubscribes.push(rtcpSocket.onMessage(onMsg(this.localRtcp, 'rtcp')));
    // Datagrams that arrived before the session existed (a DTLS ClientHello racing our answer's processing).
    for (const m of early) {
      this.session.handleInput(m.data, { address: m.address, port: m.port }, this.loop.now(), m.via);
    }
    // Events raised while the session was built (e.g. `secure` for SDES) are delivered after the caller holds
    // this object and had a chance to listen (principle 6, lifecycle events cannot be missed).
    // A loop turn (not a microtask) so that it comes after the caller's `await openMediaSession(...)` continuation.
    this.loop.after(0, () => this.pump());
  }

  /** Lifecycle state of the session. */
  get state(): MediaSession['state'] {
    return this.session.state;
  }

  /** Adds a listener; returns a function that removes it. */
  on<T extends MediaEvent['type']>(type: T, cb: Listener<T>): () => void {
    let set = this.listeners.get(type);
    if (!set) {
      set = new Set();
      this.listeners.set(type, set);
    }
    const f = cb as (e: MediaEvent) => void;
    set.add(f);
    return () => set.delete(f);
  }

  /** Sends one RTP packet now (see {@link MediaSession.sendRtp}). */
  sendRtp(payload: Uint8Array, o: SendRtpOptions = {}): boolean {
    const r = this.session.sendRtp(payload, { ...o, now: this.loop.now() });
    this.pump();
    return r;
  }

  /**
   * Sends a received packet back without a copy (see {@link MediaSession.echoRtp}); `inPlace` protects it into the
   * datagram it arrived in (no allocation; the event's bytes then hold the protected packet).
   */
  echoRtp(rtp: Uint8Array, o: { inPlace?: boolean } = {}): boolean {
    const r = this.session.echoRtp(rtp, this.loop.now(), o.inPlace === true);
    this.pump();
    return r;
  }

  /** Sends one frame of 16-bit PCM as G.711 (see {@link MediaSession.sendAudio}). */
  sendAudio(pcm: Int16Array): boolean {
    const r = this.session.sendAudio(pcm, this.loop.now());
    this.pump();
    return r;
  }

  /** Queues RFC 4733 DTMF digits (see {@link MediaSession.sendDtmf}). */
  sendDtmf(digits: string): void {
    this.session.sendDtmf(digits, this.loop.now());
    this.pump();
  }

  /** Sends an RTCP compound now (see {@link MediaSession.sendRtcp}). */
  sendRtcp(packets: readonly RtcpPacket[]): boolean {
    const r = this.session.sendRtcp(packets);
    this.pump();
    return r;
  }

  /** Our negotiated direction; `recvonly`/`inactive` pause our RTP (RTCP goes on, see {@link MediaSession.setDirection}). */
  get direction(): MediaDirection {
    return this.session.direction;
  }

  /** Sets our negotiated direction (hold: RFC 3264 §8.4; see {@link MediaSession.setDirection}). */
  setDirection(direction: MediaDirection): void {
    this.session.setDirection(direction);
  }

  /** Sets the peer's address (e.g. from the SDP answer). */
  setRemote(remote: MediaAddress, remoteRtcp?: MediaAddress): void {
    this.session.setRemote(remote, remoteRtcp, this.loop.now());
    this.pump();
  }

  /** Statistics (the call report). */
  stats(): MediaStats {
    return this.session.stats();
  }

  /** Sends BYE (RFC 3550 §6.3.7), closes DTLS, stops the timer and closes the sockets. Idempotent. */
  close(reason?: string): Promise<void> {
    if (this.closing) return this.closing;
    this.session.close(this.loop.now(), reason);
    // The last datagrams (BYE, close_notify) are sent with sendAsync and awaited before the sockets close, or the
    // OS would never see them.
    const last: Promise<void>[] = [];
    this.finalSends = last;
    this.pump();
    this.finalSends = undefined;
    if (this.timer !== undefined) this.loop.cancel(this.timer);
    this.timer = undefined;
    for (const u of this.unsubscribes) u();
    this.closing = Promise.allSettled(last)
      .then(() => Promise.allSettled([this.rtpSocket.close(), this.rtcpSocket?.close()]))
      .then(() => undefined);
    return this.closing;
  }

  /** Drains the core: datagrams to the sockets, events to listeners, the deadline to the loop timer. */
  private pump(): void {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.again = false;
        for (let o = this.session.pollOutput(); ; o = this.session.pollOutput()) {
          if (o.kind === 'datagram') {
            const sock = o.via === 'rtcp' && this.rtcpSocket ? this.rtcpSocket : this.rtpSocket;
            tapMediaPacket('send', o.data, sock === this.rtpSocket ? this.local : this.localRtcp, o.to);
            try {
              if (this.finalSends) this.finalSends.push(sock.sendAsync(o.data, o.to.port, o.to.address));
              else sock.send(o.data, o.to.port, o.to.address);
            } catch {
              // A send failure (closed socket, bad address) loses one packet; RTP and RTCP are loss-tolerant.
            }
          } else if (o.kind === 'event') {
            this.dispatch(o.event);
          } else {
            this.arm(o.at);
            break;
          }
        }
      } while (this.again);
    } finally {
      this.pumping = false;
    }
  }

  private dispatch(e: MediaEvent): void {
    const set = this.listeners.get(e.type);
    if (!set) return;
    for (const cb of [...set]) {
      try {
        cb(e);
      } catch {
        this.listenerErrors++;
      }
    }
  }

  private arm(at: number | null): void {
    if (this.closing) return;
    if (at === this.timerAt && this.timer !== undefined) return;
    if (this.timer !== undefined) this.loop.cancel(this.timer);
    this.timer = undefined;
    this.timerAt = at;
    if (at === null) return;
    this.timer = this.loop.after(Math.max(0, at - this.loop.now()), () => {
      this.timer = undefined;
      this.timerAt = null;
      this.session.handleTimeout(this.loop.now());
      this.pump();
    });
  }
}

/** Options of {@link openMediaPorts}. */
export interface OpenMediaPortsOptions {
  /** The loop that will drive the session. */
  loop: Loop;
  /** Local address to bind (default 127.0.0.1). */
  address?: string;
  /** Local RTP port (default: chosen by the OS; without rtcp-mux an even port whose successor is free). */
  port?: number;
  /** One port for RTP and RTCP (RFC 5761, default true), else an RTP/RTCP pair (RFC 3550 §11). */
  rtcpMux?: boolean;
  /**
   * Bind within this range of ports (both ends included; a pair needs an even RTP port and its successor inside
   * it), starting at a random place in it; every port in use → {@link MediaError} `no-port`. Ignored with `port`.
   */
  portRange?: PortRange;
}

/** An inclusive range of UDP ports (`mdh call --rtp-ports LO-HI`). */
export interface PortRange {
  min: number;
  max: number;
}

/** Session options for {@link MediaPorts.start}: everything but the time and the local address. */
export type StartMediaOptions = Omit<MediaSessionOptions, 'now' | 'local' | 'wallClock'> & {
  /** Unix time in ms for a loop time (default: `Date.now()` at start plus the loop clock's progress). */
  wallClock?: (now: number) => number;
};

/** Most datagrams kept between binding and {@link MediaPorts.start}. */
const MAX_EARLY = 16;

/**
 * Bound media sockets waiting for their session: a call binds its port before the offer/answer that says how to
 * key and where to send (the port goes into the SDP), then {@link MediaPorts.start} builds the session.
 */
export class MediaPorts {
  /** The loop. */
  readonly loop: Loop;
  /** Local RTP address. */
  readonly local: MediaAddress;
  /** Local RTCP address (the RTP one with rtcp-mux). */
  readonly localRtcp: MediaAddress;
  /** Whether only one port was bound (RTP and RTCP must share it); false: an RTP/RTCP pair. */
  readonly rtcpMux: boolean;
  private readonly rtpSocket: UdpSocket;
  private readonly rtcpSocket: UdpSocket | undefined;
  private readonly early: { data: Uint8Array; address: string; port: number; via: 'rtp' | 'rtcp' }[] = [];
  private readonly unsubscribes: (() => void)[] = [];
  private state: 'bound' | 'started' | 'closed' = 'bound';

  /** @internal use {@link openMediaPorts}. */
  constructor(loop: Loop, rtpSocket: UdpSocket, rtcpSocket: UdpSocket | undefined) {
    this.loop = loop;
    this.rtpSocket = rtpSocket;
    this.rtcpSocket = rtcpSocket;
    this.rtcpMux = rtcpSocket === undefined;
    this.local = { address: rtpSocket.address, port: rtpSocket.port };
    this.localRtcp = rtcpSocket ? { address: rtcpSocket.address, port: rtcpSocket.port } : this.local;
    const keep =
      (local: MediaAddress, via: 'rtp' | 'rtcp') => (m: { data: Uint8Array; address: string; port: number }) => {
        tapMediaPacket('receive', m.data, local, m);
        if (this.early.length < MAX_EARLY) this.early.push({ data: m.data, address: m.address, port: m.port, via });
      };
    this.unsubscribes.push(rtpSocket.onMessage(keep(this.local, 'rtp')));
    if (rtcpSocket) this.unsubscribes.push(rtcpSocket.onMessage(keep(this.localRtcp, 'rtcp')));
  }

  /** Builds the session on these sockets and starts driving it. Throws {@link MediaError} if already started. */
  start(opts: StartMediaOptions): MediaChannel {
    if (this.state !== 'bound') throw new MediaError('closed', `media ports already ${this.state}`);
    const { wallClock, ...rest } = opts;
    // Ports bound as a pair may still run muxed (the peer accepted a=rtcp-mux, RFC 5761 §5.1.1); one port cannot
    // run without mux.
    const rtcpMux = opts.rtcpMux ?? this.rtcpMux;
    if (!rtcpMux && this.rtcpMux) throw new MediaError('bad-argument', 'these ports were bound for rtcp-mux only');
    const startWall = Date.now();
    const startLoop = this.loop.now();
    const session = new MediaSession({
      // the key log (`mdh call --keylog`): only when someone listens on mdh:media:keylog
      ...(mediaKeylogChannel.hasSubscribers && !rest.keylog ? { keylog: publishMediaKeys } : {}),
      ...rest,
      rtcpMux,
      now: this.loop.now(),
      local: this.local,
      wallClock: wallClock ?? ((t) => startWall + (t - startLoop)),
    });
    this.state = 'started';
    for (const u of this.unsubscribes) u();
    return new MediaChannel(session, this.loop, this.rtpSocket, this.rtcpSocket, this.early.splice(0));
  }

  /** Closes the sockets (when never started). */
  async close(): Promise<void> {
    if (this.state !== 'bound') return;
    this.state = 'closed';
    for (const u of this.unsubscribes) u();
    await Promise.allSettled([this.rtpSocket.close(), this.rtcpSocket?.close()]);
  }
}

/** Binds the media socket(s) for a call (see {@link MediaPorts}). */
export async function openMediaPorts(opts: OpenMediaPortsOptions): Promise<MediaPorts> {
  const address = opts.address ?? '127.0.0.1';
  const type = address.includes(':') ? 'udp6' : 'udp4';
  if (opts.portRange && opts.port === undefined) {
    const [rtp, rtcp] = await bindInRange(type, address, opts.portRange, !(opts.rtcpMux ?? true));
    return new MediaPorts(opts.loop, rtp, rtcp);
  }
  if (opts.rtcpMux ?? true) {
    return new MediaPorts(opts.loop, await createUdpSocket({ type, address, port: opts.port ?? 0 }), undefined);
  }
  const [rtp, rtcp] = await bindPair(type, address, opts.port);
  return new MediaPorts(opts.loop, rtp, rtcp);
}

/**
 * Binds the media socket(s) on `address` (one port with rtcp-mux, else an even RTP port and the next one for
 * RTCP, RFC 3550 §11) and starts a {@link MediaSession} driven by `loop`.
 *
 * ```ts
 * const media = await openMediaSession({ loop, remote: { address: '127.0.0.1', port: 40000 } });
 * media.on('rtp', (e) => console.log(e.packet.sequenceNumber));
 * media.sendRtp(new Uint8Array(160));
 * await media.close();
 * ```
 */
export async function openMediaSession(opts: OpenMediaSessionOptions): Promise<MediaChannel> {
  const { loop, address, port, rtcpMux, portRange, ...rest } = opts;
  const ports = await openMediaPorts({
    loop,
    ...(portRange !== undefined ? { portRange } : {}),
    ...(address !== undefined ? { address } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(rtcpMux !== undefined ? { rtcpMux } : {}),
  });
  try {
    return ports.start(rest);
  } catch (e) {
    await ports.close();
    throw e;
  }
}

async function bindPair(type: 'udp4' | 'udp6', address: string, port?: number): Promise<[UdpSocket, UdpSocket]> {
  if (port !== undefined) {
    const a = await createUdpSocket({ type, address, port });
    try {
      return [a, await createUdpSocket({ type, address, port: port + 1 })];
    } catch (e) {
      await a.close();
      throw e;
    }
  }
  // RFC 3550 §11: RTP on an even port, RTCP on the next (odd) one. Bounded retries.
  for (let attempt = 0; attempt < 32; attempt++) {
    const a = await createUdpSocket({ type, address, port: 0 });
    if (a.port % 2 !== 0 || a.port >= 65535) {
      await a.close();
      continue;
    }
    try {
      return [a, await createUdpSocket({ type, address, port: a.port + 1 })];
    } catch {
      await a.close();
    }
  }
  throw new MediaError('bad-argument', 'could not bind an even/odd RTP/RTCP port pair in 32 attempts');
}

/**
 * Binds one port (or an even/odd RTP/RTCP pair, RFC 3550 §11) inside `range`, trying each candidate once from a
 * random start (so that calls spread over the range).
 */
async function bindInRange(
  type: 'udp4' | 'udp6',
  address: string,
  range: PortRange,
  pair: boolean,
): Promise<[UdpSocket, UdpSocket | undefined]> {
  const { min, max } = range;
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max > 65535 || min > max) {
    throw new MediaError('bad-argument', `bad port range ${min}-${max}`);
  }
  const first = pair ? min + (min % 2) : min;
  const step = pair ? 2 : 1;
  const n = pair ? Math.max(0, Math.floor((max - 1 - first) / 2) + 1) : max - min + 1;
  const start = Math.floor(Math.random() * n);
  for (let i = 0; i < n; i++) {
    const port = first + ((start + i) % n) * step;
    let a: UdpSocket;
    try {
      a = await createUdpSocket({ type, address, port });
    } catch {
      continue;
    }
    if (!pair) return [a, undefined];
    try {
      return [a, await createUdpSocket({ type, address, port: port + 1 })];
    } catch {
      await a.close();
    }
  }
  throw new MediaError(
    'no-port',
    `no free ${pair ? 'even/odd RTP/RTCP port pair' : 'media port'} on ${address} in ${min}-${max} (all in use)`,
  );
}

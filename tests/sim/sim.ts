/**
 * A deterministic network simulation of whole calls (issue #12 item 6): two SIP user agents (the public
 * `UserAgent` of @mdh/sip, their transaction and dialog layers) and, per call, two @mdh/media `MediaSession`s
 * configured from the SDP offer/answer (DTLS-SRTP, rtcp-mux, RFC 4733 telephone-event), all driven by ONE
 * @mdh/loop `ManualClock` over one @mdh/media `SimNetwork` with seeded loss, duplication, reordering, delay and
 * jitter.
 *
 * Each call: INVITE → 200 → ACK, the DTLS-SRTP handshake (RFC 5763/5764) on the media ports, `durationS` of G.711
 * audio each way in 20 ms frames with RTCP (RFC 3550) running, RFC 4733 digits sent each way and checked on the far
 * side, then BYE and RTCP BYE. A call completes when every check passed; otherwise it fails with a typed
 * {@link SimFailureKind} and a message, at the latest `maxCallMs` of virtual time after it started (never a hang).
 *
 * The digest is the SHA-256 of the ordered event trace (see {@link traceLine} users below): every datagram's fate
 * on the network (send / lose / duplicate / reorder / deliver, virtual time in µs, ids, endpoints, what it is:
 * the SIP start line, the DTLS content type, the RTP payload type or RTCP packet type and size) and every call
 * event (answered, secure, digits, hangup, outcome, the per-leg counters). Octet counts of SIP and DTLS datagrams
 * are left out: they carry CSPRNG output of variable length (tags, ECDSA signatures, ECDHE keys), which does not
 * change what happens but would change the digest. Everything that decides timing (the network's impairments,
 * SSRCs, sequence numbers, RTCP intervals, DTLS randoms, digits) comes from the seed.
 */
import { createHash } from 'node:crypto';
import { fingerprint as certFingerprint, type DtlsCertificate, generateCertificate } from '@mdh/dtls';
import { createLoop, ManualClock } from '@mdh/loop';
import { type MediaAddress, type MediaEvent, MediaSession } from '@mdh/media';
import { SeededRandom, type SimDatagram, SimNetwork, type SimTraceRecord } from '@mdh/media/testing';
import {
  answerSdpOffer,
  type Call,
  createSdpOffer,
  type InboundPacket,
  type IncomingCall,
  type LocalMedia,
  mediaOptionsFor,
  newTransportStats,
  type Peer,
  readSdpAnswer,
  SipCallError,
  type SipTransport,
  type TransportStats,
  UserAgent,
} from '@mdh/sip';

/** Options of {@link runSimulation}. */
export interface SimOptions {
  /** Number of calls. */
  calls: number;
  /** The seed of everything random (network impairments, media sessions, digits). */
  seed: number;
  /** Probability that a datagram is lost (default 0). */
  loss?: number;
  /** Probability that a datagram is delivered twice (default 0). */
  dup?: number;
  /** Probability that a datagram is held back 40 ms so that later ones overtake it (default 0). */
  reorder?: number;
  /** Uniform extra one-way delay in [0, jitterMs) per datagram (default 5). */
  jitterMs?: number;
  /** Base one-way delay (default 20). */
  delayMs?: number;
  /** Seconds of audio each way (default 10). */
  durationS?: number;
  /**
   * Virtual ms between call starts (default 50: with 10 s of audio about 200 calls overlap; 10 makes 1,000 calls
   * all concurrent, which costs memory — 4 AES-GCM SRTP keys of 66 kB each per side — more than it tests).
   */
  intervalMs?: number;
  /** A call not finished this long (virtual ms) after it started fails with `deadline` (default duration + 120 s). */
  maxCallMs?: number;
  /** Receives every trace line (e.g. to write the trace to a file), in order. */
  onTrace?: (line: string) => void;
  /** Progress report, every 10 s of virtual time. */
  onProgress?: (p: SimProgress) => void;
}

/** Progress of a running simulation. */
export interface SimProgress {
  virtualMs: number;
  settled: number;
  completed: number;
  failed: number;
  datagrams: number;
}

/** Why a call failed. */
export type SimFailureKind =
  /** The INVITE got a non-2xx final response (or none: 408 after Timer B). */
  | 'invite-failed'
  /** The offer/answer could not be read. */
  | 'sdp-failed'
  /** The DTLS-SRTP handshake failed or timed out (the session's `error` event). */
  | 'dtls-failed'
  /** A media session reported no RTP/RTCP for its media timeout. */
  | 'media-timeout'
  /** The digits received on a side differ from those the other side sent. */
  | 'dtmf-mismatch'
  /** A side decoded fewer audio frames than half of what the network should have delivered. */
  | 'audio-short'
  /** The BYE was not answered 200. */
  | 'bye-failed'
  /** The call ended before the caller hung up (the peer's BYE, a session timer, …). */
  | 'call-dropped'
  /** The call had not finished `maxCallMs` after it started. */
  | 'deadline'
  /** An exception or a UA `error` event (a bug). */
  | 'internal';

/** A failed call. */
export interface SimFailure {
  call: number;
  kind: SimFailureKind;
  message: string;
  /** Virtual ms. */
  at: number;
}

/** The result of {@link runSimulation}. The first five fields are the `pnpm sim` JSON line. */
export interface SimResult {
  calls: number;
  completed: number;
  failed: number;
  /** SHA-256 (hex) of the ordered event trace. */
  digest: string;
  /** Wall-clock ms the run took (not part of the digest). */
  wall_ms: number;
  /** Virtual ms simulated. */
  virtual_ms: number;
  /** Failed calls by kind. */
  failures: Partial<Record<SimFailureKind, number>>;
  /** The first failures (at most 20), with their messages. */
  first_failures: SimFailure[];
  /** The network's counters. */
  network: { sent: number; delivered: number; lost: number; duplicated: number; reordered: number };
  /** SRTP packets sent by all media sessions. */
  rtp_sent: number;
  /** UA `error` events outside any call (bugs; each also makes the run fail). */
  internal_errors: number;
}

const CALLER_HOST = '10.0.0.1';
const CALLEE_HOST = '10.0.0.2';
const SIP_PORT = 5060;
const MEDIA_BASE = 20000;
const FRAME_MS = 20;
const DIGITS = '0123456789*#ABCD';
/**
 * The DTLS-SRTP profile both sides offer (RFC 5764 §4.1.2): AES_CM_128_HMAC_SHA1_80, the profile every SRTP peer
 * implements. The media sessions' default prefers AEAD_AES_128_GCM (RFC 7714), whose per-key GHASH tables cost more
 * per call to build than the call's 10 s of audio costs to protect; the GCM path is covered by the unit and interop
 * tests of @mdh/srtp and @mdh/media, the simulation tests whole calls at scale.
 */
const SIM_SRTP_PROFILES: readonly string[] = ['SRTP_AES128_CM_HMAC_SHA1_80'];
/** After both sides sent their audio, the caller waits this long (late packets, reports) before BYE. */
const TAIL_MS = 500;

/** A time in the trace: integer µs. */
function us(t: number): number {
  return Math.round(t * 1000);
}

/** What a media datagram is (RFC 7983 first octet; RFC 5761 §4 for RTCP in the RTP range). */
function mediaClass(d: Uint8Array): string {
  const b0 = d[0] ?? 0;
  if (b0 >= 20 && b0 <= 63) return `dtls${b0}`; // record content type; sizes vary with ECDSA signatures
  if (b0 >= 128 && b0 <= 191) {
    const b1 = d[1] ?? 0;
    if (b1 >= 192 && b1 <= 223) return `rtcp${b1} ${d.length}`;
    return `rtp${b1 & 0x7f} ${d.length}`;
  }
  return `other${b0} ${d.length}`;
}

/** What a SIP datagram is: its start line (the Request-URI and status lines carry nothing random here). */
function sipClass(d: Uint8Array): string {
  let end = 0;
  while (end < d.length && end < 60 && d[end] !== 13) end++;
  return `sip ${String.fromCharCode(...d.subarray(0, end)).replace(/ /g, '_')}`;
}

/** A SIP transport on the simulated network (RFC 3261 §18 over an unreliable datagram service). */
class SimSipTransport implements SipTransport {
  readonly protocol = 'udp' as const;
  readonly reliable = false;
  readonly secure = false;
  readonly stats: TransportStats = newTransportStats();
  private cb: ((p: InboundPacket) => void) | undefined;
  constructor(
    private readonly sim: Simulation,
    readonly localAddress: string,
    readonly localPort: number,
  ) {}
  send(data: Uint8Array, dest: Peer): Promise<void> {
    this.stats.sent++;
    this.sim.sendSip(`${this.localAddress}:${this.localPort}`, `${dest.address}:${dest.port}`, data);
    return Promise.resolve();
  }
  onPacket(cb: (p: InboundPacket) => void): void {
    this.cb = cb;
  }
  receive(data: Uint8Array, source: Peer): void {
    this.stats.received++;
    this.cb?.({ data, source, transport: this });
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** A task on the simulation's timeline; `run(at)` returns true when it touched SIP (promises to settle). */
type TaskFn = (at: number) => boolean;

/** A binary min-heap of tasks by (time, scheduling order), in parallel arrays (no object per task). */
class TaskHeap {
  private at: number[] = [];
  private order: number[] = [];
  private fn: TaskFn[] = [];
  private orders = 0;
  peekAt(): number | undefined {
    return this.at[0];
  }
  push(at: number, run: TaskFn): void {
    const o = ++this.orders;
    let i = this.at.length;
    this.at.push(at);
    this.order.push(o);
    this.fn.push(run);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pa = this.at[p]!;
      if (pa < at || (pa === at && this.order[p]! < o)) break;
      this.at[i] = pa;
      this.order[i] = this.order[p]!;
      this.fn[i] = this.fn[p]!;
      i = p;
    }
    this.at[i] = at;
    this.order[i] = o;
    this.fn[i] = run;
  }
  /** Removes the first task and runs it. */
  popRun(): boolean {
    const { at: A, order: O, fn: F } = this;
    const t = A[0]!;
    const f = F[0]!;
    const la = A.pop()!;
    const lo = O.pop()!;
    const lf = F.pop()!;
    const n = A.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        let m = l;
        if (r < n && (A[r]! < A[l]! || (A[r] === A[l] && O[r]! < O[l]!))) m = r;
        if (la < A[m]! || (la === A[m] && lo < O[m]!)) break;
        A[i] = A[m]!;
        O[i] = O[m]!;
        F[i] = F[m]!;
        i = m;
      }
      A[i] = la;
      O[i] = lo;
      F[i] = lf;
    }
    return f(t);
  }
}

/** One side of a call's media. */
class Leg {
  session: MediaSession | undefined;
  /** Datagrams that arrived before the session existed (the DTLS ClientHello may overtake the 200 OK). */
  early: [Uint8Array, MediaAddress][] = [];
  armedAt = Number.POSITIVE_INFINITY;
  framesSent = 0;
  audioDone = false;
  framesToKeyedPeer = 0;
  /** Frames sent since this side first heard the other. */
  framesCounted = 0;
  /** The other side of the call. */
  peer!: Leg;
  audioFrames = 0;
  concealed = 0;
  digits = '';
  secureAt: number | undefined;
  closed = false;
  private toObj: MediaAddress | undefined;
  private toStr = '';
  /** The audio tick and the deadline task of this leg (one closure each, scheduled many times). */
  tick: TaskFn = () => false;
  onDeadline: TaskFn = () => false;
  constructor(
    readonly call: SimCall,
    readonly name: 'a' | 'b',
    readonly addr: string,
    readonly digitsToSend: string,
  ) {}
  /** `to` as an endpoint string, cached per destination object. */
  dest(to: MediaAddress): string {
    if (to !== this.toObj) {
      this.toObj = to;
      this.toStr = `${to.address}:${to.port}`;
    }
    return this.toStr;
  }
}

/** One call's state. */
class SimCall {
  settled = false;
  ok = false;
  phase = 'idle';
  callerCall: Call | undefined;
  calleeCall: Call | undefined;
  byeStatus: number | undefined;
  calleeEnded: string | undefined;
  hangupSent = false;
  readonly a: Leg;
  readonly b: Leg;
  readonly rng: SeededRandom;
  local: LocalMedia | undefined;
  constructor(
    readonly index: number,
    rng: SeededRandom,
  ) {
    this.rng = rng;
    const pick = (n: number) => {
      let s = '';
      for (let k = 0; k < n; k++) s += DIGITS[rng.int(DIGITS.length)];
      return s;
    };
    const port = MEDIA_BASE + 2 * index;
    this.a = new Leg(this, 'a', `${CALLER_HOST}:${port}`, pick(4));
    this.b = new Leg(this, 'b', `${CALLEE_HOST}:${port}`, pick(3));
    this.a.peer = this.b;
    this.b.peer = this.a;
  }
}

let certs: [DtlsCertificate, DtlsCertificate] | undefined;

/** The two sides' DTLS identities (self-signed ECDSA, RFC 5763 §5), made once per process. */
function identities(): [DtlsCertificate, DtlsCertificate] {
  certs ??= [generateCertificate({ commonName: 'alice' }), generateCertificate({ commonName: 'bob' })];
  return certs;
}

function sdpFingerprint(c: DtlsCertificate): { hash: string; value: string } {
  const [hash, value] = certFingerprint(c.chain[0]!, 'sha-256').split(' ') as [string, string];
  return { hash, value };
}

/** A running simulation (see the module comment). */
class Simulation {
  readonly clock = new ManualClock(0);
  readonly loop = createLoop({ clock: this.clock });
  readonly net: SimNetwork;
  readonly heap = new TaskHeap();
  readonly calls: SimCall[] = [];
  readonly endpoints = new Map<string, (data: Uint8Array, from: string) => void>();
  readonly peers = new Map<string, MediaAddress>();
  readonly failures: SimFailure[] = [];
  readonly alice: UserAgent;
  readonly bob: UserAgent;
  settled = 0;
  completed = 0;
  rtpSent = 0;
  private readonly hash = createHash('sha256');
  private buf = '';
  /** Class of the datagram being sent, for the network's trace callback. */
  private sendingClass = '';
  private readonly frames: number;
  private readonly pcm: Int16Array;
  private readonly certs: [DtlsCertificate, DtlsCertificate];
  private readonly fps: [{ hash: string; value: string }, { hash: string; value: string }];

  constructor(readonly o: Required<Omit<SimOptions, 'onTrace' | 'onProgress'>> & SimOptions) {
    this.net = new SimNetwork({
      seed: o.seed,
      clock: this.clock,
      link: { loss: o.loss, duplicate: o.dup, reorder: o.reorder, jitterMs: o.jitterMs, delayMs: o.delayMs },
      onTrace: (r) => this.onNetTrace(r),
      digest: false, // this driver hashes its own trace (which says what each datagram is)
    });
    this.frames = Math.round((o.durationS * 1000) / FRAME_MS);
    // one 20 ms frame of a 400 Hz tone at 8 kHz (a whole number of periods, so every frame is the same)
    this.pcm = new Int16Array(160);
    for (let i = 0; i < 160; i++) this.pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 400 * i) / 8000));
    this.certs = identities();
    this.fps = [sdpFingerprint(this.certs[0]), sdpFingerprint(this.certs[1])];
    const ta = new SimSipTransport(this, CALLER_HOST, SIP_PORT);
    const tb = new SimSipTransport(this, CALLEE_HOST, SIP_PORT);
    this.endpoints.set(`${CALLER_HOST}:${SIP_PORT}`, (d, f) => ta.receive(d, this.peer(f)));
    this.endpoints.set(`${CALLEE_HOST}:${SIP_PORT}`, (d, f) => tb.receive(d, this.peer(f)));
    this.alice = new UserAgent({ loop: this.loop, transports: [ta], user: 'alice' });
    this.bob = new UserAgent({ loop: this.loop, transports: [tb], user: 'bob' });
    for (const ua of [this.alice, this.bob]) {
      ua.on('error', (err, event) => this.internal(undefined, `UA ${event}: ${String(err)}`));
    }
    this.bob.on('invite', (inc) => this.onInvite(inc));
    const master = new SeededRandom(o.seed ^ 0x5eed5eed);
    for (let i = 0; i < o.calls; i++) {
      const c = new SimCall(i, master.split());
      this.calls.push(c);
      this.heap.push(i * o.intervalMs, () => this.startCall(c));
      this.heap.push(i * o.intervalMs + o.maxCallMs, () => {
        if (!c.settled) this.fail(c, 'deadline', `not finished ${o.maxCallMs} ms after it started (phase ${c.phase})`);
        return true;
      });
    }
  }

  // ------------------------------------------------------------------------------------------------ trace

  trace(line: string): void {
    this.buf += `${line}\n`;
    if (this.buf.length > 65536) this.flushHash();
    this.o.onTrace?.(line);
  }

  private flushHash(): void {
    this.hash.update(this.buf);
    this.buf = '';
  }

  digest(): string {
    this.flushHash();
    return this.hash.digest('hex');
  }

  private onNetTrace(r: SimTraceRecord): void {
    if (r.kind === 'deliver') return; // traced by dispatch(), which sees the bytes
    this.trace(
      `${us(r.at)} ${r.kind} #${r.id} ${r.from}>${r.to} ${this.sendingClass}${r.deliverAt === undefined ? '' : ` @${us(r.deliverAt)}`}`,
    );
  }

  private callEvent(c: SimCall, what: string): void {
    this.trace(`${us(this.clock.now())} call ${c.index} ${what}`);
  }

  // ------------------------------------------------------------------------------------------------ network

  peer(s: string): MediaAddress {
    let p = this.peers.get(s);
    if (!p) {
      const i = s.lastIndexOf(':');
      p = { address: s.slice(0, i), port: Number(s.slice(i + 1)) };
      this.peers.set(s, p);
    }
    return p;
  }

  sendSip(from: string, to: string, data: Uint8Array): void {
    this.sendingClass = sipClass(data);
    this.net.send(from, to, data);
  }

  /** Delivers one datagram; true when it went to a SIP transport. */
  dispatch(d: SimDatagram): boolean {
    const sip = d.to.endsWith(`:${SIP_PORT}`);
    const ep = this.endpoints.get(d.to);
    this.trace(
      `${us(this.clock.now())} ${ep ? 'deliver' : 'unrouted'} #${d.id} ${d.from}>${d.to} ${sip ? sipClass(d.data) : mediaClass(d.data)}`,
    );
    ep?.(d.data, d.from);
    return sip;
  }

  // ------------------------------------------------------------------------------------------------ media

  /** Sends what a leg's session has queued, handles its events, arms its deadline. */
  flush(leg: Leg): void {
    const s = leg.session;
    if (!s) return;
    for (;;) {
      const o = s.pollOutput();
      if (o.kind === 'datagram') {
        this.sendingClass = mediaClass(o.data);
        this.net.send(leg.addr, leg.dest(o.to), o.data);
      } else if (o.kind === 'event') this.onMediaEvent(leg, o.event);
      else {
        if (o.at !== null && o.at < leg.armedAt) {
          const at = Math.max(o.at, this.clock.now());
          leg.armedAt = at;
          this.heap.push(at, leg.onDeadline);
        }
        return;
      }
    }
  }

  private mediaInput(leg: Leg, data: Uint8Array, from: string): void {
    if (leg.closed) return;
    const s = leg.session;
    if (!s) {
      if (leg.early.length < 16) leg.early.push([data, this.peer(from)]);
      return;
    }
    s.handleInput(data, this.peer(from), this.clock.now());
    this.flush(leg);
  }

  private startSession(leg: Leg, opts: ReturnType<typeof mediaOptionsFor>, cert: DtlsCertificate): void {
    const c = leg.call;
    const rng = c.rng;
    const sec = opts.security;
    leg.session = new MediaSession({
      ...opts,
      now: this.clock.now(),
      random: rng.random,
      cname: `sim-${c.index}-${leg.name}`,
      ...(sec && sec.kind === 'dtls'
        ? {
            security: {
              ...sec,
              certificate: cert,
              profiles: SIM_SRTP_PROFILES,
              randomBytes: (n: number) => rng.fill(new Uint8Array(n)),
            },
          }
        : {}),
    });
    const s = leg.session;
    leg.onDeadline = (at) => {
      // an earlier deadline replaced this one: it is stale
      if (leg.armedAt !== at || leg.closed) return false;
      leg.armedAt = Number.POSITIVE_INFINITY;
      s.handleTimeout(this.clock.now());
      this.flush(leg);
      return false;
    };
    leg.tick = () => this.audioTick(leg);
    const early = leg.early;
    leg.early = [];
    for (const [d, f] of early) leg.session.handleInput(d, f, this.clock.now());
    this.flush(leg);
  }

  private onMediaEvent(leg: Leg, e: MediaEvent): void {
    const c = leg.call;
    switch (e.type) {
      case 'secure':
        leg.secureAt = this.clock.now();
        this.callEvent(c, `${leg.name} secure ${e.profile}`);
        if (c.phase === 'answered') c.phase = 'media';
        this.heap.push(this.clock.now(), leg.tick);
        return;
      case 'audio':
        if (e.concealed) leg.concealed++;
        else {
          leg.audioFrames++;
          // The peer's audio decrypts: it is keyed too (the DTLS server is secure one flight before the client, and
          // SRTP sent in between is lost to the client). Our digits go 20 % (caller) or 50 % (callee) of the audio
          // duration later, in different windows.
          if (leg.audioFrames === 1) {
            this.heap.push(this.clock.now() + this.frames * FRAME_MS * (leg.name === 'a' ? 0.2 : 0.5), () => {
              const s = leg.session;
              if (!s || leg.closed || s.state !== 'active') return false;
              s.sendDtmf(leg.digitsToSend);
              this.flush(leg);
              return false;
            });
          }
        }
        return;
      case 'dtmf':
        leg.digits += e.digit;
        this.callEvent(c, `${leg.name} dtmf ${e.digit} ${e.durationMs}`);
        return;
      case 'error':
        this.fail(c, 'dtls-failed', `${leg.name}: ${e.error.code}: ${e.error.message}`);
        return;
      case 'timeout':
        this.fail(c, 'media-timeout', `${leg.name}: no RTP or RTCP for ${e.silentMs} ms`);
        return;
      default:
        return;
    }
  }

  private audioTick(leg: Leg): boolean {
    const s = leg.session;
    if (!s || leg.closed || leg.call.settled || s.state !== 'active') return false;
    s.sendAudio(this.pcm, this.clock.now());
    leg.framesSent++;
    // what the peer can decrypt: frames sent once it is keyed (the simulation knows both sides)
    if (leg.peer.secureAt !== undefined) leg.framesToKeyedPeer++;
    this.flush(leg);
    // The duration counts from when this side hears the other (both are keyed then: DTLS-SRTP keys both directions
    // in one handshake). A side keyed first — the DTLS server, or a client whose last flight was lost — keeps sending
    // until then, so that a slow handshake still gets its full duration of audio across (bounded by maxCallMs).
    if (leg.audioFrames > 0) leg.framesCounted++;
    if (leg.framesCounted < this.frames) this.heap.push(this.clock.now() + FRAME_MS, leg.tick);
    else {
      leg.audioDone = true;
      const c = leg.call;
      if (c.a.audioDone && c.b.audioDone) this.heap.push(this.clock.now() + TAIL_MS, () => this.hangup(c));
    }
    return false;
  }

  private closeLeg(leg: Leg, reason: string): void {
    if (leg.closed) return;
    const s = leg.session;
    if (s && s.state !== 'closed') {
      s.close(this.clock.now(), reason);
      this.flush(leg);
    }
    leg.closed = true;
    this.endpoints.delete(leg.addr);
  }

  // ------------------------------------------------------------------------------------------------ calls

  private startCall(c: SimCall): boolean {
    c.phase = 'inviting';
    this.callEvent(c, 'invite');
    const port = MEDIA_BASE + 2 * c.index;
    const local: LocalMedia = {
      address: CALLER_HOST,
      port,
      srtp: 'dtls',
      fingerprint: this.fps[0],
      rtcpMux: true,
    };
    c.local = local;
    this.endpoints.set(c.a.addr, (d, f) => this.mediaInput(c.a, d, f));
    const offer = createSdpOffer(local, { sessionId: String(c.index + 1), version: 1 });
    this.alice.invite(`sip:bob@${CALLEE_HOST}:${SIP_PORT}`, { sdp: offer }).result.then(
      (call) => this.onAnswered(c, call),
      (err) => {
        const status = err instanceof SipCallError ? err.status : undefined;
        this.fail(c, status ? 'invite-failed' : 'internal', `INVITE: ${String(err)}`);
      },
    );
    return true;
  }

  private onAnswered(c: SimCall, call: Call): void {
    c.callerCall = call;
    call.on('ended', (why) => {
      if (!c.hangupSent) this.fail(c, 'call-dropped', `caller's call ended (${why}) before BYE`);
    });
    if (c.settled) {
      void call.hangup();
      return;
    }
    this.callEvent(c, 'answered');
    c.phase = 'answered';
    let opts: ReturnType<typeof mediaOptionsFor>;
    try {
      opts = mediaOptionsFor(readSdpAnswer(call.remoteSdp ?? '', c.local!), this.certs[0]);
    } catch (e) {
      this.fail(c, 'sdp-failed', `caller: ${String(e)}`);
      return;
    }
    this.startSession(c.a, opts, this.certs[0]);
  }

  private onInvite(inc: IncomingCall): void {
    let c: SimCall | undefined;
    try {
      // which call: the caller's media port (MEDIA_BASE + 2 i) is in the offer
      const m = /m=audio (\d+) /.exec(inc.remoteSdp ?? '');
      c = this.calls[(Number(m?.[1]) - MEDIA_BASE) / 2];
      if (!c || c.settled || c.b.session) {
        inc.reject(c ? 486 : 404);
        return;
      }
      const call = c;
      const local: LocalMedia = {
        address: CALLEE_HOST,
        port: MEDIA_BASE + 2 * call.index,
        srtp: 'dtls',
        fingerprint: this.fps[1],
        rtcpMux: true,
      };
      const answer = answerSdpOffer(inc.remoteSdp ?? '', local, { sessionId: String(call.index + 1), version: 1 });
      this.endpoints.set(call.b.addr, (d, f) => this.mediaInput(call.b, d, f));
      this.startSession(call.b, mediaOptionsFor(answer.media, this.certs[1]), this.certs[1]);
      inc.answer(answer.sdp).then(
        (cc) => {
          call.calleeCall = cc;
          cc.on('ended', (why) => {
            call.calleeEnded = why;
            this.callEvent(call, `b ended ${why}`);
            if (!call.hangupSent)
              this.fail(call, 'call-dropped', `callee's call ended (${why}) before the caller's BYE`);
            else this.closeLeg(call.b, 'bye');
            this.check(call);
          });
        },
        (err) => this.fail(call, 'invite-failed', `callee's answer: ${String(err)}`),
      );
    } catch (e) {
      if (c) this.fail(c, 'sdp-failed', `callee: ${String(e)}`);
      else this.internal(undefined, `INVITE handler: ${String(e)}`);
    }
  }

  private hangup(c: SimCall): boolean {
    if (c.settled || c.hangupSent || !c.callerCall) return false;
    c.hangupSent = true;
    c.phase = 'bye';
    this.callEvent(c, 'bye');
    this.closeLeg(c.a, 'bye');
    c.callerCall.hangup().then(
      (status) => {
        c.byeStatus = status;
        this.callEvent(c, `bye ${status}`);
        this.check(c);
      },
      (err) => this.fail(c, 'internal', `BYE: ${String(err)}`),
    );
    return true;
  }

  /** Once the BYE was answered and the callee's call ended: the call's checks. */
  private check(c: SimCall): void {
    if (c.settled || c.byeStatus === undefined || c.calleeEnded === undefined) return;
    const why = this.verdict(c);
    if (why) this.fail(c, why[0], why[1]);
    else this.settle(c, true);
  }

  /** What is wrong with a call whose BYE was answered, or undefined. */
  private verdict(c: SimCall): [SimFailureKind, string] | undefined {
    if (c.byeStatus !== 200) return ['bye-failed', `BYE answered ${c.byeStatus}`];
    for (const [leg, other] of [
      [c.a, c.b],
      [c.b, c.a],
    ] as const) {
      // half of what the network should have delivered of the frames sent once this side was keyed
      const want = Math.floor(0.5 * (1 - this.o.loss) * other.framesToKeyedPeer);
      if (leg.audioFrames < want || leg.audioFrames === 0) {
        return [
          'audio-short',
          `${leg.name} decoded ${leg.audioFrames} frames (${leg.concealed} concealed) of ${other.framesToKeyedPeer} sent after it was keyed, wanted ≥ ${want}`,
        ];
      }
    }
    for (const [leg, other] of [
      [c.a, c.b],
      [c.b, c.a],
    ] as const) {
      if (leg.digits !== other.digitsToSend) {
        return ['dtmf-mismatch', `${leg.name} received "${leg.digits}", sent "${other.digitsToSend}"`];
      }
    }
    return undefined;
  }

  private settle(c: SimCall, ok: boolean): void {
    c.settled = true;
    c.ok = ok;
    this.settled++;
    if (ok) this.completed++;
    for (const leg of [c.a, c.b]) {
      const st = leg.session?.stats();
      this.callEvent(
        c,
        `${leg.name} frames ${leg.framesSent} audio ${leg.audioFrames} concealed ${leg.concealed} digits ${leg.digits}` +
          (st ? ` rtp ${st.sent.packets}/${st.received.packets} rtcp ${st.rtcp.sent}/${st.rtcp.received}` : ''),
      );
      if (st) this.rtpSent += st.sent.packets;
    }
    this.callEvent(c, ok ? 'completed' : 'failed');
    // a finished call's sessions (and their SRTP key slots) can go: only the counters above are kept
    if (ok) c.a.session = c.b.session = undefined;
  }

  fail(c: SimCall, kind: SimFailureKind, message: string): void {
    if (c.settled) return;
    const f: SimFailure = { call: c.index, kind, message, at: this.clock.now() };
    this.failures.push(f);
    this.callEvent(c, `fail ${kind} ${message}`);
    this.settle(c, false);
    // clean up: media closed, the call hung up (best effort)
    this.closeLeg(c.a, kind);
    this.closeLeg(c.b, kind);
    c.a.session = c.b.session = undefined;
    c.hangupSent = true;
    if (c.callerCall && c.callerCall.state !== 'ended') void c.callerCall.hangup();
  }

  internal(c: SimCall | undefined, message: string): void {
    if (c) this.fail(c, 'internal', message);
    else {
      this.trace(`${us(this.clock.now())} internal ${message}`);
      this.failures.push({ call: -1, kind: 'internal', message, at: this.clock.now() });
    }
  }

  // ------------------------------------------------------------------------------------------------ driver

  async run(): Promise<void> {
    const drain = () => new Promise<void>((r) => setImmediate(r));
    let nextProgress = 10_000;
    while (this.settled < this.calls.length) {
      const tH = this.heap.peekAt();
      const tN = this.net.nextDeliveryAt();
      const tL = this.loop.nextDeadline();
      let t = Number.POSITIVE_INFINITY;
      if (tH !== undefined && tH < t) t = tH;
      if (tN !== undefined && tN < t) t = tN;
      if (tL !== undefined && tL < t) t = tL;
      if (t === Number.POSITIVE_INFINITY) throw new Error('simulation stalled: nothing scheduled');
      let sip = false;
      if (t > this.clock.now()) {
        this.clock.set(t); // fires the UAs' due timers (SIP retransmissions, timeouts)
        if (tL !== undefined && tL <= t) sip = true;
      } else if (tL !== undefined && tL <= this.clock.now()) {
        this.clock.set(this.clock.now());
        sip = true;
      }
      for (let d = this.net.poll(); d; d = this.net.poll()) if (this.dispatch(d)) sip = true;
      for (let guard = 0; (this.heap.peekAt() ?? Number.POSITIVE_INFINITY) <= t; guard++) {
        if (guard > 1_000_000) throw new Error(`simulation spins at ${t} ms`);
        if (this.heap.popRun()) sip = true;
      }
      // promise continuations of the UAs (transactions, invite results, answers) run before time moves on
      if (sip) await drain();
      if (this.o.onProgress && t >= nextProgress) {
        nextProgress = t + 10_000;
        this.o.onProgress({
          virtualMs: t,
          settled: this.settled,
          completed: this.completed,
          failed: this.settled - this.completed,
          datagrams: this.net.stats.sent,
        });
      }
    }
  }
}

/** Defaults of {@link SimOptions}. */
export const SIM_DEFAULTS = {
  loss: 0,
  dup: 0,
  reorder: 0,
  jitterMs: 5,
  delayMs: 20,
  durationS: 10,
  intervalMs: 50,
} as const;

/** Runs `o.calls` calls on one manual clock over a seeded network; see the module comment. */
export async function runSimulation(o: SimOptions): Promise<SimResult> {
  const started = performance.now();
  const durationS = o.durationS ?? SIM_DEFAULTS.durationS;
  const sim = new Simulation({
    ...SIM_DEFAULTS,
    maxCallMs: durationS * 1000 + 120_000,
    ...o,
  });
  await sim.run();
  const failures: Partial<Record<SimFailureKind, number>> = {};
  for (const f of sim.failures) failures[f.kind] = (failures[f.kind] ?? 0) + 1;
  const s = sim.net.stats;
  const internal = sim.failures.filter((f) => f.call < 0).length;
  return {
    calls: o.calls,
    completed: sim.completed,
    failed: sim.calls.length - sim.completed,
    digest: sim.digest(),
    wall_ms: Math.round(performance.now() - started),
    virtual_ms: sim.clock.now(),
    failures,
    first_failures: sim.failures.slice(0, 20),
    network: { sent: s.sent, delivered: s.delivered, lost: s.lost, duplicated: s.duplicated, reordered: s.reordered },
    rtp_sent: sim.rtpSent,
    internal_errors: internal,
  };
}

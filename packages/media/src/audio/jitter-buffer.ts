/**
 * A jitter buffer for received audio: 8 kHz, 20 ms frames (160 timestamp units) by default. Sans-I/O: packets
 * come in with their arrival time (`push(…, nowMs)`), frames go out at the playout clock (`pop(nowMs)`, one
 * frame per 20 ms), and nothing else keeps time.
 *
 * - Frames are placed by RTP timestamp (RFC 3550 §5.1), so reordering is undone and the 16-bit sequence number
 *   and the 32-bit timestamp wrap without effect; a second copy of a frame is dropped as a duplicate.
 * - A frame that arrives after its playout time is dropped as late; one too far ahead for the bounded buffer as
 *   overflow. Every drop is counted by reason.
 * - Playout starts `targetDelayMs` after the first packet of a talkspurt. A marker bit (RFC 3551 §4.1: first
 *   packet after silence) on an empty buffer, or a timestamp jump beyond `maxJumpMs` either way, starts a new
 *   talkspurt; after `maxConcealFrames` missing frames with nothing buffered the buffer goes idle.
 * - `'adaptive'` mode follows the interarrival jitter (RFC 3550 §6.4.1 / A.8 estimator): a new talkspurt
 *   starts at three times the jitter plus one frame, rounded up to whole frames, within min..max (once 16
 *   packets have been measured; `targetDelayMs` before). Within a talkspurt a late packet grows the delay by
 *   one frame (one concealment frame is inserted: `stats.stretched`), and a buffer that holds two frames more
 *   than the jitter needs for a whole second shrinks by one frame (the oldest is skipped: `stats.skipped`).
 *
 * Payloads are copied into preallocated slots (the caller's buffer may be reused at once); a frame returned by
 * `pop` is a view into the slot, valid until the next `push` or `pop`.
 */

/** Options of a {@link JitterBuffer}. */
export interface JitterBufferOptions {
  /** `'fixed'` keeps `targetDelayMs`; `'adaptive'` (default) follows the jitter between min and max. */
  mode?: 'fixed' | 'adaptive';
  /** Playout delay after a talkspurt's first packet (default 60 ms; the start value in adaptive mode). */
  targetDelayMs?: number;
  /** Lowest adaptive delay (default 20 ms). */
  minDelayMs?: number;
  /** Highest adaptive delay (default 200 ms). */
  maxDelayMs?: number;
  /** RTP clock rate (default 8000). */
  clockRate?: number;
  /** Timestamp units per frame (default 160 = 20 ms at 8 kHz). */
  frameSamples?: number;
  /** Frames held at most (default 50 = 1 s); packets further ahead are dropped as overflow. Slots are
   *  preallocated: `capacity × maxPayload` may be at most 16 MiB. */
  capacity?: number;
  /** Largest payload kept (default 640 octets: 20 ms of 16-bit 16 kHz); larger ones are dropped as too large. */
  maxPayload?: number;
  /** Missing frames reported with nothing buffered before the buffer goes idle (default 5). */
  maxConcealFrames?: number;
  /** A timestamp jump larger than this (either way) starts a new talkspurt (default 2000 ms). */
  maxJumpMs?: number;
}

/** Why a pushed packet was not kept. */
export type JitterDropReason = 'late' | 'duplicate' | 'overflow' | 'too-large';

/** What {@link JitterBuffer.push} did with a packet. */
export type JitterPushResult = 'queued' | JitterDropReason;

/** A frame due for playout: the payload (a view valid until the next push/pop) or a gap to conceal. */
export type JitterFrame =
  | { kind: 'frame'; timestamp: number; sequenceNumber: number; marker: boolean; payload: Uint8Array }
  | { kind: 'missing'; timestamp: number };

/** Counters of a {@link JitterBuffer}, by reason. */
export interface JitterBufferStats {
  /** Packets pushed. */
  received: number;
  /** Frames played. */
  played: number;
  /** Missing frames reported (concealment). */
  concealed: number;
  /** Drops: after their playout time. */
  late: number;
  /** Drops: a copy of a frame already held or played. */
  duplicate: number;
  /** Drops: too far ahead for the buffer. */
  overflow: number;
  /** Drops: payload larger than `maxPayload`. */
  tooLarge: number;
  /** Concealment frames inserted to grow the delay (adaptive mode). */
  stretched: number;
  /** Frames skipped to shrink the delay (adaptive mode). */
  skipped: number;
  /** Frames discarded unplayed by a resynchronisation. */
  flushed: number;
  /** Talkspurts started (first packet, marker bit, timestamp jump, restart after idle). */
  talkspurts: number;
}

type State = 'idle' | 'buffering' | 'playing';

/** Reorders, de-duplicates and paces received audio frames (see the module comment). */
export class JitterBuffer {
  /** Counters; read at any time. */
  readonly stats: JitterBufferStats = {
    received: 0,
    played: 0,
    concealed: 0,
    late: 0,
    duplicate: 0,
    overflow: 0,
    tooLarge: 0,
    flushed: 0,
    talkspurts: 0,
    stretched: 0,
    skipped: 0,
  };
  private readonly adaptive: boolean;
  private readonly minDelay: number;
  private readonly maxDelay: number;
  private readonly rate: number;
  private readonly frame: number;
  private readonly frameMs: number;
  private readonly cap: number;
  private readonly maxPayload: number;
  private readonly maxConceal: number;
  private readonly maxJump: number;
  private delayMs: number;

  // slots: ring indexed from `head`, slot i holds timestamp playTs + i·frame
  private readonly data: Uint8Array;
  private readonly len: Int32Array;
  private readonly seq: Uint16Array;
  private readonly mark: Uint8Array;
  private readonly used: Uint8Array;
  private head = 0;
  private count = 0;
  private playTs = 0;

  private state: State = 'idle';
  private startAt = 0;
  private nextPlayAt = 0;
  private missingRun = 0;
  /** Timestamps of the last 16 frames played, to tell a late copy of a played frame (duplicate) from a late one. */
  private readonly playedRing = new Float64Array(16).fill(-1);
  private playedIdx = 0;

  // RFC 3550 A.8 jitter, in timestamp units (float)
  private jitter = 0;
  private jitterSamples = 0;
  /** Adaptive mode: concealment frames to insert before the next frame (0 or 1). */
  private stretch = 0;
  /** Adaptive mode: consecutive pops with two frames more buffered than the jitter needs. */
  private excess = 0;
  private lastTransit: number | undefined;

  private readonly out: {
    kind: 'frame' | 'missing';
    timestamp: number;
    sequenceNumber: number;
    marker: boolean;
    payload: Uint8Array;
  };

  constructor(opts: JitterBufferOptions = {}) {
    this.adaptive = (opts.mode ?? 'adaptive') === 'adaptive';
    this.rate = opts.clockRate ?? 8000;
    this.frame = opts.frameSamples ?? 160;
    this.frameMs = (this.frame * 1000) / this.rate;
    this.minDelay = opts.minDelayMs ?? this.frameMs;
    this.maxDelay = opts.maxDelayMs ?? 200;
    this.delayMs = opts.targetDelayMs ?? 60;
    this.cap = opts.capacity ?? 50;
    this.maxPayload = opts.maxPayload ?? 640;
    this.maxConceal = opts.maxConcealFrames ?? 5;
    this.maxJump = ((opts.maxJumpMs ?? 2000) * this.rate) / 1000;
    if (!(this.rate > 0 && this.frame > 0)) throw new RangeError('clockRate and frameSamples must be > 0');
    if (!Number.isInteger(this.cap) || this.cap < 2 || this.cap > 10_000)
      throw new RangeError('capacity must be 2..10000');
    if (!Number.isInteger(this.maxPayload) || this.maxPayload < 1 || this.maxPayload > 65_536) {
      throw new RangeError('maxPayload must be 1..65536');
    }
    if (this.cap * this.maxPayload > 16 * 1024 * 1024)
      throw new RangeError('capacity × maxPayload must be at most 16 MiB');
    if (!(this.delayMs >= 0) || !(this.minDelay <= this.maxDelay)) throw new RangeError('bad delay options');
    this.data = new Uint8Array(this.cap * this.maxPayload);
    this.len = new Int32Array(this.cap);
    this.seq = new Uint16Array(this.cap);
    this.mark = new Uint8Array(this.cap);
    this.used = new Uint8Array(this.cap);
    this.out = { kind: 'missing', timestamp: 0, sequenceNumber: 0, marker: false, payload: this.data.subarray(0, 0) };
  }

  /** Frames held now. */
  get buffered(): number {
    return this.count;
  }

  /** The playout delay in force (ms): the delay of the current talkspurt. */
  get targetDelayMs(): number {
    return this.delayMs;
  }

  /** The interarrival jitter estimate (RFC 3550 A.8), in milliseconds. */
  get jitterMs(): number {
    return (this.jitter * 1000) / this.rate;
  }

  /** `'idle'` (nothing to play), `'buffering'` (waiting out the delay) or `'playing'`. */
  get playoutState(): 'idle' | 'buffering' | 'playing' {
    return this.state;
  }

  /**
   * Offers one received RTP packet's payload. Returns `'queued'` or the reason it was dropped (also counted).
   * Never throws for any packet; the payload is copied. (A non-finite `nowMs` is API misuse: RangeError.)
   */
  push(
    payload: Uint8Array,
    timestamp: number,
    sequenceNumber: number,
    marker: boolean,
    nowMs: number,
  ): JitterPushResult {
    if (!Number.isFinite(nowMs)) throw new RangeError(`nowMs must be finite, got ${nowMs}`);
    this.stats.received++;
    const ts = timestamp >>> 0;
    this.updateJitter(ts, nowMs);
    if (payload.length > this.maxPayload) return this.drop('tooLarge', 'too-large');
    if (this.state === 'idle' || (this.count === 0 && this.state === 'buffering')) {
      this.resync(ts, nowMs);
      return this.store(0, payload, sequenceNumber, marker);
    }
    let off = this.offsetOf(ts);
    if (off < 0 && -off * this.frame > this.maxJump) return this.jump(payload, ts, sequenceNumber, marker, nowMs);
    if (off * this.frame > this.maxJump) return this.jump(payload, ts, sequenceNumber, marker, nowMs);
    if (this.state === 'buffering' && off < 0) {
      // an earlier packet while still buffering: move the start back (nothing was played yet)
      if (-off >= this.cap - this.span()) return this.drop('overflow', 'overflow');
      this.shiftBack(-off);
      off = 0;
    }
    if (off < 0) {
      if (this.wasPlayed(ts)) return this.drop('duplicate', 'duplicate');
      if (this.adaptive && this.stretch === 0 && this.delayMs + this.frameMs <= this.maxDelay) {
        // the delay is too short for this path: grow it by one frame at the next pop
        this.delayMs += this.frameMs;
        this.stretch = 1;
      }
      return this.drop('late', 'late');
    }
    if (this.count === 0 && this.state === 'playing' && ((marker && off !== 0) || off >= this.cap)) {
      // RFC 3551 §4.1: a new talkspurt after silence (or a skip ahead) with nothing left to play: rebuffer
      return this.jump(payload, ts, sequenceNumber, marker, nowMs);
    }
    if (off >= this.cap) return this.drop('overflow', 'overflow');
    return this.store(off, payload, sequenceNumber, marker);
  }

  /**
   * The frame due at `nowMs`, or undefined when none is due (idle, buffering, or the next frame is not yet
   * due). Call every 20 ms, or in a loop until undefined after a late wake-up. The returned object and its
   * payload view are reused: read them before the next call.
   */
  pop(nowMs: number): JitterFrame | undefined {
    if (!Number.isFinite(nowMs)) throw new RangeError(`nowMs must be finite, got ${nowMs}`);
    if (this.state === 'idle') return undefined;
    if (this.state === 'buffering') {
      if (nowMs < this.startAt) return undefined;
      this.state = 'playing';
      this.nextPlayAt = this.startAt;
    }
    if (nowMs < this.nextPlayAt) return undefined;
    // a caller that slept for longer than the whole buffer resumes from now rather than replaying the gap
    if (nowMs - this.nextPlayAt > this.cap * this.frameMs) this.nextPlayAt = nowMs;
    const o = this.out;
    if (this.stretch > 0) {
      // adaptive growth: one inserted concealment frame; the frame at playTs waits one period more
      this.stretch = 0;
      this.stats.stretched++;
      this.stats.concealed++;
      this.nextPlayAt += this.frameMs;
      o.kind = 'missing';
      o.timestamp = this.playTs;
      return o as JitterFrame;
    }
    if (this.adaptive) this.maybeShrink();
    const i = this.head;
    o.timestamp = this.playTs;
    if (this.used[i]) {
      o.kind = 'frame';
      o.sequenceNumber = this.seq[i]!;
      o.marker = this.mark[i] === 1;
      o.payload = this.data.subarray(i * this.maxPayload, i * this.maxPayload + this.len[i]!);
      this.used[i] = 0;
      this.count--;
      this.missingRun = 0;
      this.stats.played++;
      this.rememberPlayed(this.playTs);
    } else {
      o.kind = 'missing';
      this.missingRun++;
      this.stats.concealed++;
    }
    this.head = (this.head + 1) % this.cap;
    this.playTs = (this.playTs + this.frame) >>> 0;
    this.nextPlayAt += this.frameMs;
    if (this.count === 0 && this.missingRun >= this.maxConceal) this.state = 'idle';
    return o as JitterFrame;
  }

  /** When {@link pop} has a frame due next (ms), or undefined while idle. */
  nextDeadline(): number | undefined {
    if (this.state === 'idle') return undefined;
    return this.state === 'buffering' ? this.startAt : this.nextPlayAt;
  }

  /** Drops everything held and goes idle (e.g. on an SSRC change); counters stay. */
  reset(): void {
    this.flush();
    this.state = 'idle';
    this.lastTransit = undefined;
    this.playedRing.fill(-1);
  }

  // ------------------------------------------------------------------------------------------ internals

  private drop(counter: 'late' | 'duplicate' | 'overflow' | 'tooLarge', reason: JitterDropReason): JitterDropReason {
    this.stats[counter]++;
    return reason;
  }

  /** Signed distance in frames from the playout position to `ts` (rounded to whole frames). */
  private offsetOf(ts: number): number {
    return Math.round(((ts - this.playTs) | 0) / this.frame);
  }

  /** Frames from the head to the last held one, plus one (0 when empty). */
  private span(): number {
    for (let k = this.cap - 1; k >= 0; k--) if (this.used[(this.head + k) % this.cap]) return k + 1;
    return 0;
  }

  private shiftBack(n: number): void {
    this.head = (((this.head - n) % this.cap) + this.cap) % this.cap;
    this.playTs = (this.playTs - n * this.frame) >>> 0;
  }

  private store(off: number, payload: Uint8Array, sequenceNumber: number, marker: boolean): JitterPushResult {
    const i = (this.head + off) % this.cap;
    if (this.used[i]) return this.drop('duplicate', 'duplicate');
    this.data.set(payload, i * this.maxPayload);
    this.len[i] = payload.length;
    this.seq[i] = sequenceNumber & 0xffff;
    this.mark[i] = marker ? 1 : 0;
    this.used[i] = 1;
    this.count++;
    return 'queued';
  }

  private flush(): void {
    this.stats.flushed += this.count;
    this.used.fill(0);
    this.count = 0;
    this.head = 0;
  }

  /** The delay the measured jitter asks for: 3·J + one frame, in whole frames, within min..max. */
  private wantDelayMs(): number {
    const want = Math.ceil((3 * this.jitterMs + this.frameMs) / this.frameMs) * this.frameMs;
    return Math.min(this.maxDelay, Math.max(this.minDelay, want));
  }

  /** Adaptive shrink: after a second of holding two frames more than needed, skip the oldest frame. */
  private maybeShrink(): void {
    const want = this.wantDelayMs();
    if (this.count * this.frameMs > want + 2 * this.frameMs) this.excess++;
    else this.excess = 0;
    if (this.excess < 1000 / this.frameMs || !this.used[this.head]) return;
    this.excess = 0;
    this.used[this.head] = 0;
    this.count--;
    this.stats.skipped++;
    this.head = (this.head + 1) % this.cap;
    this.playTs = (this.playTs + this.frame) >>> 0;
    this.delayMs = Math.max(this.minDelay, this.delayMs - this.frameMs);
  }

  /** Starts a new talkspurt at `ts`: playout begins after the (adapted) delay. */
  private resync(ts: number, nowMs: number): void {
    this.flush();
    if (this.adaptive && this.jitterSamples >= 16) this.delayMs = this.wantDelayMs();
    this.stretch = 0;
    this.excess = 0;
    this.playTs = ts;
    this.state = 'buffering';
    this.startAt = nowMs + this.delayMs;
    this.missingRun = 0;
    this.stats.talkspurts++;
  }

  private jump(
    payload: Uint8Array,
    ts: number,
    sequenceNumber: number,
    marker: boolean,
    nowMs: number,
  ): JitterPushResult {
    this.resync(ts, nowMs);
    this.playedRing.fill(-1);
    return this.store(0, payload, sequenceNumber, marker);
  }

  private rememberPlayed(ts: number): void {
    this.playedRing[this.playedIdx] = ts;
    this.playedIdx = (this.playedIdx + 1) & 15;
  }

  /** Whether `ts` was played (not concealed) recently: a late copy is then a duplicate. */
  private wasPlayed(ts: number): boolean {
    return this.playedRing.includes(ts);
  }

  /** RFC 3550 A.8: J += (|D| − J) / 16 with D the change in transit time, in timestamp units. */
  private updateJitter(ts: number, nowMs: number): void {
    const arrival = (nowMs * this.rate) / 1000;
    const transit = arrival - ts;
    if (this.lastTransit !== undefined) {
      let d = transit - this.lastTransit;
      // timestamps wrap at 2^32: take the short way round
      if (d > 2 ** 31) d -= 2 ** 32;
      else if (d < -(2 ** 31)) d += 2 ** 32;
      d = Math.abs(d);
      if (d < this.maxJump) {
        this.jitter += (d - this.jitter) / 16;
        this.jitterSamples++;
      }
    }
    this.lastTransit = transit;
  }
}

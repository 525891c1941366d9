/**
 * RFC 4733 telephone-events (DTMF): the 4-octet payload (§2.3), a sender that turns a digit string into event
 * packets (§2.5.1) and a receiver that turns event packets back into digits (§2.5.2). Sans-I/O: time (`nowMs`)
 * and the media clock's RTP timestamp are passed in; the RTP header (sequence number, SSRC, payload type) is
 * the caller's.
 *
 * Event codes (§3.2): '0'–'9' → 0–9, '*' → 10, '#' → 11, 'A'–'D' → 12–15, flash → 16 (written '!' here).
 */

/** RFC 4733 §3.2: the DTMF event code of flash (hook flash). */
export const DTMF_FLASH = 16;

/** Octets in one telephone-event payload block (RFC 4733 §2.3). */
export const TELEPHONE_EVENT_SIZE = 4;

/** The largest value of the 16-bit duration field (RFC 4733 §2.5.1.3: longer events are split in segments). */
export const MAX_EVENT_DURATION = 0xffff;

const DIGITS = '0123456789*#ABCD!';

/** The RFC 4733 event code of a DTMF digit ('0'–'9', '*', '#', 'A'–'D' in either case, '!' for flash), or undefined. */
export function dtmfEventCode(digit: string): number | undefined {
  if (digit.length !== 1) return undefined;
  const i = DIGITS.indexOf(digit.toUpperCase());
  return i < 0 ? undefined : i;
}

/** The digit of an RFC 4733 DTMF event code (0–16), or undefined for other telephone-event codes. */
export function dtmfDigit(event: number): string | undefined {
  return Number.isInteger(event) && event >= 0 && event <= DTMF_FLASH ? DIGITS[event] : undefined;
}

/** One telephone-event block (RFC 4733 §2.3). `duration` is in RTP timestamp units. */
export interface TelephoneEvent {
  /** Event code 0–255 (DTMF: 0–16). */
  event: number;
  /** The E bit: this packet ends the event. */
  end: boolean;
  /** Power level in −dBm0, 0–63 (0 = loudest). */
  volume: number;
  /** Duration so far, in timestamp units, 0–65535. */
  duration: number;
}

/** Why a telephone-event payload could not be read. */
export type DtmfParseReason = 'truncated' | 'bad-length';

/** A malformed telephone-event payload (RFC 4733 §2.3). */
export class DtmfParseError extends Error {
  override readonly name = 'DtmfParseError';
  /** Machine-friendly reason. */
  readonly reason: DtmfParseReason;
  /** Payload length seen. */
  readonly length: number;
  constructor(reason: DtmfParseReason, length: number) {
    super(`telephone-event parse error (${reason}): ${length} octets`);
    this.reason = reason;
    this.length = length;
  }
}

/**
 * Reads the first telephone-event block of an RTP payload (RFC 4733 §2.3). A payload shorter than 4 octets is
 * `'truncated'`; one whose length is not a multiple of 4 (or above 64 octets) is `'bad-length'`. Never throws.
 */
export function tryParseTelephoneEvent(payload: Uint8Array): TelephoneEvent | DtmfParseError {
  const n = payload.length;
  if (n < TELEPHONE_EVENT_SIZE) return new DtmfParseError('truncated', n);
  if (n % TELEPHONE_EVENT_SIZE !== 0 || n > 64) return new DtmfParseError('bad-length', n);
  const b1 = payload[1]!;
  return {
    event: payload[0]!,
    end: (b1 & 0x80) !== 0,
    // the R bit (0x40) is reserved: senders set 0, receivers ignore it (§2.3)
    volume: b1 & 0x3f,
    duration: (payload[2]! << 8) | payload[3]!,
  };
}

/** As {@link tryParseTelephoneEvent}, but throws the {@link DtmfParseError}. */
export function parseTelephoneEvent(payload: Uint8Array): TelephoneEvent {
  const r = tryParseTelephoneEvent(payload);
  if (r instanceof DtmfParseError) throw r;
  return r;
}

/**
 * Writes one telephone-event block at `offset` and returns 4. Throws a RangeError (API misuse) for an event
 * outside 0–255, a volume outside 0–63 or a duration outside 0–65535, or when `buf` has no room.
 */
export function serializeTelephoneEventInto(ev: TelephoneEvent, buf: Uint8Array, offset = 0): number {
  if (!Number.isInteger(ev.event) || ev.event < 0 || ev.event > 255)
    throw new RangeError(`event ${ev.event} not in 0..255`);
  if (!Number.isInteger(ev.volume) || ev.volume < 0 || ev.volume > 63)
    throw new RangeError(`volume ${ev.volume} not in 0..63`);
  if (!Number.isInteger(ev.duration) || ev.duration < 0 || ev.duration > MAX_EVENT_DURATION) {
    throw new RangeError(`duration ${ev.duration} not in 0..65535`);
  }
  if (offset < 0 || buf.length - offset < TELEPHONE_EVENT_SIZE) throw new RangeError('no room for a telephone-event');
  buf[offset] = ev.event;
  buf[offset + 1] = (ev.end ? 0x80 : 0) | ev.volume;
  buf[offset + 2] = ev.duration >>> 8;
  buf[offset + 3] = ev.duration & 0xff;
  return TELEPHONE_EVENT_SIZE;
}

/** A new 4-octet telephone-event payload (see {@link serializeTelephoneEventInto}). */
export function serializeTelephoneEvent(ev: TelephoneEvent): Uint8Array {
  const out = new Uint8Array(TELEPHONE_EVENT_SIZE);
  serializeTelephoneEventInto(ev, out);
  return out;
}

// ------------------------------------------------------------------------------------------------ sender

/** Options of a {@link DtmfSender}; every time is in milliseconds. */
export interface DtmfSenderOptions {
  /** RTP clock rate of the telephone-event payload type (default 8000, RFC 4733 §2.1). */
  clockRate?: number;
  /** Tone duration per digit (default 100; 40..60000). */
  durationMs?: number;
  /** Silence between the last end packet of a digit and the next digit's start (default 50). */
  gapMs?: number;
  /** Interval between event packets (default 20, the audio packet time). */
  packetIntervalMs?: number;
  /** Volume in −dBm0 (default 10). */
  volume?: number;
  /** How many times the end packet is sent (default 3, RFC 4733 §2.5.1.4). */
  endRepeats?: number;
  /** Most digits waiting to be sent (default 256); {@link DtmfSender.enqueue} refuses more. */
  maxQueued?: number;
}

/** One telephone-event packet to send: the caller adds the RTP header (sequence number, SSRC, payload type). */
export interface DtmfPacket {
  /** RTP timestamp: the start of the event (segment), the same in all its packets (§2.5.1.2). */
  timestamp: number;
  /** RTP marker bit: set on the first packet of an event (§2.5.1.2). */
  marker: boolean;
  /** The block sent, as fields. */
  event: TelephoneEvent;
  /** The 4-octet payload (a new array per packet). */
  payload: Uint8Array;
  /** The digit this packet belongs to. */
  digit: string;
}

type SenderState =
  | { kind: 'idle' }
  | { kind: 'wait'; at: number } // gap before the next digit
  | {
      kind: 'tone';
      code: number;
      digit: string;
      start: number; // ms
      total: number; // timestamp units
      segmentTs: number; // RTP timestamp of the current segment
      segmentStart: number; // elapsed units at the segment's start
      nextAt: number; // ms of the next update
      first: boolean;
    }
  | { kind: 'end'; code: number; digit: string; ts: number; duration: number; left: number; nextAt: number };

/**
 * Sends digits as RFC 4733 events (§2.5.1): the first packet carries the marker bit, updates follow every
 * `packetIntervalMs` with the same RTP timestamp and a growing duration, and the end packet (E bit, final
 * duration) is sent `endRepeats` times, one interval apart; then `gapMs` of silence before the next digit.
 * An event longer than 0xFFFF units is split in segments (§2.5.1.3): the segment closes with duration 0xFFFF
 * and the next starts at timestamp + 0xFFFF, without the marker bit.
 *
 * Sans-I/O: call {@link poll} with the time and the media clock's current RTP timestamp until it returns
 * undefined, then again at {@link nextDeadline}. While {@link busy}, audio packets should not be sent.
 *
 * ```ts
 * const tx = new DtmfSender();
 * tx.enqueue('12#', now);
 * for (let p = tx.poll(now, ts); p; p = tx.poll(now, ts)) send(p);
 * ```
 */
export class DtmfSender {
  private readonly rate: number;
  private readonly durationMs: number;
  private readonly gapMs: number;
  private readonly intervalMs: number;
  private readonly volume: number;
  private readonly endRepeats: number;
  private readonly maxQueued: number;
  private queue = '';
  private state: SenderState = { kind: 'idle' };
  /** RTP timestamp just after the previous event (start + duration), to keep new events after it. */
  private lastEventEnd: number | undefined;

  constructor(opts: DtmfSenderOptions = {}) {
    this.rate = opts.clockRate ?? 8000;
    this.durationMs = opts.durationMs ?? 100;
    this.gapMs = opts.gapMs ?? 50;
    this.intervalMs = opts.packetIntervalMs ?? 20;
    this.volume = opts.volume ?? 10;
    this.endRepeats = opts.endRepeats ?? 3;
    this.maxQueued = opts.maxQueued ?? 256;
    if (!(this.rate > 0)) throw new RangeError('clockRate must be > 0');
    if (!(this.durationMs >= 40 && this.durationMs <= 60_000)) throw new RangeError('durationMs must be 40..60000');
    if (!(this.gapMs >= 0)) throw new RangeError('gapMs must be >= 0');
    if (!(this.intervalMs > 0)) throw new RangeError('packetIntervalMs must be > 0');
    if (!Number.isInteger(this.volume) || this.volume < 0 || this.volume > 63)
      throw new RangeError('volume must be 0..63');
    if (!Number.isInteger(this.endRepeats) || this.endRepeats < 1) throw new RangeError('endRepeats must be >= 1');
  }

  /**
   * Queues digits ('0'–'9', '*', '#', 'A'–'D', '!' = flash) to start at `nowMs` or after the digits before.
   * Throws a RangeError (API misuse) for any other character or when the queue would exceed `maxQueued`.
   */
  enqueue(digits: string, nowMs: number): void {
    if (!Number.isFinite(nowMs)) throw new RangeError(`nowMs must be finite, got ${nowMs}`);
    for (const ch of digits) if (dtmfEventCode(ch) === undefined) throw new RangeError(`not a DTMF digit: '${ch}'`);
    if (this.queue.length + digits.length > this.maxQueued)
      throw new RangeError(`more than ${this.maxQueued} digits queued`);
    this.queue += digits.toUpperCase();
    if (this.state.kind === 'idle') this.state = { kind: 'wait', at: nowMs };
  }

  /** Whether an event is being sent or digits are waiting. */
  get busy(): boolean {
    return this.state.kind !== 'idle';
  }

  /** Whether a tone (not the gap between digits) is being sent now: audio should be held back. */
  get sendingEvent(): boolean {
    return this.state.kind === 'tone' || this.state.kind === 'end';
  }

  /** Digits queued and not yet started. */
  get pending(): string {
    return this.queue;
  }

  /** Drops the queued digits; an event already started still ends properly (its end packets are sent). */
  clear(): void {
    this.queue = '';
    if (this.state.kind === 'wait') this.state = { kind: 'idle' };
  }

  /** When {@link poll} has something to send next (ms), or undefined when idle. */
  nextDeadline(): number | undefined {
    const s = this.state;
    switch (s.kind) {
      case 'idle':
        return undefined;
      case 'wait':
        return s.at;
      default:
        return s.nextAt;
    }
  }

  /**
   * The next packet due at `nowMs`, or undefined. `rtpTimestamp` is the media clock's timestamp at `nowMs`;
   * it is latched as the event's timestamp when an event starts (kept after the previous event's end).
   * A caller that polls late gets one packet with the duration reached, not a burst of stale updates.
   */
  poll(nowMs: number, rtpTimestamp: number): DtmfPacket | undefined {
    if (!Number.isFinite(nowMs)) throw new RangeError(`nowMs must be finite, got ${nowMs}`);
    const s = this.state;
    if (s.kind === 'idle') return undefined;
    if (s.kind === 'wait') {
      if (nowMs < s.at) return undefined;
      if (this.queue.length === 0) {
        this.state = { kind: 'idle' };
        return undefined;
      }
      const digit = this.queue[0]!;
      this.queue = this.queue.slice(1);
      let ts = rtpTimestamp >>> 0;
      // a new event needs a timestamp after the last one's end, or receivers take it for a retransmission
      if (this.lastEventEnd !== undefined && ((ts - this.lastEventEnd) | 0) <= 0) ts = this.lastEventEnd;
      this.state = {
        kind: 'tone',
        code: dtmfEventCode(digit)!,
        digit,
        start: nowMs,
        total: Math.round((this.durationMs * this.rate) / 1000),
        segmentTs: ts,
        segmentStart: 0,
        nextAt: nowMs,
        first: true,
      };
      return this.poll(nowMs, rtpTimestamp);
    }
    if (nowMs < s.nextAt) return undefined;
    if (s.kind === 'tone') {
      let steps = Math.floor((nowMs - s.start) / this.intervalMs);
      // In floating point the quotient can round down while start + (steps + 1) · interval rounds to `nowMs` (e.g.
      // start 4040.0973177835463, now 4100.097317783546): the next update must lie after now, or a caller polling
      // until undefined never stops.
      if (s.start + (steps + 1) * this.intervalMs <= nowMs) steps++;
      const elapsed = Math.min(s.total, Math.round((steps * this.intervalMs * this.rate) / 1000));
      const inSegment = elapsed - s.segmentStart;
      if (inSegment > MAX_EVENT_DURATION || (inSegment === MAX_EVENT_DURATION && elapsed < s.total)) {
        // §2.5.1.3: close this segment at 0xFFFF; the next one starts where it ended, without the marker
        const pkt = this.packet(s.digit, s.code, s.segmentTs, s.first, false, MAX_EVENT_DURATION);
        s.first = false;
        s.segmentTs = (s.segmentTs + MAX_EVENT_DURATION) >>> 0;
        s.segmentStart += MAX_EVENT_DURATION;
        if (elapsed - s.segmentStart <= 0) s.nextAt = s.start + (steps + 1) * this.intervalMs;
        return pkt;
      }
      if (elapsed >= s.total) {
        const duration = s.total - s.segmentStart;
        this.state = {
          kind: 'end',
          code: s.code,
          digit: s.digit,
          ts: s.segmentTs,
          duration,
          left: this.endRepeats,
          nextAt: nowMs,
        };
        this.lastEventEnd = (s.segmentTs + duration) >>> 0;
        return this.poll(nowMs, rtpTimestamp);
      }
      const pkt = this.packet(s.digit, s.code, s.segmentTs, s.first, false, inSegment);
      s.first = false;
      s.nextAt = s.start + (steps + 1) * this.intervalMs;
      return pkt;
    }
    // 'end': the final packet, repeated (§2.5.1.4); marker only if the event never sent a start (cannot happen)
    const pkt = this.packet(s.digit, s.code, s.ts, false, true, s.duration);
    s.left--;
    if (s.left > 0) s.nextAt = nowMs + this.intervalMs;
    else this.state = this.queue.length > 0 ? { kind: 'wait', at: nowMs + this.gapMs } : { kind: 'idle' };
    return pkt;
  }

  private packet(digit: string, code: number, ts: number, marker: boolean, end: boolean, duration: number): DtmfPacket {
    const event: TelephoneEvent = { event: code, end, volume: this.volume, duration };
    return { timestamp: ts, marker, event, payload: serializeTelephoneEvent(event), digit };
  }
}

// ---------------------------------------------------------------------------------------------- receiver

/** Why a received event was reported. */
export type DtmfEndReason = 'end' | 'timeout' | 'superseded';

/** One received DTMF digit (or other telephone-event), reported once. */
export interface DtmfDigitEvent {
  /** The digit ('0'–'9', '*', '#', 'A'–'D', '!' = flash), or undefined for a non-DTMF event code. */
  digit: string | undefined;
  /** The event code (RFC 4733 §3.2). */
  event: number;
  /** RTP timestamp of the event's start. */
  timestamp: number;
  /** Total duration in timestamp units (all segments, §2.5.1.3). */
  duration: number;
  /** The same in milliseconds. */
  durationMs: number;
  /** Volume of the last packet, −dBm0. */
  volume: number;
  /**
   * `'end'`: an E-bit packet arrived; `'timeout'`: the packets stopped without one (end lost);
   * `'superseded'`: a packet of a newer event arrived first.
   */
  reason: DtmfEndReason;
}

/** Options of a {@link DtmfReceiver}. */
export interface DtmfReceiverOptions {
  /** RTP clock rate of the telephone-event payload type (default 8000). */
  clockRate?: number;
  /** An event with no packet for this long ends with reason `'timeout'` (default 1000 ms). */
  timeoutMs?: number;
  /** Most digits held for {@link DtmfReceiver.poll} (default 64; the oldest is dropped beyond). */
  maxQueued?: number;
  /**
   * How long after an event ends its packets count as retransmissions, and older timestamps as late
   * (default 1000 ms). Later, the same or an older timestamp starts a new event — a sender that replays a
   * recording (sipp's `play_pcap_audio` of the same pcap twice) is heard each time.
   */
  dedupWindowMs?: number;
}

/** Counters of a {@link DtmfReceiver}. */
export interface DtmfReceiverStats {
  /** Payloads fed. */
  packets: number;
  /** Payloads that did not parse. */
  malformed: number;
  /** Packets of an event already reported (e.g. the repeated end packets). */
  duplicates: number;
  /** Packets older than the current event (late or reordered). */
  late: number;
  /** Events reported. */
  events: number;
  /** Events that ended without an end packet. */
  timeouts: number;
  /** Reported events dropped because nobody polled. */
  overflow: number;
}

interface Current {
  event: number;
  timestamp: number; // of the event's first segment
  segmentTs: number; // of the current segment
  before: number; // duration of the closed segments
  duration: number; // of the current segment
  volume: number;
  lastAt: number;
}

/**
 * Turns received RFC 4733 packets into digits, each reported once with its duration (§2.5.2): events are keyed
 * by RTP timestamp, the repeated end packets (within `dedupWindowMs`) are counted as duplicates and packets of
 * older events within that window as late, an event whose start packet was lost
 * starts from any of its packets, one whose end packets were all lost ends after `timeoutMs` without packets
 * (or when a newer event starts), and long events continue across segments (§2.5.1.3).
 *
 * ```ts
 * const rx = new DtmfReceiver();
 * rx.handlePayload(rtp.payload, rtp.timestamp, rtp.marker, now);
 * for (let d = rx.poll(); d; d = rx.poll()) console.log(d.digit, d.durationMs);
 * ```
 */
export class DtmfReceiver {
  /** Counters; read at any time. */
  readonly stats: DtmfReceiverStats = {
    packets: 0,
    malformed: 0,
    duplicates: 0,
    late: 0,
    events: 0,
    timeouts: 0,
    overflow: 0,
  };
  private readonly rate: number;
  private readonly timeoutMs: number;
  private readonly maxQueued: number;
  private current: Current | undefined;
  /** End timestamps (segment timestamp) of recently reported events, newest last. */
  /** Segment timestamps of recently reported events and when they ended (ms), newest last. */
  private readonly done: { ts: number; at: number }[] = [];
  private lastDoneTs: number | undefined;
  private lastDoneAt = 0;
  private readonly dedupWindowMs: number;
  private readonly out: DtmfDigitEvent[] = [];

  constructor(opts: DtmfReceiverOptions = {}) {
    this.rate = opts.clockRate ?? 8000;
    this.timeoutMs = opts.timeoutMs ?? 1000;
    this.maxQueued = opts.maxQueued ?? 64;
    this.dedupWindowMs = opts.dedupWindowMs ?? 1000;
  }

  /**
   * Feeds the payload of one telephone-event RTP packet with its RTP timestamp and marker bit. Returns the
   * parse error for a malformed payload (counted and otherwise ignored) or undefined. Never throws for any
   * payload (a non-finite `nowMs` is API misuse: RangeError).
   */
  handlePayload(payload: Uint8Array, rtpTimestamp: number, marker: boolean, nowMs: number): DtmfParseError | undefined {
    this.stats.packets++;
    const ev = tryParseTelephoneEvent(payload);
    if (ev instanceof DtmfParseError) {
      this.stats.malformed++;
      return ev;
    }
    this.handleEvent(ev, rtpTimestamp >>> 0, marker, nowMs);
    return undefined;
  }

  /**
   * Feeds an already-parsed block (see {@link handlePayload}). The marker bit is accepted for symmetry but not
   * needed: events are told apart by RTP timestamp, so a lost start packet (the one with the marker) loses nothing.
   */
  handleEvent(ev: TelephoneEvent, rtpTimestamp: number, marker: boolean, nowMs: number): void {
    void marker;
    if (!Number.isFinite(nowMs)) throw new RangeError(`nowMs must be finite, got ${nowMs}`);
    const ts = rtpTimestamp >>> 0;
    const cur = this.current;
    if (cur && ts === cur.segmentTs && ev.event === cur.event) {
      cur.lastAt = nowMs;
      cur.volume = ev.volume;
      if (ev.duration > cur.duration) cur.duration = ev.duration;
      if (ev.end) this.finish('end', nowMs);
      return;
    }
    if (this.done.some((d) => d.ts === ts && nowMs - d.at < this.dedupWindowMs)) {
      this.stats.duplicates++;
      return;
    }
    if (cur) {
      // §2.5.1.3: the next segment of a long event starts at the previous segment's timestamp + 0xFFFF (also
      // when the packet that closed the previous segment was lost)
      if (ev.event === cur.event && ts === (cur.segmentTs + MAX_EVENT_DURATION) >>> 0) {
        this.done.push({ ts: cur.segmentTs, at: nowMs }); // stray packets of the closed segment are duplicates
        if (this.done.length > 16) this.done.shift();
        cur.before += MAX_EVENT_DURATION;
        cur.segmentTs = ts;
        cur.duration = ev.duration;
        cur.volume = ev.volume;
        cur.lastAt = nowMs;
        if (ev.end) this.finish('end', nowMs);
        return;
      }
      if (this.isBehind(ts, cur.segmentTs)) {
        this.stats.late++;
        return;
      }
      this.finish('superseded', nowMs);
    } else if (
      this.lastDoneTs !== undefined &&
      nowMs - this.lastDoneAt < this.dedupWindowMs &&
      this.isBehind(ts, this.lastDoneTs)
    ) {
      this.stats.late++;
      return;
    }
    // a new event (its start packet, or a later one when the start was lost)
    this.current = {
      event: ev.event,
      timestamp: ts,
      segmentTs: ts,
      before: 0,
      duration: ev.duration,
      volume: ev.volume,
      lastAt: nowMs,
    };
    if (ev.end) this.finish('end', nowMs);
  }

  /** Forgets the current event and the history (e.g. when the sender's SSRC changes); reported digits stay. */
  reset(): void {
    this.current = undefined;
    this.done.length = 0;
    this.lastDoneTs = undefined;
  }

  /**
   * Whether `ts` is before `ref` by less than 30 s of timestamp units: a late packet. Further back it is taken
   * for a new timeline (the sender restarted its clock), so such a jump never silences the receiver.
   */
  private isBehind(ts: number, ref: number): boolean {
    const d = (ref - ts) >>> 0;
    return d > 0 && d < this.rate * 30;
  }

  /** Ends an event whose packets stopped `timeoutMs` ago (its end packets were lost). */
  handleTimeout(nowMs: number): void {
    const cur = this.current;
    if (cur && nowMs - cur.lastAt >= this.timeoutMs) {
      this.stats.timeouts++;
      this.finish('timeout', nowMs);
    }
  }

  /** When {@link handleTimeout} should be called next, or undefined. */
  nextDeadline(): number | undefined {
    return this.current ? this.current.lastAt + this.timeoutMs : undefined;
  }

  /** The next reported digit, oldest first, or undefined. */
  poll(): DtmfDigitEvent | undefined {
    return this.out.shift();
  }

  private finish(reason: DtmfEndReason, nowMs: number): void {
    const cur = this.current!;
    this.current = undefined;
    this.done.push({ ts: cur.segmentTs, at: nowMs });
    if (this.done.length > 16) this.done.shift();
    this.lastDoneTs = cur.segmentTs;
    this.lastDoneAt = nowMs;
    const duration = cur.before + cur.duration;
    this.stats.events++;
    if (this.out.length >= this.maxQueued) {
      this.out.shift();
      this.stats.overflow++;
    }
    this.out.push({
      digit: dtmfDigit(cur.event),
      event: cur.event,
      timestamp: cur.timestamp,
      duration,
      durationMs: (duration * 1000) / this.rate,
      volume: cur.volume,
      reason,
    });
  }
}

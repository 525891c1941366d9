import { deserialize, serialize } from 'node:v8';
import { Mutex } from './mutex.js';
import { checkHandle, deadlineOf, remaining, type SharedHandle, waitAsync, waitSync } from './shared.js';

/** Sending on, or receiving from a drained, closed channel. */
export class ChannelClosedError extends Error {
  constructor(op: string) {
    super(`${op}: channel is closed`);
    this.name = 'ChannelClosedError';
  }
}

/** A channel operation ran out of time. */
export class ChannelTimeoutError extends Error {
  constructor(op: string, ms: number) {
    super(`${op}: timed out after ${ms} ms`);
    this.name = 'ChannelTimeoutError';
  }
}

/** Options of a new {@link Channel}. */
export interface ChannelOptions {
  /** Maximum queued messages; 0 (default) = no count limit. */
  capacity?: number;
  /** Size of the shared byte ring holding serialized messages (default 1 MiB). Always a limit. */
  maxBytes?: number;
}

/** Result of {@link Channel.tryRecv}. */
export type TryRecv<T> = { ok: true; value: T } | { ok: false; closed: boolean };

// Header words (Int32) before the byte ring.
const LOCK = 0;
const SEQ = 1;
const COUNT = 2;
const CLOSED = 3;
const HEAD = 4;
const TAIL = 5;
const USED = 6;
const CAP = 7;
const SIZE = 8;
const HEADER_WORDS = 9;
const HEADER_BYTES = HEADER_WORDS * 4;

/**
 * A FIFO channel in shared memory between the main thread and workers. Values are anything
 * `structuredClone`-able (serialized with node:v8 into a shared byte ring). Bounded by `capacity`
 * messages when given; always bounded by `maxBytes`. Receivers see values queued before `close()`.
 *
 * Waiting: `send`/`recv` return promises (main thread, Atomics.waitAsync); `sendSync`/`recvSync`
 * block (workers); `trySend`/`tryRecv` never wait. Post `channel.handle` to a worker and re-open it
 * with `Channel.from(handle)`.
 *
 * @example
 * const ch = new Channel<number>({ capacity: 16 });
 * const t = spawn(new URL('./producer.mjs', import.meta.url), [ch.handle]);
 * for (;;) { const r = await ch.recv().catch(() => undefined); if (r === undefined) break; use(r); }
 */
export class Channel<T = unknown> {
  /** The shareable handle. */
  readonly handle: SharedHandle<'channel'>;
  private readonly h: Int32Array;
  private readonly ring: Uint8Array;
  private readonly lock: Mutex;
  private readonly size: number;

  constructor(opts: ChannelOptions = {}, handle?: SharedHandle<'channel'>) {
    if (handle) {
      this.handle = handle;
    } else {
      const cap = opts.capacity ?? 0;
      const bytes = opts.maxBytes ?? 1 << 20;
      if (!Number.isInteger(cap) || cap < 0 || cap > 0x7fffffff)
        throw new RangeError('capacity must be an integer >= 0');
      if (!Number.isInteger(bytes) || bytes < 64 || bytes > 0x40000000)
        throw new RangeError('maxBytes must be in 64..2^30');
      this.handle = { kind: 'channel', buffer: new SharedArrayBuffer(HEADER_BYTES + bytes), byteOffset: 0 };
      const h = new Int32Array(this.handle.buffer, 0, HEADER_WORDS);
      h[CAP] = cap;
      h[SIZE] = bytes;
    }
    this.h = new Int32Array(this.handle.buffer, this.handle.byteOffset, HEADER_WORDS);
    this.size = Atomics.load(this.h, SIZE);
    this.ring = new Uint8Array(this.handle.buffer, this.handle.byteOffset + HEADER_BYTES, this.size);
    this.lock = new Mutex({ kind: 'mutex', buffer: this.handle.buffer, byteOffset: this.handle.byteOffset + LOCK * 4 });
  }

  /** Re-opens a channel from its handle (in another thread). */
  static from<T = unknown>(handle: unknown): Channel<T> {
    const h = checkHandle(handle, 'channel', HEADER_BYTES);
    const size = new Int32Array(h.buffer, h.byteOffset, HEADER_WORDS)[SIZE]!;
    if (h.byteOffset + HEADER_BYTES + size > h.buffer.byteLength)
      throw new RangeError('channel handle is out of bounds');
    return new Channel<T>({}, h);
  }

  /** Messages queued now. */
  get length(): number {
    return Atomics.load(this.h, COUNT);
  }

  /** Message capacity (0: no count limit). */
  get capacity(): number {
    return Atomics.load(this.h, CAP);
  }

  /** True once close() was called (queued messages may remain). */
  get closed(): boolean {
    return Atomics.load(this.h, CLOSED) !== 0;
  }

  /** Closes: later sends fail, receivers drain what is queued and then see the channel closed. */
  close(): void {
    this.lock.lock();
    Atomics.store(this.h, CLOSED, 1);
    Atomics.add(this.h, SEQ, 1);
    this.lock.unlock();
    Atomics.notify(this.h, SEQ);
  }

  private encode(value: T): Uint8Array {
    const b = serialize(value);
    if (b.length + 4 > this.size)
      throw new RangeError(`message of ${b.length} bytes exceeds the channel's ${this.size}-byte ring`);
    return b;
  }

  /** Tries to enqueue under the lock: 'ok', 'full' or 'closed'; on 'full' also returns the SEQ seen. */
  private attemptSend(b: Uint8Array): { r: 'ok' | 'full' | 'closed'; seq: number } {
    const h = this.h;
    this.lock.lock();
    try {
      if (h[CLOSED]) return { r: 'closed', seq: 0 };
      const need = b.length + 4;
      const cap = h[CAP]!;
      if ((cap > 0 && h[COUNT]! >= cap) || h[USED]! + need > this.size) return { r: 'full', seq: h[SEQ]! };
      let tail = h[TAIL]!;
      const len = Uint8Array.of(b.length >>> 24, (b.length >>> 16) & 0xff, (b.length >>> 8) & 0xff, b.length & 0xff);
      tail = this.put(tail, len);
      tail = this.put(tail, b);
      h[TAIL] = tail;
      h[USED] = h[USED]! + need;
      h[COUNT] = h[COUNT]! + 1;
      Atomics.add(h, SEQ, 1);
      return { r: 'ok', seq: 0 };
    } finally {
      this.lock.unlock();
    }
  }

  private put(pos: number, src: Uint8Array): number {
    const first = Math.min(src.length, this.size - pos);
    this.ring.set(src.subarray(0, first), pos);
    if (first < src.length) this.ring.set(src.subarray(first), 0);
    return (pos + src.length) % this.size;
  }

  private get(pos: number, n: number): Uint8Array {
    const out = new Uint8Array(n);
    const first = Math.min(n, this.size - pos);
    out.set(this.ring.subarray(pos, pos + first), 0);
    if (first < n) out.set(this.ring.subarray(0, n - first), first);
    return out;
  }

  /** Tries to dequeue under the lock. */
  private attemptRecv(): { r: 'ok'; bytes: Uint8Array } | { r: 'empty' | 'closed'; seq: number } {
    const h = this.h;
    this.lock.lock();
    try {
      if (h[COUNT] === 0) return { r: h[CLOSED] ? 'closed' : 'empty', seq: h[SEQ]! };
      let head = h[HEAD]!;
      const l = this.get(head, 4);
      const n = ((l[0]! << 24) | (l[1]! << 16) | (l[2]! << 8) | l[3]!) >>> 0;
      head = (head + 4) % this.size;
      const bytes = this.get(head, n);
      h[HEAD] = (head + n) % this.size;
      h[USED] = h[USED]! - (n + 4);
      h[COUNT] = h[COUNT]! - 1;
      Atomics.add(h, SEQ, 1);
      return { r: 'ok', bytes };
    } finally {
      this.lock.unlock();
    }
  }

  /** Enqueues if there is room; false when full or closed (the mdhavers `chan_send` semantics). */
  trySend(value: T): boolean {
    const r = this.attemptSend(this.encode(value));
    if (r.r === 'ok') Atomics.notify(this.h, SEQ);
    return r.r === 'ok';
  }

  /** Enqueues, blocking the thread while full (workers). Throws ChannelClosedError / ChannelTimeoutError. */
  sendSync(value: T, timeoutMs?: number): void {
    const b = this.encode(value);
    const deadline = deadlineOf(timeoutMs);
    for (;;) {
      const r = this.attemptSend(b);
      if (r.r === 'ok') {
        Atomics.notify(this.h, SEQ);
        return;
      }
      if (r.r === 'closed') throw new ChannelClosedError('send');
      const left = remaining(deadline);
      if (left === 0) throw new ChannelTimeoutError('send', timeoutMs ?? 0);
      waitSync(this.h, SEQ, r.seq, left);
    }
  }

  /** Enqueues, waiting asynchronously while full. Rejects with ChannelClosedError / ChannelTimeoutError. */
  async send(value: T, timeoutMs?: number): Promise<void> {
    const b = this.encode(value);
    const deadline = deadlineOf(timeoutMs);
    for (;;) {
      const r = this.attemptSend(b);
      if (r.r === 'ok') {
        Atomics.notify(this.h, SEQ);
        return;
      }
      if (r.r === 'closed') throw new ChannelClosedError('send');
      const left = remaining(deadline);
      if (left === 0) throw new ChannelTimeoutError('send', timeoutMs ?? 0);
      await waitAsync(this.h, SEQ, r.seq, left);
    }
  }

  /** Dequeues without waiting. */
  tryRecv(): TryRecv<T> {
    const r = this.attemptRecv();
    if (r.r === 'ok') {
      Atomics.notify(this.h, SEQ);
      return { ok: true, value: deserialize(r.bytes) as T };
    }
    return { ok: false, closed: r.r === 'closed' };
  }

  /** Dequeues, blocking while empty (workers). Throws ChannelClosedError when closed and drained. */
  recvSync(timeoutMs?: number): T {
    const deadline = deadlineOf(timeoutMs);
    for (;;) {
      const r = this.attemptRecv();
      if (r.r === 'ok') {
        Atomics.notify(this.h, SEQ);
        return deserialize(r.bytes) as T;
      }
      if (r.r === 'closed') throw new ChannelClosedError('recv');
      const left = remaining(deadline);
      if (left === 0) throw new ChannelTimeoutError('recv', timeoutMs ?? 0);
      waitSync(this.h, SEQ, r.seq, left);
    }
  }

  /** Dequeues, waiting asynchronously while empty. Rejects with ChannelClosedError when closed and drained. */
  async recv(timeoutMs?: number): Promise<T> {
    const deadline = deadlineOf(timeoutMs);
    for (;;) {
      const r = this.attemptRecv();
      if (r.r === 'ok') {
        Atomics.notify(this.h, SEQ);
        return deserialize(r.bytes) as T;
      }
      if (r.r === 'closed') throw new ChannelClosedError('recv');
      const left = remaining(deadline);
      if (left === 0) throw new ChannelTimeoutError('recv', timeoutMs ?? 0);
      await waitAsync(this.h, SEQ, r.seq, left);
    }
  }

  /** Iterates received values until the channel is closed and drained. */
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      try {
        yield await this.recv();
      } catch (e) {
        if (e instanceof ChannelClosedError) return;
        throw e;
      }
    }
  }
}

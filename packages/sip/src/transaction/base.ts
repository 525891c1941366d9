import { Deadlines, resolveTimers, type TransactionTimers } from './timers.js';
import type { TransactionEvent, TransactionOptions, TransactionOutput } from './types.js';

/** Output queue and deadline bookkeeping shared by the four state machines. */
export abstract class TransactionBase<M, S extends string, K extends string> {
  /** The transaction key. */
  readonly id: string;
  /** Whether the transport is reliable (TCP/TLS/WS). */
  readonly reliable: boolean;
  /** The timer values in force. */
  readonly timers: TransactionTimers;
  protected readonly deadlines = new Deadlines<K>();
  private readonly out: TransactionOutput<M>[] = [];
  private head = 0;
  protected _state: S;

  constructor(id: string, initial: S, opts: TransactionOptions) {
    this.id = id;
    this._state = initial;
    this.reliable = opts.reliable;
    this.timers = resolveTimers(opts.timers);
  }

  /** Current state. */
  get state(): S {
    return this._state;
  }

  /** Whether the machine reached Terminated. */
  get terminated(): boolean {
    return this._state === 'terminated';
  }

  /** Drains one pending output. */
  pollOutput(): TransactionOutput<M> | undefined {
    if (this.head >= this.out.length) {
      if (this.out.length) {
        this.out.length = 0;
        this.head = 0;
      }
      return undefined;
    }
    const o = this.out[this.head++];
    return o;
  }

  /** The next deadline, or undefined. */
  nextDeadline(): number | undefined {
    return this.deadlines.next();
  }

  /** Fires every due timer, in deadline order. */
  handleTimeout(now: number): void {
    for (let guard = 0; guard < 64; guard++) {
      const k = this.deadlines.popDue(now);
      if (k === undefined) return;
      this.onTimer(k, now);
    }
  }

  /** RFC 3261 §17.1.4 / §17.2.4: a transport error terminates the transaction and informs the TU. */
  handleTransportError(_now: number): void {
    if (this.terminated) return;
    this.emit({ type: 'transportError' });
    this.terminate();
  }

  protected abstract onTimer(k: K, now: number): void;

  /** Queues an output: `send` becomes a datagram, everything else an event. */
  protected emit(o: TransactionEvent<M> | { type: 'send'; data: Uint8Array }): void {
    this.out.push(o.type === 'send' ? { kind: 'datagram', data: o.data } : { kind: 'event', event: o });
  }

  protected terminate(): void {
    if (this._state === 'terminated') return;
    this._state = 'terminated' as S;
    this.deadlines.clearAll();
    this.emit({ type: 'terminated' });
  }
}

import { TransactionBase } from './base.js';
import { TRYING_DELAY_MS } from './timers.js';
import type { TransactionOptions } from './types.js';

/** States of the INVITE server transaction (RFC 3261 Figure 7, with RFC 6026's Accepted). */
export type ServerInviteState = 'proceeding' | 'completed' | 'confirmed' | 'accepted' | 'terminated';

/** Options of {@link ServerInviteTransaction}. */
export interface ServerInviteOptions extends TransactionOptions {
  /** Builds the 100 Trying sent when the TU has not answered within 200 ms (§17.2.1). Omit to never send it. */
  buildTrying?: () => Uint8Array;
}

/**
 * The INVITE server transaction, RFC 3261 §17.2.1 as updated by RFC 6026 §8.5-8.7:
 *
 * ```
 *  Proceeding  -- 1xx from TU: send;  INVITE retransmit: resend last 1xx
 *     | 2xx from TU: send -> Accepted (Timer L = 64*T1; INVITE retransmits absorbed; 2xx from TU sent)
 *     | 300-699 from TU: send -> Completed (Timer G = T1 unreliable, Timer H = 64*T1)
 *  Completed   -- Timer G: resend, G = min(2G, T2); INVITE retransmit: resend; Timer H: timeout
 *     | ACK -> Confirmed (Timer I = T4 unreliable, 0 reliable) -> Terminated
 * ```
 */
export class ServerInviteTransaction<M> extends TransactionBase<
  M,
  ServerInviteState,
  'trying' | 'G' | 'H' | 'I' | 'L'
> {
  private last: Uint8Array | undefined;
  private buildTrying: (() => Uint8Array) | undefined;
  private intervalG: number;

  /** Creates the transaction for a received INVITE. */
  constructor(id: string, opts: ServerInviteOptions, now: number) {
    super(id, 'proceeding', opts);
    this.buildTrying = opts.buildTrying;
    this.intervalG = this.timers.t1;
    if (this.buildTrying) this.deadlines.set('trying', now + TRYING_DELAY_MS);
  }

  /** The TU sends a response (status, serialized bytes). */
  respond(status: number, data: Uint8Array, now: number): void {
    if (status < 100 || status > 699) throw new RangeError(`bad status ${status}`);
    switch (this._state) {
      case 'proceeding':
        this.deadlines.clear('trying');
        // past the first response the 100 Trying is never needed: drop the builder (and the request it holds)
        this.buildTrying = undefined;
        this.last = data;
        this.emit({ type: 'send', data });
        if (status >= 200 && status < 300) {
          this._state = 'accepted';
          // RFC 6026 §8.7: INVITE retransmissions are absorbed in Accepted, the 2xx is the TU's to resend
          this.last = undefined;
          this.deadlines.set('L', now + 64 * this.timers.t1);
        } else if (status >= 300) {
          this._state = 'completed';
          if (!this.reliable) this.deadlines.set('G', now + this.intervalG);
          this.deadlines.set('H', now + 64 * this.timers.t1);
        }
        return;
      case 'accepted':
        // RFC 6026 §8.7: the TU's 2xx retransmissions pass through the transaction in Accepted.
        if (status >= 200 && status < 300) this.emit({ type: 'send', data });
        return;
      default:
        throw new Error(`cannot send a response in state ${this._state}`);
    }
  }

  /** A retransmission of the INVITE arrived (§17.2.1): resend the last provisional or final response. */
  handleRequestRetransmit(_now: number): void {
    if ((this._state === 'proceeding' || this._state === 'completed') && this.last) {
      this.emit({ type: 'send', data: this.last });
    }
    // Accepted: absorbed without sending (RFC 6026 §8.7); Confirmed: absorbed.
  }

  /** An ACK matched this transaction (only meaningful after a non-2xx final response). */
  handleAck(message: M, now: number): void {
    if (this._state !== 'completed') return;
    this._state = 'confirmed';
    this.deadlines.clear('G');
    this.deadlines.clear('H');
    this.emit({ type: 'ack', message });
    this.deadlines.set('I', now + (this.reliable ? 0 : this.timers.t4));
    if (this.reliable) this.handleTimeout(now);
  }

  protected onTimer(k: 'trying' | 'G' | 'H' | 'I' | 'L', now: number): void {
    if (k === 'trying') {
      if (this._state === 'proceeding' && this.buildTrying) {
        this.last = this.buildTrying();
        this.emit({ type: 'send', data: this.last });
      }
    } else if (k === 'G') {
      if (this._state === 'completed' && this.last) {
        this.emit({ type: 'send', data: this.last });
        this.intervalG = Math.min(2 * this.intervalG, this.timers.t2);
        this.deadlines.set('G', now + this.intervalG);
      }
    } else if (k === 'H') {
      this.emit({ type: 'timeout', timer: 'H' });
      this.terminate();
    } else {
      this.terminate();
    }
  }
}

import { TransactionBase } from './base.js';
import type { TransactionOptions } from './types.js';

/** States of the non-INVITE server transaction (RFC 3261 Figure 8). */
export type ServerNonInviteState = 'trying' | 'proceeding' | 'completed' | 'terminated';

/**
 * The non-INVITE server transaction, RFC 3261 §17.2.2:
 *
 * ```
 *  Trying --1xx from TU--> Proceeding --200-699 from TU--> Completed --Timer J (64*T1 / 0)--> Terminated
 *   (retransmits absorbed)   (retransmits: resend 1xx)       (retransmits: resend final)
 * ```
 */
export class ServerNonInviteTransaction<M> extends TransactionBase<M, ServerNonInviteState, 'J'> {
  private last: Uint8Array | undefined;

  /** Creates the transaction for a received request. */
  constructor(id: string, opts: TransactionOptions, _now: number) {
    super(id, 'trying', opts);
  }

  /** The TU sends a response. */
  respond(status: number, data: Uint8Array, now: number): void {
    if (status < 100 || status > 699) throw new RangeError(`bad status ${status}`);
    if (this._state !== 'trying' && this._state !== 'proceeding') {
      throw new Error(`cannot send a response in state ${this._state}`);
    }
    this.last = data;
    this.emit({ type: 'send', data });
    if (status < 200) {
      this._state = 'proceeding';
      return;
    }
    this._state = 'completed';
    this.deadlines.set('J', now + (this.reliable ? 0 : 64 * this.timers.t1));
    if (this.reliable) this.handleTimeout(now);
  }

  /** A retransmission of the request arrived. */
  handleRequestRetransmit(_now: number): void {
    if ((this._state === 'proceeding' || this._state === 'completed') && this.last) {
      this.emit({ type: 'send', data: this.last });
    }
  }

  protected onTimer(_k: 'J', _now: number): void {
    this.terminate();
  }
}

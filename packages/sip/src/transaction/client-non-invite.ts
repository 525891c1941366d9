import { TransactionBase } from './base.js';
import type { TransactionOptions } from './types.js';

/** States of the non-INVITE client transaction (RFC 3261 Figure 6). */
export type ClientNonInviteState = 'trying' | 'proceeding' | 'completed' | 'terminated';

/** Options of {@link ClientNonInviteTransaction}. */
export interface ClientNonInviteOptions extends TransactionOptions {
  /** The serialized request. */
  request: Uint8Array;
}

/**
 * The non-INVITE client transaction, RFC 3261 §17.1.2:
 *
 * ```
 *  Trying --1xx--> Proceeding --200-699--> Completed --Timer K--> Terminated
 *    |  Timer E: resend, E = min(2E, T2)      Timer E: resend, E = T2
 *    +--200-699-------------------------------^
 *  Timer F (64*T1) in Trying/Proceeding -> timeout, Terminated
 * ```
 */
export class ClientNonInviteTransaction<M> extends TransactionBase<M, ClientNonInviteState, 'E' | 'F' | 'K'> {
  private readonly request: Uint8Array;
  private intervalE: number;

  /** Creates the transaction and sends the request. */
  constructor(id: string, opts: ClientNonInviteOptions, now: number) {
    super(id, 'trying', opts);
    this.request = opts.request;
    this.intervalE = this.timers.t1;
    this.emit({ type: 'send', data: this.request });
    if (!this.reliable) this.deadlines.set('E', now + this.intervalE);
    this.deadlines.set('F', now + 64 * this.timers.t1);
  }

  /** Feeds a matching response. */
  handleResponse(status: number, message: M, now: number): void {
    if (this._state !== 'trying' && this._state !== 'proceeding') return; // absorbed in Completed
    if (status < 200) {
      this._state = 'proceeding';
      this.emit({ type: 'response', status, message });
      return;
    }
    this._state = 'completed';
    this.deadlines.clearAll();
    this.emit({ type: 'response', status, message });
    this.deadlines.set('K', now + (this.reliable ? 0 : this.timers.t4));
    if (this.reliable) this.handleTimeout(now);
  }

  protected onTimer(k: 'E' | 'F' | 'K', now: number): void {
    if (k === 'E') {
      this.emit({ type: 'send', data: this.request });
      // §17.1.2.2: in Trying the interval doubles up to T2; in Proceeding it is T2.
      this.intervalE = this._state === 'proceeding' ? this.timers.t2 : Math.min(2 * this.intervalE, this.timers.t2);
      this.deadlines.set('E', now + this.intervalE);
    } else if (k === 'F') {
      this.emit({ type: 'timeout', timer: 'F' });
      this.terminate();
    } else {
      this.terminate();
    }
  }
}

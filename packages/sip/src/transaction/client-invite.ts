import { TransactionBase } from './base.js';
import { TIMER_D_MS } from './timers.js';
import type { TransactionOptions } from './types.js';

/** States of the INVITE client transaction (RFC 3261 Figure 5, with RFC 6026's Accepted). */
export type ClientInviteState = 'calling' | 'proceeding' | 'completed' | 'accepted' | 'terminated';

/** Options of {@link ClientInviteTransaction}. */
export interface ClientInviteOptions<M> extends TransactionOptions {
  /** The serialized INVITE (sent at start, retransmitted by Timer A). */
  request: Uint8Array;
  /** Builds the ACK for a non-2xx final response (RFC 3261 §17.1.1.3). */
  buildAck: (response: M) => Uint8Array;
}

/**
 * The INVITE client transaction, RFC 3261 §17.1.1 as updated by RFC 6026 §8.4:
 *
 * ```
 *                  |INVITE from TU, Timer A fires: reset A, INVITE sent
 *   Timer B fires  v   Timer A (unreliable): T1, 2T1, 4T1...
 *   -> timeout  +-------+
 *   <-----------|Calling|--------------+  2xx -> TU      +----------+
 *               +-------+ 1xx -> TU    +---------------->| Accepted | Timer M (64*T1)
 *  300-699         |  |                |                 +----------+ 2xx -> TU; M fires -> Terminated
 *  ACK sent, ->TU  |  v                |
 *               +-----------+  1xx -> TU
 *               |Proceeding |----------+
 *               +-----------+
 *  300-699: ACK, resp to TU  |
 *               +-----------+
 *               | Completed | Timer D (32 s unreliable, 0 reliable); 300-699 retransmit: ACK again
 *               +-----------+
 * ```
 */
export class ClientInviteTransaction<M> extends TransactionBase<M, ClientInviteState, 'A' | 'B' | 'D' | 'M'> {
  private readonly request: Uint8Array;
  private readonly buildAck: (response: M) => Uint8Array;
  private ack: Uint8Array | undefined;
  private intervalA: number;

  /** Creates the transaction and sends the INVITE (first output). */
  constructor(id: string, opts: ClientInviteOptions<M>, now: number) {
    super(id, 'calling', opts);
    this.request = opts.request;
    this.buildAck = opts.buildAck;
    this.intervalA = this.timers.t1;
    this.emit({ type: 'send', data: this.request });
    if (!this.reliable) this.deadlines.set('A', now + this.intervalA);
    this.deadlines.set('B', now + 64 * this.timers.t1);
  }

  /** Feeds a response whose branch and CSeq method matched this transaction (§17.1.3). */
  handleResponse(status: number, message: M, now: number): void {
    switch (this._state) {
      case 'calling':
      case 'proceeding':
        if (status < 200) {
          this._state = 'proceeding';
          this.deadlines.clear('A');
          this.deadlines.clear('B');
          this.emit({ type: 'response', status, message });
        } else if (status < 300) {
          // RFC 6026 §8.4: 2xx moves to Accepted; the TU sends the ACK (it is a separate transaction).
          this._state = 'accepted';
          this.deadlines.clearAll();
          this.deadlines.set('M', now + 64 * this.timers.t1);
          this.emit({ type: 'response', status, message });
        } else {
          this._state = 'completed';
          this.deadlines.clearAll();
          this.ack = this.buildAck(message);
          this.emit({ type: 'send', data: this.ack });
          this.emit({ type: 'response', status, message });
          this.deadlines.set('D', now + (this.reliable ? 0 : TIMER_D_MS));
          if (this.reliable) this.handleTimeout(now);
        }
        return;
      case 'completed':
        // §17.1.1.2: retransmissions of the final response make us resend the ACK, not seen by the TU.
        if (status >= 300 && this.ack) this.emit({ type: 'send', data: this.ack });
        return;
      case 'accepted':
        // RFC 6026 §8.4: further 2xx (retransmissions or forks) go to the TU, which ACKs them.
        if (status >= 200 && status < 300) this.emit({ type: 'response', status, message });
        return;
      default:
        return;
    }
  }

  protected onTimer(k: 'A' | 'B' | 'D' | 'M', now: number): void {
    if (k === 'A' && this._state === 'calling') {
      this.emit({ type: 'send', data: this.request });
      this.intervalA *= 2;
      this.deadlines.set('A', now + this.intervalA);
    } else if (k === 'B' && this._state === 'calling') {
      this.emit({ type: 'timeout', timer: 'B' });
      this.terminate();
    } else if (k === 'D' || k === 'M') {
      this.terminate();
    }
  }
}

import type { TimerId } from '@mdh/loop';
import { createRequest, newCallId, newTag } from '../message/build.js';
import type { SipRequest } from '../message/message.js';
import { pooledRandom } from './random.js';
import { SipCallError } from './targets.js';
import type { UserAgent } from './user-agent.js';

/**
 * A registration of our Contact (RFC 3261 §10.2): same Call-ID across refreshes, CSeq increasing; refreshed
 * at half the granted expiry (never later than 32 s before it).
 */
export class Registration {
  /** Lifecycle: `registering` until the first 2xx, `registered`, `failed` (a non-2xx), `unregistered`. */
  state: 'registering' | 'registered' | 'failed' | 'unregistered' = 'registering';
  /** Granted expiry in seconds (0 when not registered). */
  expires = 0;
  /** Last final status. */
  status = 0;
  private readonly callId = newCallId(undefined, pooledRandom);
  private readonly fromTag = newTag(pooledRandom);
  private cseq = 0;
  private timer: TimerId | undefined;

  /** @internal */
  constructor(
    private readonly ua: UserAgent,
    readonly registrarUri: string,
    readonly aor: string,
    private readonly wanted: number,
  ) {}

  private build(expires: number): SipRequest {
    const t = this.ua.stack.transports[0]!;
    return createRequest({
      method: 'REGISTER',
      uri: this.registrarUri,
      from: `<${this.aor}>;tag=${this.fromTag}`,
      to: `<${this.aor}>`,
      callId: this.callId,
      cseq: ++this.cseq,
      contact: `${this.ua.contactFor(t)};expires=${expires}`,
      headers: [['Expires', String(expires)]],
    });
  }

  /** Sends (or refreshes) the binding; rejects with SipCallError on a non-2xx. */
  async refresh(): Promise<void> {
    const res = await this.ua.send(this.build(this.wanted));
    this.cseq = Math.max(this.cseq, res.cseq?.seq ?? this.cseq);
    this.status = res.status;
    if (res.status < 200 || res.status >= 300) {
      this.state = 'failed';
      throw new SipCallError(res.status, res.reason, res);
    }
    this.state = 'registered';
    const mine = res.contacts.find((c) => c.uriText.includes(`${this.ua.user}@`));
    this.expires = mine?.expires ?? res.expires ?? this.wanted;
    if (this.timer !== undefined) this.ua.loop.cancel(this.timer);
    if (this.expires > 0) {
      const ms = Math.max(1000, Math.min(this.expires * 500, (this.expires - 32) * 1000));
      this.timer = this.ua.loop.after(ms, () => {
        this.timer = undefined;
        this.refresh().catch(() => {});
      });
    }
  }

  /** Removes the binding (Expires: 0) and stops refreshing. */
  async unregister(): Promise<number> {
    if (this.timer !== undefined) this.ua.loop.cancel(this.timer);
    this.timer = undefined;
    this.ua.registrations.delete(this);
    const res = await this.ua.send(this.build(0));
    this.status = res.status;
    this.expires = 0;
    this.state = 'unregistered';
    return res.status;
  }
}

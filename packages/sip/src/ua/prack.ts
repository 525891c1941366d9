import type { Loop, TimerId } from '@mdh/loop';
import { Dialog, dialogId } from '../dialog/dialog.js';
import { createResponse } from '../message/build.js';
import type { SipRequest, SipResponse } from '../message/message.js';
import type { IncomingRequest } from './stack.js';

/**
 * Reliable provisional responses (RFC 3262): the `100rel` option tag, RSeq/RAck and PRACK, for both the UAS
 * (send, retransmit, match PRACKs) and the UAC (acknowledge in order, drop retransmissions and gaps).
 */

/** The option tag of RFC 3262 (§3). */
export const OPTION_100REL = '100rel';

/** How an INVITE asks for reliable provisionals: `required` (Require), `supported` (Supported) or undefined. */
export function reliability(req: SipRequest): 'required' | 'supported' | undefined {
  try {
    if (req.require.includes(OPTION_100REL)) return 'required';
    if (req.supported.includes(OPTION_100REL)) return 'supported';
  } catch {
    // a malformed option-tag list: treated as no support
  }
  return undefined;
}

/** RSeq/RAck numbers are 1..2^32-1 (RFC 3262 §7.1, §7.2). */
const MAX_RSEQ = 0xffffffff;

/** A parsed RAck header (RFC 3262 §7.2): `response-num CSeq-num Method`. */
export interface RAck {
  rseq: number;
  cseq: number;
  method: string;
}

/** Parses an RAck header value; undefined when malformed. */
export function parseRAck(v: string | undefined): RAck | undefined {
  const m = v?.trim().match(/^(\d{1,10})\s+(\d{1,10})\s+([A-Za-z!%*_+`'~.-]+)$/);
  if (!m) return undefined;
  const rseq = Number(m[1]);
  const cseq = Number(m[2]);
  if (rseq < 1 || rseq > MAX_RSEQ || cseq > MAX_RSEQ) return undefined;
  return { rseq, cseq, method: m[3]!.toUpperCase() };
}

/** Parses an RSeq header value (RFC 3262 §7.1); undefined when absent or malformed. */
export function parseRSeq(v: string | undefined): number | undefined {
  const m = v?.trim().match(/^\d{1,10}$/);
  if (!m) return undefined;
  const n = Number(m[0]);
  return n >= 1 && n <= MAX_RSEQ ? n : undefined;
}

// ------------------------------------------------------------------------------------------------ UAS

/** What a {@link ReliableProvisionals} needs from its user agent. */
export interface ReliableDeps {
  loop: Loop;
  /** T1 in ms (RFC 3261 §17.1.1.1). */
  t1: number;
  /** Sends a response the first time (through the server transaction); returns the bytes as sent. */
  respond(res: SipResponse): Uint8Array;
  /** Sends the same bytes again (a retransmission). */
  post(bytes: Uint8Array): void;
  /** No PRACK for 64·T1: the INVITE must be rejected with a 5xx (RFC 3262 §3). */
  giveUp(): void;
  /** Random source for the initial RSeq. */
  random: () => number;
}

interface Outstanding {
  rseq: number;
  bytes: Uint8Array;
  interval: number;
  deadline: number;
  timer: TimerId | undefined;
  hasSdp: boolean;
}

/**
 * The reliable provisionals of one INVITE server transaction (RFC 3262 §3): RSeq starting at a random value
 * and growing by one, one outstanding at a time (later ones wait), each retransmitted at T1, 2·T1, 4·T1 …
 * until its PRACK; after 64·T1 without one the INVITE is rejected with a 5xx.
 */
export class ReliableProvisionals {
  private nextRseq: number;
  private outstanding: Outstanding | undefined;
  private readonly queue: SipResponse[] = [];
  private ackWaiters: ((ok: boolean) => void)[] = [];
  private stopped = false;
  /** Whether an offer/answer exchange completed in a reliable provisional (so the 2xx carries no SDP). */
  answeredInProvisional = false;

  constructor(
    private readonly invite: SipRequest,
    private readonly d: ReliableDeps,
  ) {
    // §3: the first RSeq is chosen uniformly between 1 and 2^31-1.
    this.nextRseq = 1 + Math.floor(d.random() * 0x7ffffffe);
  }

  /** Whether a reliable provisional carrying SDP still awaits its PRACK (no 2xx before it, §3). */
  get sdpUnacknowledged(): boolean {
    return (this.outstanding?.hasSdp ?? false) || this.queue.some((r) => r.body.length > 0);
  }

  /** Sends `res` (a 101-199) reliably: adds `Require: 100rel` and `RSeq`, queued behind an unacknowledged one. */
  send(res: SipResponse): void {
    if (this.stopped) return;
    if (this.outstanding) {
      this.queue.push(res);
      return;
    }
    this.transmit(res);
  }

  private transmit(res: SipResponse): void {
    const rseq = this.nextRseq;
    this.nextRseq = rseq >= MAX_RSEQ ? 1 : rseq + 1;
    res.add('Require', OPTION_100REL);
    res.add('RSeq', String(rseq));
    const bytes = this.d.respond(res);
    const now = this.d.loop.now();
    const o: Outstanding = {
      rseq,
      bytes,
      interval: this.d.t1,
      deadline: now + 64 * this.d.t1,
      timer: undefined,
      hasSdp: res.body.length > 0,
    };
    if (o.hasSdp) this.answeredInProvisional = true;
    this.outstanding = o;
    this.arm(o);
  }

  private arm(o: Outstanding): void {
    const now = this.d.loop.now();
    const at = Math.min(now + o.interval, o.deadline);
    o.timer = this.d.loop.after(at - now, () => {
      o.timer = undefined;
      if (this.outstanding !== o || this.stopped) return;
      if (this.d.loop.now() >= o.deadline) {
        // §3: retransmitted for 64*T1 without a PRACK → reject the INVITE with a 5xx.
        this.stop();
        this.settle(false);
        this.d.giveUp();
        return;
      }
      this.d.post(o.bytes);
      // §3: the interval starts at T1 and doubles for each retransmission.
      o.interval *= 2;
      this.arm(o);
    });
  }

  /**
   * A PRACK for this INVITE (§3): `200` when its RAck names the outstanding reliable provisional (which stops
   * its retransmissions and lets a queued one go), `481` otherwise (unknown, already acknowledged or out of
   * order), `400` when RAck is missing or malformed.
   */
  onPrack(prack: SipRequest): number {
    const rack = parseRAck(prack.get('rack'));
    if (!rack) return 400;
    const o = this.outstanding;
    const cseq = this.invite.cseq;
    if (!o || rack.rseq !== o.rseq || rack.method !== 'INVITE' || rack.cseq !== cseq?.seq) return 481;
    if (o.timer !== undefined) this.d.loop.cancel(o.timer);
    this.outstanding = undefined;
    const next = this.queue.shift();
    if (next && !this.stopped) this.transmit(next);
    if (!this.outstanding) this.settle(true);
    return 200;
  }

  /** Resolves true once nothing reliable is outstanding, false if it was given up (no PRACK) or stopped. */
  whenAcknowledged(): Promise<boolean> {
    if (!this.outstanding) return Promise.resolve(true);
    return new Promise((resolve) => this.ackWaiters.push(resolve));
  }

  private settle(ok: boolean): void {
    for (const w of this.ackWaiters.splice(0)) w(ok);
  }

  /** A final response went out: no more retransmissions (§3); a late PRACK still matches the outstanding one. */
  stop(): void {
    this.stopped = true;
    this.queue.length = 0;
    const o = this.outstanding;
    if (o?.timer !== undefined) this.d.loop.cancel(o.timer);
    if (o) o.timer = undefined;
    this.settle(false);
  }
}

/**
 * The UAS side of every INVITE that got reliable provisionals, keyed by early dialog
 * (Call-ID, our To tag, the From tag), so that PRACKs find them (§3); 481 for a PRACK that matches nothing.
 */
export class PrackServer {
  private readonly byDialog = new Map<string, ReliableProvisionals>();
  private readonly releases = new Set<TimerId>();

  constructor(private readonly loop: Loop) {}

  /** Registers the reliable provisionals of an INVITE answered with To tag `toTag`, kept `keepMs` after `release`. */
  add(invite: SipRequest, toTag: string, rel: ReliableProvisionals): void {
    this.byDialog.set(dialogId(invite.callId ?? '', toTag, invite.from?.tag ?? ''), rel);
  }

  /** Forgets them `afterMs` from now (a late PRACK after the final response is still answered). */
  release(invite: SipRequest, toTag: string, afterMs: number): void {
    const id = dialogId(invite.callId ?? '', toTag, invite.from?.tag ?? '');
    const rel = this.byDialog.get(id);
    if (!rel) return;
    rel.stop();
    const t = this.loop.after(afterMs, () => {
      this.releases.delete(t);
      if (this.byDialog.get(id) === rel) this.byDialog.delete(id);
    });
    this.releases.add(t);
  }

  /** Stops every retransmission and pending release (the user agent closes). */
  clear(): void {
    for (const t of this.releases) this.loop.cancel(t);
    this.releases.clear();
    for (const rel of this.byDialog.values()) rel.stop();
    this.byDialog.clear();
  }

  /** Live entries (for stats and leak tests). */
  get size(): number {
    return this.byDialog.size;
  }

  /** Answers a PRACK (RFC 3262 §3): 200 when it matches an outstanding reliable provisional, else 481 (or 400). */
  handle(r: IncomingRequest): void {
    const req = r.request;
    const id = dialogId(req.callId ?? '', req.to?.tag ?? '', req.from?.tag ?? '');
    const rel = this.byDialog.get(id);
    const status = rel ? rel.onPrack(req) : 481;
    r.respond(createResponse(req, status));
  }
}

// ------------------------------------------------------------------------------------------------ UAC

interface EarlyDialog {
  dialog: Dialog;
  lastRseq: number | undefined;
}

/**
 * The UAC side (RFC 3262 §4): for each early dialog of an INVITE, the reliable provisionals are acknowledged
 * with PRACK in RSeq order; a retransmission (RSeq not above the last) and a gap (RSeq more than one above)
 * are dropped without a PRACK and not processed further.
 */
export class PrackClient {
  private readonly early = new Map<string, EarlyDialog>();

  /**
   * A provisional response to `invite`: returns `drop` (retransmission or out of order: not processed further),
   * or `pass` (unreliable; or reliable, in order, and `sendPrack` was called with the PRACK to send).
   */
  onProvisional(
    invite: SipRequest,
    res: SipResponse,
    sendPrack: (prack: SipRequest, dialog: Dialog) => void,
    prackBody?: { contentType: string; data: string },
  ): 'pass' | 'drop' {
    if (res.status <= 100 || res.status >= 200) return 'pass';
    let reliable = false;
    try {
      reliable = res.require.includes(OPTION_100REL);
    } catch {}
    if (!reliable) return 'pass';
    const rseq = parseRSeq(res.get('rseq'));
    const toTag = res.to?.tag;
    if (rseq === undefined || !toTag) return 'drop'; // §4: a reliable provisional needs an RSeq (and a dialog)
    const id = dialogId(invite.callId ?? '', invite.from?.tag ?? '', toTag);
    let e = this.early.get(id);
    if (!e) {
      let dialog: Dialog;
      try {
        dialog = Dialog.fromUacResponse(invite, res);
      } catch {
        return 'drop';
      }
      e = { dialog, lastRseq: undefined };
      this.early.set(id, e);
    }
    // §4: the first one sets the sequence; later ones must be exactly one higher.
    if (e.lastRseq !== undefined && rseq !== e.lastRseq + 1) return 'drop';
    e.lastRseq = rseq;
    const cseq = invite.cseq?.seq ?? 1;
    // §7.2: RAck = the RSeq, then the CSeq number and method of the response being acknowledged.
    const prack = e.dialog.createRequest('PRACK', {
      headers: { RAck: `${rseq} ${cseq} INVITE` },
      ...(prackBody ? { body: prackBody } : {}),
    });
    sendPrack(prack, e.dialog);
    return 'pass';
  }

  /** The highest CSeq used by PRACKs in the dialog `id` (the confirmed dialog continues above it), or 0. */
  localSeq(id: string): number {
    return this.early.get(id)?.dialog.localSeq ?? 0;
  }

  /** Forgets the early dialogs of an INVITE (its transaction completed). */
  forget(invite: SipRequest): void {
    const prefix = `${invite.callId ?? ''};${invite.from?.tag ?? ''};`;
    for (const k of this.early.keys()) if (k.startsWith(prefix)) this.early.delete(k);
  }

  /** Live early dialogs (for stats and leak tests). */
  get size(): number {
    return this.early.size;
  }
}

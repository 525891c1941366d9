import { SipRequest, type SipResponse } from '../message/message.js';
import { formatNameAddr, type NameAddr } from '../message/views.js';

/** Dialog state (RFC 3261 §12: early after a 1xx with To tag, confirmed after a 2xx). */
export type DialogState = 'early' | 'confirmed' | 'terminated';

/** A CSeq check failure of an in-dialog request (RFC 3261 §12.2.2: answer 500). */
export class DialogSequenceError extends Error {
  readonly status = 500;
  constructor(message: string) {
    super(message);
    this.name = 'DialogSequenceError';
  }
}

/** Options of {@link Dialog.createRequest}. */
export interface InDialogRequestOptions {
  /** Extra headers (name → value or values). */
  headers?: Record<string, string | string[]>;
  /** Body and its content type. */
  body?: { contentType: string; data: Uint8Array | string };
  /** CSeq number to use instead of the next one (ACK and CANCEL reuse the INVITE's, §13.2.2.4, §9.1). */
  cseq?: number;
}

/**
 * A SIP dialog (RFC 3261 §12): the peer-to-peer state shared by a UAC and a UAS — Call-ID, tags, local and
 * remote URIs and sequence numbers, the remote target (Contact) and the route set.
 *
 * ```ts
 * const d = Dialog.fromUacResponse(invite, ok200);  // §12.1.2
 * const bye = d.createRequest('BYE');               // §12.2.1.1
 * ```
 */
export class Dialog {
  /** Call-ID. */
  readonly callId: string;
  /** Our tag (From for a UAC, To for a UAS). */
  readonly localTag: string;
  /** The peer's tag. */
  remoteTag: string;
  // From/To without tag: formatted on first use (most dialogs of a busy UAS never send a request).
  private _localUri: string | NameAddr;
  private _remoteUri: string | NameAddr;
  private _id: string | undefined;
  private _idLocal: string | undefined;
  private _idRemote: string | undefined;
  /** Last CSeq we sent. */
  localSeq: number;
  /** Last CSeq the peer sent, or undefined before its first request (§12.1.2). */
  remoteSeq: number | undefined;
  /** Where in-dialog requests go: the peer's Contact URI (refreshed by target-refresh requests). */
  remoteTarget: string;
  /** Route set (Record-Route, reversed for the UAC) as header values. */
  readonly routeSet: string[];
  /** Whether the dialog requires sips (§12.1.1). */
  readonly secure: boolean;
  /** Our Contact header value. */
  localContact: string;
  /** Whether we are the UAC that created it. */
  readonly isUac: boolean;
  /** State. */
  state: DialogState;

  private constructor(init: {
    callId: string;
    localTag: string;
    remoteTag: string;
    localUri: string | NameAddr;
    remoteUri: string | NameAddr;
    localSeq: number;
    remoteSeq: number | undefined;
    remoteTarget: string;
    routeSet: string[];
    secure: boolean;
    localContact: string;
    isUac: boolean;
    state: DialogState;
  }) {
    this.callId = init.callId;
    this.localTag = init.localTag;
    this.remoteTag = init.remoteTag;
    this._localUri = init.localUri;
    this._remoteUri = init.remoteUri;
    this.localSeq = init.localSeq;
    this.remoteSeq = init.remoteSeq;
    this.remoteTarget = init.remoteTarget;
    this.routeSet = init.routeSet;
    this.secure = init.secure;
    this.localContact = init.localContact;
    this.isUac = init.isUac;
    this.state = init.state;
  }

  /** Our URI (From of requests we send), as a header value without tag. */
  get localUri(): string {
    const v = this._localUri;
    if (typeof v === 'string') return v;
    const s = stripTag(v);
    this._localUri = s;
    return s;
  }

  /** The peer's URI (To of requests we send). */
  get remoteUri(): string {
    const v = this._remoteUri;
    if (typeof v === 'string') return v;
    const s = stripTag(v);
    this._remoteUri = s;
    return s;
  }

  /** Dialog id `Call-ID;local-tag;remote-tag` (§12); built once (again only if a tag changes). */
  get id(): string {
    if (this._id === undefined || this._idLocal !== this.localTag || this._idRemote !== this.remoteTag) {
      this._id = dialogId(this.callId, this.localTag, this.remoteTag);
      this._idLocal = this.localTag;
      this._idRemote = this.remoteTag;
    }
    return this._id;
  }

  /**
   * The UAC side (§12.1.2), from the request sent and a 1xx (with To tag) or 2xx response: route set =
   * Record-Route reversed, remote target = Contact, local sequence = the request's CSeq.
   */
  static fromUacResponse(req: SipRequest, res: SipResponse): Dialog {
    const to = res.to;
    const from = req.from;
    const callId = req.callId;
    const cseq = req.cseq;
    if (!to?.tag || !from?.tag || !callId || !cseq) throw new TypeError('response cannot create a dialog (no To tag)');
    const contact = res.contacts[0];
    return new Dialog({
      callId,
      localTag: from.tag,
      remoteTag: to.tag,
      localUri: from,
      remoteUri: to,
      localSeq: cseq.seq,
      remoteSeq: undefined,
      remoteTarget: contact ? contact.uriText : to.uriText,
      routeSet: res.getAll('record-route').slice().reverse(),
      secure: req.uri.toLowerCase().startsWith('sips:'),
      localContact: req.get('contact') ?? '',
      isUac: true,
      state: res.status >= 200 ? 'confirmed' : 'early',
    });
  }

  /**
   * The UAS side (§12.1.1), from the request received and the tag we put in To: route set = Record-Route in
   * order, remote target = Contact, remote sequence = the request's CSeq, local sequence starts empty (0).
   */
  static fromUasRequest(req: SipRequest, localTag: string, localContact: string, confirmed = true): Dialog {
    const from = req.from;
    const to = req.to;
    const callId = req.callId;
    const cseq = req.cseq;
    if (!from?.tag || !to || !callId || !cseq) throw new TypeError('request cannot create a dialog (no From tag)');
    const contact = req.contacts[0];
    return new Dialog({
      callId,
      localTag,
      remoteTag: from.tag,
      localUri: to,
      remoteUri: from,
      localSeq: 0,
      remoteSeq: cseq.seq,
      remoteTarget: contact ? contact.uriText : from.uriText,
      routeSet: req.getAll('record-route'),
      secure: req.uri.toLowerCase().startsWith('sips:'),
      localContact,
      isUac: false,
      state: confirmed ? 'confirmed' : 'early',
    });
  }

  /**
   * Builds an in-dialog request (§12.2.1.1). Via is added by the transport layer. The request is sent to the
   * first Route when the route set is loose (`;lr`), else to the remote target.
   */
  createRequest(method: string, opts: InDialogRequestOptions = {}): SipRequest {
    if (this.state === 'terminated') throw new Error(`dialog ${this.id} is terminated`);
    let seq: number;
    if (opts.cseq !== undefined) seq = opts.cseq;
    else {
      // §12.2.1.1: local sequence number incremented by one for each new request (ACK/CANCEL excepted).
      this.localSeq = this.localSeq === 0 ? Math.floor(Math.random() * 0x7fffffff) + 1 : this.localSeq + 1;
      seq = this.localSeq;
    }
    let ruri = this.remoteTarget;
    let routes = this.routeSet;
    const first = routes[0];
    if (first !== undefined && !/;\s*lr\b/i.test(first)) {
      // Strict router (§12.2.1.1): Request-URI = first route, remote target appended as last Route.
      ruri = first.replace(/^[^<]*<([^>]*)>.*$/, '$1');
      routes = [...routes.slice(1), `<${this.remoteTarget}>`];
    }
    const r = new SipRequest(method, ruri);
    r.add('Max-Forwards', '70');
    r.add('From', `${this.localUri};tag=${this.localTag}`);
    r.add('To', `${this.remoteUri};tag=${this.remoteTag}`);
    r.add('Call-ID', this.callId);
    r.add('CSeq', `${seq} ${method}`);
    for (const rt of routes) r.add('Route', rt);
    if (method !== 'ACK' && method !== 'CANCEL' && this.localContact) r.add('Contact', this.localContact);
    for (const [k, v] of Object.entries(opts.headers ?? {})) {
      for (const x of Array.isArray(v) ? v : [v]) r.add(k, x);
    }
    if (opts.body) r.setBody(opts.body.data, opts.body.contentType);
    return r;
  }

  /** The ACK for a 2xx to the INVITE with CSeq `inviteSeq` (§13.2.2.4): same CSeq number, method ACK. */
  createAck(inviteSeq: number, body?: { contentType: string; data: Uint8Array | string }): SipRequest {
    return this.createRequest('ACK', body ? { cseq: inviteSeq, body } : { cseq: inviteSeq });
  }

  /**
   * Checks an in-dialog request from the peer (§12.2.2): a CSeq lower than the last one is an error (500);
   * target-refresh requests (re-INVITE, UPDATE) update the remote target from Contact.
   */
  handleRemoteRequest(req: SipRequest): void {
    const cseq = req.cseq;
    if (!cseq) throw new DialogSequenceError('request without CSeq');
    if (req.method !== 'ACK' && req.method !== 'CANCEL') {
      if (this.remoteSeq !== undefined && cseq.seq <= this.remoteSeq) {
        throw new DialogSequenceError(`CSeq ${cseq.seq} is not above ${this.remoteSeq}`);
      }
      this.remoteSeq = cseq.seq;
    }
    if (req.method === 'INVITE' || req.method === 'UPDATE') {
      const c = req.contacts[0];
      if (c) this.remoteTarget = c.uriText;
    }
  }

  /** A 2xx to our target-refresh request updates the remote target (§12.2.1.2). */
  handleRefreshResponse(res: SipResponse): void {
    if (res.status >= 200 && res.status < 300) {
      const c = res.contacts[0];
      if (c) this.remoteTarget = c.uriText;
    }
  }

  /** Marks the dialog terminated (after BYE, or a failed early dialog). */
  terminate(): void {
    this.state = 'terminated';
  }
}

/** Builds a dialog id from its parts. */
export function dialogId(callId: string, localTag: string, remoteTag: string): string {
  return `${callId};${localTag};${remoteTag}`;
}

function stripTag(na: NameAddr): string {
  const params = { ...na.params };
  delete params.tag;
  const o: { displayName?: string; uri: string; params: Record<string, string | null> } = { uri: na.uriText, params };
  if (na.displayName !== undefined) o.displayName = na.displayName;
  return formatNameAddr(o);
}

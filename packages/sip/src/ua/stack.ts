import type { Loop } from '@mdh/loop';
import { createResponse, newBranch, REASON_PHRASES } from '../message/build.js';
import { SipParseError } from '../message/errors.js';
import { type SipMessage, SipRequest, type SipResponse } from '../message/message.js';
import { parseMessage } from '../message/parse.js';
import { serializeMessage } from '../message/serialize.js';
import { formatVia, type Via } from '../message/views.js';
import { ClientInviteTransaction } from '../transaction/client-invite.js';
import { ClientNonInviteTransaction } from '../transaction/client-non-invite.js';
import { ServerInviteTransaction } from '../transaction/server-invite.js';
import { ServerNonInviteTransaction } from '../transaction/server-non-invite.js';
import { TimerQueues } from '../transaction/timer-queues.js';
import type { TransactionTimers } from '../transaction/timers.js';
import type { TransactionOutput } from '../transaction/types.js';
import {
  type InboundPacket,
  type Peer,
  type SipTransport,
  SipTransportError,
  type TransportProtocol,
  viaTransport,
} from '../transport/transport.js';
import { type SipTraceEvent, traceMessage } from './observability.js';
import { pooledRandom } from './random.js';
import {
  type AnyClientTx,
  type AnyServerTx,
  type ClientEntry,
  flatKey,
  framing,
  MTU_LIMIT,
  noop,
  type ServerEntry,
  ServerRequest,
  tryingBuilder,
} from './stack-entries.js';
import type {
  ClientRequest,
  ClientRequestHandlers,
  IncomingRequest,
  SendTarget,
  SipStackOptions,
  SipStackStats,
} from './stack-types.js';

export type {
  ClientFailure,
  ClientRequest,
  ClientRequestHandlers,
  IncomingRequest,
  SendTarget,
  SipStackOptions,
  SipStackStats,
} from './stack-types.js';

/**
 * The transaction and transport layers of RFC 3261 (§17, §18) joined: parses what the transports receive,
 * matches it to transactions (§17.1.3, §17.2.3 with the RFC 2543 fallback), drives every transaction's
 * timers with the Loop, and passes new requests, ACKs for 2xx and stray responses to its user (the UA core).
 */
export class SipStack {
  readonly loop: Loop;
  readonly transports: SipTransport[];
  readonly timers: Partial<TransactionTimers>;
  readonly userAgent: string;
  readonly stats: SipStackStats = {
    requestsIn: 0,
    responsesIn: 0,
    retransmissionsIn: 0,
    parseErrors: 0,
    strayResponses: 0,
    clientTransactions: 0,
    serverTransactions: 0,
    timeouts: 0,
    callbackErrors: 0,
  };
  private readonly maxBytes: number;
  private readonly maxTx: number;
  private readonly advertised: string | undefined;
  private readonly server = new Map<string, ServerEntry>();
  private readonly client = new Map<string, ClientEntry>();
  /**
   * Every timer of the stack's transactions (and of the UA's 2xx retransmissions) on one loop timer:
   * FIFO queues per delay instead of a loop timer per transaction.
   */
  readonly timerQueues: TimerQueues;
  /** New requests (not retransmissions, not ACK). */
  onRequest: (r: IncomingRequest) => void = (r) => {
    if (r.request.method !== 'ACK') r.reply(501);
  };
  /** ACKs matching no server transaction (ACK for a 2xx, RFC 3261 §13.3.1.4). */
  onAck: (ack: SipRequest, source: Peer) => void = () => {};
  /** Receives exceptions thrown by the stack's user callbacks (default: console.error); the stack keeps running. */
  onError: (err: unknown) => void = (err) => {
    console.error('@mdh/sip: callback threw', err);
  };
  /** Responses matching no client transaction (a retransmitted 2xx after Timer M; RFC 6026 §7.1). */
  onStrayResponse: (res: SipResponse) => void = () => {};
  /** Every message sent and received (start line, headers, body), e.g. for `mdh call -v` (observability.ts). */
  onTrace: ((e: SipTraceEvent) => void) | undefined;

  constructor(o: SipStackOptions) {
    this.loop = o.loop;
    this.transports = o.transports;
    this.timers = o.timers ?? {};
    this.userAgent = o.userAgent ?? 'mdh';
    this.maxBytes = o.maxMessageBytes ?? 65535;
    this.maxTx = o.maxTransactions ?? 50_000;
    this.advertised = o.advertisedAddress;
    this.timerQueues = new TimerQueues(o.loop);
    for (const t of o.transports) t.onPacket((p) => this.receive(p));
  }

  /** The transport for a protocol, if the stack has one. */
  transport(p: TransportProtocol): SipTransport | undefined {
    return this.transports.find((t) => t.protocol === p);
  }

  /** The host to put in Via/Contact for a transport. */
  hostFor(t: SipTransport): string {
    let h = this.advertised ?? t.localAddress;
    if (h === '0.0.0.0') h = '127.0.0.1';
    if (h === '::') h = '::1';
    return h.includes(':') && !h.startsWith('[') ? `[${h}]` : h;
  }

  /** `host:port` of a transport as used in Via sent-by and Contact. */
  hostPortFor(t: SipTransport): string {
    return `${this.hostFor(t)}:${t.localPort}`;
  }

  /** Live transaction counts. */
  get liveTransactions(): { client: number; server: number } {
    return { client: this.client.size, server: this.server.size };
  }

  /** Live transactions of each kind (a walk over them: for statistics, not for hot paths). */
  transactionKinds(): { clientInvite: number; clientNonInvite: number; serverInvite: number; serverNonInvite: number } {
    let clientInvite = 0;
    let serverInvite = 0;
    for (const e of this.client.values()) if (e.tx instanceof ClientInviteTransaction) clientInvite++;
    for (const e of this.server.values()) if (e.tx instanceof ServerInviteTransaction) serverInvite++;
    return {
      clientInvite,
      clientNonInvite: this.client.size - clientInvite,
      serverInvite,
      serverNonInvite: this.server.size - serverInvite,
    };
  }

  // ---------------------------------------------------------------- client side

  /**
   * Sends a request through a new client transaction: adds the top Via (with rport, RFC 3581), chooses
   * INVITE or non-INVITE machine. Requests over MTU−200 bytes go over TCP when the target is UDP and a TCP
   * transport exists (§18.1.1). ACK must go through {@link sendStateless}.
   *
   * A request built here has no Via of its own (a stale top Via from an earlier send is replaced); a proxy
   * forwarding a request passes `proxied: true` so that the upstream Vias stay below ours (RFC 3261 §16.6 item 8).
   */
  sendRequest(
    req: SipRequest,
    target: SendTarget,
    handlers: ClientRequestHandlers,
    branchIn?: string,
    how?: { proxied?: boolean },
  ): ClientRequest {
    const keep = how?.proxied === true;
    if (req.method === 'ACK') throw new Error('ACK is not sent in a client transaction: use sendStateless');
    let t = target;
    // A CANCEL reuses the branch of the request it cancels (RFC 3261 §9.1).
    const branch = branchIn ?? newBranch(pooledRandom);
    let bytes = this.stamp(req, t.transport, branch, keep);
    if (!t.transport.reliable && bytes.length > MTU_LIMIT) {
      const tcp = this.transport('tcp');
      if (tcp) {
        t = { transport: tcp, peer: t.peer };
        req.removeFirst('via');
        bytes = this.stamp(req, tcp, branch, keep);
      }
    }
    const method = req.method;
    const key = `${branch}|${method}`;
    const now = this.loop.now();
    const opts = { reliable: t.transport.reliable, timers: this.timers, request: bytes };
    const tx: AnyClientTx =
      method === 'INVITE'
        ? new ClientInviteTransaction<SipResponse>(
            key,
            { ...opts, buildAck: (res) => serializeMessage(this.ackForNon2xx(req, res)) },
            now,
          )
        : new ClientNonInviteTransaction<SipResponse>(key, opts, now);
    const entry: ClientEntry = {
      tx,
      key,
      handlers,
      target: t,
      dueAt: undefined,
      onDue: (now) => {
        tx.handleTimeout(now);
        this.pumpClient(entry);
      },
    };
    this.client.set(key, entry);
    this.stats.clientTransactions++;
    this.pumpClient(entry);
    return { request: req, target: t };
  }

  /** Sends a message outside any transaction (ACK for 2xx, §13.2.2.4; stateless responses); returns its bytes. */
  sendStateless(msg: SipMessage, target: SendTarget): Uint8Array {
    if (msg.kind === 'request' && msg.method === 'ACK' && !msg.has('via'))
      this.stamp(msg, target.transport, newBranch(pooledRandom));
    const bytes = serializeMessage(msg);
    this.post(target, bytes);
    return bytes;
  }

  /**
   * Fire-and-forget send (the hot path: no promise when the transport has {@link SipTransport.post});
   * `onError` runs on a transport error.
   */
  post(target: SendTarget, data: Uint8Array, onError: () => void = noop): void {
    traceMessage('send', data, target.peer, target.transport, this.onTrace); // observability.ts hook
    const t = target.transport;
    if (t.post) t.post(data, target.peer, target.flow, onError);
    else t.send(data, target.peer, target.flow).catch(onError);
  }

  /** Adds the top Via (replacing a stale one unless `keep`) and returns the serialized request. */
  private stamp(req: SipRequest, t: SipTransport, branch: string, keep = false): Uint8Array {
    if (!keep) req.removeFirst('via');
    const own = req.getAll('via').length;
    const via = formatVia({
      transport: viaTransport(t.protocol),
      host: this.hostFor(t),
      port: t.localPort,
      params: { rport: null },
      branch,
    });
    if (own) req.prepend('Via', via);
    else req.set('Via', via);
    if (this.userAgent && !req.has('user-agent')) req.add('User-Agent', this.userAgent);
    if (!req.has('max-forwards')) req.add('Max-Forwards', '70');
    return serializeMessage(req);
  }

  /** RFC 3261 §17.1.1.3: the ACK for a non-2xx has the INVITE's Request-URI, Call-ID, From, CSeq number, top Via, Route; To from the response. */
  private ackForNon2xx(inv: SipRequest, res: SipResponse): SipRequest {
    const ack = new SipRequest('ACK', inv.uri);
    const via = inv.get('via');
    if (via) ack.add('Via', via);
    ack.add('Max-Forwards', '70');
    ack.add('From', inv.get('from') ?? '');
    ack.add('To', res.get('to') ?? inv.get('to') ?? '');
    ack.add('Call-ID', inv.get('call-id') ?? '');
    ack.add('CSeq', `${inv.cseq?.seq ?? 1} ACK`);
    for (const r of inv.getAll('route')) ack.add('Route', r);
    return ack;
  }

  private pumpClient(e: ClientEntry): void {
    const tx = e.tx;
    for (let o = tx.pollOutput(); o; o = tx.pollOutput()) this.clientOutput(e, o);
    this.reschedule(e);
  }

  private clientOutput(e: ClientEntry, out: TransactionOutput<SipResponse>): void {
    if (out.kind === 'datagram') {
      this.post(e.target, out.data, () => {
        e.tx.handleTransportError(this.loop.now());
        queueMicrotask(() => this.pumpClient(e));
      });
      return;
    }
    if (out.kind !== 'event') return;
    const o = out.event;
    switch (o.type) {
      case 'response':
        this.safe(() => e.handlers.onResponse(o.message));
        return;
      case 'timeout':
        this.stats.timeouts++;
        this.safe(() => e.handlers.onFailure?.('timeout'));
        return;
      case 'transportError':
        this.safe(() => e.handlers.onFailure?.('transport'));
        return;
      case 'terminated':
        this.client.delete(e.key);
        e.dueAt = undefined;
        return;
      default:
        return;
    }
  }

  /** Keeps the entry's slot in the timer queues on its transaction's next deadline. */
  private reschedule(e: ClientEntry | ServerEntry): void {
    const d = e.tx.terminated ? undefined : e.tx.nextDeadline();
    if (d === undefined) e.dueAt = undefined;
    else this.timerQueues.arm(e, d);
  }

  // ---------------------------------------------------------------- server side

  /** Sends a response through the server transaction of `inc`. */
  /** @internal sends `res` through the transaction of `e`. */
  _respond(e: ServerEntry, res: SipResponse): Uint8Array {
    if (this.userAgent && !res.has('server')) res.add('Server', this.userAgent);
    const bytes = serializeMessage(res);
    const now = this.loop.now();
    e.tx.respond(res.status, bytes, now);
    this.pumpServer(e);
    return bytes;
  }

  private pumpServer(e: ServerEntry): void {
    const tx = e.tx;
    for (let out = tx.pollOutput(); out; out = tx.pollOutput()) {
      if (out.kind === 'datagram') {
        this.post(e.target, out.data, () => {
          tx.handleTransportError(this.loop.now());
          queueMicrotask(() => this.pumpServer(e));
        });
        continue;
      }
      if (out.kind !== 'event') continue;
      const o = out.event;
      switch (o.type) {
        case 'ack':
          this.safe(() => e.onAck?.(o.message));
          break;
        case 'timeout':
          this.stats.timeouts++;
          this.safe(() => e.onTimeout?.());
          break;
        case 'terminated':
          this.server.delete(e.key);
          e.dueAt = undefined;
          break;
        default:
          break;
      }
    }
    // Past Proceeding the CANCEL hook (and what it holds: the call, the request) is no longer needed while
    // the transaction waits out Timer L/J (32 s): drop it so the heap stays small under load.
    if (e.onCancel !== undefined && tx.state !== 'proceeding' && tx.state !== 'trying') e.onCancel = undefined;
    this.reschedule(e);
  }

  /** RFC 3261 §18.2.2: where responses to a request go. */
  responseTarget(req: SipRequest, source: Peer, transport: SipTransport, flow: string | undefined): SendTarget {
    if (transport.reliable) return flow !== undefined ? { transport, peer: source, flow } : { transport, peer: source };
    const via = req.via;
    let peer = source;
    if (via?.maddr) peer = { address: via.maddr, port: via.port ?? 5060 };
    // RFC 3581 §4: with rport, to the source address and port; else to received (= source) and the Via port.
    else if (via && via.rport === undefined && via.port !== undefined)
      peer = { address: source.address, port: via.port };
    // A datagram transport with several sockets marks which one the request came in on: the response
    // leaves from it (RFC 3581 §4).
    return flow !== undefined ? { transport, peer, flow } : { transport, peer };
  }

  // ---------------------------------------------------------------- receive

  /** Feeds one inbound message (transports call this; tests may too). */
  receive(p: InboundPacket): void {
    traceMessage('receive', p.data, p.source, p.transport, this.onTrace); // observability.ts hook
    if (p.data.length > this.maxBytes) {
      this.stats.parseErrors++;
      return;
    }
    let msg: SipMessage;
    try {
      msg = p.message ?? parseMessage(p.data, { transport: framing(p.transport) });
    } catch (e) {
      this.stats.parseErrors++;
      p.transport.stats.dropped++;
      if (e instanceof SipParseError) this.rejectMalformed(p, e);
      return;
    }
    try {
      if (msg.kind === 'response') this.receiveResponse(msg);
      else this.receiveRequest(msg, p);
    } catch (e) {
      // A header the message layer validates lazily turned out malformed: noise, dropped and counted.
      this.stats.parseErrors++;
      p.transport.stats.dropped++;
      if (!(e instanceof SipParseError)) throw e;
    }
  }

  /** §21.4.1: answer 400 (or the parse error's status) to a malformed request when we can still route it. */
  private rejectMalformed(p: InboundPacket, err: SipParseError): void {
    let msg: SipMessage;
    try {
      msg = parseMessage(p.data, { transport: framing(p.transport), strict: false });
    } catch {
      return;
    }
    if (msg.kind !== 'request' || msg.method === 'ACK') return;
    try {
      if (!msg.via || !msg.get('call-id') || !msg.get('from') || !msg.get('to') || !msg.get('cseq')) return;
      const res = createResponse(msg, err.status, {
        reason: `${REASON_PHRASES[err.status] ?? 'Bad Request'} (${err.reason})`,
      });
      this.sendStateless(res, this.responseTarget(msg, p.source, p.transport, p.flow));
    } catch {}
  }

  private receiveResponse(res: SipResponse): void {
    this.stats.responsesIn++;
    const via = res.via;
    const cseq = res.cseq;
    if (!via?.branch || !cseq) {
      this.stats.strayResponses++;
      return;
    }
    const e = this.client.get(`${via.branch}|${cseq.method === 'ACK' ? 'INVITE' : cseq.method}`);
    if (!e) {
      this.stats.strayResponses++;
      this.safe(() => this.onStrayResponse(res));
      return;
    }
    e.tx.handleResponse(res.status, res, this.loop.now());
    this.pumpClient(e);
  }

  private serverKey(req: SipRequest, method: string): string {
    const via = req.via as Via;
    if (via.branch?.startsWith('z9hG4bK')) return `${via.branch}|${via.host}:${via.port ?? ''}|${method}`;
    // RFC 3261 §17.2.3 fallback for RFC 2543 peers: Request-URI, From tag, Call-ID, CSeq number, top Via.
    return `2543|${req.from?.tag ?? ''}|${req.callId ?? ''}|${req.cseq?.seq ?? ''}|${req.get('via') ?? ''}|${method}`;
  }

  private receiveRequest(req: SipRequest, p: InboundPacket): void {
    this.stats.requestsIn++;
    const via = req.via;
    if (!via || !req.cseq || !req.callId || !req.from || !req.to) {
      this.stats.parseErrors++;
      return;
    }
    // RFC 3261 §18.2.1 / RFC 3581 §4: record where the request really came from.
    const vh = via.host;
    const hostDiffers =
      (vh.charCodeAt(0) === 91 ? vh.slice(1, vh.endsWith(']') ? -1 : undefined) : vh) !== p.source.address;
    if (via.rport !== undefined || hostDiffers) {
      const params = { ...via.params };
      if (hostDiffers) params.received = p.source.address;
      if (via.rport !== undefined) params.rport = String(p.source.port);
      const v2: Via = { ...via, params };
      delete v2.received;
      delete v2.rport;
      delete v2.branch;
      delete v2.maddr;
      delete v2.ttl;
      req.removeFirst('via');
      req.prepend('Via', formatVia(v2));
    }
    const method = req.method;
    if (method === 'ACK') {
      const e = this.server.get(this.serverKey(req, 'INVITE'));
      if (e && e.tx instanceof ServerInviteTransaction && e.tx.state === 'completed') {
        e.tx.handleAck(req, this.loop.now());
        this.pumpServer(e);
        return;
      }
      // RFC 6026 §8.7: in Accepted an ACK (a peer reusing the INVITE's branch for the 2xx ACK) goes to the TU.
      if (e && e.tx.state !== 'accepted') {
        this.stats.retransmissionsIn++;
        return;
      }
      this.safe(() => this.onAck(req, p.source));
      return;
    }
    const key = this.serverKey(req, method);
    const existing = this.server.get(key);
    if (existing) {
      this.stats.retransmissionsIn++;
      existing.tx.handleRequestRetransmit(this.loop.now());
      this.pumpServer(existing);
      return;
    }
    const target = this.responseTarget(req, p.source, p.transport, p.flow);
    if (this.server.size + this.client.size >= this.maxTx) {
      const busy = createResponse(req, 503, { headers: [['Retry-After', '5']] });
      this.sendStateless(busy, target);
      return;
    }
    const now = this.loop.now();
    const stored = flatKey(key);
    const tx: AnyServerTx =
      method === 'INVITE'
        ? new ServerInviteTransaction<SipRequest>(
            stored,
            { reliable: p.transport.reliable, timers: this.timers, buildTrying: tryingBuilder(req) },
            now,
          )
        : new ServerNonInviteTransaction<SipRequest>(
            stored,
            { reliable: p.transport.reliable, timers: this.timers },
            now,
          );
    const e = this.serverEntry(tx, stored, target);
    this.server.set(stored, e);
    this.stats.serverTransactions++;
    this.pumpServer(e);
    if (method !== 'OPTIONS' && req.maxForwards === 0) {
      // RFC 3261 §16.3 step 3 / §20.22: a request out of hops is answered 483 (an OPTIONS with Max-Forwards 0
      // is answered by the element it reached, §11, like a traceroute).
      this._respond(e, createResponse(req, 483));
      return;
    }
    if (method === 'CANCEL') {
      // §9.2: CANCEL matches the INVITE server transaction with the same branch (method INVITE).
      const inv = this.server.get(this.serverKey(req, 'INVITE'));
      if (!inv) {
        this._respond(e, createResponse(req, 481));
        return;
      }
      this._respond(e, createResponse(req, 200));
      if (inv.tx.state === 'proceeding') this.safe(() => inv.onCancel?.());
      return;
    }
    const inc = new ServerRequest(this, e, req, p);
    try {
      this.onRequest(inc);
    } catch (err) {
      this.callbackFailed(err);
    }
  }

  /**
   * The entry kept for the transaction's lifetime (up to Timer L/J, 32 s). Built in its own function so its
   * closure's context holds only the entry, not the request being handled (V8 shares one context between
   * every closure of a function: one built in receiveRequest would keep the parsed request alive).
   */
  private serverEntry(tx: AnyServerTx, key: string, target: SendTarget): ServerEntry {
    const e: ServerEntry = {
      tx,
      key,
      target,
      dueAt: undefined,
      onDue: (t) => {
        tx.handleTimeout(t);
        this.pumpServer(e);
      },
    };
    return e;
  }

  /**
   * Lets the UA core observe the server INVITE transaction of `inc`: the ACK of a non-2xx, a CANCEL while
   * proceeding, or Timer H.
   */
  watchServer(
    inc: IncomingRequest,
    h: { onAck?: (ack: SipRequest) => void; onCancel?: () => void; onTimeout?: () => void },
  ): void {
    if (!(inc instanceof ServerRequest) || inc._stack !== this) return;
    const e = inc._entry;
    if (h.onAck) e.onAck = h.onAck;
    if (h.onCancel) e.onCancel = h.onCancel;
    if (h.onTimeout) e.onTimeout = h.onTimeout;
  }

  private safe(f: () => void): void {
    try {
      f();
    } catch (e) {
      this.callbackFailed(e);
    }
  }

  private callbackFailed(e: unknown): void {
    this.stats.callbackErrors++;
    if (e instanceof SipTransportError) return;
    this.onError(e);
  }

  /** Cancels every timer and closes the transports. */
  async close(): Promise<void> {
    this.timerQueues.clear();
    this.client.clear();
    this.server.clear();
    await Promise.all(this.transports.map((t) => t.close()));
  }
}

import { createLoop, type Loop } from '@mdh/loop';
import { createResponse } from '../message/build.js';
import { SipParseError } from '../message/errors.js';
import type { SipMessage, SipRequest, SipResponse } from '../message/message.js';
import { parseMessage } from '../message/parse.js';
import { serializeMessage } from '../message/serialize.js';
import { formatVia } from '../message/views.js';
import {
  type InboundPacket,
  type Peer,
  type SipTransport,
  type TransportProtocol,
  viaTransport,
} from '../transport/transport.js';
import type { SendTarget, SipStack } from '../ua/stack.js';
import { resolveSendTargets, type TargetResolver } from '../ua/targets.js';
import { stripBrackets } from '../uri/uri.js';
import { decrementMaxForwards, loopHash, ProxyIdentity, rewriteForStrictRouter, statelessBranch } from './routing.js';

/** What stateless forwarding needs from its host element. @internal */
export interface ForwardingHost {
  identity: ProxyIdentity;
  /** Host to put in our Via for a transport. */
  hostFor(t: SipTransport): string;
  /** The transport for a protocol, if any. */
  transport(p: TransportProtocol): SipTransport | undefined;
  /** Next hops of a URI (RFC 3263). */
  resolve(uri: string): Promise<SendTarget[]>;
  send(target: SendTarget, data: Uint8Array): void;
}

/**
 * Forwards a request statelessly (RFC 3261 §16.11): loop check, Route preprocessing, Max-Forwards, strict-router
 * rewrite, our Via with a branch that is a function of the request (a retransmission, and the CANCEL of an
 * INVITE, get the same one), then the first next hop. Returns why it was dropped, or undefined when sent.
 */
export async function forwardStatelessly(
  req: SipRequest,
  host: ForwardingHost,
): Promise<'loop' | 'max-forwards' | 'unroutable' | undefined> {
  const hash = loopHash(req);
  if (host.identity.looped(req, hash)) return 'loop';
  host.identity.preprocessRoute(req);
  if (req.maxForwards === 0) return 'max-forwards';
  decrementMaxForwards(req);
  rewriteForStrictRouter(req);
  let hops: SendTarget[];
  try {
    hops = await host.resolve(req.routes[0]?.uriText ?? req.uri);
  } catch {
    return 'unroutable';
  }
  const t = hops[0]!;
  req.prepend(
    'Via',
    formatVia({
      transport: viaTransport(t.transport.protocol),
      host: host.hostFor(t.transport),
      port: t.transport.localPort,
      branch: statelessBranch(req, hash),
    }),
  );
  host.send(t, serializeMessage(req));
  return undefined;
}

/**
 * Forwards a response by its Via (RFC 3261 §16.7 step 3, §18.2.2): our top Via is removed and the response goes
 * to the next Via's `received`/`rport` (or sent-by). Returns false when the top Via is not ours or none is left.
 */
export function forwardResponseByVia(res: SipResponse, host: ForwardingHost): boolean {
  const vias = res.vias;
  const top = vias[0];
  const next = vias[1];
  if (!top || !next || !host.identity.ownsVia(top)) return false;
  res.removeFirst('via');
  const proto = next.transport.toLowerCase() as TransportProtocol;
  const t = host.transport(proto);
  if (!t) return false;
  const address = stripBrackets(next.received ?? next.maddr ?? next.host);
  const port = typeof next.rport === 'number' ? next.rport : (next.port ?? 5060);
  host.send({ transport: t, peer: { address, port } }, serializeMessage(res));
  return true;
}

/** Options of {@link createStatelessProxy}. */
export interface StatelessProxyOptions {
  transports: SipTransport[];
  loop?: Loop;
  /**
   * The one target of a request for our domains (a stateless proxy cannot fork, RFC 3261 §16.11): a URI, or
   * undefined to answer 404. Without it the Request-URI is used as is.
   */
  route?: (req: SipRequest) => string | undefined;
  /** Domains we serve (besides our own addresses). */
  domains?: readonly string[];
  /** Next-hop resolution (RFC 3263); default: IP literals and localhost directly, names through `sipResolve`. */
  resolver?: TargetResolver;
  /** Address to put in Via when bound to a wildcard. */
  advertisedAddress?: string;
  /** Receives internal failures (default: ignored); the proxy keeps serving. */
  onError?: (err: unknown) => void;
}

/** Counters of a {@link StatelessProxy}. */
export interface StatelessProxyStats {
  requestsForwarded: number;
  responsesForwarded: number;
  /** Requests answered by the proxy (483, 482, 404, 416, 400). */
  answered: number;
  /** Malformed or unroutable messages dropped. */
  dropped: number;
}

/**
 * A stateless SIP proxy (RFC 3261 §16.11): no transactions, no timers; every request is forwarded to one target
 * with a branch computed from the request, every response by its Via. For the simplest cases (a fixed next hop,
 * a load balancer in front of registrars); use {@link SipProxy} for forking, CANCEL handling and Timer C.
 */
export class StatelessProxy {
  readonly loop: Loop;
  private readonly o: StatelessProxyOptions;
  private readonly host: ForwardingHost;
  private readonly counters: StatelessProxyStats = {
    requestsForwarded: 0,
    responsesForwarded: 0,
    answered: 0,
    dropped: 0,
  };

  constructor(o: StatelessProxyOptions) {
    if (!o.transports.length) throw new Error('a proxy needs at least one transport');
    this.o = o;
    this.loop = o.loop ?? createLoop();
    const hostFor = (t: SipTransport) => o.advertisedAddress ?? t.localAddress;
    const hostPorts = o.transports.flatMap((t) => [
      `${stripBrackets(hostFor(t))}:${t.localPort}`,
      `${stripBrackets(t.localAddress)}:${t.localPort}`,
    ]);
    const byProto = (p: TransportProtocol) => o.transports.find((t) => t.protocol === p);
    const stackLike = { transport: byProto } as unknown as SipStack;
    this.host = {
      identity: new ProxyIdentity(hostPorts, o.domains ?? []),
      hostFor: (t) => (hostFor(t).includes(':') ? `[${stripBrackets(hostFor(t))}]` : hostFor(t)),
      transport: byProto,
      resolve: (uri) => resolveSendTargets(stackLike, uri, { fallback: o.transports[0]!, resolver: o.resolver }),
      send: (target, data) => {
        const tr = target.transport;
        if (tr.post) tr.post(data, target.peer, target.flow, () => {});
        else tr.send(data, target.peer, target.flow).catch(() => {});
      },
    };
    for (const t of o.transports) t.onPacket((p) => this.receive(p));
  }

  /** Counters. */
  stats(): StatelessProxyStats {
    return { ...this.counters };
  }

  /** Closes the transports. */
  async close(): Promise<void> {
    await Promise.all(this.o.transports.map((t) => t.close()));
  }

  private receive(p: InboundPacket): void {
    let m: SipMessage;
    try {
      m = p.message ?? parseMessage(p.data, { transport: p.transport.reliable ? 'stream' : 'datagram' });
    } catch (e) {
      if (!(e instanceof SipParseError)) this.fail(e);
      this.counters.dropped++;
      return;
    }
    if (m.kind === 'response') {
      if (forwardResponseByVia(m, this.host)) this.counters.responsesForwarded++;
      else this.counters.dropped++;
      return;
    }
    void this.request(m, p).catch((e) => this.fail(e));
  }

  private answer(req: SipRequest, p: InboundPacket, status: number): void {
    if (req.method === 'ACK') return;
    this.counters.answered++;
    const res = createResponse(req, status);
    // §18.2.2: back to the source (rport/received semantics: where it came from).
    const to: Peer = p.source;
    this.host.send({ transport: p.transport, peer: to, ...(p.flow ? { flow: p.flow } : {}) }, serializeMessage(res));
  }

  private async request(req: SipRequest, p: InboundPacket): Promise<void> {
    if (!req.via || !req.callId || !req.cseq || !req.from || !req.to) {
      this.counters.dropped++;
      return;
    }
    let scheme: string;
    try {
      scheme = req.requestUri.scheme;
    } catch {
      this.answer(req, p, 400);
      return;
    }
    if (scheme !== 'sip' && scheme !== 'sips') {
      this.answer(req, p, 416);
      return;
    }
    // RFC 3581 §4 / §18.2.1: note where the request came from, so that its response finds the way back.
    const via = req.via;
    const hostDiffers = stripBrackets(via.host) !== p.source.address;
    if (via.rport !== undefined || hostDiffers) {
      const first = req.removeFirst('via') ?? '';
      let v = first.replace(/;rport(?==|;|$)(=\d*)?/i, via.rport !== undefined ? `;rport=${p.source.port}` : '$&');
      if (hostDiffers && !/;received=/i.test(v)) v += `;received=${p.source.address}`;
      req.prepend('Via', v);
    }
    const hasRoute = req.has('route');
    if (!hasRoute && req.to.tag === undefined && this.o.route && this.host.identity.isOurDomain(req.requestUri)) {
      const target = this.o.route(req);
      if (target === undefined) {
        this.answer(req, p, 404);
        return;
      }
      req.uri = target;
    }
    const why = await forwardStatelessly(req, this.host);
    if (why === undefined) this.counters.requestsForwarded++;
    else if (why === 'loop') this.answer(req, p, 482);
    else if (why === 'max-forwards') this.answer(req, p, 483);
    else this.counters.dropped++;
  }

  private fail(e: unknown): void {
    try {
      this.o.onError?.(e);
    } catch {}
  }
}

/** Creates a {@link StatelessProxy} on the given transports. */
export function createStatelessProxy(o: StatelessProxyOptions): StatelessProxy {
  return new StatelessProxy(o);
}

import type { SipResponse } from '../message/message.js';
import { sipResolve } from '../resolve/sip-resolve.js';
import { defaultPort, type SipTransport, type TransportProtocol } from '../transport/transport.js';
import { parseUri, type SipUri, stripBrackets } from '../uri/uri.js';
import type { SendTarget, SipStack } from './stack.js';

/** A call attempt or request that failed with a final response (or 408 on timeout, 503 on transport error). */
export class SipCallError extends Error {
  readonly status: number;
  readonly response: SipResponse | undefined;
  constructor(status: number, reason: string, response?: SipResponse) {
    super(`${status} ${reason}`);
    this.name = 'SipCallError';
    this.status = status;
    this.response = response;
  }
}

/** Resolves a SIP URI to ordered targets (RFC 3263). The default handles IP literals and `localhost`. */
export type TargetResolver = (
  uri: SipUri,
  protocol: TransportProtocol,
) => Promise<{ protocol: TransportProtocol; address: string; port: number }[]>;

/**
 * Resolves a request URI (or the URI of the first Route) to the stack's send targets, in failover order
 * (RFC 3263 §4; the caller tries the next one on transport error or 503, §4.3). IP literals and `localhost`
 * are used directly; names go through `resolver` or {@link sipResolve}. Without an explicit `transport`
 * parameter a stack that has no transport of the default kind uses `fallback`'s.
 *
 * @throws SipCallError 503 when no target can be reached with the stack's transports; `Error` for a
 *   non-SIP URI.
 */
export async function resolveSendTargets(
  stack: SipStack,
  uriText: string,
  opts: { fallback: SipTransport; resolver?: TargetResolver | undefined },
): Promise<SendTarget[]> {
  const u = parseUri(uriText);
  if (u.kind !== 'sip') throw new Error(`cannot route a ${u.scheme}: URI`);
  const tp = (u.params.transport ?? '').toLowerCase();
  const explicit = tp === 'tcp' || tp === 'tls' || tp === 'ws' || tp === 'wss' || tp === 'udp';
  let protocol: TransportProtocol = explicit ? (tp as TransportProtocol) : u.scheme === 'sips' ? 'tls' : 'udp';
  if (u.scheme === 'sips' && protocol === 'tcp') protocol = 'tls';
  if (u.scheme === 'sips' && protocol === 'ws') protocol = 'wss';
  if (!explicit && !stack.transport(protocol)) protocol = opts.fallback.protocol;
  const host = stripBrackets(typeof u.params.maddr === 'string' ? u.params.maddr : u.host);
  let list: { protocol: TransportProtocol; address: string; port: number }[];
  if (/^[\d.]+$/.test(host) || host.includes(':'))
    list = [{ protocol, address: host, port: u.port ?? defaultPort(protocol) }];
  else if (host === 'localhost') list = [{ protocol, address: '127.0.0.1', port: u.port ?? defaultPort(protocol) }];
  else if (opts.resolver) list = await opts.resolver(u, protocol);
  else {
    // RFC 3263: NAPTR → SRV → A/AAAA, as an ordered failover list.
    const found = await sipResolve(uriText, {
      ...(explicit || !stack.transport('udp') ? { transport: protocol } : {}),
      websocket: !!(stack.transport('ws') || stack.transport('wss')),
    });
    list = found.map((x) => ({ protocol: x.transport, address: x.host, port: x.port }));
  }
  const out: SendTarget[] = [];
  for (const x of list) {
    const t = stack.transport(x.protocol);
    if (t) out.push({ transport: t, peer: { address: x.address, port: x.port } });
  }
  if (!out.length) throw new SipCallError(503, `no usable target for ${uriText}`);
  return out;
}

import type { Loop } from '@mdh/loop';
import type { SipRequest } from '../message/message.js';
import type { TransactionTimers } from '../transaction/timers.js';
import type { Peer, SipTransport } from '../transport/transport.js';
import type { Registrar } from '../ua/registrar.js';
import type { TargetResolver } from '../ua/targets.js';

/** How several targets of one request are tried (RFC 3261 §16.6). */
export type ForkMode = 'parallel' | 'sequential';

/** One target of a routing decision: a Request-URI, with an optional q-value (higher first, RFC 3261 §16.6). */
export interface ProxyTarget {
  uri: string;
  q?: number;
  /** A Route set to put before the request's own (e.g. a registered Path, RFC 3327 §5.3). */
  route?: readonly string[];
}

/** What the router decided for a request. */
export type ProxyDecision =
  | { targets: readonly (string | ProxyTarget)[]; fork?: ForkMode }
  | { reject: number; reason?: string; headers?: [string, string][] };

/** Facts about a request handed to the router. */
export interface ProxyRequestInfo {
  /** Where the request came from. */
  source: Peer;
  /** The transport it arrived on. */
  transport: SipTransport;
}

/**
 * Decides the target set of an out-of-dialog request that the proxy is responsible for (RFC 3261 §16.5). It may
 * return a promise; an exception or rejection answers `500` and is reported to {@link ProxyOptions.onError}.
 */
export type ProxyRouter = (req: SipRequest, info: ProxyRequestInfo) => ProxyDecision | Promise<ProxyDecision>;

/** Options of {@link createProxy}. */
export interface ProxyOptions {
  /** The transports to serve on (at least one). */
  transports: SipTransport[];
  /** Event loop (default: a new one on the system clock). Tests pass one on a ManualClock. */
  loop?: Loop;
  /**
   * Routing of requests for our domains. Default: the registrar's bindings (q-ordered, sequential) when a
   * registrar is set, else the Request-URI itself.
   */
  route?: ProxyRouter;
  /** Answers REGISTER for our domains (RFC 3261 §10.3) and serves as the location service of the default router. */
  registrar?: Registrar;
  /**
   * More `host:port`s that name this proxy (IPv6 without brackets), besides its transports' own: e.g. the shared
   * listening port of a cluster worker whose transport advertises a port of its own (RFC 3261 §16.4).
   */
  aliases?: readonly string[];
  /** How often (ms) the registrar's expired bindings are swept from its store (default 30 000). */
  registrarSweep?: number;
  /** Host names this proxy is responsible for, besides its own addresses (RFC 3261 §16.4, §16.5). */
  domains?: readonly string[];
  /** Add Record-Route to dialog-creating requests so that in-dialog requests pass through (default true). */
  recordRoute?: boolean;
  /** Fork mode when the router does not say (default parallel). */
  fork?: ForkMode;
  /** Timer C in ms, more than 3 minutes (RFC 3261 §16.6 item 11; default 180 000). */
  timerC?: number;
  /** Largest number of branches of one request (default 16). */
  maxBranches?: number;
  /** Next-hop resolution (RFC 3263); default: IP literals and localhost directly, names through `sipResolve`. */
  resolver?: TargetResolver;
  /** Transaction timers (T1, T2, T4; RFC 3261 §17). */
  timers?: Partial<TransactionTimers>;
  /** Server/User-Agent header value. */
  userAgent?: string;
  /** Address to advertise in Via and Record-Route when bound to a wildcard. */
  advertisedAddress?: string;
  /** Receives exceptions from the router and internal failures; the proxy keeps serving (default: console.error). */
  onError?: (err: unknown) => void;
}

/** Counters of a proxy. */
export interface ProxyStats {
  /** Requests forwarded statefully (one per server transaction). */
  forwarded: number;
  /** Branches created (one per target tried, failover included). */
  branches: number;
  /** ACKs and other requests forwarded statelessly. */
  statelessForwards: number;
  /** Requests answered by the proxy itself (errors, REGISTER, OPTIONS to the proxy). */
  answered: number;
  loopsDetected: number;
  /** Live response contexts (server transactions still waiting for a final response). */
  liveContexts: number;
  cancelsSent: number;
  timerCFired: number;
}

import { createLoop, type Loop, type TimerId } from '@mdh/loop';
import { createRequest, createResponse } from '../message/build.js';
import type { SipRequest, SipResponse } from '../message/message.js';
import { parseMessage } from '../message/parse.js';
import { serializeMessage } from '../message/serialize.js';
import { resolveTimers } from '../transaction/timers.js';
import type { SipTransport } from '../transport/transport.js';
import { pooledRandom } from '../ua/random.js';
import { type IncomingRequest, type SendTarget, SipStack } from '../ua/stack.js';
import { resolveSendTargets, SipCallError } from '../ua/targets.js';
import { stripBrackets } from '../uri/uri.js';
import { answerRegister, locationRouter } from './location-router.js';
import { decrementMaxForwards, ProxyIdentity, rewriteForStrictRouter } from './routing.js';
import { chooseFinalResponse } from './selection.js';
import { type ForwardingHost, forwardResponseByVia, forwardStatelessly } from './stateless.js';
import type { ForkMode, ProxyDecision, ProxyOptions, ProxyRouter, ProxyStats, ProxyTarget } from './types.js';
import { PROXY_ALLOW, validateProxyRequest } from './validate.js';

export type {
  ForkMode,
  ProxyDecision,
  ProxyOptions,
  ProxyRequestInfo,
  ProxyRouter,
  ProxyStats,
  ProxyTarget,
} from './types.js';

interface Branch {
  ctx: Context;
  req: SipRequest;
  /** Next hops for failover (RFC 3263 §4.3), the current one first. */
  hops: SendTarget[];
  target: SendTarget;
  branchId: string;
  /** 'pending' until a final response (or failure) ends it. */
  done: boolean;
  provisional: boolean;
  cancelWanted: boolean;
  cancelSent: boolean;
  timerC: TimerId | undefined;
  /** `timerC` is Timer C (not the CANCEL's 64·T1 wait); it fires at `timerCAt` (a provisional moves it). */
  timerCIsC: boolean;
  timerCAt: number;
}

interface Context {
  inc: IncomingRequest;
  req: SipRequest;
  invite: boolean;
  /** {@link loopHash} of the request as received. */
  hash: string;
  branches: Branch[];
  /** Targets not yet tried (sequential forking). */
  queue: ProxyTarget[];
  finals: SipResponse[];
  /** A final response was sent upstream. */
  answered: boolean;
  cancelled: boolean;
  routing: boolean;
}

function randomToken(): string {
  const b = pooledRandom(8);
  let s = '';
  for (const x of b) s += (x & 0xff).toString(16).padStart(2, '0');
  return s;
}

/** Copy of a request (forking sends one copy per target, RFC 3261 §16.6 item 1). */
function copyRequest(req: SipRequest): SipRequest {
  const m = parseMessage(serializeMessage(req), { strict: false });
  if (m.kind !== 'request') throw new Error('copy of a request is not a request');
  return m;
}

/**
 * A stateful SIP proxy (RFC 3261 §16): request validation (§16.3: scheme, Max-Forwards, loop detection,
 * Proxy-Require), Route preprocessing with loose and strict routers (§16.4, §16.6 item 6, §16.12),
 * Record-Route, parallel and sequential forking with the §16.7 response selection (best response, 6xx cancels
 * the rest, 2xx forwarded at once and pending branches cancelled, 503 → 500, 401/407 challenges merged),
 * CANCEL of pending branches (§16.10), Timer C (§16.6 item 11), next-hop failover on 503, timeout or
 * transport error (RFC 3263 §4.3), stateless forwarding of ACK for 2xx and of in-dialog requests' ACKs.
 *
 * ```ts
 * const proxy = createProxy({
 *   transports: [await listenTransport('udp', { host: '127.0.0.1', port: 5060 })],
 *   route: (req) => ({ targets: ['sip:alice@10.0.0.7:5080', 'sip:alice@10.0.0.8:5080'], fork: 'parallel' }),
 * });
 * ```
 */
export class SipProxy {
  /** The transaction layer underneath (its stats, its transports). */
  readonly stack: SipStack;
  readonly loop: Loop;
  private readonly o: ProxyOptions;
  private readonly contexts = new Set<Context>();
  private readonly id: ProxyIdentity;
  private readonly forwarding: ForwardingHost;
  private readonly t1: number;
  private readonly router: ProxyRouter;
  private readonly sweepTimer: TimerId | undefined;
  private readonly counters = {
    forwarded: 0,
    branches: 0,
    statelessForwards: 0,
    answered: 0,
    loopsDetected: 0,
    cancelsSent: 0,
    timerCFired: 0,
  };

  constructor(o: ProxyOptions) {
    if (!o.transports.length) throw new Error('a proxy needs at least one transport');
    this.o = o;
    this.loop = o.loop ?? createLoop();
    this.t1 = resolveTimers(o.timers).t1;
    this.stack = new SipStack({
      loop: this.loop,
      transports: o.transports,
      ...(o.timers ? { timers: o.timers } : {}),
      ...(o.userAgent ? { userAgent: o.userAgent } : {}),
      ...(o.advertisedAddress ? { advertisedAddress: o.advertisedAddress } : {}),
    });
    const hostPorts: string[] = [];
    for (const t of o.transports) {
      hostPorts.push(`${stripBrackets(this.stack.hostFor(t))}:${t.localPort}`);
      hostPorts.push(`${stripBrackets(t.localAddress)}:${t.localPort}`);
    }
    for (const a of o.aliases ?? []) hostPorts.push(a);
    this.id = new ProxyIdentity(hostPorts, o.domains ?? []);
    const reg = o.registrar;
    this.router = o.route ?? (reg ? locationRouter(reg) : (req) => ({ targets: [req.uri] }));
    // Expired bindings leave the location store (RFC 3261 §10.3: a binding lives until its expiry).
    this.sweepTimer = reg
      ? this.loop.every(o.registrarSweep ?? 30_000, () => void reg.sweep().catch((e) => this.fail(e)))
      : undefined;
    this.forwarding = {
      identity: this.id,
      hostFor: (t) => this.stack.hostFor(t),
      transport: (p) => this.stack.transport(p),
      resolve: (uri) => resolveSendTargets(this.stack, uri, { fallback: o.transports[0]!, resolver: o.resolver }),
      send: (t, data) => this.stack.post(t, data),
    };
    this.stack.onError = (e) => this.fail(e);
    this.stack.onRequest = (inc) => this.onRequest(inc);
    this.stack.onAck = (ack) => this.forwardStateless(ack);
    this.stack.onStrayResponse = (res) => this.forwardStrayResponse(res);
  }

  /** Counters, including the live response contexts (0 when idle: nothing leaked). */
  stats(): ProxyStats {
    return { ...this.counters, liveContexts: this.contexts.size };
  }

  /** Stops every timer and closes the transports. */
  async close(): Promise<void> {
    if (this.sweepTimer !== undefined) this.loop.cancel(this.sweepTimer);
    for (const c of this.contexts) for (const b of c.branches) this.stopTimerC(b);
    this.contexts.clear();
    await this.stack.close();
  }

  private fail(e: unknown): void {
    if (this.o.onError) {
      try {
        this.o.onError(e);
      } catch {}
    } else console.error(e);
  }

  // ------------------------------------------------------------------ who we are

  private readonly recordRoutes = new Map<SipTransport, string>();

  private recordRouteFor(t: SipTransport): string {
    const cached = this.recordRoutes.get(t);
    if (cached !== undefined) return cached;
    const rr = this.buildRecordRoute(t);
    this.recordRoutes.set(t, rr);
    return rr;
  }

  private buildRecordRoute(t: SipTransport): string {
    const host = this.stack.hostFor(t);
    const tp = t.protocol === 'udp' ? '' : `;transport=${t.protocol}`;
    const scheme = t.protocol === 'tls' || t.protocol === 'wss' ? 'sips' : 'sip';
    return `<${scheme}:${host}:${t.localPort}${tp};lr>`;
  }

  // ------------------------------------------------------------------ requests

  private answer(inc: IncomingRequest, status: number, opts?: Parameters<IncomingRequest['reply']>[1]): void {
    this.counters.answered++;
    if (!inc.answered) inc.reply(status, opts);
  }

  private onRequest(inc: IncomingRequest): void {
    const req = inc.request;
    const v = validateProxyRequest(req, this.id);
    if (typeof v !== 'string') {
      if (v.loop) this.counters.loopsDetected++;
      this.answer(inc, v.status, {
        ...(v.reason ? { reason: v.reason } : {}),
        ...(v.headers ? { headers: v.headers } : {}),
      });
      return;
    }
    const hash = v;
    // §16.4: Route preprocessing.
    this.id.preprocessRoute(req);
    const hasRoute = req.has('route');
    const inDialog = req.to?.tag !== undefined;
    if (!hasRoute && !inDialog && this.id.isOurDomain(req.requestUri)) {
      if (req.method === 'REGISTER' && this.o.registrar) {
        this.counters.answered++;
        answerRegister(inc, this.o.registrar, (e) => this.fail(e));
        return;
      }
      if (req.method === 'OPTIONS' && req.requestUri.kind === 'sip' && req.requestUri.user === undefined) {
        // A request for the proxy itself (keep-alive probes of a dispatcher, RFC 3261 §11).
        this.answer(inc, 200, { headers: [PROXY_ALLOW] });
        return;
      }
    }
    const ctx: Context = {
      inc,
      req,
      invite: req.method === 'INVITE',
      hash,
      branches: [],
      queue: [],
      finals: [],
      answered: false,
      cancelled: false,
      routing: true,
    };
    this.contexts.add(ctx);
    this.counters.forwarded++;
    if (ctx.invite) {
      this.stack.watchServer(inc, {
        onCancel: () => this.onCancel(ctx),
        onTimeout: () => this.finish(ctx),
      });
    }
    if (hasRoute || inDialog || !this.id.isOurDomain(req.requestUri)) {
      // §16.5: a request not for our domain, or with a route set, has one target: its Request-URI.
      ctx.routing = false;
      this.startTargets(ctx, [{ uri: req.uri }], 'parallel');
      return;
    }
    let decision: ProxyDecision | Promise<ProxyDecision>;
    try {
      decision = this.router(req, { source: inc.source, transport: inc.transport });
    } catch (e) {
      this.routeFailed(ctx, e);
      return;
    }
    if (decision instanceof Promise) {
      decision.then(
        (d) => this.routed(ctx, d),
        (e) => this.routeFailed(ctx, e),
      );
    } else this.routed(ctx, decision);
  }

  private routeFailed(ctx: Context, e: unknown): void {
    this.fail(e);
    ctx.routing = false;
    this.respondUpstream(ctx, createResponse(ctx.req, 500));
    this.release(ctx);
  }

  private routed(ctx: Context, d: ProxyDecision): void {
    ctx.routing = false;
    if (ctx.answered) return;
    if (ctx.cancelled) {
      this.respondUpstream(ctx, createResponse(ctx.req, 487));
      this.release(ctx);
      return;
    }
    if ('reject' in d) {
      this.respondUpstream(
        ctx,
        createResponse(ctx.req, d.reject, {
          ...(d.reason ? { reason: d.reason } : {}),
          ...(d.headers ? { headers: d.headers } : {}),
        }),
      );
      this.release(ctx);
      return;
    }
    // RFC 3261 §16.6: higher q first; equal q keeps the router's order.
    const list = d.targets
      .map((t, i) => ({ t: typeof t === 'string' ? { uri: t } : t, i }))
      .sort((a, b) => (b.t.q ?? 1) - (a.t.q ?? 1) || a.i - b.i)
      .map((x) => x.t);
    if (!list.length) {
      this.respondUpstream(ctx, createResponse(ctx.req, 480));
      this.release(ctx);
      return;
    }
    this.startTargets(ctx, list.slice(0, this.o.maxBranches ?? 16), d.fork ?? this.o.fork ?? 'parallel');
  }

  // ------------------------------------------------------------------ branches

  private startTargets(ctx: Context, uris: ProxyTarget[], mode: ForkMode): void {
    if (mode === 'sequential') {
      ctx.queue = uris.slice(1);
      void this.branch(ctx, uris[0]!);
    } else for (const u of uris) void this.branch(ctx, u);
  }

  /** §16.6: forwards a copy of the request to one target. */
  private async branch(ctx: Context, target: ProxyTarget): Promise<void> {
    const req = copyRequest(ctx.req);
    req.uri = target.uri;
    if (target.route?.length) {
      const own = req.getAll('route');
      req.remove('route');
      for (const r of [...target.route, ...own]) req.add('Route', r);
    }
    decrementMaxForwards(req);
    if (this.o.recordRoute !== false && req.to?.tag === undefined && isDialogCreating(req.method))
      req.prepend('Record-Route', this.recordRouteFor(ctx.inc.transport));
    rewriteForStrictRouter(req);
    const b: Branch = {
      ctx,
      req,
      hops: [],
      target: undefined as unknown as SendTarget,
      branchId: '',
      done: false,
      provisional: false,
      cancelWanted: ctx.cancelled,
      cancelSent: false,
      timerC: undefined,
      timerCIsC: false,
      timerCAt: 0,
    };
    ctx.branches.push(b);
    const nextHop = req.routes[0]?.uriText ?? req.uri;
    try {
      b.hops = await resolveSendTargets(this.stack, nextHop, {
        fallback: ctx.inc.transport,
        resolver: this.o.resolver,
      });
    } catch (e) {
      const status = e instanceof SipCallError ? e.status : 503;
      this.branchFinal(b, createResponse(ctx.req, status === 503 ? 503 : 400));
      return;
    }
    if (b.cancelWanted && !ctx.answered) {
      // CANCEL arrived while resolving: never send this branch.
      this.branchFinal(b, createResponse(ctx.req, 487));
      return;
    }
    this.send(b);
  }

  private send(b: Branch): void {
    const ctx = b.ctx;
    b.target = b.hops[0]!;
    b.branchId = `z9hG4bK${ctx.hash}.${randomToken()}`;
    this.counters.branches++;
    this.stack.sendRequest(
      b.req,
      b.target,
      {
        onResponse: (res) => this.branchResponse(b, res),
        onFailure: (why) => this.branchFailure(b, why),
      },
      b.branchId,
      { proxied: true },
    );
    if (ctx.invite) this.armTimerC(b);
  }

  /**
   * (Re)starts Timer C (§16.6 item 11: on sending, and on every provisional above 100). A running Timer C is not
   * re-armed: its deadline moves, and when it fires early it waits out the rest (one timer per branch).
   */
  private armTimerC(b: Branch): void {
    const ms = this.o.timerC ?? 180_000;
    b.timerCAt = this.loop.now() + ms;
    if (b.timerC !== undefined && b.timerCIsC) return;
    this.stopTimerC(b);
    b.timerCIsC = true;
    b.timerC = this.loop.after(ms, () => this.timerCExpired(b));
  }

  private timerCExpired(b: Branch): void {
    b.timerC = undefined;
    if (b.done) return;
    const left = b.timerCAt - this.loop.now();
    if (left > 0) {
      b.timerC = this.loop.after(left, () => this.timerCExpired(b));
      return;
    }
    this.counters.timerCFired++;
    // §16.6 item 11 / §16.8: with a provisional, CANCEL the branch; without one, behave as if 408 arrived.
    if (b.provisional) this.cancelBranch(b);
    else this.branchFinal(b, createResponse(b.ctx.req, 408));
  }

  private stopTimerC(b: Branch): void {
    if (b.timerC !== undefined) {
      this.loop.cancel(b.timerC);
      b.timerC = undefined;
    }
  }

  private branchFailure(b: Branch, why: 'timeout' | 'transport'): void {
    if (b.done) return;
    // RFC 3263 §4.3: on a timeout or transport error try the next resolved hop.
    if (this.failover(b)) return;
    this.branchFinal(b, createResponse(b.ctx.req, why === 'timeout' ? 408 : 503));
  }

  private failover(b: Branch): boolean {
    if (b.hops.length < 2 || b.provisional || b.ctx.cancelled || b.ctx.answered) return false;
    b.hops.shift();
    // the stack stamped our Via on the copy: a new branch gets a new Via
    b.req.removeFirst('via');
    this.send(b);
    return true;
  }

  /** §16.7: a response on one branch. */
  private branchResponse(b: Branch, res: SipResponse): void {
    const ctx = b.ctx;
    // step 3: remove our Via; a response with no Via left was for us (never happens for forwarded requests).
    res.removeFirst('via');
    if (!res.has('via')) {
      // A response must carry the request's Vias (§8.2.6.2); one built from the CANCEL's (a common UAS
      // scripting slip) still ends the branch, with the upstream Vias restored.
      for (const v of ctx.req.getAll('via')) res.add('Via', v);
    }
    const status = res.status;
    if (status < 200) {
      if (b.done) return;
      b.provisional = true;
      if (ctx.invite && status > 100) this.armTimerC(b);
      if (b.cancelWanted && !b.cancelSent) this.cancelBranch(b);
      // step 5/9: 100 is hop-by-hop; other provisionals go upstream at once.
      if (status > 100 && !ctx.answered) ctx.inc.respond(res);
      return;
    }
    if (status < 300) {
      // RFC 6026: a retransmitted or forked 2xx to INVITE is forwarded too (the server transaction is Accepted).
      const first = !b.done;
      if (first) this.endBranch(b);
      if (ctx.invite) {
        // every 2xx goes upstream, also a second one from another fork (RFC 3261 §16.7 step 5, RFC 6026)
        this.forward2xx(ctx, res);
        // step 10: cancel the pending branches after a 2xx.
        for (const o of ctx.branches) if (!o.done) this.cancelBranch(o);
        ctx.queue = [];
        this.maybeRelease(ctx);
        return;
      }
      if (!ctx.answered) this.respondUpstream(ctx, res);
      this.maybeRelease(ctx);
      return;
    }
    if (b.done) return;
    // RFC 3263 §4.3: a 503 from this hop → the next hop of the same target.
    if (status === 503 && this.failover(b)) return;
    this.branchFinal(b, res);
  }

  private forward2xx(ctx: Context, res: SipResponse): void {
    ctx.answered = true;
    ctx.inc.respond(res);
  }

  private endBranch(b: Branch): void {
    b.done = true;
    this.stopTimerC(b);
  }

  private branchFinal(b: Branch, res: SipResponse): void {
    if (b.done) return;
    this.endBranch(b);
    const ctx = b.ctx;
    ctx.finals.push(res);
    if (res.status >= 600) {
      // step 10: a 6xx ends the search: cancel the rest.
      ctx.queue = [];
      for (const o of ctx.branches) if (!o.done) this.cancelBranch(o);
    } else if (ctx.queue.length && !ctx.cancelled && !ctx.answered) {
      void this.branch(ctx, ctx.queue.shift()!);
      return;
    }
    this.maybeFinish(ctx);
  }

  private maybeFinish(ctx: Context): void {
    if (ctx.routing || (ctx.queue.length && !ctx.cancelled)) return;
    if (ctx.branches.some((b) => !b.done)) return;
    this.finish(ctx);
  }

  /** §16.7 step 6: choose the best final response and send it. */
  private finish(ctx: Context): void {
    if (!ctx.answered) this.respondUpstream(ctx, chooseFinalResponse(ctx.req, ctx.finals, ctx.cancelled));
    this.release(ctx);
  }

  private respondUpstream(ctx: Context, res: SipResponse): void {
    if (ctx.answered) return;
    ctx.answered = true;
    try {
      ctx.inc.respond(res);
    } catch (e) {
      this.fail(e);
    }
  }

  private maybeRelease(ctx: Context): void {
    if (ctx.branches.every((b) => b.done)) this.release(ctx);
  }

  private release(ctx: Context): void {
    for (const b of ctx.branches) this.stopTimerC(b);
    this.contexts.delete(ctx);
  }

  // ------------------------------------------------------------------ CANCEL

  /** §16.10: CANCEL of the server transaction → CANCEL every pending branch; no new branches start. */
  private onCancel(ctx: Context): void {
    if (ctx.answered) return;
    ctx.cancelled = true;
    ctx.queue = [];
    if (!ctx.branches.length && !ctx.routing) {
      this.respondUpstream(ctx, createResponse(ctx.req, 487));
      this.release(ctx);
      return;
    }
    for (const b of ctx.branches) if (!b.done) this.cancelBranch(b);
  }

  /** RFC 3261 §9.1: CANCEL a branch (after its first provisional; until then remember to). */
  private cancelBranch(b: Branch): void {
    if (b.done || b.cancelSent) return;
    b.cancelWanted = true;
    if (!b.provisional || !b.target) return;
    b.cancelSent = true;
    this.counters.cancelsSent++;
    const r = b.req;
    const c = createRequest({
      method: 'CANCEL',
      uri: r.uri,
      from: r.get('from') ?? '',
      to: r.get('to') ?? '',
      callId: r.callId ?? '',
      cseq: r.cseq?.seq ?? 1,
      route: r.getAll('route'),
    });
    c.set('Max-Forwards', '70');
    this.stack.sendRequest(c, b.target, { onResponse: () => {} }, b.branchId);
    // §16.8: no final response within 64·T1 of the CANCEL → the branch ends as if 408 arrived.
    this.stopTimerC(b);
    b.timerCIsC = false;
    b.timerC = this.loop.after(64 * this.t1, () => {
      b.timerC = undefined;
      this.branchFinal(b, createResponse(b.ctx.req, 408));
    });
  }

  // ------------------------------------------------------------------ stateless parts

  /** ACK for a 2xx (and any other request that matched no transaction) is forwarded statelessly (§16.11). */
  private forwardStateless(req: SipRequest): void {
    void forwardStatelessly(req, this.forwarding).then(
      (why) => {
        if (why === undefined) this.counters.statelessForwards++;
      },
      (e) => this.fail(e),
    );
  }

  /** A 2xx retransmitted after its client transaction ended: forwarded by its Via (§16.7, RFC 6026). */
  private forwardStrayResponse(res: SipResponse): void {
    if (res.status >= 200 && res.status < 300) forwardResponseByVia(res, this.forwarding);
  }
}

function isDialogCreating(method: string): boolean {
  return method === 'INVITE' || method === 'SUBSCRIBE' || method === 'REFER' || method === 'NOTIFY';
}

/** Creates a {@link SipProxy} serving on the given transports. */
export function createProxy(o: ProxyOptions): SipProxy {
  return new SipProxy(o);
}

import type { DtlsEngine, DtlsEvent } from '../src/index.js';

/** Drains an engine: datagrams, events and the deadline. */
export function drain(e: DtlsEngine): { datagrams: Uint8Array[]; events: DtlsEvent[]; deadline: number | null } {
  const datagrams: Uint8Array[] = [];
  const events: DtlsEvent[] = [];
  for (let i = 0; i < 10_000; i++) {
    const o = e.pollOutput();
    if (o.kind === 'deadline') return { datagrams, events, deadline: o.at };
    if (o.kind === 'datagram') datagrams.push(o.data);
    else events.push(o.event);
  }
  throw new Error('engine never returned a deadline');
}

/** Deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface NetOptions {
  loss?: number;
  duplicate?: number;
  reorder?: number;
  seed?: number;
  /** Rewrites (or drops, by returning undefined) a datagram in flight. */
  mitm?: (from: 'client' | 'server', d: Uint8Array) => Uint8Array | undefined;
  maxTimeMs?: number;
}

export interface NetResult {
  clientEvents: DtlsEvent[];
  serverEvents: DtlsEvent[];
  timeMs: number;
  /** Simulated time at which each side reported `connected` (undefined: never). */
  connectedAt: { client?: number; server?: number };
}

/**
 * Joins a client and a server over a simulated network on a manual clock: each datagram takes 1–20 ms, and may be
 * lost, duplicated or delayed past its successors. Runs until both sides are connected/failed or time runs out.
 */
export function runNet(client: DtlsEngine, server: DtlsEngine, o: NetOptions = {}): NetResult {
  const rand = rng(o.seed ?? 1);
  let now = 0;
  const queue: { at: number; to: 'client' | 'server'; data: Uint8Array; order: number }[] = [];
  let order = 0;
  const clientEvents: DtlsEvent[] = [];
  const serverEvents: DtlsEvent[] = [];
  const deadlines = { client: null as number | null, server: null as number | null };
  const send = (from: 'client' | 'server', d0: Uint8Array) => {
    const d = o.mitm ? o.mitm(from, d0) : d0;
    if (!d) return;
    if (rand() < (o.loss ?? 0)) return;
    const copies = rand() < (o.duplicate ?? 0) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const delay = 1 + Math.floor(rand() * 19) + (rand() < (o.reorder ?? 0) ? 30 + Math.floor(rand() * 200) : 0);
      queue.push({ at: now + delay, to: from === 'client' ? 'server' : 'client', data: d.slice(), order: order++ });
    }
  };
  const connectedAt: NetResult['connectedAt'] = {};
  const pump = (side: 'client' | 'server') => {
    const e = side === 'client' ? client : server;
    const r = drain(e);
    if (connectedAt[side] === undefined && r.events.some((x) => x.type === 'connected')) connectedAt[side] = now;
    for (const d of r.datagrams) send(side, d);
    (side === 'client' ? clientEvents : serverEvents).push(...r.events);
    deadlines[side] = r.deadline;
  };
  client.start(now);
  pump('client');
  const done = (ev: DtlsEvent[]) => ev.some((x) => x.type === 'connected' || x.type === 'error');
  const maxT = o.maxTimeMs ?? 120_000;
  for (let steps = 0; steps < 100_000 && now <= maxT; steps++) {
    if (done(clientEvents) && done(serverEvents) && queue.length === 0) break;
    queue.sort((a, b) => a.at - b.at || a.order - b.order);
    const nextQ = queue[0]?.at ?? Number.POSITIVE_INFINITY;
    const dl = Math.min(deadlines.client ?? Number.POSITIVE_INFINITY, deadlines.server ?? Number.POSITIVE_INFINITY);
    const next = Math.min(nextQ, dl);
    if (next === Number.POSITIVE_INFINITY) break;
    now = Math.max(now, next);
    if (nextQ <= dl) {
      const m = queue.shift()!;
      const e = m.to === 'client' ? client : server;
      e.handleInput(m.data, now);
      pump(m.to);
    } else {
      if ((deadlines.client ?? Number.POSITIVE_INFINITY) <= now) {
        client.handleTimeout(now);
        pump('client');
      }
      if ((deadlines.server ?? Number.POSITIVE_INFINITY) <= now) {
        server.handleTimeout(now);
        pump('server');
      }
    }
  }
  return { clientEvents, serverEvents, timeMs: now, connectedAt };
}

/** Returns the `connected` event's info or throws with the error events. */
export function connectedInfo(events: DtlsEvent[]) {
  const c = events.find((e) => e.type === 'connected');
  if (c && c.type === 'connected') return c.info;
  const err = events.find((e) => e.type === 'error');
  throw new Error(
    `not connected: ${err && err.type === 'error' ? `${err.error.message} (${err.error.alertName})` : 'no event'}`,
  );
}

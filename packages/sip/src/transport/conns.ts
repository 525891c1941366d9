import { type Peer, SipTransportError, type TransportStats } from './transport.js';

/** One connection as the connection-oriented transports track it. */
export interface TrackedConn {
  readonly id: string;
  readonly peer: Peer;
}

/**
 * The open connections of a connection-oriented transport (TCP, TLS, WS, WSS), keyed by flow id and by
 * remote address for reuse (RFC 3261 §18, RFC 5923 style); keeps `stats.connections` current.
 * Internal to the transports.
 */
export class ConnTable<C extends TrackedConn> {
  private readonly conns = new Map<string, C>();
  private readonly byPeer = new Map<string, string>();
  private readonly stats: TransportStats;

  constructor(stats: TransportStats) {
    this.stats = stats;
  }

  /** Number of open connections. */
  get size(): number {
    return this.conns.size;
  }

  /** Registers a new connection (also as the one to reuse for its remote address). */
  add(conn: C): void {
    this.conns.set(conn.id, conn);
    this.byPeer.set(`${conn.peer.address}:${conn.peer.port}`, conn.id);
    this.stats.connections = this.conns.size;
  }

  /** Makes `conn` the connection to reuse for `dest`. */
  bindPeer(dest: Peer, conn: C): void {
    this.byPeer.set(`${dest.address}:${dest.port}`, conn.id);
  }

  /** Forgets a connection (idempotent). */
  drop(conn: C): void {
    if (this.conns.get(conn.id) !== conn) return;
    this.conns.delete(conn.id);
    const k = `${conn.peer.address}:${conn.peer.port}`;
    if (this.byPeer.get(k) === conn.id) this.byPeer.delete(k);
    this.stats.connections = this.conns.size;
  }

  /** The connection of `flow` when open, else the one to `dest`, else undefined. */
  find(dest: Peer, flow: string | undefined): C | undefined {
    const conn = flow !== undefined ? this.conns.get(flow) : undefined;
    if (conn) return conn;
    const id = this.byPeer.get(`${dest.address}:${dest.port}`);
    return id !== undefined ? this.conns.get(id) : undefined;
  }

  /** The open connections. */
  values(): IterableIterator<C> {
    return this.conns.values();
  }

  /** Forgets every connection (the caller closes them first). */
  clear(): void {
    this.conns.clear();
    this.byPeer.clear();
  }
}

/** Counts a failed send and returns the error to throw (a {@link SipTransportError}). */
export function sendFailure(stats: TransportStats, e: unknown): SipTransportError {
  stats.sendErrors++;
  return e instanceof SipTransportError ? e : new SipTransportError('send', (e as Error).message);
}

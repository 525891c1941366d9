/**
 * Multi-core `mdh echo --workers N` and `mdh proxy --workers N`: one `node:cluster` worker process per core,
 * each with its own event loop and its own UserAgent (or proxy), all serving the one listening SIP port.
 *
 * How datagrams reach the worker that owns their state (see docs/scaling.md):
 * - Node 20's dgram has no SO_REUSEPORT, and a UDP socket bound in cluster workers without `exclusive` is
 *   ONE socket created by the primary and shared by every worker: whichever worker's loop reads first gets
 *   the datagram. ACKs, BYEs and retransmissions of a call would then land on a worker with no
 *   transaction or dialog for them.
 * - So every worker reads the shared socket, hashes the Call-ID (RFC 3261 §8.1.1.4: the same for every
 *   request and response of a dialog and of its transactions) onto a worker index, handles the datagram
 *   if it is the owner, else forwards it — with its source address — to the owner's private loopback
 *   socket. The owner answers from the shared socket itself, so responses leave from the port the request
 *   reached (RFC 3581 §4).
 * - Each worker also binds a port of its own and advertises it in Contact and Via: in-dialog requests
 *   (ACK, re-INVITE, BYE: sent to the remote target, RFC 3261 §12.2.1.1) and responses to the worker's own
 *   requests reach it directly, without a second hop. Only new requests (and their retransmissions and
 *   CANCEL) use the shared port and the Call-ID routing.
 * - The primary reads nothing: it forks, tells workers each other's forwarding ports, restarts a dead
 *   worker and ends all of them on SIGINT/SIGTERM.
 * - TCP/TLS/WS: every worker accepts connections on the shared listening socket (`SCHED_NONE`: the kernel
 *   wakes one; no per-connection IPC through the primary); every message of a connection is handled by the
 *   worker that accepted it.
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { createUdpSocket, type UdpSocket } from '@mdh/loop';
import {
  type InboundPacket,
  listenTransport,
  type Peer,
  type SipTransport,
  type TransportProtocol,
  type TransportStats,
  UdpTransport,
} from '@mdh/sip';
import type { EchoOptions, EchoServer, EchoTotals } from './commands/echo.js';

/** Most workers accepted by `--workers`. */
export const MAX_WORKERS = 64;

/** Parses the value of `--workers` (`true` or `auto` for one per core). */
export function workerCount(arg: string | true): number {
  if (arg === true || arg === 'auto') return availableParallelism();
  const n = Number(arg);
  if (!Number.isInteger(n) || n < 1 || n > MAX_WORKERS)
    throw new Error(`bad --workers '${arg}' (1..${MAX_WORKERS} or auto)`);
  return n;
}

/**
 * The worker index (0..n-1) owning a SIP message: FNV-1a of its Call-ID value modulo `n`; undefined when the
 * message has no Call-ID header (such a message is handled where it arrived: the stack rejects it).
 * Scans only the header section (up to the empty line), header names case-insensitively, compact form `i`
 * included (RFC 3261 §7.3.3).
 */
export function ownerOf(data: Uint8Array, n: number): number | undefined {
  const len = data.length;
  let i = 0;
  // skip the start line
  while (i < len && data[i] !== 10) i++;
  i++;
  while (i < len) {
    const c = data[i]!;
    if (c === 13 || c === 10) return undefined; // end of the headers
    let j = i;
    while (j < len && data[j] !== 58 && data[j] !== 10) j++;
    if (j < len && data[j] === 58) {
      let e = j;
      while (e > i && (data[e - 1] === 32 || data[e - 1] === 9)) e--;
      if (isCallIdName(data, i, e)) {
        let s = j + 1;
        while (s < len && (data[s] === 32 || data[s] === 9)) s++;
        let t = s;
        while (t < len && data[t] !== 13 && data[t] !== 10) t++;
        while (t > s && (data[t - 1] === 32 || data[t - 1] === 9)) t--;
        if (t === s) return undefined;
        let h = 0x811c9dc5;
        for (let k = s; k < t; k++) h = Math.imul(h ^ data[k]!, 0x01000193);
        return (h >>> 0) % n;
      }
    }
    while (j < len && data[j] !== 10) j++;
    i = j + 1;
  }
  return undefined;
}

const CALL_ID = [99, 97, 108, 108, 45, 105, 100]; // "call-id"

function isCallIdName(d: Uint8Array, s: number, e: number): boolean {
  if (e - s === 1) return (d[s]! | 0x20) === 105; // "i"
  if (e - s !== 7) return false;
  for (let k = 0; k < 7; k++) if ((d[s + k]! | 0x20) !== CALL_ID[k]) return false;
  return true;
}

/** Counters of a worker's shared UDP transport. */
export interface ForwardStats {
  /** Datagrams read here but owned by another worker, passed on. */
  forwardedOut: number;
  /** Datagrams another worker passed to this one. */
  forwardedIn: number;
  /** Forwarding frames refused (unknown sender, malformed, too large). */
  dropped: number;
  /** Datagrams that reached this worker's own port directly (in-dialog requests, responses). */
  direct: number;
}

const FRAME_MAGIC = 0x4d; // 'M'
/** `flow` of datagrams that came in on a worker's own port. */
const OWN = 'own';
/** Largest datagram that still fits in a forwarding frame (65,507 minus the frame header). */
const MAX_FORWARD = 65_507 - 64;

/**
 * The SIP UDP transport of a cluster worker: the shared listening socket; the worker's own SIP socket (on
 * the same address, advertised in Contact and Via); and a private loopback socket on which the other
 * workers pass on datagrams this worker owns (see the module comment). Until the primary has sent the
 * other workers' forwarding ports, every datagram read is handled where it was read.
 */
export class WorkerUdpTransport implements SipTransport {
  readonly protocol = 'udp' as const;
  readonly reliable = false;
  readonly secure = false;
  readonly forward: ForwardStats = { forwardedOut: 0, forwardedIn: 0, dropped: 0, direct: 0 };
  private cb: ((p: InboundPacket) => void) | undefined;
  /** Forwarding port of each worker index (0 = not known yet). */
  private peers: number[];
  private readonly peerSet = new Set<number>();

  private constructor(
    private readonly inner: UdpTransport,
    private readonly own: UdpTransport,
    private readonly fwd: UdpSocket,
    private readonly index: number,
    private readonly count: number,
  ) {
    this.peers = new Array<number>(count).fill(0);
    // In-dialog requests come straight here: our Contact (and Via) name this worker's own port.
    own.onPacket((p) => {
      this.forward.direct++;
      this.cb?.({ ...p, transport: this, flow: OWN });
    });
    inner.onPacket((p) => {
      const o = ownerOf(p.data, this.count);
      const to = o === undefined || o === this.index ? 0 : this.peers[o]!;
      if (to === 0 || p.data.length > MAX_FORWARD) {
        this.cb?.({ ...p, transport: this });
        return;
      }
      this.forward.forwardedOut++;
      try {
        this.fwd.send(frame(p.data, p.source), to, '127.0.0.1');
      } catch {
        this.forward.dropped++;
      }
    });
    fwd.onMessage((m) => {
      // Only the other workers' forwarding sockets may inject datagrams (principle 6).
      if (m.address !== '127.0.0.1' || !this.peerSet.has(m.port)) {
        this.forward.dropped++;
        return;
      }
      const p = unframe(m.data);
      if (!p) {
        this.forward.dropped++;
        return;
      }
      this.forward.forwardedIn++;
      this.inner.stats.received++;
      this.cb?.({ data: p.data, source: p.source, transport: this });
    });
  }

  /** Binds the shared SIP socket (`host:port`, shared by all workers), this worker's own and its forwarding socket. */
  static async listen(host: string, port: number, index: number, count: number): Promise<WorkerUdpTransport> {
    const inner = await UdpTransport.listen({ host, port, clusterShared: true });
    let own: UdpTransport | undefined;
    let fwd: UdpSocket;
    try {
      own = await UdpTransport.listen({ host, port: 0 });
      fwd = await createUdpSocket({ type: 'udp4', address: '127.0.0.1', port: 0, recvBufferSize: 1 << 20 });
    } catch (e) {
      await Promise.all([inner.close(), own?.close()]);
      throw e;
    }
    return new WorkerUdpTransport(inner, own, fwd, index, count);
  }

  /** This worker's forwarding port (loopback). */
  get forwardPort(): number {
    return this.fwd.port;
  }

  /** Sets the forwarding ports of all workers (by index; 0 = unknown: such datagrams are handled here). */
  setPeers(ports: readonly number[]): void {
    this.peers = Array.from({ length: this.count }, (_, i) => (i === this.index ? 0 : (ports[i] ?? 0)));
    this.peerSet.clear();
    for (const p of this.peers) if (p !== 0) this.peerSet.add(p);
  }

  get stats(): TransportStats {
    return this.inner.stats;
  }
  get localAddress(): string {
    return this.inner.localAddress;
  }
  /**
   * The port this worker advertises in Via and Contact: its own, so that responses to its requests and the
   * in-dialog requests of its dialogs (sent to our Contact, RFC 3261 §12.2.1.1) reach it without routing.
   */
  get localPort(): number {
    return this.own.localPort;
  }
  /** The shared listening port (the one new requests are sent to). */
  get sharedPort(): number {
    return this.inner.localPort;
  }
  /**
   * Sends a datagram: a response to a request that came in on our own port leaves from it, everything else
   * from the shared socket (a response leaves from the port its request reached, RFC 3581 §4).
   */
  send(data: Uint8Array, dest: Peer, flow?: string): Promise<void> {
    return flow === OWN ? this.own.send(data, dest) : this.inner.send(data, dest);
  }
  /** Fire-and-forget {@link send}. */
  post(data: Uint8Array, dest: Peer, flow: string | undefined, onError: () => void): void {
    if (flow === OWN) this.own.post(data, dest, flow, onError);
    else this.inner.post(data, dest, flow, onError);
  }
  /** Sets the receiver of the datagrams this worker owns. */
  onPacket(cb: (p: InboundPacket) => void): void {
    this.cb = cb;
  }
  /** Closes both sockets. */
  async close(): Promise<void> {
    await Promise.all([this.inner.close(), this.own.close(), this.fwd.close()]);
  }
}

/** Frame: 'M', port (2 bytes), address length (1 byte), address (ASCII), datagram. */
function frame(data: Uint8Array, src: Peer): Uint8Array {
  const a = Buffer.from(src.address, 'latin1');
  const out = Buffer.allocUnsafe(4 + a.length + data.length);
  out[0] = FRAME_MAGIC;
  out.writeUInt16BE(src.port, 1);
  out[3] = a.length;
  a.copy(out, 4);
  out.set(data, 4 + a.length);
  return out;
}

function unframe(f: Uint8Array): { data: Uint8Array; source: Peer } | undefined {
  if (f.length < 5 || f[0] !== FRAME_MAGIC) return undefined;
  const port = (f[1]! << 8) | f[2]!;
  const al = f[3]!;
  if (al === 0 || al > 45 || f.length <= 4 + al) return undefined;
  const address = Buffer.from(f.buffer, f.byteOffset + 4, al).toString('latin1');
  return { data: f.subarray(4 + al), source: { address, port } };
}

/** Messages between the primary and the workers (IPC). */
type ToPrimary<T> =
  | { mdh: 'forward-port'; index: number; port: number }
  | { mdh: 'listening'; index: number; host: string; port: number }
  | { mdh: 'totals'; index: number; totals: T; forward: ForwardStats };
type ToWorker = { mdh: 'peers'; ports: number[] };

/** What one worker did, as the primary prints it at exit. */
export interface WorkerTotals {
  answered: number;
  forwardedIn: number;
  forwardedOut: number;
  direct: number;
}

/** How `mdh echo` prints (shared by the single-process and the cluster modes). */
export interface EchoPrinter {
  listening(transport: TransportProtocol, host: string, port: number, workers: number): void;
  totals(t: EchoTotals, perWorker?: WorkerTotals[]): void;
}

/** The server one worker runs (an echo user agent, a proxy): where it listens, its counters, how it stops. */
export interface ClusterServer<T> {
  /** Address it serves on. */
  readonly host: string;
  /** Port it serves on. */
  readonly port: number;
  /** Its counters, sent to the primary when the worker ends. */
  totals(): T;
  /** Stops it (closes its transports). */
  stop(): Promise<void>;
}

/** What a command runs in cluster mode (`--workers N`): the same server in every worker. */
export interface ClusterApp<T> {
  /** Command name for messages (`mdh echo`). */
  name: string;
  /** Transport and address every worker shares. */
  protocol: TransportProtocol;
  host: string;
  port: number;
  /** TLS identity for a TLS/WSS listener. */
  tls?: { cert: string; key: string };
  /**
   * Starts the server of one worker on its transport; `shared` is the worker's UDP transport (undefined on
   * stream transports), whose {@link WorkerUdpTransport.sharedPort} is the port everyone sends new requests to.
   */
  start(transport: SipTransport, shared: WorkerUdpTransport | undefined): Promise<ClusterServer<T>>;
  /** Called in the primary once every worker listens. */
  listening(host: string, port: number, workers: number): void;
  /** Called in the primary at exit with each worker's last counters (undefined for a worker that sent none). */
  totals(perWorker: ({ totals: T; forward: ForwardStats } | undefined)[]): void;
}

/**
 * `--workers N`: in the primary, forks N workers (each re-runs the same command line) and returns the exit
 * code once they are all gone; in a worker, runs the app's server on the shared port (see the module comment
 * for how datagrams reach the worker that owns their Call-ID).
 */
export async function runCluster<T>(count: number, app: ClusterApp<T>): Promise<number> {
  if (cluster.isPrimary) return runPrimary(count, app);
  try {
    return await runWorker(count, app);
  } catch (e) {
    // e.g. the port is taken: the open IPC channel would keep this worker alive; let it exit
    process.disconnect?.();
    throw e;
  }
}

/**
 * `mdh echo --workers N`: in the primary, forks N workers (each re-runs the same command line) and returns
 * the exit code once they are all gone; in a worker, runs one echo server on the shared port.
 */
export function runEchoCluster(
  count: number,
  protocol: TransportProtocol,
  opts: EchoOptions,
  start: (o: EchoOptions) => Promise<EchoServer>,
  print: EchoPrinter,
): Promise<number> {
  return runCluster<EchoTotals>(count, {
    name: 'mdh echo',
    protocol,
    host: opts.host ?? '127.0.0.1',
    port: opts.port ?? 5060,
    ...(opts.tls ? { tls: opts.tls } : {}),
    start: async (sipTransport) => {
      const server = await start({ ...opts, sipTransport });
      return { host: server.host, port: server.port, totals: () => server.totals, stop: () => server.stop() };
    },
    listening: (host, port, n) => print.listening(protocol, host, port, n),
    totals: (per) => {
      const sum: EchoTotals = { calls: 0, answered: 0, rejected: 0, failed: 0, registrations: 0, packetsEchoed: 0 };
      for (const t of per) {
        if (!t) continue;
        for (const k of Object.keys(sum) as (keyof EchoTotals)[]) sum[k] += t.totals[k];
      }
      print.totals(
        sum,
        per.map((t) => ({
          answered: t?.totals.answered ?? 0,
          forwardedIn: t?.forward.forwardedIn ?? 0,
          forwardedOut: t?.forward.forwardedOut ?? 0,
          direct: t?.forward.direct ?? 0,
        })),
      );
    },
  });
}

async function runWorker<T>(count: number, app: ClusterApp<T>): Promise<number> {
  const index = Number(process.env.MDH_WORKER_INDEX ?? 0);
  const send = (m: ToPrimary<T>) => {
    if (process.connected) process.send?.(m);
  };
  let shared: WorkerUdpTransport | undefined;
  let sipTransport: SipTransport;
  let peers: number[] = [];
  process.on('message', (m: ToWorker) => {
    if (m?.mdh !== 'peers' || !Array.isArray(m.ports)) return;
    peers = m.ports.map((p) => Number(p) | 0);
    shared?.setPeers(peers);
  });
  if (app.protocol === 'udp') {
    shared = await WorkerUdpTransport.listen(app.host, app.port, index, count);
    shared.setPeers(peers);
    sipTransport = shared;
    send({ mdh: 'forward-port', index, port: shared.forwardPort });
  } else {
    // Stream listeners are shared by cluster itself (every worker accepts on the one socket, see runPrimary).
    sipTransport = await listenTransport(app.protocol, {
      host: app.host,
      port: app.port,
      ...(app.tls ? { tls: app.tls } : {}),
    });
  }
  const server = await app.start(sipTransport, shared);
  send({ mdh: 'listening', index, host: server.host, port: shared?.sharedPort ?? server.port });
  await new Promise<void>((resolve) => {
    const done = () => resolve();
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    process.once('disconnect', done); // the primary is gone
  });
  const totals = server.totals();
  await server.stop();
  send({
    mdh: 'totals',
    index,
    totals,
    forward: shared?.forward ?? { forwardedIn: 0, forwardedOut: 0, dropped: 0, direct: 0 },
  });
  // let the IPC message leave before the worker exits
  await new Promise<void>((r) => setTimeout(r, 50).unref());
  process.disconnect?.();
  return 0;
}

async function runPrimary<T>(count: number, app: ClusterApp<T>): Promise<number> {
  const ports = new Array<number>(count).fill(0);
  const workers = new Array<Worker | undefined>(count);
  const totals = new Array<{ totals: T; forward: ForwardStats } | undefined>(count);
  const listening = new Set<number>();
  let stopping = false;
  let restarts = 0;
  let shown = false;
  const broadcast = () => {
    for (const w of workers) if (w?.isConnected()) w.send({ mdh: 'peers', ports } satisfies ToWorker);
  };
  const fork = (index: number) => {
    const w = cluster.fork({ MDH_WORKER_INDEX: String(index), MDH_WORKERS: String(count) });
    workers[index] = w;
    w.on('message', (m: ToPrimary<T>) => {
      if (!m || typeof m !== 'object' || m.index !== index) return;
      if (m.mdh === 'forward-port') {
        ports[index] = m.port;
        broadcast();
      } else if (m.mdh === 'listening') {
        listening.add(index);
        if (!shown && listening.size === count) {
          shown = true;
          app.listening(m.host, m.port, count);
        }
      } else if (m.mdh === 'totals') totals[index] = { totals: m.totals, forward: m.forward };
    });
    w.on('exit', () => {
      if (workers[index] === w) workers[index] = undefined;
      if (ports[index] !== 0) {
        ports[index] = 0;
        broadcast();
      }
      // A worker that died on its own is replaced (its calls are lost); bounded so a crash loop ends.
      if (!stopping && restarts < 10) {
        restarts++;
        fork(index);
      } else if (!stopping && workers.every((x) => x === undefined)) {
        failed = true;
        giveUp();
      }
    });
  };
  let failed = false;
  let giveUp = () => {};
  // Stream listeners: every worker accepts on the shared listening socket itself (SCHED_NONE) instead of the
  // primary accepting each connection and passing its handle over IPC (cluster's round-robin default). With a
  // connection per call (sipp -t tn) that IPC hop cost ≈ 0.3 ms of CPU per call (docs/scaling.md).
  // NODE_CLUSTER_SCHED_POLICY, when set, wins.
  if (app.protocol !== 'udp' && process.env.NODE_CLUSTER_SCHED_POLICY === undefined)
    cluster.schedulingPolicy = cluster.SCHED_NONE;
  for (let i = 0; i < count; i++) fork(i);
  await new Promise<void>((resolve) => {
    giveUp = resolve;
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  if (failed) {
    process.stderr.write(`${app.name}: every worker failed (restarted 10 times); giving up\n`);
    return 1;
  }
  stopping = true;
  const alive = workers.filter((w): w is Worker => w !== undefined && !w.isDead());
  for (const w of alive) w.process.kill('SIGTERM');
  // Bounded: workers get 5 s to close their transports, then they are killed.
  await Promise.race([
    Promise.all(alive.map((w) => new Promise<void>((r) => (w.isDead() ? r() : w.once('exit', () => r()))))),
    new Promise<void>((r) => setTimeout(r, 5000).unref()),
  ]);
  for (const w of alive) if (!w.isDead()) w.process.kill('SIGKILL');
  app.totals(totals);
  return 0;
}

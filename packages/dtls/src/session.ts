import { createLoop, type Loop, type TimerId } from '@mdh/loop';
import type { SrtpProfile } from '@mdh/srtp';
import { type DtlsConnectionInfo, DtlsEngine, type DtlsEngineOptions } from './engine.js';
import { type DtlsError, DtlsUsageError } from './errors.js';

/** Options of a {@link DtlsSession}: the engine options plus the loop that supplies time and timers. */
export interface DtlsSessionOptions extends DtlsEngineOptions {
  /** Event loop (default: a new loop on the system clock). */
  loop?: Loop;
}

/**
 * Runs a {@link DtlsEngine} over any datagram transport given as `send(bytes)` — a UDP socket, an ICE
 * candidate pair, a test pipe. Feed received DTLS packets to {@link handleDatagram} (use @mdh/media's `classifyPacket` to
 * demultiplex a shared port, RFC 7983). Timers come from an @mdh/loop Loop.
 *
 * ```ts
 * const s = new DtlsSession({ role: 'client', certificate }, (d) => sock.send(d, port, host));
 * sock.onMessage((m) => s.handleDatagram(m.data));
 * const info = await s.start();
 * ```
 */
export class DtlsSession {
  /** The engine (for its stats and exporter). */
  readonly engine: DtlsEngine;
  private readonly loop: Loop;
  private timer: TimerId | undefined;
  private timerAt: number | null = null;
  private dataCbs: ((d: Uint8Array) => void)[] = [];
  /** Application data that arrived before any onData listener (delivered to the first one; at most 64). */
  private unread: Uint8Array[] = [];
  private closeCbs: ((err?: DtlsError) => void)[] = [];
  private peerCertCbs: ((chain: Uint8Array[], fingerprint: string) => void)[] = [];
  private readyResolve!: (i: DtlsConnectionInfo) => void;
  private readyReject!: (e: Error) => void;
  private started = false;
  private ended = false;
  /** Resolves when the handshake completes; rejects with the DtlsError that ended it. */
  readonly ready: Promise<DtlsConnectionInfo>;

  constructor(
    options: DtlsSessionOptions,
    private readonly sendFn: (datagram: Uint8Array) => void,
  ) {
    const { loop, ...engineOpts } = options;
    this.loop = loop ?? createLoop();
    this.engine = new DtlsEngine(engineOpts);
    this.ready = new Promise((res, rej) => {
      this.readyResolve = res;
      this.readyReject = rej;
    });
    this.ready.catch(() => {});
    // A server session waits for its client from now on: its handshake deadline runs from construction.
    if (this.engine.role === 'server') this.start();
  }

  /**
   * Starts the handshake (a client sends its ClientHello; a server session starts by itself when constructed) and
   * resolves when it completes.
   */
  start(): Promise<DtlsConnectionInfo> {
    if (!this.started) {
      this.started = true;
      this.engine.start(this.loop.now());
      this.flush();
    }
    return this.ready;
  }

  /** Feeds a received DTLS datagram. */
  handleDatagram(datagram: Uint8Array): void {
    if (this.ended) return;
    this.started = true;
    this.engine.handleInput(datagram, this.loop.now());
    this.flush();
  }

  /** Sends application data over the association. */
  send(data: Uint8Array): void {
    this.engine.send(data);
    this.flush();
  }

  /** Receives application data (data that arrived before the first listener is handed to it first). */
  onData(cb: (data: Uint8Array) => void): void {
    this.dataCbs.push(cb);
    const pending = this.unread;
    this.unread = [];
    for (const d of pending) cb(d);
  }

  /** Called once when the association ends (err set on failure). */
  onClose(cb: (err?: DtlsError) => void): void {
    this.closeCbs.push(cb);
  }

  /** Called with the peer's verified certificate chain and its sha-256 fingerprint. */
  onPeerCertificate(cb: (chain: Uint8Array[], fingerprint: string) => void): void {
    this.peerCertCbs.push(cb);
  }

  /** RFC 5705 exporter (see {@link DtlsEngine.exportKeyingMaterial}). */
  exportKeyingMaterial(label: string, length: number, context?: Uint8Array): Uint8Array {
    return this.engine.exportKeyingMaterial(label, length, context);
  }

  /** DTLS-SRTP keying material (see {@link DtlsEngine.srtpKeyingMaterial}). */
  srtpKeyingMaterial(): { profile: SrtpProfile; material: Uint8Array } | undefined {
    return this.engine.srtpKeyingMaterial();
  }

  /** Sends close_notify and stops the timers. */
  close(): void {
    if (this.ended) return;
    this.engine.close();
    this.flush();
  }

  private flush(): void {
    for (let i = 0; i < 100_000; i++) {
      const o = this.engine.pollOutput();
      if (o.kind === 'datagram') {
        this.sendFn(o.data);
        continue;
      }
      if (o.kind === 'event') {
        const ev = o.event;
        switch (ev.type) {
          case 'connected':
            this.readyResolve(ev.info);
            break;
          case 'peerCertificate':
            for (const cb of this.peerCertCbs) cb(ev.chain, ev.fingerprint);
            break;
          case 'applicationData':
            if (this.dataCbs.length === 0) {
              if (this.unread.length < 64) this.unread.push(ev.data);
            } else for (const cb of this.dataCbs) cb(ev.data);
            break;
          case 'closed':
            this.end(undefined);
            break;
          case 'error':
            this.end(ev.error);
            break;
        }
        continue;
      }
      this.arm(o.at);
      return;
    }
    throw new DtlsUsageError('DTLS engine produced unbounded output');
  }

  private end(err: DtlsError | undefined): void {
    if (this.ended) return;
    this.ended = true;
    if (err) this.readyReject(err);
    else this.readyReject(new DtlsUsageError('association closed before the handshake completed'));
    this.arm(null);
    for (const cb of this.closeCbs) cb(err);
  }

  private arm(at: number | null): void {
    if (at === this.timerAt) return;
    if (this.timer !== undefined) this.loop.cancel(this.timer);
    this.timer = undefined;
    this.timerAt = at;
    if (at === null || this.ended) return;
    this.timer = this.loop.after(Math.max(0, at - this.loop.now()), () => {
      this.timer = undefined;
      this.timerAt = null;
      this.engine.handleTimeout(this.loop.now());
      this.flush();
    });
  }
}

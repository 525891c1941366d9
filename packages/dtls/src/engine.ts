import type { SrtpProfile } from '@mdh/srtp';
import { AlertDescription, AlertLevel, ContentType } from './constants.js';
import { DtlsServerFlights } from './engine-server.js';
import {
  DEFAULT_MAX_RETRANSMIT_MS,
  type DtlsConnectionInfo,
  type DtlsEngineOptions,
  type DtlsOutput,
  RESERVED_EXPORTER_LABELS,
} from './engine-types.js';
import { DtlsError, DtlsUsageError } from './errors.js';
import { exportKeyingMaterial } from './prf.js';
import { MAX_PLAINTEXT, parseRecords } from './record.js';

export {
  DEFAULT_INITIAL_RETRANSMIT_MS,
  DEFAULT_MAX_RETRANSMIT_MS,
  type DtlsConnectionInfo,
  type DtlsEngineOptions,
  type DtlsEvent,
  type DtlsOutput,
  type DtlsStats,
  suiteHash,
} from './engine-types.js';

/**
 * A sans-I/O DTLS 1.2 endpoint (RFC 6347) for one association. Feed it datagrams with `handleInput`, the time with
 * `handleTimeout`, and drain `pollOutput` until it returns a deadline.
 *
 * ```ts
 * const client = new DtlsEngine({ role: 'client', certificate: generateCertificate() });
 * client.start(now);
 * for (let o = client.pollOutput(); o.kind !== 'deadline'; o = client.pollOutput()) { … }
 * ```
 */
export class DtlsEngine extends DtlsServerFlights {
  /**
   * A new association; the options are checked here (DtlsUsageError on a bad one). The engine is split along its
   * seams: the record layer (engine-records.ts), flights and reassembly (engine-flights.ts), the client's flights
   * (engine-client.ts) and the server's (engine-server.ts); this class is the public API.
   */
  constructor(opts: DtlsEngineOptions) {
    super(opts);
  }
  /** True once the handshake completed and until the association closes. */
  get connected(): boolean {
    return this.state === 'connected';
  }

  /** The ClientHello random of this handshake (a public value; all zero before it is known). */
  get clientHelloRandom(): Uint8Array {
    return this.clientRandom.slice();
  }

  /** Parameters of the established association (undefined before `connected`). */
  get info(): DtlsConnectionInfo | undefined {
    return this.connectedInfo;
  }
  /** Client: sends the first ClientHello. Server: arms the handshake deadline. Call once. */
  start(now: number): void {
    if (this.state !== 'idle') throw new DtlsUsageError('start() may be called once');
    this.state = 'handshake';
    this.handshakeDeadline = now + (this.opts.handshakeTimeoutMs ?? 60_000);
    if (this.role === 'client') {
      this.clientRandom = this.random(32);
      this.sendClientHello(now);
    }
  }

  /** Feeds one received datagram. Never throws on peer input: problems become counters or an `error` event. */
  handleInput(datagram: Uint8Array, now: number): void {
    if (this.state === 'closed' || this.state === 'failed') return;
    if (this.state === 'idle') {
      if (this.role === 'client') return;
      this.start(now);
    }
    this.stats.datagramsIn++;
    this.retransmitRequested = false;
    try {
      const { records, malformed } = parseRecords(datagram);
      if (malformed) this.stats.malformed++;
      for (const rec of records) {
        if (this.isDead()) break;
        try {
          this.processRecord(rec, now);
        } catch (e) {
          // Principle 6 / RFC 6347 §4.1.2.7: nothing unauthenticated ends an established association. The paths
          // below drop such input explicitly; this keeps any that was missed from becoming fatal.
          if (this.state === 'connected' && rec.epoch === 0 && e instanceof DtlsError) {
            this.stats.malformed++;
            continue;
          }
          throw e;
        }
      }
      if (this.retransmitRequested && this.flight.length > 0 && !this.isDead()) {
        this.retransmitRequested = false;
        if (now - this.lastFlightSentAt >= Math.min(250, this.rto / 4)) {
          this.stats.retransmits++;
          // RFC 6347 §4.2.4: once connected our flight is the last one: resent on request, never on a timer
          this.sendFlight(now, this.state !== 'connected');
        }
      }
    } catch (e) {
      this.fail(e instanceof DtlsError ? e : new DtlsError(`internal error: ${(e as Error).message}`), now);
    }
  }

  /** Tells the engine the time: retransmits a flight (doubling the timeout, RFC 6347 §4.2.4.1) or gives up. */
  handleTimeout(now: number): void {
    if (this.state !== 'handshake' && this.state !== 'connected') return;
    if (this.handshakeDeadline !== null && now >= this.handshakeDeadline && this.state === 'handshake') {
      const e = new DtlsError('handshake timed out', AlertDescription.handshakeFailure);
      this.state = 'failed';
      this.retransmitAt = null;
      this.handshakeDeadline = null;
      this.emit({ type: 'error', error: e });
      return;
    }
    if (this.retransmitAt !== null && now >= this.retransmitAt && this.flight.length > 0) {
      this.rto = Math.min(this.rto * 2, this.opts.maxRetransmitMs ?? DEFAULT_MAX_RETRANSMIT_MS);
      // RFC 6347 §4.1.1.1: when retransmissions get no answer, the path MTU may be smaller than assumed; after two
      // silent timeouts, fragment to at most 576 octets (the IPv4 minimum reassembly size).
      if (++this.flightTimeouts >= 2 && this.sendMtu > 576) this.sendMtu = 576;
      this.stats.retransmits++;
      this.sendFlight(now);
    }
  }

  /** Next output: a datagram, an event, or the next deadline (absolute ms; null = nothing scheduled). */
  pollOutput(): DtlsOutput {
    const o = this.outputs.shift();
    if (o) return o;
    let at: number | null = null;
    if (this.state === 'handshake') {
      at = this.handshakeDeadline;
      if (this.retransmitAt !== null && (at === null || this.retransmitAt < at)) at = this.retransmitAt;
    }
    return { kind: 'deadline', at };
  }

  /** Sends application data (one record, one datagram). Throws DtlsUsageError when not connected or too large. */
  send(data: Uint8Array): void {
    if (this.state !== 'connected' || !this.writeCipher)
      throw new DtlsUsageError('send() before the handshake completed');
    if (data.length > MAX_PLAINTEXT)
      throw new DtlsUsageError(`application data must be at most ${MAX_PLAINTEXT} octets`);
    this.outputs.push({ kind: 'datagram', data: this.sealRecord(ContentType.applicationData, data) });
  }

  /** Sends close_notify (RFC 5246 §7.2.1) and closes the association. */
  close(): void {
    if (this.state === 'closed' || this.state === 'failed') return;
    if (this.state !== 'idle') this.sendAlert(AlertLevel.warning, AlertDescription.closeNotify);
    this.state = 'closed';
    this.retransmitAt = null;
    this.emit({ type: 'closed', byPeer: false });
    this.wipe();
  }

  /**
   * RFC 5705 exporter over the negotiated master secret and PRF hash. `context === undefined` means "no context"
   * (as EXTRACTOR-dtls_srtp requires).
   */
  exportKeyingMaterial(label: string, length: number, context?: Uint8Array): Uint8Array {
    if (!this.master || !this.suite || this.state !== 'connected') {
      throw new DtlsUsageError('exportKeyingMaterial() needs a connected association');
    }
    if (RESERVED_EXPORTER_LABELS.has(label))
      throw new DtlsUsageError(`exporter label '${label}' is reserved (RFC 5705 §4)`);
    if (!Number.isInteger(length) || length < 1 || length > 65535) throw new DtlsUsageError('length must be 1..65535');
    // RFC 5705 §4: the context is prefixed with a uint16 length.
    if (context !== undefined && (!(context instanceof Uint8Array) || context.length > 65535))
      throw new DtlsUsageError('exporter context must be a Uint8Array of at most 65535 octets');
    return exportKeyingMaterial(
      this.suite.hash,
      this.master,
      label,
      this.clientRandom,
      this.serverRandom,
      length,
      context,
    );
  }

  /**
   * DTLS-SRTP keying material (RFC 5764 §4.2): `EXTRACTOR-dtls_srtp`, `2 × (key + salt)` octets laid out as client
   * key, server key, client salt, server salt. Undefined when use_srtp was not negotiated.
   */
  srtpKeyingMaterial(): { profile: SrtpProfile; material: Uint8Array } | undefined {
    if (!this.srtp) return undefined;
    const profile = this.srtp;
    return {
      profile,
      material: this.exportKeyingMaterial('EXTRACTOR-dtls_srtp', profile.keyingMaterialLength),
    };
  }
}

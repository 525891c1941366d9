import { concat } from '@mdh/bytes';
import { fingerprint } from './certificate.js';
import { AlertDescription, AlertLevel, ContentType, HandshakeType } from './constants.js';
import { DtlsRecordLayer } from './engine-records.js';
import {
  DEFAULT_INITIAL_RETRANSMIT_MS,
  type DtlsConnectionInfo,
  FLIGHT5_TYPES,
  MAX_CLIENT_HELLO,
  MAX_CLIENT_HELLO_SEQ,
  MAX_HANDSHAKE_MESSAGE,
  MAX_MESSAGE_LOOKAHEAD,
  parses,
  timingSafe,
} from './engine-types.js';
import { DtlsError } from './errors.js';
import { groupName } from './keyexchange.js';
import { parseCertificate } from './messages/certificate.js';
import { parseCertificateRequest } from './messages/certificate-request.js';
import { parseCertificateVerify } from './messages/certificate-verify.js';
import { parseClientHello } from './messages/client-hello.js';
import { parseClientKeyExchange } from './messages/client-key-exchange.js';
import { parseFinished } from './messages/finished.js';
import {
  HANDSHAKE_HEADER_LENGTH,
  type HandshakeFragment,
  serializeHandshake,
  writeHandshakeHeader,
} from './messages/handshake-header.js';
import { parseHelloVerifyRequest } from './messages/hello-verify-request.js';
import { parseServerHello } from './messages/server-hello.js';
import { parseServerKeyExchange } from './messages/server-key-exchange.js';
import { digest, extendedMasterSecret, finishedVerifyData, keyBlock, masterSecret } from './prf.js';
import { AEAD_OVERHEAD, ChaChaRecordCipher, type DtlsRecord, GcmRecordCipher, RECORD_HEADER_LENGTH } from './record.js';
import { DEFAULT_SIGNATURE_SCHEMES, verifyWith } from './signature.js';

/**
 * Flights (RFC 6347 §4.2.4): the outgoing flight buffer and its retransmission, handshake reassembly (§4.2.3),
 * message dispatch, ChangeCipherSpec and key activation. Internal layer of {@link DtlsEngine}.
 *
 * @internal
 */
export abstract class DtlsFlightLayer extends DtlsRecordLayer {
  protected abstract onClientHello(body: Uint8Array, messageSeq: number, rec: DtlsRecord, now: number): void;
  protected abstract onHelloVerifyRequest(body: Uint8Array, now: number): void;
  protected abstract onServerHello(body: Uint8Array): void;
  protected abstract onPeerCertificate(body: Uint8Array, fromClient: boolean): void;
  protected abstract onServerKeyExchange(body: Uint8Array): void;
  protected abstract onServerHelloDone(body: Uint8Array, full: Uint8Array, now: number): void;
  protected abstract sendServerFlight6(now: number): void;
  // ---------------------------------------------------------------------------------------------------------------
  // flights (RFC 6347 §4.2.4)

  protected queueHandshake(type: number, body0: Uint8Array): void {
    const body = this.opts.tamperHandshake ? this.opts.tamperHandshake(type, body0) : body0;
    const seq = this.sendMsgSeq++;
    this.flight.push({ kind: 'hs', type, seq, body, epoch: this.writeEpoch });
    this.transcript.push(serializeHandshake(type, seq, body));
  }

  protected queueChangeCipherSpec(): void {
    this.flight.push({ kind: 'ccs' });
  }

  /** Starts a new flight (the previous one is acknowledged by the peer's new flight). */
  protected newFlight(): void {
    this.flight = [];
    this.flightTimeouts = 0;
    this.rto = this.opts.initialRetransmitMs ?? DEFAULT_INITIAL_RETRANSMIT_MS;
  }

  /** Serializes the current flight into datagrams packed to the MTU, fragmenting messages as needed. */
  protected sendFlight(now: number, armTimer = true): void {
    const datagrams: Uint8Array[] = [];
    let cur: Uint8Array[] = [];
    let curLen = 0;
    const flush = () => {
      if (cur.length === 0) return;
      const d = new Uint8Array(curLen);
      let off = 0;
      for (const r of cur) {
        d.set(r, off);
        off += r.length;
      }
      datagrams.push(d);
      cur = [];
      curLen = 0;
    };
    const add = (rec: Uint8Array) => {
      if (curLen + rec.length > this.sendMtu) flush();
      cur.push(rec);
      curLen += rec.length;
    };
    let epoch = 0;
    for (const e of this.flight) {
      if (e.kind === 'ccs') {
        add(this.sealRecord(ContentType.changeCipherSpec, Uint8Array.of(1), epoch));
        epoch = 1;
        continue;
      }
      epoch = e.epoch;
      const overhead =
        RECORD_HEADER_LENGTH +
        HANDSHAKE_HEADER_LENGTH +
        (epoch > 0 ? (this.writeCipher?.overhead ?? AEAD_OVERHEAD) : 0);
      let off = 0;
      do {
        let room = this.sendMtu - curLen - overhead;
        if (room < Math.min(64, e.body.length - off)) {
          flush();
          room = this.sendMtu - overhead;
        }
        const n = Math.min(room, e.body.length - off);
        const frag = new Uint8Array(HANDSHAKE_HEADER_LENGTH + n);
        writeHandshakeHeader(frag, 0, e.type, e.body.length, e.seq, off, n);
        frag.set(e.body.subarray(off, off + n), HANDSHAKE_HEADER_LENGTH);
        add(this.sealRecord(ContentType.handshake, frag, epoch));
        off += n;
      } while (off < e.body.length);
    }
    flush();
    for (const d of datagrams) this.outputs.push({ kind: 'datagram', data: d });
    this.lastFlightSentAt = now;
    this.retransmitAt = armTimer ? now + this.rto : null;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // handshake reassembly (RFC 6347 §4.2.3)

  protected onFragment(f: HandshakeFragment, rec: DtlsRecord, now: number): void {
    if (this.state === 'connected') {
      if (rec.epoch > 0 && (f.msgType === HandshakeType.helloRequest || f.msgType === HandshakeType.clientHello)) {
        // Renegotiation is refused (RFC 5746 §4.5 / RFC 5246 §7.2.2).
        this.sendAlert(AlertLevel.warning, AlertDescription.noRenegotiation);
        return;
      }
      if (this.role === 'server' && f.messageSeq < this.recvMsgSeq && FLIGHT5_TYPES.has(f.msgType)) {
        // The client did not get our last flight: its retransmitted flight 5 asks for flight 6 again (RFC 6347
        // §4.2.4). A ClientHello here is a late duplicate (its answer was flight 4, long acknowledged) or a
        // restarted client, which the transport hands to a new association (RFC 6347 §4.2.8): dropped.
        this.retransmitRequested = true;
        return;
      }
      this.stats.droppedUnexpected++;
      return;
    }
    // Flights that bypass sequencing: the server's first ClientHello and the client's HelloVerifyRequest.
    if (this.role === 'server' && this.expect === 'clientHello') {
      if (f.msgType !== HandshakeType.clientHello) {
        this.stats.droppedUnexpected++;
        return;
      }
      if (f.fragmentOffset === 0 && f.fragmentLength === f.length) {
        if (!parses(parseClientHello, f.body)) {
          this.stats.malformed++;
          return;
        }
        this.reasm.clear();
        this.onClientHello(f.body, f.messageSeq, rec, now);
        return;
      }
      // A ClientHello larger than the path MTU comes in fragments (RFC 6347 §4.2.3): reassemble it (bounded).
      if (f.messageSeq > MAX_CLIENT_HELLO_SEQ || f.length > MAX_CLIENT_HELLO) {
        this.stats.droppedUnexpected++;
        return;
      }
      const whole = this.addFragment(f, rec.epoch);
      if (whole) {
        this.reasm.clear();
        if (!parses(parseClientHello, whole)) {
          this.stats.malformed++;
          return;
        }
        this.onClientHello(whole, f.messageSeq, rec, now);
      }
      return;
    }
    if (f.msgType === HandshakeType.helloRequest) {
      // RFC 5246 §7.4.1.1: a HelloRequest while negotiating is ignored; it is not part of the transcript.
      this.stats.droppedUnexpected++;
      return;
    }
    if (this.role === 'client' && f.msgType === HandshakeType.helloVerifyRequest) {
      if (this.expect === 'serverHello' && f.fragmentOffset === 0 && f.fragmentLength === f.length) {
        if (parses(parseHelloVerifyRequest, f.body)) this.onHelloVerifyRequest(f.body, now);
        else this.stats.malformed++;
      } else this.stats.droppedUnexpected++;
      return;
    }
    if (f.messageSeq < this.recvMsgSeq) {
      this.retransmitRequested = true;
      return;
    }
    if (f.messageSeq >= this.recvMsgSeq + MAX_MESSAGE_LOOKAHEAD || f.length > MAX_HANDSHAKE_MESSAGE) {
      this.stats.droppedUnexpected++;
      return;
    }
    this.addFragment(f, rec.epoch);
    for (;;) {
      const next = this.reasm.get(this.recvMsgSeq);
      if (!next || next.got < next.length) break;
      this.reasm.delete(this.recvMsgSeq);
      if (next.epoch === 0 && !this.plausible(next.type, next.buf)) {
        // An unauthenticated message of the wrong type or that does not parse is noise (possibly forged): drop it
        // without consuming its message_seq, so the real one (retransmitted) is still accepted.
        this.stats.malformed++;
        break;
      }
      const seq = this.recvMsgSeq++;
      this.onMessage(next.type, next.buf, seq, now);
      if (this.state !== 'handshake') break;
    }
  }

  /**
   * Adds a fragment to its message's reassembly buffer (fragments may overlap or repeat, RFC 6347 §4.2.3); returns
   * the message body once every octet arrived.
   */
  protected addFragment(f: HandshakeFragment, epoch: number): Uint8Array | undefined {
    let r = this.reasm.get(f.messageSeq);
    if (r && (r.type !== f.msgType || r.length !== f.length || r.epoch !== epoch)) {
      // Fragments that disagree on the message (type, length or epoch): at least one is forged or corrupt. An
      // incomplete message is restarted from the newest fragment so a forged first fragment cannot block the real
      // message for good; a complete one is kept.
      this.stats.malformed++;
      if (r.got === r.length) return undefined;
      r = undefined;
    }
    if (!r) {
      r = {
        type: f.msgType,
        length: f.length,
        epoch,
        buf: new Uint8Array(f.length),
        have: new Uint8Array(f.length),
        got: 0,
      };
      this.reasm.set(f.messageSeq, r);
    }
    if (r.got < r.length) {
      r.buf.set(f.body, f.fragmentOffset);
      for (let i = f.fragmentOffset; i < f.fragmentOffset + f.fragmentLength; i++) {
        if (r.have[i] === 0) {
          r.have[i] = 1;
          r.got++;
        }
      }
    }
    return r.got === r.length ? r.buf : undefined;
  }

  /**
   * Whether an unauthenticated (epoch 0) handshake message is worth acting on: the type this point of the handshake
   * expects, and a body that parses. Semantic checks (signatures, negotiated values) stay in {@link onMessage}.
   */
  protected plausible(type: number, body: Uint8Array): boolean {
    switch (this.expect) {
      case 'serverHello':
        return type === HandshakeType.serverHello && parses(parseServerHello, body);
      case 'certificate':
      case 'clientCertificate':
        return type === HandshakeType.certificate && parses(parseCertificate, body);
      case 'serverKeyExchange':
        return type === HandshakeType.serverKeyExchange && parses(parseServerKeyExchange, body);
      case 'certificateRequestOrDone':
        return (
          (type === HandshakeType.certificateRequest && parses(parseCertificateRequest, body)) ||
          (type === HandshakeType.serverHelloDone && body.length === 0)
        );
      case 'serverHelloDone':
        return type === HandshakeType.serverHelloDone && body.length === 0;
      case 'clientKeyExchange':
        return type === HandshakeType.clientKeyExchange && parses(parseClientKeyExchange, body);
      case 'certificateVerify':
        return type === HandshakeType.certificateVerify && parses(parseCertificateVerify, body);
      default:
        // Finished is only ever sent under the new keys (epoch 1).
        return false;
    }
  }

  protected onMessage(type: number, body: Uint8Array, seq: number, now: number): void {
    const full = () => serializeHandshake(type, seq, body);
    const unexpected = () =>
      new DtlsError(
        `unexpected handshake message ${type} while expecting ${this.expect}`,
        AlertDescription.unexpectedMessage,
      );
    switch (this.expect) {
      case 'serverHello':
        if (type !== HandshakeType.serverHello) throw unexpected();
        this.newFlight();
        this.retransmitAt = null;
        this.onServerHello(body);
        this.transcript.push(full());
        this.expect = 'certificate';
        return;
      case 'certificate':
        if (type !== HandshakeType.certificate) throw unexpected();
        this.transcript.push(full());
        this.onPeerCertificate(body, false);
        this.expect = 'serverKeyExchange';
        return;
      case 'serverKeyExchange':
        if (type !== HandshakeType.serverKeyExchange) throw unexpected();
        this.onServerKeyExchange(body);
        this.transcript.push(full());
        this.expect = 'certificateRequestOrDone';
        return;
      case 'certificateRequestOrDone':
        if (type === HandshakeType.certificateRequest) {
          const cr = parseCertificateRequest(body);
          this.certRequested = true;
          this.certRequestSchemes = cr.signatureSchemes;
          this.transcript.push(full());
          this.expect = 'serverHelloDone';
          return;
        }
        if (type !== HandshakeType.serverHelloDone) throw unexpected();
        this.onServerHelloDone(body, full(), now);
        return;
      case 'serverHelloDone':
        if (type !== HandshakeType.serverHelloDone) throw unexpected();
        this.onServerHelloDone(body, full(), now);
        return;
      case 'clientCertificate':
        if (type !== HandshakeType.certificate) throw unexpected();
        this.transcript.push(full());
        this.onPeerCertificate(body, true);
        this.expect = 'clientKeyExchange';
        return;
      case 'clientKeyExchange': {
        if (type !== HandshakeType.clientKeyExchange) throw unexpected();
        if (this.certRequested && this.peerChain.length === 0 && this.clientCertificateRequired()) {
          throw new DtlsError('client certificate required', AlertDescription.handshakeFailure);
        }
        const point = parseClientKeyExchange(body);
        this.pms = this.ecdhe!.computeSecret(point);
        this.transcript.push(full());
        this.deriveKeys();
        this.expect = this.peerChain.length > 0 ? 'certificateVerify' : 'changeCipherSpec';
        if (this.expect === 'changeCipherSpec') this.maybeActivateCcs(now);
        return;
      }
      case 'certificateVerify': {
        if (type !== HandshakeType.certificateVerify) throw unexpected();
        const cv = parseCertificateVerify(body);
        if (!DEFAULT_SIGNATURE_SCHEMES.includes(cv.signatureScheme)) {
          throw new DtlsError('CertificateVerify uses a scheme we did not offer', AlertDescription.illegalParameter);
        }
        const data = concat(...this.transcript);
        if (!verifyWith(cv.signatureScheme, this.peerKey!, data, cv.signature)) {
          throw new DtlsError('CertificateVerify signature does not verify', AlertDescription.decryptError);
        }
        this.transcript.push(full());
        this.expect = 'changeCipherSpec';
        this.maybeActivateCcs(now);
        return;
      }
      case 'finished': {
        if (type !== HandshakeType.finished) throw unexpected();
        const vd = parseFinished(body);
        const expected = finishedVerifyData(
          this.suite!.hash,
          this.master!,
          this.role === 'server',
          digest(this.suite!.hash, this.transcript),
        );
        if (!timingSafe(vd, expected))
          throw new DtlsError('Finished verify_data mismatch', AlertDescription.decryptError);
        this.transcript.push(full());
        if (this.role === 'server') this.sendServerFlight6(now);
        else this.retransmitAt = null;
        this.onConnected();
        return;
      }
      default:
        throw unexpected();
    }
  }

  protected onChangeCipherSpec(now: number): void {
    if (this.state === 'connected' || this.readEpoch > 0) {
      this.stats.droppedUnexpected++;
      return;
    }
    this.pendingCcs = true;
    this.maybeActivateCcs(now);
  }

  /** Switches the read side to epoch 1 once the CCS arrived and the handshake reached the point where it belongs. */
  protected maybeActivateCcs(now: number): void {
    if (!this.pendingCcs || this.expect !== 'changeCipherSpec' || !this.nextReadCipher) return;
    this.pendingCcs = false;
    this.readEpoch = 1;
    this.readCipher = this.nextReadCipher;
    this.expect = 'finished';
    const pending = this.pendingRecords;
    this.pendingRecords = [];
    for (const r of pending) {
      if (this.state !== 'handshake') break;
      this.processRecord(r, now);
    }
  }

  protected deriveKeys(): void {
    const s = this.suite!;
    if (this.ems) {
      this.master = extendedMasterSecret(s.hash, this.pms!, digest(s.hash, this.transcript));
    } else {
      this.master = masterSecret(s.hash, this.pms!, this.clientRandom, this.serverRandom);
    }
    this.pms!.fill(0);
    if (this.opts.keylog) {
      try {
        this.opts.keylog({ clientRandom: this.clientRandom.slice(), masterSecret: this.master.slice() });
      } catch {
        // the hook's own problem; the handshake goes on
      }
    }
    const kb = keyBlock(s.hash, this.master, this.clientRandom, this.serverRandom, s.keyLength, s.ivLength);
    const Cipher = s.aead === 'aes-gcm' ? GcmRecordCipher : ChaChaRecordCipher;
    const client = new Cipher(kb.clientWriteKey, kb.clientWriteIv);
    const server = new Cipher(kb.serverWriteKey, kb.serverWriteIv);
    this.writeCipher = this.role === 'client' ? client : server;
    this.nextReadCipher = this.role === 'client' ? server : client;
  }

  protected onConnected(): void {
    this.state = 'connected';
    this.handshakeDeadline = null;
    this.pms = undefined;
    const info: DtlsConnectionInfo = {
      version: 'DTLSv1.2',
      cipherSuite: this.suite!.name,
      group: groupName(this.group)!,
      extendedMasterSecret: this.ems,
      peerCertificates: this.peerChain,
      peerFingerprint: this.peerChain[0] ? fingerprint(this.peerChain[0]) : '',
    };
    if (this.srtp) info.srtpProfile = this.srtp;
    if (this.alpn !== undefined) info.alpn = this.alpn;
    this.connectedInfo = info;
    this.emit({ type: 'connected', info });
    for (const d of this.earlyAppData) this.emit({ type: 'applicationData', data: d });
    this.earlyAppData = [];
  }
}

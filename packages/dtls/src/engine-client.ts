import type { KeyObject } from 'node:crypto';
import { concat } from '@mdh/bytes';
import { certificatePublicKey, fingerprint, matchesFingerprint } from './certificate.js';
import { AlertDescription, DTLS_1_0, DTLS_1_2, ExtensionType, HandshakeType } from './constants.js';
import { DtlsFlightLayer } from './engine-flights.js';
import { timingSafe } from './engine-types.js';
import { DtlsError } from './errors.js';
import { generateEcdhe } from './keyexchange.js';
import { parseCertificate, serializeCertificate } from './messages/certificate.js';
import { serializeCertificateVerify } from './messages/certificate-verify.js';
import { parseClientHello, serializeClientHello } from './messages/client-hello.js';
import { serializeClientKeyExchange } from './messages/client-key-exchange.js';
import {
  type Extension,
  parseAlpn,
  parseUseSrtp,
  serializeAlpn,
  serializeUseSrtp,
  u16List,
} from './messages/extensions.js';
import { serializeFinished } from './messages/finished.js';
import { parseHelloVerifyRequest } from './messages/hello-verify-request.js';
import { parseServerHello } from './messages/server-hello.js';
import { parseServerKeyExchange } from './messages/server-key-exchange.js';
import { validateCertificatePath } from './path-validation.js';
import { digest, finishedVerifyData } from './prf.js';
import { chooseScheme, DEFAULT_SIGNATURE_SCHEMES, keyKind, schemeKind, signWith, verifyWith } from './signature.js';

/**
 * The client side of the handshake: ClientHello (with the cookie exchange), the server's flight 4 and the client's
 * flight 5 (RFC 6347 §4.2.4, RFC 5246 §7.4). Internal layer of {@link DtlsEngine}.
 *
 * @internal
 */
export abstract class DtlsClientFlights extends DtlsFlightLayer {
  // ---------------------------------------------------------------------------------------------------------------
  // client side

  protected clientExtensions(): Extension[] {
    const exts: Extension[] = [
      { type: ExtensionType.supportedGroups, data: u16List(this.groups) },
      { type: ExtensionType.ecPointFormats, data: Uint8Array.of(1, 0) },
      { type: ExtensionType.signatureAlgorithms, data: u16List(DEFAULT_SIGNATURE_SCHEMES) },
      { type: ExtensionType.extendedMasterSecret, data: new Uint8Array(0) },
      { type: ExtensionType.renegotiationInfo, data: Uint8Array.of(0) },
    ];
    if (this.srtpProfiles.length > 0) {
      exts.push({
        type: ExtensionType.useSrtp,
        data: serializeUseSrtp(this.srtpProfiles.map((p) => p.dtlsId as number)),
      });
    }
    if (this.opts.alpn && this.opts.alpn.length > 0)
      exts.push({ type: ExtensionType.alpn, data: serializeAlpn(this.opts.alpn) });
    return exts;
  }

  protected sendClientHello(now: number): void {
    this.newFlight();
    this.transcript = [];
    this.clientHelloBody ??= serializeClientHello({
      version: DTLS_1_2,
      random: this.clientRandom,
      sessionId: new Uint8Array(0),
      cookie: new Uint8Array(0),
      cipherSuites: this.suites.map((s) => s.id),
      compressionMethods: [0],
      extensions: this.clientExtensions(),
    });
    const body =
      this.cookie.length === 0
        ? this.clientHelloBody
        : serializeClientHello({ ...parseClientHello(this.clientHelloBody), cookie: this.cookie });
    this.queueHandshake(HandshakeType.clientHello, body);
    this.recvMsgSeq = this.sendMsgSeq - 1;
    this.sendFlight(now);
  }

  protected onHelloVerifyRequest(body: Uint8Array, now: number): void {
    const hvr = parseHelloVerifyRequest(body);
    // An unauthenticated HelloVerifyRequest that no server would send (RFC 6347 §4.2.1: version 1.0 or 1.2, a
    // 1..255-octet cookie) is noise, dropped: the real one, or our retransmission timer, carries the handshake on.
    if ((hvr.version !== DTLS_1_2 && hvr.version !== DTLS_1_0) || hvr.cookie.length === 0 || hvr.cookie.length > 255) {
      this.stats.malformed++;
      return;
    }
    if (timingSafe(hvr.cookie, this.cookie)) {
      // A duplicate of the HelloVerifyRequest we already answered: our flight timer covers a lost ClientHello.
      this.stats.droppedUnexpected++;
      return;
    }
    if (this.sendMsgSeq > 4) {
      this.stats.droppedUnexpected++;
      return;
    }
    this.cookie = hvr.cookie.slice();
    this.sendClientHello(now);
  }

  protected onServerHello(body: Uint8Array): void {
    const sh = parseServerHello(body);
    if (sh.version !== DTLS_1_2)
      throw new DtlsError('server did not choose DTLS 1.2', AlertDescription.protocolVersion);
    const suite = this.suites.find((s) => s.id === sh.cipherSuite);
    if (!suite) throw new DtlsError('server chose a suite we did not offer', AlertDescription.illegalParameter);
    if (sh.compressionMethod !== 0) throw new DtlsError('server chose compression', AlertDescription.illegalParameter);
    this.suite = suite;
    this.serverRandom = sh.random.slice();
    let ems = false;
    const offered = new Set(this.clientExtensions().map((e) => e.type));
    for (const e of sh.extensions) {
      if (!offered.has(e.type))
        throw new DtlsError(`unsolicited extension ${e.type}`, AlertDescription.unsupportedExtension);
      switch (e.type) {
        case ExtensionType.extendedMasterSecret:
          if (e.data.length !== 0) throw new DtlsError('bad extended_master_secret', AlertDescription.decodeError);
          ems = true;
          break;
        case ExtensionType.renegotiationInfo:
          if (e.data.length !== 1 || e.data[0] !== 0) {
            throw new DtlsError('bad renegotiation_info', AlertDescription.handshakeFailure);
          }
          break;
        case ExtensionType.useSrtp: {
          const u = parseUseSrtp(e.data);
          const p = u.profiles.length === 1 ? this.srtpProfiles.find((x) => x.dtlsId === u.profiles[0]) : undefined;
          if (!p)
            throw new DtlsError('server chose an SRTP profile we did not offer', AlertDescription.illegalParameter);
          // RFC 5764 §4.1.1: a non-empty srtp_mki that differs from the (empty) one we offered aborts the handshake.
          if (u.mki.length !== 0)
            throw new DtlsError('server returned an srtp_mki we did not offer', AlertDescription.illegalParameter);
          this.srtp = p;
          break;
        }
        case ExtensionType.alpn: {
          const names = parseAlpn(e.data);
          if (names.length !== 1 || !this.opts.alpn?.includes(names[0]!)) {
            throw new DtlsError('server chose an ALPN protocol we did not offer', AlertDescription.illegalParameter);
          }
          this.alpn = names[0]!;
          break;
        }
        default:
          break;
      }
    }
    if (!ems && (this.opts.requireExtendedMasterSecret ?? true)) {
      throw new DtlsError('server did not negotiate extended_master_secret', AlertDescription.handshakeFailure);
    }
    this.ems = ems;
  }

  protected onPeerCertificate(body: Uint8Array, fromClient: boolean): void {
    const chain = parseCertificate(body).map((c) => c.slice());
    if (chain.length === 0) {
      if (fromClient) {
        this.peerChain = [];
        return;
      }
      throw new DtlsError('server sent no certificate', AlertDescription.badCertificate);
    }
    let leafKey: KeyObject;
    try {
      leafKey = certificatePublicKey(chain[0]!);
    } catch {
      throw new DtlsError('peer certificate does not parse', AlertDescription.badCertificate);
    }
    const kind = keyKind(leafKey);
    if (!kind) throw new DtlsError('peer key type unsupported', AlertDescription.unsupportedCertificate);
    if (!fromClient && kind !== this.suite!.auth) {
      throw new DtlsError('server certificate does not match the suite', AlertDescription.unsupportedCertificate);
    }
    const fps = this.opts.expectedFingerprints;
    if (fps && fps.length > 0 && !fps.some((fp) => matchesFingerprint(chain[0]!, fp))) {
      throw new DtlsError('peer certificate fingerprint mismatch', AlertDescription.badCertificate);
    }
    if (this.anchors.length > 0) {
      const v = validateCertificatePath(chain, this.anchors, { time: (this.opts.wallClock ?? Date.now)() });
      if (!v.ok)
        throw new DtlsError(`peer certificate chain does not verify: ${v.reason}`, AlertDescription.badCertificate);
    }
    if (this.opts.verifyCertificate && !this.opts.verifyCertificate(chain)) {
      throw new DtlsError('peer certificate rejected by the application', AlertDescription.badCertificate);
    }
    this.peerChain = chain;
    this.peerKey = leafKey;
    this.emit({ type: 'peerCertificate', chain, fingerprint: fingerprint(chain[0]!) });
  }

  protected onServerKeyExchange(body: Uint8Array): void {
    const ske = parseServerKeyExchange(body);
    if (!this.groups.includes(ske.group))
      throw new DtlsError('server chose a group we did not offer', AlertDescription.illegalParameter);
    if (
      !DEFAULT_SIGNATURE_SCHEMES.includes(ske.signatureScheme) ||
      schemeKind(ske.signatureScheme) !== this.suite!.auth
    ) {
      throw new DtlsError('ServerKeyExchange signature scheme not offered', AlertDescription.illegalParameter);
    }
    const signed = concat(this.clientRandom, this.serverRandom, ske.params);
    if (!verifyWith(ske.signatureScheme, this.peerKey!, signed, ske.signature)) {
      throw new DtlsError('ServerKeyExchange signature does not verify', AlertDescription.decryptError);
    }
    this.group = ske.group;
    this.ecdhe = generateEcdhe(ske.group);
    this.pms = this.ecdhe.computeSecret(ske.publicKey);
  }

  protected onServerHelloDone(body: Uint8Array, full: Uint8Array, now: number): void {
    if (body.length !== 0) throw new DtlsError('ServerHelloDone not empty', AlertDescription.decodeError);
    this.transcript.push(full);
    this.sendClientFlight5(now);
  }

  protected sendClientFlight5(now: number): void {
    this.newFlight();
    const cert = this.opts.certificate;
    let cvScheme: number | undefined;
    if (this.certRequested) {
      if (cert) {
        cvScheme = chooseScheme(cert.privateKey, this.certRequestSchemes);
      }
      // RFC 5246 §7.4.6: without a certificate the server can verify (none, or no scheme of ours among the
      // requested ones) the client sends an empty Certificate; the server decides whether to go on.
      this.queueHandshake(
        HandshakeType.certificate,
        serializeCertificate(cert && cvScheme !== undefined ? cert.chain : []),
      );
    }
    this.queueHandshake(HandshakeType.clientKeyExchange, serializeClientKeyExchange(this.ecdhe!.publicKey));
    this.deriveKeys();
    if (cert && cvScheme !== undefined) {
      const sig = signWith(cvScheme, cert.privateKey, concat(...this.transcript));
      this.queueHandshake(
        HandshakeType.certificateVerify,
        serializeCertificateVerify({ signatureScheme: cvScheme, signature: sig }),
      );
    }
    this.queueChangeCipherSpec();
    this.writeEpoch = 1;
    const vd = finishedVerifyData(this.suite!.hash, this.master!, true, digest(this.suite!.hash, this.transcript));
    this.queueHandshake(HandshakeType.finished, serializeFinished(vd));
    this.expect = 'changeCipherSpec';
    this.sendFlight(now);
    this.maybeActivateCcs(now);
  }
}

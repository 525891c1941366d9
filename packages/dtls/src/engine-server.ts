import { concat } from '@mdh/bytes';
import {
  AlertDescription,
  type CipherSuiteInfo,
  ContentType,
  DTLS_1_0,
  DTLS_1_2,
  EMPTY_RENEGOTIATION_INFO_SCSV,
  ExtensionType,
  HandshakeType,
  NamedGroup,
} from './constants.js';
import { computeCookie, verifyCookie } from './cookie.js';
import { DtlsClientFlights } from './engine-client.js';
import { DtlsError } from './errors.js';
import { generateEcdhe } from './keyexchange.js';
import { serializeCertificate } from './messages/certificate.js';
import { ClientCertificateType, serializeCertificateRequest } from './messages/certificate-request.js';
import { parseClientHello } from './messages/client-hello.js';
import {
  type Extension,
  parseAlpn,
  parseU16List,
  parseUseSrtp,
  serializeAlpn,
  serializeUseSrtp,
} from './messages/extensions.js';
import { serializeFinished } from './messages/finished.js';
import { serializeHandshake } from './messages/handshake-header.js';
import { serializeHelloVerifyRequest } from './messages/hello-verify-request.js';
import { serializeServerHello } from './messages/server-hello.js';
import { serializeEcdhParams, serializeServerKeyExchange } from './messages/server-key-exchange.js';
import { digest, finishedVerifyData } from './prf.js';
import { type DtlsRecord, serializePlainRecord } from './record.js';
import { chooseScheme, DEFAULT_SIGNATURE_SCHEMES, keyKind, signWith } from './signature.js';

/**
 * The server side of the handshake: the ClientHello (after the cookie exchange, RFC 6347 §4.2.1), flight 4 and the
 * final flight 6. Internal layer of {@link DtlsEngine}.
 *
 * @internal
 */
export abstract class DtlsServerFlights extends DtlsClientFlights {
  // ---------------------------------------------------------------------------------------------------------------
  // server side

  protected onClientHello(body: Uint8Array, messageSeq: number, rec: DtlsRecord, now: number): void {
    const ch = parseClientHello(body);
    const peer = this.opts.peerId ?? '';
    if ((this.opts.cookieExchange ?? true) && !verifyCookie(this.cookieSecret, peer, ch)) {
      // Stateless HelloVerifyRequest (RFC 6347 §4.2.1): same record sequence number as the ClientHello.
      const hvr = serializeHelloVerifyRequest({
        version: DTLS_1_0,
        cookie: computeCookie(this.cookieSecret, peer, ch),
      });
      const hs = serializeHandshake(HandshakeType.helloVerifyRequest, messageSeq, hvr);
      this.outputs.push({
        kind: 'datagram',
        data: serializePlainRecord(ContentType.handshake, 0, rec.seq, hs, DTLS_1_0),
      });
      return;
    }
    // DTLS versions count down: 0xfefd (1.2) is newer than 0xfeff (1.0). A client offering 1.2 or newer gets 1.2.
    if (ch.version > DTLS_1_2) throw new DtlsError('client does not offer DTLS 1.2', AlertDescription.protocolVersion);
    if (!ch.compressionMethods.includes(0))
      throw new DtlsError('null compression not offered', AlertDescription.illegalParameter);
    this.clientRandom = ch.random.slice();
    // Our HelloVerifyRequest reused the first ClientHello's record sequence number (RFC 6347 §4.2.1); continue from
    // this ClientHello's so the client's epoch-0 replay window does not drop the ServerHello.
    this.writeSeq[0] = Math.max(this.writeSeq[0]!, rec.seq);
    this.sendMsgSeq = messageSeq;
    this.recvMsgSeq = messageSeq + 1;
    this.transcript = [serializeHandshake(HandshakeType.clientHello, messageSeq, body)];
    this.expect = 'done';
    const agreed = this.negotiate(ch);
    this.sendServerFlight4(now, agreed);
  }

  /**
   * Chooses the suite, group, signature scheme and ServerHello extensions for a ClientHello (RFC 5246 §7.4.1.2–3,
   * RFC 8422 §5.1, RFC 7627, RFC 5746, RFC 5764 §4.1.1, RFC 7301); throws the DtlsError (with its alert) on no
   * common ground.
   */
  private negotiate(ch: ReturnType<typeof parseClientHello>): ServerChoice {
    const cert = this.opts.certificate!;
    const kind = keyKind(cert.privateKey)!;
    const exts = new Map(ch.extensions.map((e) => [e.type, e.data]));
    const suite = this.suites.find((s) => s.auth === kind && ch.cipherSuites.includes(s.id));
    if (!suite) throw new DtlsError('no cipher suite in common', AlertDescription.handshakeFailure);
    this.suite = suite;
    const groupsExt = exts.get(ExtensionType.supportedGroups);
    const clientGroups = groupsExt ? parseU16List(groupsExt) : [NamedGroup.secp256r1];
    const group = this.groups.find((g) => clientGroups.includes(g));
    if (group === undefined) throw new DtlsError('no ECDHE group in common', AlertDescription.handshakeFailure);
    this.group = group;
    const pf = exts.get(ExtensionType.ecPointFormats);
    if (pf && !(pf.length >= 2 && pf.subarray(1).includes(0))) {
      throw new DtlsError('uncompressed points not offered', AlertDescription.illegalParameter);
    }
    const sa = exts.get(ExtensionType.signatureAlgorithms);
    this.peerSigSchemes = sa ? parseU16List(sa) : undefined;
    const scheme = chooseScheme(cert.privateKey, this.peerSigSchemes);
    if (scheme === undefined) throw new DtlsError('no signature scheme in common', AlertDescription.handshakeFailure);
    this.ems = exts.has(ExtensionType.extendedMasterSecret);
    if (!this.ems && (this.opts.requireExtendedMasterSecret ?? true)) {
      throw new DtlsError('client did not offer extended_master_secret', AlertDescription.handshakeFailure);
    }
    const ri = exts.get(ExtensionType.renegotiationInfo);
    if (ri && !(ri.length === 1 && ri[0] === 0))
      throw new DtlsError('bad renegotiation_info', AlertDescription.handshakeFailure);
    this.offeredRenegotiationInfo = ri !== undefined || ch.cipherSuites.includes(EMPTY_RENEGOTIATION_INFO_SCSV);

    const shExts: Extension[] = [];
    if (this.offeredRenegotiationInfo) shExts.push({ type: ExtensionType.renegotiationInfo, data: Uint8Array.of(0) });
    if (this.ems) shExts.push({ type: ExtensionType.extendedMasterSecret, data: new Uint8Array(0) });
    if (pf) shExts.push({ type: ExtensionType.ecPointFormats, data: Uint8Array.of(1, 0) });
    const us = exts.get(ExtensionType.useSrtp);
    if (us && this.srtpProfiles.length > 0) {
      const offered = parseUseSrtp(us).profiles;
      const p = this.srtpProfiles.find((x) => x.dtlsId !== null && offered.includes(x.dtlsId));
      if (p) {
        this.srtp = p;
        shExts.push({ type: ExtensionType.useSrtp, data: serializeUseSrtp([p.dtlsId as number]) });
      }
    }
    const alpnExt = exts.get(ExtensionType.alpn);
    if (alpnExt && this.opts.alpn && this.opts.alpn.length > 0) {
      const offered = parseAlpn(alpnExt);
      const name = this.opts.alpn.find((n) => offered.includes(n));
      if (name === undefined) throw new DtlsError('no ALPN protocol in common', AlertDescription.noApplicationProtocol);
      this.alpn = name;
      shExts.push({ type: ExtensionType.alpn, data: serializeAlpn([name]) });
    }
    return { suite, group, scheme, extensions: shExts };
  }

  /** Flight 4 (RFC 6347 §4.2.4): ServerHello, Certificate, ServerKeyExchange, [CertificateRequest], ServerHelloDone. */
  private sendServerFlight4(now: number, { suite, group, scheme, extensions: shExts }: ServerChoice): void {
    const cert = this.opts.certificate!;
    this.newFlight();
    this.serverRandom = this.random(32);
    this.queueHandshake(
      HandshakeType.serverHello,
      serializeServerHello({
        version: DTLS_1_2,
        random: this.serverRandom,
        sessionId: new Uint8Array(0),
        cipherSuite: suite.id,
        compressionMethod: 0,
        extensions: shExts,
      }),
    );
    this.queueHandshake(HandshakeType.certificate, serializeCertificate(cert.chain));
    this.ecdhe = generateEcdhe(group);
    const params = serializeEcdhParams(group, this.ecdhe.publicKey);
    const sig = signWith(scheme, cert.privateKey, concat(this.clientRandom, this.serverRandom, params));
    this.queueHandshake(HandshakeType.serverKeyExchange, serializeServerKeyExchange(params, scheme, sig));
    this.certRequested = this.opts.requestClientCertificate ?? true;
    if (this.certRequested) {
      this.queueHandshake(
        HandshakeType.certificateRequest,
        serializeCertificateRequest({
          certificateTypes: [ClientCertificateType.ecdsaSign, ClientCertificateType.rsaSign],
          signatureSchemes: [...DEFAULT_SIGNATURE_SCHEMES],
          authorities: [],
        }),
      );
    }
    this.queueHandshake(HandshakeType.serverHelloDone, new Uint8Array(0));
    this.expect = this.certRequested ? 'clientCertificate' : 'clientKeyExchange';
    this.sendFlight(now);
  }

  protected sendServerFlight6(now: number): void {
    this.newFlight();
    this.queueChangeCipherSpec();
    this.writeEpoch = 1;
    const vd = finishedVerifyData(this.suite!.hash, this.master!, false, digest(this.suite!.hash, this.transcript));
    this.queueHandshake(HandshakeType.finished, serializeFinished(vd));
    // The last flight is not retransmitted on a timer; it is resent when the client repeats flight 5.
    this.sendFlight(now, false);
  }
}

/** What the server agreed to for one ClientHello. */
interface ServerChoice {
  suite: CipherSuiteInfo;
  group: number;
  scheme: number;
  extensions: Extension[];
}

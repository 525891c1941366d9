/**
 * @mdh/dtls — a sans-I/O DTLS 1.2 client and server (RFC 6347) with DTLS-SRTP (RFC 5764).
 * @packageDocumentation
 */
export {
  type CipherSuiteInfo,
  type CipherSuiteName,
  CIPHER_SUITES,
  cipherSuiteInfo,
  type GroupName,
  SRTP_PROFILES,
  type SrtpProfileInfo,
  srtpProfileInfo,
  AlertDescription,
} from './constants.js';
export { DtlsError, DtlsUsageError } from './errors.js';
export {
  type DtlsCertificate,
  type GenerateCertificateOptions,
  generateCertificate,
  loadCertificate,
  fingerprint,
  matchesFingerprint,
  toPem,
  pemBlocks,
  privateKeyPem,
  verifyChain,
} from './certificate.js';
export { prf, exportKeyingMaterial, masterSecret, extendedMasterSecret, keyBlock, type KeyBlock, type PrfHash } from './prf.js';
export { ReplayWindow } from './record.js';
export {
  DtlsEngine,
  type DtlsEngineOptions,
  type DtlsConnectionInfo,
  type DtlsEvent,
  type DtlsOutput,
  type DtlsStats,
} from './engine.js';
export { classifyPacket, isDtlsPacket, type PacketKind } from './demux.js';
export { DtlsSession, type DtlsSessionOptions } from './session.js';
export {
  connect,
  listen,
  type DtlsConnectOptions,
  type DtlsListenOptions,
  type DtlsServer,
  type DtlsServerConnection,
  type DtlsUdpConnection,
} from './udp.js';

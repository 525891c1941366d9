/**
 * @mdh/dtls — a sans-I/O DTLS 1.2 client and server (RFC 6347) with DTLS-SRTP (RFC 5764).
 * @packageDocumentation
 */

export {
  type DtlsCertificate,
  fingerprint,
  type GenerateCertificateOptions,
  generateCertificate,
  loadCertificate,
  matchesFingerprint,
  pemBlocks,
  privateKeyPem,
  toPem,
  verifyChain,
} from './certificate.js';
export {
  AlertDescription,
  CIPHER_SUITES,
  type CipherSuiteInfo,
  type CipherSuiteName,
  cipherSuiteInfo,
  DTLS_SRTP_PROFILES,
  dtlsSrtpProfile,
  type GroupName,
  NamedGroup,
} from './constants.js';
export {
  DEFAULT_INITIAL_RETRANSMIT_MS,
  DEFAULT_MAX_RETRANSMIT_MS,
  type DtlsConnectionInfo,
  DtlsEngine,
  type DtlsEngineOptions,
  type DtlsEvent,
  type DtlsOutput,
  type DtlsStats,
} from './engine.js';
export { DtlsError, DtlsUsageError } from './errors.js';
export {
  type PathValidationOptions,
  type PathValidationResult,
  validateCertificatePath,
} from './path-validation.js';
export {
  exportKeyingMaterial,
  extendedMasterSecret,
  type KeyBlock,
  keyBlock,
  masterSecret,
  type PrfHash,
  prf,
} from './prf.js';
export { DtlsSession, type DtlsSessionOptions } from './session.js';
export { type DtlsSrtpOptions, type DtlsSrtpSessions, srtpSessionsFromDtls } from './srtp.js';
export { type HelloVerifyDecision, statelessHelloVerify } from './stateless.js';
export {
  connect,
  type DtlsConnectOptions,
  type DtlsListenOptions,
  type DtlsServer,
  type DtlsServerConnection,
  type DtlsUdpConnection,
  listen,
} from './udp.js';

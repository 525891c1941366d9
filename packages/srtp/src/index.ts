/**
 * @mdh/srtp — SRTP and SRTCP (RFC 3711), AES-GCM (RFC 7714), AES-192/256 (RFC 6188), DTLS-SRTP keying
 * (RFC 5764 §4.2) and SDES `a=crypto` (RFC 4568), in TypeScript.
 * @packageDocumentation
 */
export type { Aead, CtrCipher, Mac, SrtpBackend } from './crypto/backend.js';
export { jsBackend } from './crypto/js-backend.js';
export { nobleBackend } from './crypto/noble-backend.js';
export { nodeBackend, nodeBackendAvailable } from './crypto/node-backend.js';
export { defaultBackend, resolveBackend, type SrtpBackendName, setDefaultSrtpBackend } from './crypto/select.js';
export { wasmBackend, wasmBackendAvailable } from './crypto/wasm-backend.js';
export {
  SrtpAuthError,
  SrtpConfigError,
  SrtpError,
  SrtpLimitError,
  SrtpParseError,
  SrtpReplayError,
} from './errors.js';
export { deriveSrtpSessionKeys, SrtpLabel, type SrtpSessionKeys, srtpPrf } from './kdf.js';
export {
  type SrtpKeyPair,
  type SrtpMasterKey,
  srtpKeysFromKeyingMaterial,
  srtpSessionsFromKeyingMaterial,
} from './keying.js';
export {
  findSrtpProfile,
  getSrtpProfile,
  type SdesSuiteName,
  SRTP_PROFILES,
  type SrtpCipher,
  type SrtpProfile,
  type SrtpProfileName,
  srtpProfileByDtlsId,
} from './profiles.js';
export { ReplayWindow } from './replay.js';
export { estimateSrtpIndex } from './rollover.js';
export {
  formatSdesCrypto,
  generateSdesCrypto,
  parseSdesCrypto,
  type SdesCrypto,
  type SdesGenerateOptions,
  type SdesKeyParams,
  sdesMkiBytes,
  sdesSessionOptions,
} from './sdes.js';
export {
  type SrtpMasterKeyWithMki,
  SrtpSession,
  type SrtpSessionOptions,
  type SrtpStats,
} from './session.js';

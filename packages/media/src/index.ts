/**
 * @mdh/media — the media of a call as one sans-I/O core (`MediaSession`) plus one loop adapter
 * (`openMediaSession`).
 *
 * Public API is listed here explicitly; everything else under src/ is internal.
 * @packageDocumentation
 */
/** Version of @mdh/media's public API. */
export const MEDIA_PACKAGE_VERSION = '0.1.0';

// ---- audio components (RFC 4733 and in-band DTMF, G.711, jitter buffer, tones, WAV) ----

export {
  DTMF_FLASH,
  type DtmfDigitEvent,
  type DtmfEndReason,
  type DtmfPacket,
  DtmfParseError,
  type DtmfParseReason,
  DtmfReceiver,
  type DtmfReceiverOptions,
  type DtmfReceiverStats,
  DtmfSender,
  type DtmfSenderOptions,
  dtmfDigit,
  dtmfEventCode,
  MAX_EVENT_DURATION,
  parseTelephoneEvent,
  serializeTelephoneEvent,
  serializeTelephoneEventInto,
  TELEPHONE_EVENT_SIZE,
  type TelephoneEvent,
  tryParseTelephoneEvent,
} from './audio/dtmf.js';
export {
  DTMF_HIGH_HZ,
  DTMF_LOW_HZ,
  DtmfToneDetector,
  type DtmfToneDetectorOptions,
  type DtmfToneEvent,
  dtmfFrequencies,
} from './audio/dtmf-tone.js';
export {
  alawDecode,
  alawEncode,
  alawToLinear,
  type G711Codec,
  type G711Decisions,
  g711Decode,
  g711Encode,
  g711PayloadType,
  g711Silence,
  linearToAlaw,
  linearToUlaw,
  ulawDecode,
  ulawEncode,
  ulawToLinear,
} from './audio/g711.js';
export {
  JitterBuffer,
  type JitterBufferOptions,
  type JitterBufferStats,
  type JitterDropReason,
  type JitterFrame,
  type JitterPushResult,
} from './audio/jitter-buffer.js';
export { OPUS_CLOCK_RATE, OPUS_PCM_RATE, OpusCodec, opusAvailable } from './audio/opus.js';
export { dominantFrequency, goertzelPower, ToneGenerator, type ToneOptions } from './audio/tone.js';
export {
  pcmToLittleEndianInto,
  type ReadWavOptions,
  readWav,
  tryReadWav,
  WAV_HEADER_SIZE,
  WAV_SAMPLE_RATE,
  type WavAudio,
  WavError,
  type WavErrorReason,
  wavSize,
  writeWav,
  writeWavHeaderInto,
  writeWavInto,
} from './audio/wav.js';
export { classifyPacket, isDtlsPacket, type PacketKind } from './demux.js';
export { MediaError, type MediaErrorCode } from './errors.js';
export * from './ice/index.js';
export { DEFAULT_DTLS_SRTP_PROFILES, MediaSession, type SendRtpOptions } from './media-session.js';
export {
  type MediaKeyEvent,
  type MediaMasterKey,
  type MediaPacketEvent,
  mediaKeylogChannel,
  mediaPacketChannel,
} from './observability.js';
export {
  type Listener,
  MediaChannel,
  MediaPorts,
  type OpenMediaPortsOptions,
  type OpenMediaSessionOptions,
  openMediaPorts,
  openMediaSession,
  type PortRange,
  type StartMediaOptions,
} from './open.js';
// ---- testing: a deterministic network simulation ----
export {
  fnv1a64,
  SeededRandom,
  type SimDatagram,
  type SimLinkOptions,
  SimNetwork,
  type SimNetworkOptions,
  type SimNetworkStats,
  type SimTraceKind,
  type SimTraceRecord,
} from './testing/sim-network.js';
export type {
  MediaAddress,
  MediaDirection,
  MediaDropCounters,
  MediaEvent,
  MediaOutput,
  MediaSecurity,
  MediaSessionOptions,
  MediaState,
  MediaStats,
  RemoteReception,
  RemoteSender,
} from './types.js';

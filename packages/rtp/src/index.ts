/**
 * @mdh/rtp — RTP and RTCP packets (RFC 3550, RFC 8285, RFC 4585, RFC 5104, RFC 3611), receiver and sender
 * statistics (RFC 3550 A.1/A.3/A.8), the RTCP interval (A.7) and the mdhavers seed helpers — wire formats and pure
 * calculators, no sockets (a call's media session is @mdh/media's `MediaSession`).
 * @packageDocumentation
 */
export { RtcpParseError, RtpParseError } from './errors.js';
export {
  type AudioLevel,
  EXTENSION_URIS,
  encodeAbsSendTime,
  encodeAudioLevel,
  encodeSdesString,
  encodeTransmissionOffset,
  encodeTransportWideSeq,
  parseAbsSendTime,
  parseAudioLevel,
  parseSdesString,
  parseTransmissionOffset,
  parseTransportWideSeq,
} from './extensions.js';
export {
  checkElement,
  extensionElementsSize,
  findExtensionElement,
  fitsOneByte,
  isOneByteProfile,
  isTwoByteProfile,
  ONE_BYTE_PROFILE,
  parseExtensionElements,
  type RtpHeaderExtensionElement,
  TWO_BYTE_PROFILE,
  writeExtensionElements,
} from './header-extension.js';
export {
  msToNtpShort,
  NTP_UNIX_OFFSET,
  type NtpTime,
  ntpFromUnixMs,
  ntpMiddle32,
  ntpToUnixMs,
  roundTripTimeMs,
} from './ntp.js';
export { ReceiverStats, type ReceiverStatsOptions } from './receiver-stats.js';
export { AppPacket, type AppPacketInit } from './rtcp/app.js';
export { Goodbye } from './rtcp/bye.js';
export { RtcpPacketBase, RtcpType, type RtcpView, singleView, viewAt } from './rtcp/common.js';
export {
  isRtcpPacket,
  type ParseRtcpOptions,
  parseRtcp,
  type RtcpPacket,
  rtcpCompoundSize,
  serializeRtcp,
  serializeRtcpInto,
  tryParseRtcp,
  validateRtcpCompound,
} from './rtcp/compound.js';
export { FeedbackPacket, type FeedbackPacketInit, PsfbFmt, RtpfbFmt } from './rtcp/feedback.js';
export { type FirEntry, FullIntraRequest } from './rtcp/fir.js';
export { GenericNack, type NackPair } from './rtcp/nack.js';
export { PictureLossIndication } from './rtcp/pli.js';
export { Remb } from './rtcp/remb.js';
export { REPORT_BLOCK_SIZE, type ReportBlock } from './rtcp/report-block.js';
export { ReceiverReport, type ReceiverReportInit } from './rtcp/rr.js';
export { type SdesChunk, type SdesItem, SdesType, SourceDescription } from './rtcp/sdes.js';
export { SenderReport, type SenderReportInit } from './rtcp/sr.js';
export {
  decodeTransportWideCc,
  encodeTransportWideCc,
  type TransportWideCc,
  type TwccPacketStatus,
  TwccStatus,
} from './rtcp/twcc.js';
export { UnknownRtcpPacket } from './rtcp/unknown.js';
export { type DlrrItem, ExtendedReport, type XrBlock, XrBlockType } from './rtcp/xr.js';
export {
  RTCP_COMPENSATION,
  RtcpScheduler,
  type RtcpSchedulerEvent,
  type RtcpSchedulerOptions,
  type RtcpSchedulerOutput,
} from './rtcp-scheduler.js';
export { RtpPacket, type RtpPacketInit } from './rtp-packet.js';
export {
  rtcpParseRr,
  rtcpRr,
  rtpHeader,
  rtpPacket,
  rtpParse,
  rtpSeqNext,
  type SeedBytes,
  type SeedFailure,
  type SeedReport,
  type SeedRrParsed,
  type SeedRtpParsed,
  seedBuiltins,
} from './seed.js';
export { SenderStats, type SenderStatsOptions } from './sender-stats.js';
export { seqDiff, seqLessThan, seqNext } from './seq.js';

/**
 * The media options shared by `mdh call` and `mdh echo`: `--suite NAME` (repeatable: SDES crypto suites or
 * DTLS-SRTP protection profiles, in preference order) and `--rtp-ports LO-HI` (the media port range). A command
 * spreads {@link mediaOptions} into its options and passes {@link mediaChoice} of the parsed values to
 * `CallMedia.open`.
 */
import type { CallMediaOptions } from '@mdh/sip';
import { findSrtpProfile, SRTP_PROFILES } from '@mdh/srtp';
import type { OptionSpec } from './args.js';

/** SDES suites `--suite` accepts (RFC 4568 §6.2, RFC 6188 §4, RFC 7714 §14.1). */
export const SDES_SUITE_NAMES: readonly string[] = SRTP_PROFILES.filter(
  (p) => p.cipher === 'AES_CM' || p.cipher === 'AES_GCM',
).map((p) => p.sdesName);

/** DTLS-SRTP profiles `--suite` accepts: the IANA-registered ones with encryption (RFC 5764 §4.1.2, RFC 7714 §14.2). */
export const DTLS_PROFILE_NAMES: readonly string[] = SRTP_PROFILES.filter(
  (p) => p.dtlsId !== null && p.cipher !== 'NULL',
).map((p) => p.name);

/** What `--suite` and `--rtp-ports` choose, as `CallMedia.open` options. */
export type MediaChoice = Pick<CallMediaOptions, 'portRange' | 'sdesSuites' | 'dtlsProfiles'>;

/** One `--suite` value: its SDES name and/or DTLS-SRTP name (OpenSSL spellings such as SRTP_AES128_CM_SHA1_80 too). */
export function suiteName(v: string): { sdes?: string; dtls?: string } {
  const p = findSrtpProfile(v);
  const sdes = p && SDES_SUITE_NAMES.includes(p.sdesName) ? p.sdesName : undefined;
  const dtls = p && DTLS_PROFILE_NAMES.includes(p.name) ? p.name : undefined;
  if (!sdes && !dtls) throw new Error(`unknown suite '${v}' (see --help for the names)`);
  return { ...(sdes ? { sdes } : {}), ...(dtls ? { dtls } : {}) };
}

/** A port range `LO-HI` (both 1..65535, LO < HI: an even RTP port and the next one for RTCP must fit). */
export function rtpPortRange(v: string): { min: number; max: number } {
  const m = /^(\d+)-(\d+)$/.exec(v);
  const min = Number(m?.[1]);
  const max = Number(m?.[2]);
  if (!m || min < 1 || max > 65535 || min >= max) throw new Error(`'${v}' is not a port range LO-HI within 1-65535`);
  if (max - min < 2 && min % 2 === 1) throw new Error(`'${v}' holds no even/odd RTP/RTCP port pair`);
  return { min, max };
}

/** Option declarations. */
export const mediaOptions: Record<string, OptionSpec> = {
  suite: {
    type: 'string',
    value: 'NAME',
    multiple: true,
    parse: suiteName,
    help:
      `SRTP suite to offer/accept, in preference order; SDES: ${SDES_SUITE_NAMES.join(', ')}; ` +
      `DTLS-SRTP: ${DTLS_PROFILE_NAMES.join(', ')} (OpenSSL spellings too)`,
  },
  'rtp-ports': {
    type: 'string',
    value: 'LO-HI',
    parse: rtpPortRange,
    help: 'bind media within this port range (an even RTP port and the next for RTCP); all in use: the call fails',
  },
};

/**
 * The `CallMedia.open` options of the parsed `values`, or a usage message when `--suite` names nothing usable
 * with `srtp` (`none`; an SDES-only name with `dtls` or the reverse).
 */
export function mediaChoice(values: Record<string, unknown>, srtp: string): MediaChoice | string {
  const suites = values.suite as { sdes?: string; dtls?: string }[] | undefined;
  const range = values['rtp-ports'] as { min: number; max: number } | undefined;
  const out: MediaChoice = range ? { portRange: range } : {};
  if (!suites) return out;
  if (srtp === 'none') return '--suite needs --srtp sdes or dtls';
  const sdes = suites.flatMap((s) => (s.sdes ? [s.sdes] : []));
  const dtls = suites.flatMap((s) => (s.dtls ? [s.dtls] : []));
  if ((srtp === 'sdes' || srtp === 'any') && sdes.length) out.sdesSuites = sdes;
  if ((srtp === 'dtls' || srtp === 'any') && dtls.length) out.dtlsProfiles = dtls;
  if (srtp === 'sdes' && !sdes.length) return '--suite: none of these is an SDES suite';
  if (srtp === 'dtls' && !dtls.length) return '--suite: none of these is a DTLS-SRTP profile';
  return out;
}

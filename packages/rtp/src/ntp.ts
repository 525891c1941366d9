/** NTP timestamps as used by RTCP (RFC 3550 §4): seconds since 1900-01-01 and a 32-bit binary fraction. */

/** Seconds between 1900-01-01 (NTP era 0) and 1970-01-01 (Unix epoch). */
export const NTP_UNIX_OFFSET = 2208988800;

/** A 64-bit NTP timestamp as two unsigned 32-bit halves. */
export interface NtpTime {
  seconds: number;
  fraction: number;
}

/** Converts a Unix time in milliseconds to an NTP timestamp (era 0, wrapping modulo 2^32 seconds). */
export function ntpFromUnixMs(unixMs: number): NtpTime {
  const totalSec = Math.floor(unixMs / 1000);
  const ms = unixMs - totalSec * 1000;
  let fraction = Math.round((ms / 1000) * 4294967296);
  let seconds = totalSec + NTP_UNIX_OFFSET;
  if (fraction >= 4294967296) {
    fraction -= 4294967296;
    seconds += 1;
  }
  return { seconds: seconds >>> 0, fraction: fraction >>> 0 };
}

/** Converts an NTP timestamp to Unix milliseconds (era 0). */
export function ntpToUnixMs(seconds: number, fraction: number): number {
  return (seconds - NTP_UNIX_OFFSET) * 1000 + (fraction / 4294967296) * 1000;
}

/** The middle 32 bits of an NTP timestamp ("compact NTP", RFC 3550 §6.4.1 LSR). */
export function ntpMiddle32(seconds: number, fraction: number): number {
  return (((seconds & 0xffff) << 16) | (fraction >>> 16)) >>> 0;
}

/** Converts a duration in milliseconds to units of 1/65536 s (the DLSR unit), clamped to 0..2^32-1. */
export function msToNtpShort(ms: number): number {
  const v = Math.floor((ms * 65536) / 1000);
  return v < 0 ? 0 : Math.min(v, 0xffffffff);
}

/**
 * Round-trip time from a report block (RFC 3550 §6.4.1): A − LSR − DLSR, where A is the compact NTP arrival time
 * of the report. Returns milliseconds, or undefined when LSR is 0 (no SR received yet).
 */
export function roundTripTimeMs(arrivalCompactNtp: number, lsr: number, dlsr: number): number | undefined {
  if (lsr === 0) return undefined;
  const rtt = (arrivalCompactNtp - lsr - dlsr) >>> 0;
  // A negative result (clock skew) wraps to a huge value; treat anything above 2^31 as 0.
  return rtt > 0x80000000 ? 0 : (rtt * 1000) / 65536;
}

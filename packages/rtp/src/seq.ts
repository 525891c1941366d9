/** 16-bit RTP sequence number arithmetic (RFC 3550 §5.1, with the RFC 1982 serial-number comparison). */

/** The sequence number after `seq`, wrapping 65535 to 0. */
export function seqNext(seq: number): number {
  return (seq + 1) & 0xffff;
}

/** Signed distance from `a` to `b` in the range -32768..32767 (positive when `b` is after `a`). */
export function seqDiff(a: number, b: number): number {
  return (((b - a) & 0xffff) << 16) >> 16;
}

/** Whether sequence number `a` precedes `b` modulo 2^16. */
export function seqLessThan(a: number, b: number): boolean {
  return seqDiff(a, b) > 0;
}

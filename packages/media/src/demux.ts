/** What the first octet of a packet says it is (RFC 7983 §7, updating RFC 5764 §5.1.2). */
export type PacketKind = 'stun' | 'zrtp' | 'dtls' | 'turn-channel' | 'rtp' | 'unknown';

/**
 * Classifies a packet arriving on a port shared by STUN, DTLS, RTP/RTCP, ZRTP and TURN channels (RFC 7983 §7):
 * `[0..3]` STUN, `[16..19]` ZRTP, `[20..63]` DTLS, `[64..79]` TURN channel, `[128..191]` RTP/RTCP.
 */
export function classifyPacket(packet: Uint8Array): PacketKind {
  const b = packet[0];
  if (b === undefined) return 'unknown';
  if (b <= 3) return 'stun';
  if (b >= 16 && b <= 19) return 'zrtp';
  if (b >= 20 && b <= 63) return 'dtls';
  if (b >= 64 && b <= 79) return 'turn-channel';
  if (b >= 128 && b <= 191) return 'rtp';
  return 'unknown';
}

/** True if the packet belongs to DTLS by RFC 7983 first-octet demultiplexing. */
export function isDtlsPacket(packet: Uint8Array): boolean {
  return classifyPacket(packet) === 'dtls';
}

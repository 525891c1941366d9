/**
 * A small reader of libpcap capture files (the classic format, not pcapng) for the interop tests: the global
 * header (magic 0xa1b2c3d4 µs or 0xa1b23c4d ns, either byte order), then records; link types Ethernet (1),
 * raw IP (101), Linux cooked (113) and BSD loopback (0); IPv4 and IPv6 with UDP. Bounded: a record longer
 * than its snap length or the file is a typed error.
 */

/** A malformed capture. */
export class PcapError extends Error {
  override readonly name = 'PcapError';
}

/** One UDP datagram from a capture. */
export interface PcapUdp {
  /** Capture time in milliseconds since the epoch. */
  timeMs: number;
  src: string;
  srcPort: number;
  dst: string;
  dstPort: number;
  payload: Uint8Array;
}

/** Every UDP datagram (over IPv4 or IPv6, unfragmented) of a libpcap file, in capture order. */
export function readPcapUdp(file: Uint8Array): PcapUdp[] {
  if (file.length < 24) throw new PcapError('truncated global header');
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const magicBE = dv.getUint32(0, false);
  let le: boolean;
  let nano: boolean;
  if (magicBE === 0xa1b2c3d4 || magicBE === 0xa1b23c4d) {
    le = false;
    nano = magicBE === 0xa1b23c4d;
  } else if (magicBE === 0xd4c3b2a1 || magicBE === 0x4d3cb2a1) {
    le = true;
    nano = magicBE === 0x4d3cb2a1;
  } else throw new PcapError(`not a libpcap file (magic ${magicBE.toString(16)})`);
  const snap = dv.getUint32(16, le);
  const link = dv.getUint32(20, le);
  const out: PcapUdp[] = [];
  let off = 24;
  while (off < file.length) {
    if (file.length - off < 16) throw new PcapError(`truncated record header at ${off}`);
    const sec = dv.getUint32(off, le);
    const frac = dv.getUint32(off + 4, le);
    const incl = dv.getUint32(off + 8, le);
    if (incl > Math.max(snap, 65535) || off + 16 + incl > file.length)
      throw new PcapError(`bad record length at ${off}`);
    const frame = file.subarray(off + 16, off + 16 + incl);
    off += 16 + incl;
    const udp = udpOf(frame, link);
    if (udp) out.push({ timeMs: sec * 1000 + (nano ? frac / 1e6 : frac / 1e3), ...udp });
  }
  return out;
}

function udpOf(frame: Uint8Array, link: number): Omit<PcapUdp, 'timeMs'> | undefined {
  let ip: Uint8Array;
  if (link === 1) {
    if (frame.length < 14) return undefined;
    let type = (frame[12]! << 8) | frame[13]!;
    let at = 14;
    while (type === 0x8100 && frame.length >= at + 4) {
      type = (frame[at + 2]! << 8) | frame[at + 3]!; // 802.1Q tag
      at += 4;
    }
    if (type !== 0x0800 && type !== 0x86dd) return undefined;
    ip = frame.subarray(at);
  } else if (link === 101) ip = frame;
  else if (link === 113) ip = frame.subarray(16);
  else if (link === 0) ip = frame.subarray(4);
  else throw new PcapError(`link type ${link} not supported`);
  if (ip.length < 1) return undefined;
  const version = ip[0]! >> 4;
  let udp: Uint8Array;
  let src: string;
  let dst: string;
  if (version === 4) {
    const ihl = (ip[0]! & 0x0f) * 4;
    if (ip.length < ihl + 8 || ip[9] !== 17) return undefined;
    if (((ip[6]! & 0x3f) << 8) | ip[7]! || ip[6]! & 0x20) return undefined; // a fragment
    const total = (ip[2]! << 8) | ip[3]!;
    udp = ip.subarray(ihl, Math.min(ip.length, total));
    src = [...ip.subarray(12, 16)].join('.');
    dst = [...ip.subarray(16, 20)].join('.');
  } else if (version === 6) {
    if (ip.length < 48 || ip[6] !== 17) return undefined;
    udp = ip.subarray(40, 40 + ((ip[4]! << 8) | ip[5]!));
    const hex = (b: Uint8Array) =>
      Array.from({ length: 8 }, (_, i) => ((b[2 * i]! << 8) | b[2 * i + 1]!).toString(16)).join(':');
    src = hex(ip.subarray(8, 24));
    dst = hex(ip.subarray(24, 40));
  } else return undefined;
  if (udp.length < 8) return undefined;
  const len = (udp[4]! << 8) | udp[5]!;
  if (len < 8 || len > udp.length) return undefined;
  return {
    src,
    srcPort: (udp[0]! << 8) | udp[1]!,
    dst,
    dstPort: (udp[2]! << 8) | udp[3]!,
    payload: udp.subarray(8, len),
  };
}

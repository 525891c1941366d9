/**
 * A classic libpcap file writer for `mdh call --pcap` / `mdh echo --pcap`.
 *
 * Format: the pcap file format (magic 0xa1b2c3d4, version 2.4, microsecond timestamps, written little-endian as
 * the host libpcap does), link type LINKTYPE_RAW (101): every record is one IPv4 or IPv6 packet that this writer
 * synthesizes around a datagram — an IPv4 header (RFC 791, header checksum filled in) or an IPv6 header
 * (RFC 8200), then a UDP header (RFC 768, checksum filled in, mandatory for IPv6 per RFC 8200 §8.1) with the real
 * local and remote addresses and ports.
 *
 * What is written is what went over the wire, with one documented exception: SIP over TCP, TLS or WebSocket is
 * written as one UDP datagram per SIP message (the message itself, in clear text — for TLS/WSS the bytes before
 * encryption / after decryption), between the real addresses and ports. A synthesized TCP stream would need
 * invented sequence numbers and handshakes; one message per datagram is what Wireshark's SIP dissector reads
 * best. Media (RTP, RTCP, SRTP, SRTCP, DTLS, STUN) are UDP already and are written byte for byte.
 */
import diagnostics_channel from 'node:diagnostics_channel';
import { closeSync, openSync, writeSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';

/** LINKTYPE_RAW: each record starts with an IPv4 or IPv6 header (tcpdump.org link-layer header types). */
export const LINKTYPE_RAW = 101;

/** The largest datagram written whole; longer ones are truncated (incl_len < orig_len), as a snap length. */
export const PCAP_SNAPLEN = 65535;

/** One UDP endpoint: an IPv4 or IPv6 literal and a port. */
export interface PcapEndpoint {
  address: string;
  port: number;
}

/** The 24-byte pcap global header (little-endian, µs timestamps, LINKTYPE_RAW). */
export function pcapGlobalHeader(): Uint8Array {
  const b = new Uint8Array(24);
  const v = new DataView(b.buffer);
  v.setUint32(0, 0xa1b2c3d4, true);
  v.setUint16(4, 2, true);
  v.setUint16(6, 4, true);
  v.setInt32(8, 0, true); // thiszone
  v.setUint32(12, 0, true); // sigfigs
  v.setUint32(16, PCAP_SNAPLEN, true);
  v.setUint32(20, LINKTYPE_RAW, true);
  return b;
}

function ipv4Bytes(a: string): Uint8Array {
  return Uint8Array.from(a.split('.').map(Number));
}

function ipv6Bytes(a: string): Uint8Array {
  let s = a.replace(/%.*$/, '');
  // IPv4-mapped tail (::ffff:1.2.3.4)
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const b = ipv4Bytes(v4[1]!);
    s = `${s.slice(0, -v4[1]!.length)}${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head, tail] = s.includes('::') ? (s.split('::') as [string, string]) : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const n = Number.parseInt(g, 16);
    out[2 * i] = n >> 8;
    out[2 * i + 1] = n & 0xff;
  });
  return out;
}

/** The address as an IPv6 one (IPv4 → IPv4-mapped, RFC 4291 §2.5.5.2), for mixed-family pairs. */
function asV6(a: string): Uint8Array {
  return isIPv6(a) ? ipv6Bytes(a) : ipv6Bytes(`::ffff:${isIPv4(a) ? a : '0.0.0.0'}`);
}

/** Ones' complement sum of 16-bit words (RFC 1071), not yet folded. */
function sum16(b: Uint8Array, start: number, end: number, acc = 0): number {
  let s = acc;
  let i = start;
  for (; i + 1 < end; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if (i < end) s += b[i]! << 8;
  return s;
}

function fold(s: number): number {
  let x = s;
  while (x > 0xffff) x = (x & 0xffff) + (x >>> 16);
  return ~x & 0xffff;
}

/**
 * One IP packet carrying `payload` in a UDP datagram from `src` to `dst`: IPv4 when both addresses are IPv4, else
 * IPv6 (an IPv4 side written IPv4-mapped).
 */
export function udpPacket(src: PcapEndpoint, dst: PcapEndpoint, payload: Uint8Array): Uint8Array {
  const v4 = isIPv4(src.address) && isIPv4(dst.address);
  const ipLen = v4 ? 20 : 40;
  const udpLen = 8 + payload.length;
  const p = new Uint8Array(ipLen + udpLen);
  const v = new DataView(p.buffer);
  const s = v4 ? ipv4Bytes(src.address) : asV6(src.address);
  const d = v4 ? ipv4Bytes(dst.address) : asV6(dst.address);
  if (v4) {
    p[0] = 0x45;
    v.setUint16(2, Math.min(0xffff, ipLen + udpLen));
    v.setUint16(6, 0x4000); // DF
    p[8] = 64; // TTL
    p[9] = 17; // UDP
    p.set(s, 12);
    p.set(d, 16);
    v.setUint16(10, fold(sum16(p, 0, 20)));
  } else {
    p[0] = 0x60;
    v.setUint16(4, Math.min(0xffff, udpLen));
    p[6] = 17; // next header: UDP
    p[7] = 64; // hop limit
    p.set(s, 8);
    p.set(d, 24);
  }
  v.setUint16(ipLen, src.port);
  v.setUint16(ipLen + 2, dst.port);
  v.setUint16(ipLen + 4, Math.min(0xffff, udpLen));
  p.set(payload, ipLen + 8);
  // UDP checksum over the pseudo-header (RFC 768; RFC 8200 §8.1 for IPv6) and the datagram
  let acc = sum16(s, 0, s.length);
  acc = sum16(d, 0, d.length, acc);
  acc += 17 + udpLen;
  acc = sum16(p, ipLen, p.length, acc);
  const c = fold(acc);
  v.setUint16(ipLen + 6, c === 0 ? 0xffff : c);
  return p;
}

/** One pcap record (16-byte header + the packet, cut at {@link PCAP_SNAPLEN}) at `timeUs` µs since the epoch. */
export function pcapRecord(packet: Uint8Array, timeUs: number): Uint8Array {
  const incl = Math.min(packet.length, PCAP_SNAPLEN);
  const r = new Uint8Array(16 + incl);
  const v = new DataView(r.buffer);
  v.setUint32(0, Math.floor(timeUs / 1e6), true);
  v.setUint32(4, Math.floor(timeUs % 1e6), true);
  v.setUint32(8, incl, true);
  v.setUint32(12, packet.length, true);
  r.set(packet.subarray(0, incl), 16);
  return r;
}

/** Microseconds since the epoch, from the high-resolution clock. */
function nowUs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

/**
 * Appends packets to a pcap file. Records are buffered and written when 64 KiB are pending, every 500 ms, and
 * on {@link PcapWriter.close}; `count` is the number of records written.
 */
export class PcapWriter {
  /** Records written (or pending). */
  count = 0;
  private readonly fd: number;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private readonly timer: ReturnType<typeof setInterval>;
  private closed = false;

  /** Creates (truncates) `path` and writes the global header; throws the file system's error. */
  constructor(path: string) {
    this.fd = openSync(path, 'w');
    writeSync(this.fd, pcapGlobalHeader());
    this.timer = setInterval(() => this.flush(), 500);
    this.timer.unref();
  }

  /** Records one UDP datagram from `src` to `dst` (now, unless `timeUs` is given). */
  udp(src: PcapEndpoint, dst: PcapEndpoint, payload: Uint8Array, timeUs = nowUs()): void {
    if (this.closed) return;
    const r = pcapRecord(udpPacket(src, dst, payload), timeUs);
    this.pending.push(r);
    this.pendingBytes += r.length;
    this.count++;
    if (this.pendingBytes >= 65536) this.flush();
  }

  /** Writes what is pending. */
  flush(): void {
    if (this.pending.length === 0) return;
    const all = new Uint8Array(this.pendingBytes);
    let o = 0;
    for (const r of this.pending) {
      all.set(r, o);
      o += r.length;
    }
    this.pending = [];
    this.pendingBytes = 0;
    try {
      writeSync(this.fd, all);
    } catch {
      // a full disk loses records, never the call
    }
  }

  /** Flushes and closes the file. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    clearInterval(this.timer);
    closeSync(this.fd);
  }
}

/** A running capture (see {@link startPcapCapture}). */
export interface PcapCapture {
  /** The file. */
  readonly writer: PcapWriter;
  /** Unsubscribes and closes the file. Idempotent. */
  stop(): void;
}

/** Splits `address:port` (IPv6 without brackets, as the SIP trace's `local`). */
function splitLocal(s: string): PcapEndpoint {
  const i = s.lastIndexOf(':');
  return { address: s.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(s.slice(i + 1)) };
}

/**
 * Writes every SIP message (the `mdh:sip:send` / `mdh:sip:receive` diagnostics channels of @mdh/sip) and every
 * media datagram (`mdh:media:packet` of @mdh/media) of this process into the pcap file `path`, until `stop()`.
 */
export function startPcapCapture(path: string): PcapCapture {
  const writer = new PcapWriter(path);
  const sip = (m: unknown) => {
    const e = m as { direction: 'send' | 'receive'; data: Uint8Array; peer: PcapEndpoint; local: string };
    const local = splitLocal(e.local);
    const peer = { address: e.peer.address, port: e.peer.port };
    if (e.direction === 'send') writer.udp(local, peer, e.data);
    else writer.udp(peer, local, e.data);
  };
  const media = (m: unknown) => {
    const e = m as { direction: 'send' | 'receive'; data: Uint8Array; local: PcapEndpoint; remote: PcapEndpoint };
    if (e.direction === 'send') writer.udp(e.local, e.remote, e.data);
    else writer.udp(e.remote, e.local, e.data);
  };
  diagnostics_channel.subscribe('mdh:sip:send', sip);
  diagnostics_channel.subscribe('mdh:sip:receive', sip);
  diagnostics_channel.subscribe('mdh:media:packet', media);
  let stopped = false;
  // a second Ctrl-C exits at once (process.exit): what is buffered is still written
  const onExit = () => writer.close();
  process.once('exit', onExit);
  return {
    writer,
    stop() {
      if (stopped) return;
      stopped = true;
      process.off('exit', onExit);
      diagnostics_channel.unsubscribe('mdh:sip:send', sip);
      diagnostics_channel.unsubscribe('mdh:sip:receive', sip);
      diagnostics_channel.unsubscribe('mdh:media:packet', media);
      writer.close();
    },
  };
}

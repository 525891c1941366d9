/**
 * Source Description, RFC 3550 §6.5 (PT 202): SC chunks, each an SSRC/CSRC followed by items
 * (type, length, UTF-8 text) and terminated by one or more null octets up to the next 32-bit boundary.
 * PRIV items (§6.5.8) carry a prefix length and prefix before the value.
 */
import { utf8Encode } from '@mdh/bytes';
import { RtcpParseError } from '../errors.js';
import {
  checkRange,
  decodeText,
  need,
  RtcpPacketBase,
  RtcpType,
  type RtcpView,
  r32,
  singleView,
  w32,
} from './common.js';

/** SDES item types (RFC 3550 §12.2). */
export const SdesType = {
  END: 0,
  CNAME: 1,
  NAME: 2,
  EMAIL: 3,
  PHONE: 4,
  LOC: 5,
  TOOL: 6,
  NOTE: 7,
  PRIV: 8,
} as const;

/** One SDES item. For PRIV (type 8) `prefix` holds the prefix string and `text` the value. */
export interface SdesItem {
  /** Item type 1..255 (see {@link SdesType}). */
  type: number;
  /** Item text (UTF-8 on the wire). */
  text: string;
  /** PRIV prefix (type 8 only). */
  prefix?: string;
}

/** One SDES chunk: a source and its items. */
export interface SdesChunk {
  /** SSRC or CSRC the items describe. */
  ssrc: number;
  /** Items in wire order. */
  items: SdesItem[];
}

/** An RTCP Source Description packet (RFC 3550 §6.5). */
export class SourceDescription extends RtcpPacketBase {
  /** Discriminant of the RTCP packet union. */
  get kind(): 'sdes' {
    return 'sdes';
  }
  /** RTCP packet type (SDES). */
  get packetType(): typeof RtcpType.SDES {
    return RtcpType.SDES;
  }
  /** Chunks (at most 31). */
  chunks: SdesChunk[];

  /** Builds an SDES from chunks. */
  constructor(chunks: SdesChunk[] = []) {
    super();
    this.chunks = chunks;
  }

  /** An SDES packet with a single CNAME item for `ssrc` (RFC 3550 §6.5.1). */
  static cname(ssrc: number, cname: string): SourceDescription {
    return new SourceDescription([{ ssrc, items: [{ type: SdesType.CNAME, text: cname }] }]);
  }

  /**
   * Parses one SourceDescription from `buf` at `offset` (header included; bytes after the packet are not examined).
   * Throws {@link RtcpParseError}, also when the packet is of another type.
   */
  static parse(buf: Uint8Array, offset = 0): SourceDescription {
    const v = singleView(buf, offset, RtcpType.SDES);
    return SourceDescription.parseView(v);
  }

  /** Parses the SDES at `v` (called by the compound parser). Throws {@link RtcpParseError}. */
  static parseView(v: RtcpView): SourceDescription {
    const b = v.buf;
    const sdes = new SourceDescription();
    let o = v.bodyStart;
    for (let c = 0; c < v.count; c++) {
      need(v, o, 4, 'SDES chunk SSRC');
      const chunk: SdesChunk = { ssrc: r32(b, o), items: [] };
      o += 4;
      for (;;) {
        if (o >= v.bodyEnd) throw new RtcpParseError('bad-sdes', o, 'SDES chunk without a terminating null item');
        const type = b[o]!;
        if (type === 0) break;
        need(v, o, 2, 'SDES item header');
        const len = b[o + 1]!;
        need(v, o + 2, len, 'SDES item text');
        const s = o + 2;
        if (type === SdesType.PRIV) {
          // §6.5.8: prefix length, prefix string, value string.
          const pl = len > 0 ? b[s]! : 0;
          if (len === 0 || 1 + pl > len) throw new RtcpParseError('bad-sdes', s, 'PRIV prefix longer than the item');
          chunk.items.push({
            type,
            prefix: decodeText(b, s + 1, s + 1 + pl),
            text: decodeText(b, s + 1 + pl, s + len),
          });
        } else {
          chunk.items.push({ type, text: decodeText(b, s, s + len) });
        }
        o = s + len;
      }
      // The null item ends the chunk; further nulls pad it to the next 32-bit boundary (relative to the packet).
      o = v.offset + ((o - v.offset + 4) & ~3);
      if (o > v.bodyEnd) throw new RtcpParseError('bad-sdes', v.bodyEnd, 'SDES chunk padding runs past the packet');
      sdes.chunks.push(chunk);
    }
    sdes.paddingLength = v.paddingLength;
    return sdes;
  }

  /** The CNAME of `ssrc` (or of the first chunk when omitted), if present. */
  getCname(ssrc?: number): string | undefined {
    for (const c of this.chunks) {
      if (ssrc !== undefined && c.ssrc !== ssrc) continue;
      for (const it of c.items) if (it.type === SdesType.CNAME) return it.text;
    }
    return undefined;
  }

  protected countField(): number {
    return this.chunks.length;
  }

  protected bodySize(): number {
    let n = 0;
    for (const c of this.chunks) {
      let k = 4;
      for (const it of c.items) k += 2 + itemLength(it);
      n += (k + 4) & ~3;
    }
    return n;
  }

  protected writeBody(b: Uint8Array, o: number): void {
    for (const c of this.chunks) {
      checkRange(c.ssrc, 0xffffffff, 'SDES SSRC');
      const start = o;
      w32(b, o, c.ssrc);
      o += 4;
      for (const it of c.items) {
        checkRange(it.type, 255, 'SDES item type');
        if (it.type === 0) throw new RangeError('SDES item type 0 is the END marker, not an item');
        const len = itemLength(it);
        b[o] = it.type;
        b[o + 1] = len;
        o += 2;
        if (it.type === SdesType.PRIV) {
          const p = utf8Encode(it.prefix ?? '');
          b[o] = p.length;
          b.set(p, o + 1);
          b.set(utf8Encode(it.text), o + 1 + p.length);
        } else {
          b.set(utf8Encode(it.text), o);
        }
        o += len;
      }
      const end = start + ((o - start + 4) & ~3);
      b.fill(0, o, end);
      o = end;
    }
  }
}

function itemLength(it: SdesItem): number {
  let n = utf8Encode(it.text).length;
  if (it.type === SdesType.PRIV) n += 1 + utf8Encode(it.prefix ?? '').length;
  if (n > 255) throw new RangeError(`SDES item of ${n} octets exceeds 255`);
  return n;
}

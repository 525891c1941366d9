/**
 * The RTP packet, RFC 3550 §5.1:
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           timestamp                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           synchronization source (SSRC) identifier            |
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * |            contributing source (CSRC) identifiers             |
 * |                             ....                              |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 *
 * Parsing is zero-copy: the packet keeps the input buffer and offsets, and the payload, CSRC list and
 * header extension are materialised on first access. Header fields are plain properties that may be
 * changed before re-serialising.
 */
import { RtpParseError } from './errors.js';
import {
  checkElement,
  extensionElementsSize,
  findExtensionElement,
  fitsOneByte,
  isOneByteProfile,
  isTwoByteProfile,
  ONE_BYTE_PROFILE,
  parseExtensionElements,
  parseExtensionElementsLenient,
  type RtpHeaderExtensionElement,
  TWO_BYTE_PROFILE,
  writeExtensionElements,
} from './header-extension.js';

/** Fields accepted by the {@link RtpPacket} constructor. */
export interface RtpPacketInit {
  /** M bit. Default false. */
  marker?: boolean;
  /** PT, 0..127. Default 0. */
  payloadType?: number;
  /** Sequence number, 0..65535. Default 0. */
  sequenceNumber?: number;
  /** RTP timestamp, 0..2^32-1. Default 0. */
  timestamp?: number;
  /** SSRC, 0..2^32-1. Default 0. */
  ssrc?: number;
  /** Up to 15 CSRC identifiers. */
  csrcs?: readonly number[];
  /** Payload octets (kept by reference). */
  payload?: Uint8Array;
  /** Number of padding octets to append, including the count octet (0 = no padding, else 1..255). */
  paddingLength?: number;
  /** RFC 8285 extension elements. */
  extensions?: readonly RtpHeaderExtensionElement[];
}

const EMPTY = new Uint8Array(0);
const NO_CSRCS: readonly number[] = Object.freeze([]);

const EXT_NONE = 0;
const EXT_RAW = 1; // unmodified block in the source buffer
const EXT_ELEMENTS = 2; // RFC 8285 element list
const EXT_GENERIC = 3; // RFC 3550 opaque block set by the user

/** An RTP packet (RFC 3550 §5.1) with RFC 8285 header extensions. */
export class RtpPacket {
  /** Marker bit (M). */
  marker = false;
  /** Payload type (PT), 0..127. */
  payloadType = 0;
  /** Sequence number, 0..65535. */
  sequenceNumber = 0;
  /** RTP timestamp, 0..2^32-1. */
  timestamp = 0;
  /** Synchronisation source identifier. */
  ssrc = 0;
  /** Padding octets at the end including the count octet (0 when the P bit is clear). */
  paddingLength = 0;

  private _src: Uint8Array = EMPTY;
  private _csrcCount = 0;
  private _csrcs: readonly number[] | null = NO_CSRCS;
  private _payOff = 0;
  private _payLen = 0;
  private _payload: Uint8Array | null = EMPTY;
  private _srcPad = -1;
  private _extMode = EXT_NONE;
  private _extProfile = 0;
  private _extOff = 0;
  private _extLen = 0;
  private _extData: Uint8Array = EMPTY;
  private _extElements: RtpHeaderExtensionElement[] | null = null;
  private _extTwoByte = false;

  /** Builds a packet from fields; every field is optional. Throws RangeError on out-of-range values. */
  constructor(init?: RtpPacketInit) {
    if (init === undefined) return;
    if (init.marker !== undefined) this.marker = init.marker;
    if (init.payloadType !== undefined) this.payloadType = init.payloadType;
    if (init.sequenceNumber !== undefined) this.sequenceNumber = init.sequenceNumber;
    if (init.timestamp !== undefined) this.timestamp = init.timestamp;
    if (init.ssrc !== undefined) this.ssrc = init.ssrc;
    if (init.csrcs !== undefined) this.csrcs = init.csrcs;
    if (init.payload !== undefined) this._payload = init.payload;
    if (init.paddingLength !== undefined) this.paddingLength = init.paddingLength;
    if (init.extensions !== undefined) {
      for (const el of init.extensions) this.setExtension(el.id, el.value);
    }
    this.validate();
  }

  /**
   * Parses an RTP packet (RFC 3550 §5.1, §5.3.1; RFC 8285) without copying. Validates: length ≥ 12, version 2,
   * CSRC list and extension block inside the packet, and when P=1 a padding count of at least 1 that fits after
   * the header. Throws {@link RtpParseError}.
   */
  static parse(buf: Uint8Array): RtpPacket {
    const r = RtpPacket.tryParse(buf);
    if (r instanceof RtpParseError) throw r;
    return r;
  }

  /** Like {@link RtpPacket.parse} but returns the error instead of throwing (for hot receive paths). */
  static tryParse(buf: Uint8Array): RtpPacket | RtpParseError {
    const len = buf.length;
    if (len < 12) return new RtpParseError('truncated', 0, `${len} octets, the fixed header needs 12`);
    const b0 = buf[0]!;
    if (b0 >> 6 !== 2) return new RtpParseError('bad-version', 0, `version ${b0 >> 6}`);
    const cc = b0 & 15;
    let hdr = 12 + 4 * cc;
    if (len < hdr) return new RtpParseError('truncated', 12, `CSRC list of ${cc} needs ${hdr} octets`);
    const p = new RtpPacket();
    if ((b0 & 0x10) !== 0) {
      // RFC 3550 §5.3.1: 16-bit profile, 16-bit length in 32-bit words, then the data.
      if (len < hdr + 4) return new RtpParseError('truncated', hdr, 'extension header');
      const extLen = ((buf[hdr + 2]! << 8) | buf[hdr + 3]!) * 4;
      p._extProfile = (buf[hdr]! << 8) | buf[hdr + 1]!;
      p._extOff = hdr + 4;
      p._extLen = extLen;
      p._extMode = EXT_RAW;
      hdr += 4 + extLen;
      if (len < hdr) return new RtpParseError('truncated', p._extOff - 4, `extension of ${extLen} octets`);
    }
    let pad = 0;
    if ((b0 & 0x20) !== 0) {
      // RFC 3550 §5.1: the last octet counts the padding octets including itself.
      pad = buf[len - 1]!;
      if (pad === 0) return new RtpParseError('bad-padding', len - 1, 'P=1 but the padding count is 0');
      if (pad > len - hdr) {
        return new RtpParseError('bad-padding', len - 1, `padding count ${pad} exceeds the ${len - hdr} octets left`);
      }
    }
    p.marker = (buf[1]! & 0x80) !== 0;
    p.payloadType = buf[1]! & 0x7f;
    p.sequenceNumber = (buf[2]! << 8) | buf[3]!;
    p.timestamp = ((buf[4]! << 24) | (buf[5]! << 16) | (buf[6]! << 8) | buf[7]!) >>> 0;
    p.ssrc = ((buf[8]! << 24) | (buf[9]! << 16) | (buf[10]! << 8) | buf[11]!) >>> 0;
    p.paddingLength = pad;
    p._src = buf;
    p._srcPad = pad;
    p._csrcCount = cc;
    p._csrcs = cc === 0 ? NO_CSRCS : null;
    p._payOff = hdr;
    p._payLen = len - hdr - pad;
    p._payload = null;
    return p;
  }

  /** Protocol version; always 2 (a packet of another version cannot be parsed or built). */
  get version(): number {
    return 2;
  }

  /** Contributing sources (CSRC list), at most 15. */
  get csrcs(): readonly number[] {
    let c = this._csrcs;
    if (c === null) {
      const a: number[] = [];
      const b = this._src;
      for (let i = 0, o = 12; i < this._csrcCount; i++, o += 4) {
        a.push(((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0);
      }
      this._csrcs = c = a;
    }
    return c;
  }
  set csrcs(v: readonly number[]) {
    if (v.length > 15) throw new RangeError(`at most 15 CSRCs fit in an RTP header, got ${v.length}`);
    for (const c of v) checkU32(c, 'CSRC');
    this._csrcs = v.slice();
    this._csrcCount = v.length;
  }

  /** The payload (between the header and the padding), a zero-copy view for a parsed packet. */
  get payload(): Uint8Array {
    let p = this._payload;
    if (p === null) {
      p = this._src.subarray(this._payOff, this._payOff + this._payLen);
      this._payload = p;
    }
    return p;
  }
  set payload(v: Uint8Array) {
    this._payload = v;
  }

  /** Payload length in octets (without materialising the payload view). */
  get payloadLength(): number {
    const p = this._payload;
    return p === null ? this._payLen : p.length;
  }

  /** Length of the header (fixed part, CSRCs and extension block) in octets. */
  get headerLength(): number {
    return 12 + 4 * this._csrcCount + this.extensionBlockSize();
  }

  /** Whether the packet carries a header extension (X bit). */
  get hasExtension(): boolean {
    if (this._extMode === EXT_ELEMENTS) return this._extElements!.length > 0;
    return this._extMode !== EXT_NONE;
  }

  /** The 16-bit "defined by profile" field of the extension block, or null when there is none. */
  get extensionProfile(): number | null {
    switch (this._extMode) {
      case EXT_NONE:
        return null;
      case EXT_ELEMENTS:
        if (this._extElements!.length === 0) return null;
        return this.useTwoByte() ? this._extProfileTwoByte() : ONE_BYTE_PROFILE;
      default:
        return this._extProfile;
    }
  }

  /** The extension block's data (after its 4-octet header), or an empty array when there is none. */
  get extensionData(): Uint8Array {
    switch (this._extMode) {
      case EXT_RAW:
        return this._src.subarray(this._extOff, this._extOff + this._extLen);
      case EXT_GENERIC:
        return this._extData;
      case EXT_ELEMENTS: {
        const els = this._extElements!;
        const two = this.useTwoByte();
        const out = new Uint8Array(extensionElementsSize(els, two));
        writeExtensionElements(els, two, out, 0);
        return out;
      }
      default:
        return EMPTY;
    }
  }

  /**
   * The RFC 8285 elements in wire order (empty for no extension or the generic RFC 3550 form). Throws
   * {@link RtpParseError} if a parsed block is malformed.
   */
  getExtensions(): RtpHeaderExtensionElement[] {
    switch (this._extMode) {
      case EXT_RAW:
        return parseExtensionElements(this._extProfile, this._src, this._extOff, this._extLen);
      case EXT_ELEMENTS:
        return this._extElements!.slice();
      default:
        return [];
    }
  }

  /** The value of RFC 8285 element `id`, or undefined. A malformed block yields the elements before the fault. */
  getExtension(id: number): Uint8Array | undefined {
    switch (this._extMode) {
      case EXT_RAW:
        return findExtensionElement(this._extProfile, this._src, this._extOff, this._extLen, id);
      case EXT_ELEMENTS:
        for (const el of this._extElements!) if (el.id === id) return el.value;
        return undefined;
      default:
        return undefined;
    }
  }

  /**
   * Sets (adds or replaces) RFC 8285 element `id`. The one-byte form is used while every element fits it
   * (ids 1..14, 1..16 octets), else the two-byte form. Replaces a generic RFC 3550 extension block. On a
   * parsed packet whose block is malformed, the elements before the fault are kept. Throws a RangeError only
   * for an `id`/`value` that no RFC 8285 form can carry.
   */
  setExtension(id: number, value: Uint8Array): this {
    checkElement(id, value);
    const els = this.elementsForEdit();
    const i = els.findIndex((e) => e.id === id);
    const el = { id, value };
    if (i >= 0) els[i] = el;
    else els.push(el);
    return this;
  }

  /** Removes RFC 8285 element `id`; returns whether it was present. */
  removeExtension(id: number): boolean {
    if (this._extMode === EXT_RAW && !isOneByteProfile(this._extProfile) && !isTwoByteProfile(this._extProfile)) {
      return false;
    }
    if (this._extMode !== EXT_RAW && this._extMode !== EXT_ELEMENTS) return false;
    const els = this.elementsForEdit();
    const i = els.findIndex((e) => e.id === id);
    if (i < 0) return false;
    els.splice(i, 1);
    return true;
  }

  /** Sets an opaque RFC 3550 §5.3.1 extension block (`data` length must be a multiple of 4). */
  setGenericExtension(profile: number, data: Uint8Array): this {
    if (!Number.isInteger(profile) || profile < 0 || profile > 0xffff) throw new RangeError('profile must be 0..65535');
    if (data.length % 4 !== 0) throw new RangeError('extension data length must be a multiple of 4 (RFC 3550 §5.3.1)');
    if (data.length > 0xffff * 4) throw new RangeError('extension data too long');
    this._extMode = EXT_GENERIC;
    this._extProfile = profile;
    this._extData = data;
    this._extElements = null;
    return this;
  }

  /** Removes the header extension (clears the X bit). */
  clearExtension(): this {
    this._extMode = EXT_NONE;
    this._extElements = null;
    return this;
  }

  /** Total serialised size in octets. */
  size(): number {
    return 12 + 4 * this._csrcCount + this.extensionBlockSize() + this.payloadLength + this.paddingLength;
  }

  /**
   * Writes the packet into `buf` at `offset`; returns the number of octets written. Throws RangeError if the
   * buffer is too small or a field is out of range.
   */
  serializeInto(buf: Uint8Array, offset = 0): number {
    const pt = this.payloadType;
    const seq = this.sequenceNumber;
    const pad = this.paddingLength;
    const ts = this.timestamp;
    const ssrc = this.ssrc;
    if (
      pt >>> 0 !== pt ||
      pt > 127 ||
      seq >>> 0 !== seq ||
      seq > 0xffff ||
      pad >>> 0 !== pad ||
      pad > 255 ||
      ts >>> 0 !== ts ||
      ssrc >>> 0 !== ssrc
    ) {
      this.validate();
    }
    const payload = this.payload;
    const cc = this._csrcCount;
    const mode = this._extMode;
    const hasExt = mode === EXT_ELEMENTS ? this._extElements!.length > 0 : mode !== EXT_NONE;
    const total = 12 + 4 * cc + (hasExt ? this.extensionBlockSize() : 0) + payload.length + pad;
    if (offset < 0 || offset + total > buf.length) {
      throw new RangeError(`RTP packet of ${total} octets does not fit at offset ${offset} of ${buf.length}`);
    }
    let o = offset;
    buf[o] = 0x80 | (pad > 0 ? 0x20 : 0) | (hasExt ? 0x10 : 0) | cc;
    buf[o + 1] = (this.marker ? 0x80 : 0) | pt;
    buf[o + 2] = seq >>> 8;
    buf[o + 3] = seq;
    buf[o + 4] = ts >>> 24;
    buf[o + 5] = ts >>> 16;
    buf[o + 6] = ts >>> 8;
    buf[o + 7] = ts;
    buf[o + 8] = ssrc >>> 24;
    buf[o + 9] = ssrc >>> 16;
    buf[o + 10] = ssrc >>> 8;
    buf[o + 11] = ssrc;
    o += 12;
    if (cc > 0) {
      const cs = this.csrcs;
      for (let i = 0; i < cc; i++, o += 4) {
        const c = cs[i]!;
        buf[o] = c >>> 24;
        buf[o + 1] = c >>> 16;
        buf[o + 2] = c >>> 8;
        buf[o + 3] = c;
      }
    }
    if (hasExt) o = this.writeExtension(buf, o);
    buf.set(payload, o);
    o += payload.length;
    if (pad > 0) {
      if (pad === this._srcPad) {
        // Unchanged padding of a parsed packet: keep its octets (RFC 3550 §5.1 leaves their value open).
        const end = this._src.length;
        for (let i = end - pad; i < end; i++) buf[o++] = this._src[i]!;
      } else {
        for (let i = 1; i < pad; i++) buf[o++] = 0;
        buf[o++] = pad;
      }
    }
    return o - offset;
  }

  /** Serialises into a new buffer of exactly {@link RtpPacket.size} octets. */
  serialize(): Uint8Array {
    const out = new Uint8Array(this.size());
    this.serializeInto(out, 0);
    return out;
  }

  /** A deep copy that owns its bytes (the parsed source buffer is no longer referenced). */
  clone(): RtpPacket {
    return RtpPacket.parse(this.serialize());
  }

  /** Throws RangeError when a header field is out of range. */
  validate(): void {
    checkInt(this.payloadType, 127, 'payload type');
    checkInt(this.sequenceNumber, 0xffff, 'sequence number');
    checkU32(this.timestamp, 'timestamp');
    checkU32(this.ssrc, 'SSRC');
    checkInt(this.paddingLength, 255, 'padding length');
  }

  private extensionBlockSize(): number {
    switch (this._extMode) {
      case EXT_RAW:
        return 4 + this._extLen;
      case EXT_GENERIC:
        return 4 + this._extData.length;
      case EXT_ELEMENTS: {
        const els = this._extElements!;
        if (els.length === 0) return 0;
        return 4 + extensionElementsSize(els, this.useTwoByte());
      }
      default:
        return 0;
    }
  }

  private writeExtension(buf: Uint8Array, o: number): number {
    const mode = this._extMode;
    if (mode === EXT_RAW || mode === EXT_GENERIC) {
      const data = mode === EXT_RAW ? this._src.subarray(this._extOff, this._extOff + this._extLen) : this._extData;
      const p = this._extProfile;
      const words = data.length >>> 2;
      buf[o] = p >>> 8;
      buf[o + 1] = p;
      buf[o + 2] = words >>> 8;
      buf[o + 3] = words;
      buf.set(data, o + 4);
      return o + 4 + data.length;
    }
    const els = this._extElements!;
    const two = this.useTwoByte();
    const p = two ? this._extProfileTwoByte() : ONE_BYTE_PROFILE;
    const n = writeExtensionElements(els, two, buf, o + 4);
    buf[o] = p >>> 8;
    buf[o + 1] = p;
    buf[o + 2] = (n >>> 2) >>> 8;
    buf[o + 3] = n >>> 2;
    return o + 4 + n;
  }

  private _extProfileTwoByte(): number {
    return isTwoByteProfile(this._extProfile) ? this._extProfile : TWO_BYTE_PROFILE;
  }

  private useTwoByte(): boolean {
    return this._extTwoByte || !fitsOneByte(this._extElements!);
  }

  private elementsForEdit(): RtpHeaderExtensionElement[] {
    if (this._extMode === EXT_ELEMENTS) return this._extElements!;
    let els: RtpHeaderExtensionElement[] = [];
    if (this._extMode === EXT_RAW) {
      // Editing a received packet never throws on its extension block: a malformed block keeps the elements
      // before the fault (as getExtension does).
      els = parseExtensionElementsLenient(this._extProfile, this._src, this._extOff, this._extLen);
      this._extTwoByte = isTwoByteProfile(this._extProfile);
      if (!this._extTwoByte) this._extProfile = ONE_BYTE_PROFILE;
    } else {
      this._extTwoByte = false;
      this._extProfile = ONE_BYTE_PROFILE;
    }
    this._extMode = EXT_ELEMENTS;
    this._extElements = els;
    return els;
  }
}

function checkInt(v: number, max: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`RTP ${what} must be 0..${max}, got ${v}`);
}

function checkU32(v: number, what: string): void {
  checkInt(v, 0xffffffff, what);
}

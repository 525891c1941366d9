import { createCipheriv, createDecipheriv } from 'node:crypto';
import { DTLS_1_2 } from './constants.js';

/** DTLS record header length (RFC 6347 §4.1). */
export const RECORD_HEADER_LENGTH = 13;
/** AES-GCM per-record overhead: 8-octet explicit nonce + 16-octet tag (RFC 5288 §3). */
export const AEAD_OVERHEAD = 24;
/** Largest record plaintext (RFC 5246 §6.2.1). */
export const MAX_PLAINTEXT = 16384;

/** A parsed DTLS record (RFC 6347 §4.1, figure "DTLSPlaintext"). `fragment` is a view into the datagram. */
export interface DtlsRecord {
  type: number;
  version: number;
  epoch: number;
  /** 48-bit sequence number. */
  seq: number;
  fragment: Uint8Array;
  /** The 13-octet header bytes (view). */
  header: Uint8Array;
}

/**
 * Splits a datagram into records (several records per datagram are allowed, RFC 6347 §4.1.1). Stops at the first
 * malformed record; returns what it found and whether garbage followed.
 */
export function parseRecords(datagram: Uint8Array): { records: DtlsRecord[]; malformed: boolean } {
  const records: DtlsRecord[] = [];
  let off = 0;
  while (off < datagram.length) {
    if (datagram.length - off < RECORD_HEADER_LENGTH) return { records, malformed: true };
    const d = datagram;
    const type = d[off]!;
    const version = (d[off + 1]! << 8) | d[off + 2]!;
    const epoch = (d[off + 3]! << 8) | d[off + 4]!;
    const seq =
      d[off + 5]! * 2 ** 40 +
      d[off + 6]! * 2 ** 32 +
      ((d[off + 7]! << 24) >>> 0) +
      ((d[off + 8]! << 16) | (d[off + 9]! << 8) | d[off + 10]!);
    const len = (d[off + 11]! << 8) | d[off + 12]!;
    if (off + RECORD_HEADER_LENGTH + len > datagram.length) return { records, malformed: true };
    records.push({
      type,
      version,
      epoch,
      seq,
      header: d.subarray(off, off + RECORD_HEADER_LENGTH),
      fragment: d.subarray(off + RECORD_HEADER_LENGTH, off + RECORD_HEADER_LENGTH + len),
    });
    off += RECORD_HEADER_LENGTH + len;
  }
  return { records, malformed: false };
}

/** Writes the 8-octet epoch||seq (RFC 6347 §4.1) at `off`. */
function writeEpochSeq(out: Uint8Array, off: number, epoch: number, seq: number): void {
  out[off] = epoch >> 8;
  out[off + 1] = epoch & 0xff;
  const hi = Math.floor(seq / 2 ** 32);
  const lo = seq >>> 0;
  out[off + 2] = hi >> 8;
  out[off + 3] = hi & 0xff;
  out[off + 4] = lo >>> 24;
  out[off + 5] = (lo >>> 16) & 0xff;
  out[off + 6] = (lo >>> 8) & 0xff;
  out[off + 7] = lo & 0xff;
}

/** Serializes a plaintext (epoch 0) record. */
export function serializePlainRecord(
  type: number,
  epoch: number,
  seq: number,
  body: Uint8Array,
  version = DTLS_1_2,
): Uint8Array {
  const out = new Uint8Array(RECORD_HEADER_LENGTH + body.length);
  out[0] = type;
  out[1] = version >> 8;
  out[2] = version & 0xff;
  writeEpochSeq(out, 3, epoch, seq);
  out[11] = body.length >> 8;
  out[12] = body.length & 0xff;
  out.set(body, RECORD_HEADER_LENGTH);
  return out;
}

/** AEAD protection of the records of one direction of one epoch. */
export interface RecordCipher {
  /** Octets a protected record adds to its plaintext (explicit nonce + tag). */
  readonly overhead: number;
  /** Protects `plaintext` as a full record (header included). */
  seal(type: number, epoch: number, seq: number, plaintext: Uint8Array): Uint8Array;
  /** Opens a record; undefined when authentication fails. */
  open(rec: DtlsRecord): Uint8Array | undefined;
}

/**
 * AES-GCM record protection for one direction of one epoch (RFC 5288 §3, RFC 6347 §4.1.2.1).
 * nonce = fixed_iv(4) || explicit_nonce(8) where explicit_nonce = epoch||seq;
 * additional_data = epoch||seq(8) || type || version || plaintext length.
 */
export class GcmRecordCipher implements RecordCipher {
  readonly overhead = AEAD_OVERHEAD;
  private readonly algo: string;
  private readonly key: Uint8Array;
  private readonly nonce = new Uint8Array(12);
  private readonly aad = new Uint8Array(13);

  constructor(key: Uint8Array, fixedIv: Uint8Array) {
    this.algo = key.length === 32 ? 'aes-256-gcm' : 'aes-128-gcm';
    this.key = key;
    this.nonce.set(fixedIv.subarray(0, 4), 0);
  }

  /** Protects `plaintext` as a full record (header included). */
  seal(type: number, epoch: number, seq: number, plaintext: Uint8Array): Uint8Array {
    const len = 8 + plaintext.length + 16;
    const out = new Uint8Array(RECORD_HEADER_LENGTH + len);
    out[0] = type;
    out[1] = DTLS_1_2 >> 8;
    out[2] = DTLS_1_2 & 0xff;
    writeEpochSeq(out, 3, epoch, seq);
    out[11] = len >> 8;
    out[12] = len & 0xff;
    // explicit nonce = epoch||seq
    out.copyWithin(RECORD_HEADER_LENGTH, 3, 11);
    this.nonce.set(out.subarray(3, 11), 4);
    this.aad.set(out.subarray(3, 11), 0);
    this.aad[8] = type;
    this.aad[9] = DTLS_1_2 >> 8;
    this.aad[10] = DTLS_1_2 & 0xff;
    this.aad[11] = plaintext.length >> 8;
    this.aad[12] = plaintext.length & 0xff;
    const c = createCipheriv(this.algo as 'aes-128-gcm', this.key, this.nonce, { authTagLength: 16 });
    c.setAAD(this.aad);
    const ct = c.update(plaintext);
    c.final();
    out.set(ct, RECORD_HEADER_LENGTH + 8);
    out.set(c.getAuthTag(), RECORD_HEADER_LENGTH + 8 + plaintext.length);
    return out;
  }

  /** Opens a record; returns undefined when authentication fails (the caller drops it, RFC 6347 §4.1.2.7). */
  open(rec: DtlsRecord): Uint8Array | undefined {
    const f = rec.fragment;
    if (f.length < AEAD_OVERHEAD) return undefined;
    const ptLen = f.length - AEAD_OVERHEAD;
    this.nonce.set(f.subarray(0, 8), 4);
    this.aad.set(rec.header.subarray(3, 11), 0);
    this.aad[8] = rec.type;
    this.aad[9] = rec.version >> 8;
    this.aad[10] = rec.version & 0xff;
    this.aad[11] = ptLen >> 8;
    this.aad[12] = ptLen & 0xff;
    try {
      const d = createDecipheriv(this.algo as 'aes-128-gcm', this.key, this.nonce, { authTagLength: 16 });
      d.setAAD(this.aad);
      d.setAuthTag(f.subarray(8 + ptLen));
      const pt = d.update(f.subarray(8, 8 + ptLen));
      d.final();
      return new Uint8Array(pt.buffer, pt.byteOffset, pt.length);
    } catch {
      return undefined;
    }
  }
}

/**
 * ChaCha20-Poly1305 record protection (RFC 7905 §2): no explicit nonce; nonce = client/server_write_IV(12) XOR
 * (0^32 || epoch(2) || seq(6)); the additional data is that of RFC 5246 §6.2.3.3 with the DTLS epoch||seq.
 */
export class ChaChaRecordCipher implements RecordCipher {
  readonly overhead = 16;
  private readonly key: Uint8Array;
  private readonly iv: Uint8Array;
  private readonly nonce = new Uint8Array(12);
  private readonly aad = new Uint8Array(13);

  constructor(key: Uint8Array, iv: Uint8Array) {
    if (key.length !== 32 || iv.length !== 12)
      throw new RangeError('ChaCha20-Poly1305 needs a 32-octet key and 12-octet IV');
    this.key = key;
    this.iv = iv;
  }

  private setNonce(epochSeq: Uint8Array): void {
    this.nonce.set(this.iv);
    for (let i = 0; i < 8; i++) this.nonce[4 + i]! ^= epochSeq[i]!;
  }

  seal(type: number, epoch: number, seq: number, plaintext: Uint8Array): Uint8Array {
    const len = plaintext.length + 16;
    const out = new Uint8Array(RECORD_HEADER_LENGTH + len);
    out[0] = type;
    out[1] = DTLS_1_2 >> 8;
    out[2] = DTLS_1_2 & 0xff;
    writeEpochSeq(out, 3, epoch, seq);
    out[11] = len >> 8;
    out[12] = len & 0xff;
    const es = out.subarray(3, 11);
    this.setNonce(es);
    this.aad.set(es, 0);
    this.aad[8] = type;
    this.aad[9] = DTLS_1_2 >> 8;
    this.aad[10] = DTLS_1_2 & 0xff;
    this.aad[11] = plaintext.length >> 8;
    this.aad[12] = plaintext.length & 0xff;
    const c = createCipheriv('chacha20-poly1305', this.key, this.nonce, { authTagLength: 16 });
    c.setAAD(this.aad, { plaintextLength: plaintext.length });
    out.set(c.update(plaintext), RECORD_HEADER_LENGTH);
    c.final();
    out.set(c.getAuthTag(), RECORD_HEADER_LENGTH + plaintext.length);
    return out;
  }

  open(rec: DtlsRecord): Uint8Array | undefined {
    const f = rec.fragment;
    if (f.length < 16) return undefined;
    const ptLen = f.length - 16;
    this.setNonce(rec.header.subarray(3, 11));
    this.aad.set(rec.header.subarray(3, 11), 0);
    this.aad[8] = rec.type;
    this.aad[9] = rec.version >> 8;
    this.aad[10] = rec.version & 0xff;
    this.aad[11] = ptLen >> 8;
    this.aad[12] = ptLen & 0xff;
    try {
      const d = createDecipheriv('chacha20-poly1305', this.key, this.nonce, { authTagLength: 16 });
      d.setAAD(this.aad, { plaintextLength: ptLen });
      d.setAuthTag(f.subarray(ptLen));
      const pt = d.update(f.subarray(0, ptLen));
      d.final();
      return new Uint8Array(pt.buffer, pt.byteOffset, pt.length);
    } catch {
      return undefined;
    }
  }
}

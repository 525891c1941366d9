import { type ByteReader, ByteWriter } from '@mdh/bytes';
import { AlertDescription } from '../constants.js';
import { DtlsError } from '../errors.js';
import { parseWith } from './parse-util.js';

/** One hello extension (RFC 5246 §7.4.1.4). */
export interface Extension {
  type: number;
  data: Uint8Array;
}

/** Parses an extension block (without its u16 total length). Duplicate types are an error (RFC 5246 §7.4.1.4). */
export function parseExtensions(r: ByteReader): Extension[] {
  const total = r.u16();
  const end = r.remaining - total;
  if (end < 0) throw new DtlsError('extensions overrun', AlertDescription.decodeError);
  const out: Extension[] = [];
  const seen = new Set<number>();
  while (r.remaining > end) {
    const type = r.u16();
    const len = r.u16();
    if (r.remaining - len < end) throw new DtlsError('extension overrun', AlertDescription.decodeError);
    if (seen.has(type)) throw new DtlsError(`duplicate extension ${type}`, AlertDescription.illegalParameter);
    seen.add(type);
    out.push({ type, data: r.bytes(len) });
  }
  return out;
}

/** Writes an extension block with its u16 total length. */
export function writeExtensions(w: ByteWriter, exts: readonly Extension[]): void {
  const slot = w.reserve(2);
  for (const e of exts) w.u16(e.type).u16(e.data.length).bytes(e.data);
  w.patchU16(slot, w.since(slot));
}

/** Builds a `u16 length || u16 values…` body (supported_groups, signature_algorithms). */
export function u16List(values: readonly number[]): Uint8Array {
  const w = new ByteWriter(2 + values.length * 2);
  w.u16(values.length * 2);
  for (const v of values) w.u16(v);
  return w.finish();
}

/** Parses a `u16 length || u16 values…` body. */
export function parseU16List(data: Uint8Array): number[] {
  return parseWith(data, 'u16 list', (r) => {
    const len = r.u16();
    if (len % 2 !== 0 || len !== r.remaining) throw new DtlsError('bad u16 list', AlertDescription.decodeError);
    const out: number[] = [];
    for (let i = 0; i < len / 2; i++) out.push(r.u16());
    return out;
  });
}

/** use_srtp body (RFC 5764 §4.1.1): `u16 profiles_length || profiles || u8 mki_length || mki`. */
export function serializeUseSrtp(profiles: readonly number[], mki: Uint8Array = new Uint8Array(0)): Uint8Array {
  const w = new ByteWriter(3 + profiles.length * 2 + mki.length);
  w.u16(profiles.length * 2);
  for (const p of profiles) w.u16(p);
  w.u8(mki.length).bytes(mki);
  return w.finish();
}

/** Parses a use_srtp body. */
export function parseUseSrtp(data: Uint8Array): { profiles: number[]; mki: Uint8Array } {
  return parseWith(data, 'use_srtp', (r) => {
    const len = r.u16();
    if (len % 2 !== 0 || len > r.remaining - 1) throw new DtlsError('bad use_srtp', AlertDescription.decodeError);
    const profiles: number[] = [];
    for (let i = 0; i < len / 2; i++) profiles.push(r.u16());
    const mki = r.bytes(r.u8());
    return { profiles, mki };
  });
}

/** ALPN body (RFC 7301 §3.1): `u16 list_length || (u8 len || name)…`. */
export function serializeAlpn(names: readonly string[]): Uint8Array {
  const enc = new TextEncoder();
  const parts = names.map((n) => enc.encode(n));
  const w = new ByteWriter(2 + parts.reduce((a, p) => a + 1 + p.length, 0));
  const slot = w.reserve(2);
  for (const p of parts) w.u8(p.length).bytes(p);
  w.patchU16(slot, w.since(slot));
  return w.finish();
}

/** Parses an ALPN body. */
export function parseAlpn(data: Uint8Array): string[] {
  return parseWith(data, 'ALPN', (r) => {
    const len = r.u16();
    if (len !== r.remaining || len === 0) throw new DtlsError('bad ALPN', AlertDescription.decodeError);
    const dec = new TextDecoder();
    const out: string[] = [];
    while (r.remaining > 0) {
      const n = r.u8();
      if (n === 0) throw new DtlsError('empty ALPN name', AlertDescription.decodeError);
      out.push(dec.decode(r.bytes(n)));
    }
    return out;
  });
}

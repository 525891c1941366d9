/**
 * Bytes builtins (SPEC.md §12.2), bound to @mdh/bytes.
 */
import { ByteReader, ByteWriter, fromHex, latin1Decode, toHex, utf8Encode } from '@mdh/bytes';
import { fail } from '../errors.js';
import { display, kindOf, MBytes, MFloat, type Value } from '../values.js';
import { argInt, argStr } from './core.js';
import type { Registry } from './registry.js';

/** Reads a bytes argument. */
export function argBytes(name: string, v: Value): MBytes {
  if (!(v instanceof MBytes)) fail(`${name}() needs bytes, no' a ${kindOf(v)}`);
  return v;
}

/** A value argument: an int, or a float truncated (SPEC.md §12.2). */
function argVal(name: string, v: Value): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof MFloat) {
    if (!Number.isFinite(v.v)) fail(`${name}() value must be finite`);
    return Math.trunc(v.v);
  }
  return fail(`${name}() needs a number, no' a ${kindOf(v)}`);
}

/** An offset/index argument: must be an integer. */
function argOff(name: string, v: Value): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  return fail(`${name}() offset must be an integer, no' a ${kindOf(v)}`);
}

function checkRead(name: string, b: MBytes, off: number, n: number): void {
  if (off < 0 || off + n > b.len) fail(`${name}() offset ${off} is oot o' range for ${b.len} bytes`);
}

/** Registers the bytes builtins. */
export function registerBytes(r: Registry): void {
  const d = r.def.bind(r);
  d('bytes', 1, ([n]) => {
    const k = argVal('bytes', n as Value);
    if (k > 256 * 1024 * 1024) fail('bytes() that buffer wid be faur too muckle');
    return new MBytes(Math.max(0, k));
  });
  d('bytes_from_string', 1, ([x]) => {
    const v = x as Value;
    return new MBytes(utf8Encode(typeof v === 'string' ? v : display(v)));
  });
  d('bytes_len', 1, ([b]) => argBytes('bytes_len', b as Value).len);
  d('bytes_get', 2, ([b, i]) => {
    const buf = argBytes('bytes_get', b as Value);
    let k = argOff('bytes_get', i as Value);
    if (k < 0) k += buf.len;
    if (k < 0 || k >= buf.len) fail(`bytes_get() index ${i} is oot o' range for ${buf.len} bytes`);
    return buf.buf[k] as number;
  });
  d('bytes_set', 3, ([b, i, v]) => {
    const buf = argBytes('bytes_set', b as Value);
    let k = argOff('bytes_set', i as Value);
    const val = argVal('bytes_set', v as Value);
    if (val < 0 || val > 255) fail(`bytes_set() value ${val} must be 0 tae 255`);
    if (k < 0) k += buf.len;
    if (k < 0 || k >= buf.len) fail(`bytes_set() index ${i} is oot o' range for ${buf.len} bytes`);
    buf.buf[k] = val;
    return buf;
  });
  d('bytes_slice', 3, ([b, s, e]) => {
    const buf = argBytes('bytes_slice', b as Value);
    let st = argOff('bytes_slice', s as Value);
    let en = argOff('bytes_slice', e as Value);
    if (st < 0) st += buf.len;
    if (en < 0) en += buf.len;
    st = Math.max(0, st);
    en = Math.min(en, buf.len);
    if (en <= st) return new MBytes(0);
    return new MBytes(buf.buf.slice(st, en));
  });
  d('bytes_append', 2, ([a, b]) => {
    const dst = argBytes('bytes_append', a as Value);
    const src = argBytes('bytes_append', b as Value);
    dst.append(src === dst ? src.view().slice() : src.view());
    return dst;
  });
  d('bytes_read_u16be', 2, ([b, o]) => {
    const buf = argBytes('bytes_read_u16be', b as Value);
    const off = argOff('bytes_read_u16be', o as Value);
    checkRead('bytes_read_u16be', buf, off, 2);
    return new ByteReader(buf.view(), off).u16();
  });
  d('bytes_read_u32be', 2, ([b, o]) => {
    const buf = argBytes('bytes_read_u32be', b as Value);
    const off = argOff('bytes_read_u32be', o as Value);
    checkRead('bytes_read_u32be', buf, off, 4);
    return new ByteReader(buf.view(), off).u32();
  });
  const writer = (name: string, size: 2 | 4) =>
    d(name, 3, ([b, o, v]) => {
      const buf = argBytes(name, b as Value);
      const off = argOff(name, o as Value);
      const val = argVal(name, v as Value);
      const max = size === 2 ? 0xffff : 0xffffffff;
      if (val < 0 || val > max) fail(`${name}() value ${val} must be 0 tae ${max}`);
      checkRead(name, buf, off, size);
      const w = new ByteWriter(buf.buf.subarray(off, off + size));
      if (size === 2) w.u16(val);
      else w.u32(val);
      return buf;
    });
  writer('bytes_write_u16be', 2);
  writer('bytes_write_u32be', 4);

  // SDK extensions used by the stdlib (documented in the README).
  d('bytes_to_latin1', 1, ([b]) => {
    const v = b as Value;
    return v instanceof MBytes ? latin1Decode(v.view()) : display(v);
  });
  d('bytes_to_hex', 1, ([b]) => toHex(argBytes('bytes_to_hex', b as Value).view()));
  d('bytes_from_hex', 1, ([s]) => {
    const str = argStr('bytes_from_hex', s as Value);
    try {
      return new MBytes(fromHex(str));
    } catch {
      return fail(`bytes_from_hex() '${str}' isnae valid hex`);
    }
  });
  void argInt;
}

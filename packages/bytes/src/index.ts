/**
 * @mdh/bytes — bounds-checked byte cursors and codecs over `Uint8Array`.
 * @packageDocumentation
 */

export {
  concat,
  constantTimeEqual,
  equal,
  fromBase64,
  fromHex,
  latin1Decode,
  latin1Encode,
  toBase64,
  toHex,
  utf8Decode,
  utf8Encode,
} from './codec.js';
export { BytesFormatError, BytesRangeError } from './errors.js';
export { ByteReader } from './reader.js';
export { ByteWriter, type ByteWriterOptions, type Slot } from './writer.js';

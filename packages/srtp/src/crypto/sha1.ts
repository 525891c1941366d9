/**
 * SHA-1 (FIPS 180-4) compression and HMAC-SHA1 (RFC 2104) with the inner and outer states precomputed once per
 * key, so a packet costs only the compressions of its own data plus one outer block.
 */
import { wr32 } from './aes.js';

/** One SHA-1 compression (FIPS 180-4 §6.1.2) of the 64-octet block b[o..o+64), fully unrolled; updates st. */
export function sha1Compress(st: Int32Array, b: Uint8Array, o: number): void {
  let w0 = (b[o + 0]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
  let w1 = (b[o + 4]! << 24) | (b[o + 5]! << 16) | (b[o + 6]! << 8) | b[o + 7]!;
  let w2 = (b[o + 8]! << 24) | (b[o + 9]! << 16) | (b[o + 10]! << 8) | b[o + 11]!;
  let w3 = (b[o + 12]! << 24) | (b[o + 13]! << 16) | (b[o + 14]! << 8) | b[o + 15]!;
  let w4 = (b[o + 16]! << 24) | (b[o + 17]! << 16) | (b[o + 18]! << 8) | b[o + 19]!;
  let w5 = (b[o + 20]! << 24) | (b[o + 21]! << 16) | (b[o + 22]! << 8) | b[o + 23]!;
  let w6 = (b[o + 24]! << 24) | (b[o + 25]! << 16) | (b[o + 26]! << 8) | b[o + 27]!;
  let w7 = (b[o + 28]! << 24) | (b[o + 29]! << 16) | (b[o + 30]! << 8) | b[o + 31]!;
  let w8 = (b[o + 32]! << 24) | (b[o + 33]! << 16) | (b[o + 34]! << 8) | b[o + 35]!;
  let w9 = (b[o + 36]! << 24) | (b[o + 37]! << 16) | (b[o + 38]! << 8) | b[o + 39]!;
  let w10 = (b[o + 40]! << 24) | (b[o + 41]! << 16) | (b[o + 42]! << 8) | b[o + 43]!;
  let w11 = (b[o + 44]! << 24) | (b[o + 45]! << 16) | (b[o + 46]! << 8) | b[o + 47]!;
  let w12 = (b[o + 48]! << 24) | (b[o + 49]! << 16) | (b[o + 50]! << 8) | b[o + 51]!;
  let w13 = (b[o + 52]! << 24) | (b[o + 53]! << 16) | (b[o + 54]! << 8) | b[o + 55]!;
  let w14 = (b[o + 56]! << 24) | (b[o + 57]! << 16) | (b[o + 58]! << 8) | b[o + 59]!;
  let w15 = (b[o + 60]! << 24) | (b[o + 61]! << 16) | (b[o + 62]! << 8) | b[o + 63]!;
  let a = st[0]!;
  let b_ = st[1]!;
  let c = st[2]!;
  let d = st[3]!;
  let e = st[4]!;
  let x = 0;
  e = (((a << 5) | (a >>> 27)) + ((b_ & c) | (~b_ & d)) + e + 0x5a827999 + w0) | 0;
  b_ = (b_ << 30) | (b_ >>> 2);
  d = (((e << 5) | (e >>> 27)) + ((a & b_) | (~a & c)) + d + 0x5a827999 + w1) | 0;
  a = (a << 30) | (a >>> 2);
  c = (((d << 5) | (d >>> 27)) + ((e & a) | (~e & b_)) + c + 0x5a827999 + w2) | 0;
  e = (e << 30) | (e >>> 2);
  b_ = (((c << 5) | (c >>> 27)) + ((d & e) | (~d & a)) + b_ + 0x5a827999 + w3) | 0;
  d = (d << 30) | (d >>> 2);
  a = (((b_ << 5) | (b_ >>> 27)) + ((c & d) | (~c & e)) + a + 0x5a827999 + w4) | 0;
  c = (c << 30) | (c >>> 2);
  e = (((a << 5) | (a >>> 27)) + ((b_ & c) | (~b_ & d)) + e + 0x5a827999 + w5) | 0;
  b_ = (b_ << 30) | (b_ >>> 2);
  d = (((e << 5) | (e >>> 27)) + ((a & b_) | (~a & c)) + d + 0x5a827999 + w6) | 0;
  a = (a << 30) | (a >>> 2);
  c = (((d << 5) | (d >>> 27)) + ((e & a) | (~e & b_)) + c + 0x5a827999 + w7) | 0;
  e = (e << 30) | (e >>> 2);
  b_ = (((c << 5) | (c >>> 27)) + ((d & e) | (~d & a)) + b_ + 0x5a827999 + w8) | 0;
  d = (d << 30) | (d >>> 2);
  a = (((b_ << 5) | (b_ >>> 27)) + ((c & d) | (~c & e)) + a + 0x5a827999 + w9) | 0;
  c = (c << 30) | (c >>> 2);
  e = (((a << 5) | (a >>> 27)) + ((b_ & c) | (~b_ & d)) + e + 0x5a827999 + w10) | 0;
  b_ = (b_ << 30) | (b_ >>> 2);
  d = (((e << 5) | (e >>> 27)) + ((a & b_) | (~a & c)) + d + 0x5a827999 + w11) | 0;
  a = (a << 30) | (a >>> 2);
  c = (((d << 5) | (d >>> 27)) + ((e & a) | (~e & b_)) + c + 0x5a827999 + w12) | 0;
  e = (e << 30) | (e >>> 2);
  b_ = (((c << 5) | (c >>> 27)) + ((d & e) | (~d & a)) + b_ + 0x5a827999 + w13) | 0;
  d = (d << 30) | (d >>> 2);
  a = (((b_ << 5) | (b_ >>> 27)) + ((c & d) | (~c & e)) + a + 0x5a827999 + w14) | 0;
  c = (c << 30) | (c >>> 2);
  e = (((a << 5) | (a >>> 27)) + ((b_ & c) | (~b_ & d)) + e + 0x5a827999 + w15) | 0;
  b_ = (b_ << 30) | (b_ >>> 2);
  x = w13 ^ w8 ^ w2 ^ w0;
  w0 = (x << 1) | (x >>> 31);
  d = (((e << 5) | (e >>> 27)) + ((a & b_) | (~a & c)) + d + 0x5a827999 + w0) | 0;
  a = (a << 30) | (a >>> 2);
  x = w14 ^ w9 ^ w3 ^ w1;
  w1 = (x << 1) | (x >>> 31);
  c = (((d << 5) | (d >>> 27)) + ((e & a) | (~e & b_)) + c + 0x5a827999 + w1) | 0;
  e = (e << 30) | (e >>> 2);
  x = w15 ^ w10 ^ w4 ^ w2;
  w2 = (x << 1) | (x >>> 31);
  b_ = (((c << 5) | (c >>> 27)) + ((d & e) | (~d & a)) + b_ + 0x5a827999 + w2) | 0;
  d = (d << 30) | (d >>> 2);
  x = w0 ^ w11 ^ w5 ^ w3;
  w3 = (x << 1) | (x >>> 31);
  a = (((b_ << 5) | (b_ >>> 27)) + ((c & d) | (~c & e)) + a + 0x5a827999 + w3) | 0;
  c = (c << 30) | (c >>> 2);
  x = w1 ^ w12 ^ w6 ^ w4;
  w4 = (x << 1) | (x >>> 31);
  e = (((a << 5) | (a >>> 27)) + (b_ ^ c ^ d) + e + 0x6ed9eba1 + w4) | 0;
  b_ = (b_ << 30) | (b_ >>> 2);
  x = w2 ^ w13 ^ w7 ^ w5;
  w5 = (x << 1) | (x >>> 31);
  d = (((e << 5) | (e >>> 27)) + (a ^ b_ ^ c) + d + 0x6ed9eba1 + w5) | 0;
  a = (a << 30) | (a >>> 2);
  x = w3 ^ w14 ^ w8 ^ w6;
  w6 = (x << 1) | (x >>> 31);
  c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b_) + c + 0x6ed9eba1 + w6) | 0;
  e = (e << 30) | (e >>> 2);
  x = w4 ^ w15 ^ w9 ^ w7;
  w7 = (x << 1) | (x >>> 31);
  b_ = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b_ + 0x6ed9eba1 + w7) | 0;
  d = (d << 30) | (d >>> 2);
  x = w5 ^ w0 ^ w10 ^ w8;
  w8 = (x << 1) | (x >>> 31);
  a = (((b_ << 5) | (b_ >>> 27)) + (c ^ d ^ e) + a + 0x6ed9eba1 + w8) | 0;
  c = (c << 30) | (c >>> 2);
  x = w6 ^ w1 ^ w11 ^ w9;
  w9 = (x << 1) | (x >>> 31);
  e = (((a << 5) | (a >>> 27)) + (b_ ^ c ^ d) + e + 0x6ed9eba1 + w9) | 0;
  b_ = (b_ << 30) | (b_ >>> 2);
  x = w7 ^ w2 ^ w12 ^ w10;
  w10 = (x << 1) | (x >>> 31);
  d = (((e << 5) | (e >>> 27)) + (a ^ b_ ^ c) + d + 0x6ed9eba1 + w10) | 0;
  a = (a << 30) | (a >>> 2);
  x = w8 ^ w3 ^ w13 ^ w11;
  w11 = (x << 1) | (x >>> 31);
  c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b_) + c + 0x6ed9eba1 + w11) | 0;
  e = (e << 30) | (e >>> 2);
  x = w9 ^ w4 ^ w14 ^ w12;
  w12 = (x << 1) | (x >>> 31);
  b_ = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b_ + 0x6ed9eba1 + w12) | 0;
  d = (d << 30) | (d >>> 2);
  x = w10 ^ w5 ^ w15 ^ w13;
  w13 = (x << 1) | (x >>> 31);
  a = (((b_ << 5) | (b_ >>> 27)) + (c ^ d ^ e) + a + 0x6ed9eba1 + w13) | 0;
  c = (c << 30) | (c >>> 2);
  x = w11 ^ w6 ^ w0 ^ w14;
  w14 = (x << 1) | (x >>> 31);
  e = (((a << 5) | (a >>> 27)) + (b_ ^ c ^ d) + e + 0x6ed9eba1 + w14) | 0;
  b_ = (b_ << 30) | (b_ >>> 2);
  x = w12 ^ w7 ^ w1 ^ w15;
  w15 = (x << 1) | (x >>> 31);
  d = (((e << 5) | (e >>> 27)) + (a ^ b_ ^ c) + d + 0x6ed9eba1 + w15) | 0;
  a = (a << 30) | (a >>> 2);
  x = w13 ^ w8 ^ w2 ^ w0;
  w0 = (x << 1) | (x >>> 31);
  c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b_) + c + 0x6ed9eba1 + w0) | 0;
  e = (e << 30) | (e >>> 2);
  x = w14 ^ w9 ^ w3 ^ w1;
  w1 = (x << 1) | (x >>> 31);
  b_ = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b_ + 0x6ed9eba1 + w1) | 0;
  d = (d << 30) | (d >>> 2);
  x = w15 ^ w10 ^ w4 ^ w2;
  w2 = (x << 1) | (x >>> 31);
  a = (((b_ << 5) | (b_ >>> 27)) + (c ^ d ^ e) + a + 0x6ed9eba1 + w2) | 0;
  c = (c << 30) | (c >>> 2);
  x = w0 ^ w11 ^ w5 ^ w3;
  w3 = (x << 1) | (x >>> 31);
  e = (((a << 5) | (a >>> 27)) + (b_ ^ c ^ d) + e + 0x6ed9eba1 + w3) | 0;
  b_ = (b_ << 30) | (b_ >>> 2);
  x = w1 ^ w12 ^ w6 ^ w4;
  w4 = (x << 1) | (x >>> 31);
  d = (((e << 5) | (e >>> 27)) + (a ^ b_ ^ c) + d + 0x6ed9eba1 + w4) | 0;
  a = (a << 30) | (a >>> 2);
  x = w2 ^ w13 ^ w7 ^ w5;
  w5 = (x << 1) | (x >>> 31);
  c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b_) + c + 0x6ed9eba1 + w5) | 0;
  e = (e << 30) | (e >>> 2);
  x = w3 ^ w14 ^ w8 ^ w6;
  w6 = (x << 1) | (x >>> 31);
  b_ = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b_ + 0x6ed9eba1 + w6) | 0;
  d = (d << 30) | (d >>> 2);
  x = w4 ^ w15 ^ w9 ^ w7;
  w7 = (x << 1) | (x >>> 31);
  a = (((b_ << 5) | (b_ >>> 27)) + (c ^ d ^ e) + a + 0x6ed9eba1 + w7) | 0;
  c = (c << 30) | (c >>> 2);
  x = w5 ^ w0 ^ w10 ^ w8;
  w8 = (x << 1) | (x >>> 31);
  e = (((a << 5) | (a >>> 27)) + ((b_ & c) | (b_ & d) | (c & d)) + e + 0x8f1bbcdc + w8) | 0;
  b_ = (b_ << 30) | (b_ >>> 2);
  x = w6 ^ w1 ^ w11 ^ w9;
  w9 = (x << 1) | (x >>> 31);
  d = (((e << 5) | (e >>> 27)) + ((a & b_) | (a & c) | (b_ & c)) + d + 0x8f1bbcdc + w9) | 0;
  a = (a << 30) | (a >>> 2);
  x = w7 ^ w2 ^ w12 ^ w10;
  w10 = (x << 1) | (x >>> 31);
  c = (((d << 5) | (d >>> 27)) + ((e & a) | (e & b_) | (a & b_)) + c + 0x8f1bbcdc + w10) | 0;
  e = (e << 30) | (e >>> 2);
  x = w8 ^ w3 ^ w13 ^ w11;
  w11 = (x << 1) | (x >>> 31);
  b_ = (((c << 5) | (c >>> 27)) + ((d & e) | (d & a) | (e & a)) + b_ + 0x8f1bbcdc + w11) | 0;
  d = (d << 30) | (d >>> 2);
  x = w9 ^ w4 ^ w14 ^ w12;
  w12 = (x << 1) | (x >>> 31);
  a = (((b_ << 5) | (b_ >>> 27)) + ((c & d) | (c & e) | (d & e)) + a + 0x8f1bbcdc + w12) | 0;
  c = (c << 30) | (c >>> 2);
  x = w10 ^ w5 ^ w15 ^ w13;
  w13 = (x << 1) | (x >>> 31);
  e = (((a << 5) | (a >>> 27)) + ((b_ & c) | (b_ & d) | (c & d)) + e + 0x8f1bbcdc + w13) | 0;
  b_ = (b_ << 30) | (b_ >>> 2);
  x = w11 ^ w6 ^ w0 ^ w14;
  w14 = (x << 1) | (x >>> 31);
  d = (((e << 5) | (e >>> 27)) + ((a & b_) | (a & c) | (b_ & c)) + d + 0x8f1bbcdc + w14) | 0;
  a = (a << 30) | (a >>> 2);
  x = w12 ^ w7 ^ w1 ^ w15;
  w15 = (x << 1) | (x >>> 31);
  c = (((d << 5) | (d >>> 27)) + ((e & a) | (e & b_) | (a & b_)) + c + 0x8f1bbcdc + w15) | 0;
  e = (e << 30) | (e >>> 2);
  x = w13 ^ w8 ^ w2 ^ w0;
  w0 = (x << 1) | (x >>> 31);
  b_ = (((c << 5) | (c >>> 27)) + ((d & e) | (d & a) | (e & a)) + b_ + 0x8f1bbcdc + w0) | 0;
  d = (d << 30) | (d >>> 2);
  x = w14 ^ w9 ^ w3 ^ w1;
  w1 = (x << 1) | (x >>> 31);
  a = (((b_ << 5) | (b_ >>> 27)) + ((c & d) | (c & e) | (d & e)) + a + 0x8f1bbcdc + w1) | 0;
  c = (c << 30) | (c >>> 2);
  x = w15 ^ w10 ^ w4 ^ w2;
  w2 = (x << 1) | (x >>> 31);
  e = (((a << 5) | (a >>> 27)) + ((b_ & c) | (b_ & d) | (c & d)) + e + 0x8f1bbcdc + w2) | 0;
  b_ = (b_ << 30) | (b_ >>> 2);
  x = w0 ^ w11 ^ w5 ^ w3;
  w3 = (x << 1) | (x >>> 31);
  d = (((e << 5) | (e >>> 27)) + ((a & b_) | (a & c) | (b_ & c)) + d + 0x8f1bbcdc + w3) | 0;
  a = (a << 30) | (a >>> 2);
  x = w1 ^ w12 ^ w6 ^ w4;
  w4 = (x << 1) | (x >>> 31);
  c = (((d << 5) | (d >>> 27)) + ((e & a) | (e & b_) | (a & b_)) + c + 0x8f1bbcdc + w4) | 0;
  e = (e << 30) | (e >>> 2);
  x = w2 ^ w13 ^ w7 ^ w5;
  w5 = (x << 1) | (x >>> 31);
  b_ = (((c << 5) | (c >>> 27)) + ((d & e) | (d & a) | (e & a)) + b_ + 0x8f1bbcdc + w5) | 0;
  d = (d << 30) | (d >>> 2);
  x = w3 ^ w14 ^ w8 ^ w6;
  w6 = (x << 1) | (x >>> 31);
  a = (((b_ << 5) | (b_ >>> 27)) + ((c & d) | (c & e) | (d & e)) + a + 0x8f1bbcdc + w6) | 0;
  c = (c << 30) | (c >>> 2);
  x = w4 ^ w15 ^ w9 ^ w7;
  w7 = (x << 1) | (x >>> 31);
  e = (((a << 5) | (a >>> 27)) + ((b_ & c) | (b_ & d) | (c & d)) + e + 0x8f1bbcdc + w7) | 0;
  b_ = (b_ << 30) | (b_ >>> 2);
  x = w5 ^ w0 ^ w10 ^ w8;
  w8 = (x << 1) | (x >>> 31);
  d = (((e << 5) | (e >>> 27)) + ((a & b_) | (a & c) | (b_ & c)) + d + 0x8f1bbcdc + w8) | 0;
  a = (a << 30) | (a >>> 2);
  x = w6 ^ w1 ^ w11 ^ w9;
  w9 = (x << 1) | (x >>> 31);
  c = (((d << 5) | (d >>> 27)) + ((e & a) | (e & b_) | (a & b_)) + c + 0x8f1bbcdc + w9) | 0;
  e = (e << 30) | (e >>> 2);
  x = w7 ^ w2 ^ w12 ^ w10;
  w10 = (x << 1) | (x >>> 31);
  b_ = (((c << 5) | (c >>> 27)) + ((d & e) | (d & a) | (e & a)) + b_ + 0x8f1bbcdc + w10) | 0;
  d = (d << 30) | (d >>> 2);
  x = w8 ^ w3 ^ w13 ^ w11;
  w11 = (x << 1) | (x >>> 31);
  a = (((b_ << 5) | (b_ >>> 27)) + ((c & d) | (c & e) | (d & e)) + a + 0x8f1bbcdc + w11) | 0;
  c = (c << 30) | (c >>> 2);
  x = w9 ^ w4 ^ w14 ^ w12;
  w12 = (x << 1) | (x >>> 31);
  e = (((a << 5) | (a >>> 27)) + (b_ ^ c ^ d) + e + 0xca62c1d6 + w12) | 0;
  b_ = (b_ << 30) | (b_ >>> 2);
  x = w10 ^ w5 ^ w15 ^ w13;
  w13 = (x << 1) | (x >>> 31);
  d = (((e << 5) | (e >>> 27)) + (a ^ b_ ^ c) + d + 0xca62c1d6 + w13) | 0;
  a = (a << 30) | (a >>> 2);
  x = w11 ^ w6 ^ w0 ^ w14;
  w14 = (x << 1) | (x >>> 31);
  c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b_) + c + 0xca62c1d6 + w14) | 0;
  e = (e << 30) | (e >>> 2);
  x = w12 ^ w7 ^ w1 ^ w15;
  w15 = (x << 1) | (x >>> 31);
  b_ = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b_ + 0xca62c1d6 + w15) | 0;
  d = (d << 30) | (d >>> 2);
  x = w13 ^ w8 ^ w2 ^ w0;
  w0 = (x << 1) | (x >>> 31);
  a = (((b_ << 5) | (b_ >>> 27)) + (c ^ d ^ e) + a + 0xca62c1d6 + w0) | 0;
  c = (c << 30) | (c >>> 2);
  x = w14 ^ w9 ^ w3 ^ w1;
  w1 = (x << 1) | (x >>> 31);
  e = (((a << 5) | (a >>> 27)) + (b_ ^ c ^ d) + e + 0xca62c1d6 + w1) | 0;
  b_ = (b_ << 30) | (b_ >>> 2);
  x = w15 ^ w10 ^ w4 ^ w2;
  w2 = (x << 1) | (x >>> 31);
  d = (((e << 5) | (e >>> 27)) + (a ^ b_ ^ c) + d + 0xca62c1d6 + w2) | 0;
  a = (a << 30) | (a >>> 2);
  x = w0 ^ w11 ^ w5 ^ w3;
  w3 = (x << 1) | (x >>> 31);
  c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b_) + c + 0xca62c1d6 + w3) | 0;
  e = (e << 30) | (e >>> 2);
  x = w1 ^ w12 ^ w6 ^ w4;
  w4 = (x << 1) | (x >>> 31);
  b_ = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b_ + 0xca62c1d6 + w4) | 0;
  d = (d << 30) | (d >>> 2);
  x = w2 ^ w13 ^ w7 ^ w5;
  w5 = (x << 1) | (x >>> 31);
  a = (((b_ << 5) | (b_ >>> 27)) + (c ^ d ^ e) + a + 0xca62c1d6 + w5) | 0;
  c = (c << 30) | (c >>> 2);
  x = w3 ^ w14 ^ w8 ^ w6;
  w6 = (x << 1) | (x >>> 31);
  e = (((a << 5) | (a >>> 27)) + (b_ ^ c ^ d) + e + 0xca62c1d6 + w6) | 0;
  b_ = (b_ << 30) | (b_ >>> 2);
  x = w4 ^ w15 ^ w9 ^ w7;
  w7 = (x << 1) | (x >>> 31);
  d = (((e << 5) | (e >>> 27)) + (a ^ b_ ^ c) + d + 0xca62c1d6 + w7) | 0;
  a = (a << 30) | (a >>> 2);
  x = w5 ^ w0 ^ w10 ^ w8;
  w8 = (x << 1) | (x >>> 31);
  c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b_) + c + 0xca62c1d6 + w8) | 0;
  e = (e << 30) | (e >>> 2);
  x = w6 ^ w1 ^ w11 ^ w9;
  w9 = (x << 1) | (x >>> 31);
  b_ = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b_ + 0xca62c1d6 + w9) | 0;
  d = (d << 30) | (d >>> 2);
  x = w7 ^ w2 ^ w12 ^ w10;
  w10 = (x << 1) | (x >>> 31);
  a = (((b_ << 5) | (b_ >>> 27)) + (c ^ d ^ e) + a + 0xca62c1d6 + w10) | 0;
  c = (c << 30) | (c >>> 2);
  x = w8 ^ w3 ^ w13 ^ w11;
  w11 = (x << 1) | (x >>> 31);
  e = (((a << 5) | (a >>> 27)) + (b_ ^ c ^ d) + e + 0xca62c1d6 + w11) | 0;
  b_ = (b_ << 30) | (b_ >>> 2);
  x = w9 ^ w4 ^ w14 ^ w12;
  w12 = (x << 1) | (x >>> 31);
  d = (((e << 5) | (e >>> 27)) + (a ^ b_ ^ c) + d + 0xca62c1d6 + w12) | 0;
  a = (a << 30) | (a >>> 2);
  x = w10 ^ w5 ^ w15 ^ w13;
  w13 = (x << 1) | (x >>> 31);
  c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b_) + c + 0xca62c1d6 + w13) | 0;
  e = (e << 30) | (e >>> 2);
  x = w11 ^ w6 ^ w0 ^ w14;
  w14 = (x << 1) | (x >>> 31);
  b_ = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b_ + 0xca62c1d6 + w14) | 0;
  d = (d << 30) | (d >>> 2);
  x = w12 ^ w7 ^ w1 ^ w15;
  w15 = (x << 1) | (x >>> 31);
  a = (((b_ << 5) | (b_ >>> 27)) + (c ^ d ^ e) + a + 0xca62c1d6 + w15) | 0;
  c = (c << 30) | (c >>> 2);
  st[0] = (st[0]! + a) | 0;
  st[1] = (st[1]! + b_) | 0;
  st[2] = (st[2]! + c) | 0;
  st[3] = (st[3]! + d) | 0;
  st[4] = (st[4]! + e) | 0;
}

const IV = [0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476, 0xc3d2e1f0 | 0];

/** Plain SHA-1 of a byte string (used for HMAC keys longer than a block). */
export function sha1(data: Uint8Array): Uint8Array {
  const st = Int32Array.from(IV);
  const total = data.length;
  const padded = new Uint8Array((((total + 8) >>> 6) + 1) * 64);
  padded.set(data);
  padded[total] = 0x80;
  const bits = total * 8;
  wr32(padded, padded.length - 8, Math.floor(bits / 0x100000000));
  wr32(padded, padded.length - 4, bits >>> 0);
  for (let o = 0; o < padded.length; o += 64) sha1Compress(st, padded, o);
  const out = new Uint8Array(20);
  for (let j = 0; j < 5; j++) wr32(out, 4 * j, st[j]!);
  return out;
}

/**
 * The HMAC-SHA1 chaining values after the ipad and the opad block (RFC 2104 §2), the state every packet's
 * inner and outer hash starts from.
 */
export function hmacSha1States(key: Uint8Array, inner: Int32Array, outer: Int32Array): void {
  const k = key.length > 64 ? sha1(key) : key;
  const pad = new Uint8Array(64);
  pad.set(k);
  inner.set(IV);
  outer.set(IV);
  for (let j = 0; j < 64; j++) pad[j] = pad[j]! ^ 0x36;
  sha1Compress(inner, pad, 0);
  for (let j = 0; j < 64; j++) pad[j] = pad[j]! ^ 0x36 ^ 0x5c;
  sha1Compress(outer, pad, 0);
  pad.fill(0);
}

/** HMAC-SHA1 with precomputed inner/outer chaining values. */
export class HmacSha1 {
  private readonly inner = new Int32Array(5);
  private readonly outer = new Int32Array(5);
  private readonly st = new Int32Array(5);
  private readonly tail = new Uint8Array(128);
  private readonly outerBlock = new Uint8Array(64);

  constructor(key: Uint8Array) {
    hmacSha1States(key, this.inner, this.outer);
    this.outerBlock[20] = 0x80;
    wr32(this.outerBlock, 60, 672);
  }

  /**
   * Writes the first `tagLen` octets of HMAC(key, data[start..end) || ROC) to out[oo..]; `roc < 0` means no ROC
   * word (SRTCP). RFC 3711 §4.2: the SRTP authenticated portion is followed by the 32-bit ROC.
   */
  sign(data: Uint8Array, start: number, end: number, roc: number, out: Uint8Array, oo: number, tagLen: number): void {
    const st = this.st;
    st.set(this.inner);
    let o = start;
    while (end - o >= 64) {
      sha1Compress(st, data, o);
      o += 64;
    }
    const tail = this.tail;
    let n = end - o;
    for (let i = 0; i < n; i++) tail[i] = data[o + i]!;
    let msgLen = end - start;
    if (roc >= 0) {
      wr32(tail, n, roc);
      n += 4;
      msgLen += 4;
    }
    tail[n] = 0x80;
    const blocks = n + 9 <= 64 ? 1 : 2;
    const lim = blocks * 64;
    tail.fill(0, n + 1, lim - 8);
    const bits = (msgLen + 64) * 8;
    wr32(tail, lim - 8, Math.floor(bits / 0x100000000));
    wr32(tail, lim - 4, bits >>> 0);
    for (let b = 0; b < lim; b += 64) sha1Compress(st, tail, b);
    // Outer hash: one block = inner digest (20 octets) || 0x80 || zeros || length (64 + 20 octets = 672 bits).
    const ob = this.outerBlock;
    for (let j = 0; j < 5; j++) wr32(ob, 4 * j, st[j]!);
    st.set(this.outer);
    sha1Compress(st, ob, 0);
    for (let i = 0; i < tagLen; i++) out[oo + i] = st[i >> 2]! >>> (24 - 8 * (i & 3));
  }

  /** Zeroes the precomputed states. */
  wipe(): void {
    this.inner.fill(0);
    this.outer.fill(0);
    this.st.fill(0);
    this.tail.fill(0);
    this.outerBlock.fill(0, 0, 20);
  }
}

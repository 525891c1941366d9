#!/usr/bin/env node
// Generates wasm-bytes.ts: the WebAssembly (SIMD) AES-CTR and AES-GCM core of the 'wasm' SRTP backend.
// The module is written here as WAT text (built by the functions below, which unroll what WAT cannot loop
// over, such as constant lane indices) and assembled with the `wabt` npm package:
//   node packages/srtp/src/crypto/wasm-gen.mjs        (rewrites wasm-bytes.ts)
//   node packages/srtp/src/crypto/wasm-gen.mjs --wat  (prints the WAT)
//
// Memory layout (byte offsets), shared by every key of the process:
//   0..4095      T-tables TE0..TE3 (FIPS-197 §5.2 round as table look-ups), 1 KiB each, i32 words
//   4096..4351   S-box (last round)
//   4352..4367   scratch block (partial blocks, lengths block)
//   IO=8192      one packet's input/output area, IO_MAX octets
//   KEYS         key slots of SLOT octets: GHASH tables (16 × 256 × 16 octets, SP 800-38D §6.4 with
//                one table per octet position), then the round keys (i32 words, big-endian values),
//                the last round key byte-swapped (16 octets), and the round count.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const IO = 8192;
export const IO_MAX = 65536 + 512;
export const SLOT = 65536 + 512;
export const KEYS = IO + IO_MAX;
const SB = 4096;
const SCR = 4352;
const RK = 65536; // within a slot
const RKL = RK + 240; // byte-swapped last round key
const NR = RK + 256; // round count (i32)

const g = (n) => `(local.get $${n})`;
const c = (v) => `(i32.const ${v})`;

/** One T-table round from (a,b,c,d) state words; `rk(i)` is the expression of round-key word i. */
function tround(s, t, rk) {
  const [s0, s1, s2, s3] = s;
  const col = (w0, w1, w2, w3, i) =>
    `(local.set $${t[i]} (i32.xor (i32.xor (i32.xor (i32.load offset=0 (i32.shl (i32.shr_u ${g(w0)} ${c(24)}) ${c(2)}))
        (i32.load offset=1024 (i32.and (i32.shr_u ${g(w1)} ${c(14)}) ${c(1020)})))
      (i32.xor (i32.load offset=2048 (i32.and (i32.shr_u ${g(w2)} ${c(6)}) ${c(1020)}))
        (i32.load offset=3072 (i32.and (i32.shl ${g(w3)} ${c(2)}) ${c(1020)}))))
      ${rk(i)}))`;
  return [col(s0, s1, s2, s3, 0), col(s1, s2, s3, s0, 1), col(s2, s3, s0, s1, 2), col(s3, s0, s1, s2, 3)].join('\n');
}

/** T-table `n` look-up of the octet of word `w` that table uses (0: bits 31..24, 1: 23..16, ...). */
function T(n, w) {
  const idx = [
    `(i32.shl (i32.shr_u ${g(w)} ${c(24)}) ${c(2)})`,
    `(i32.and (i32.shr_u ${g(w)} ${c(14)}) ${c(1020)})`,
    `(i32.and (i32.shr_u ${g(w)} ${c(6)}) ${c(1020)})`,
    `(i32.and (i32.shl ${g(w)} ${c(2)}) ${c(1020)})`,
  ][n];
  return `(i32.load offset=${1024 * n} ${idx})`;
}

/** Rounds 2..9 of AES-128 with the round-key offsets as immediates. */
function unrolled128() {
  let out = '';
  for (let r = 2; r <= 9; r++) {
    out += tround(
      ['s0', 's1', 's2', 's3'],
      ['t0', 't1', 't2', 't3'],
      (i) => `(i32.load offset=${RK + 16 * r + 4 * i} ${g('key')})`,
    );
    out += `\n(local.set $s0 ${g('t0')}) (local.set $s1 ${g('t1')}) (local.set $s2 ${g('t2')}) (local.set $s3 ${g('t3')})\n`;
  }
  return out;
}

/** Last round (SubBytes, ShiftRows, AddRoundKey) giving little-endian words (memory order) in o0..o3. */
function lastRound(s, o) {
  const [s0, s1, s2, s3] = s;
  const sb = (e) => `(i32.load8_u offset=${SB} ${e})`;
  const col = (w0, w1, w2, w3, i) =>
    `(local.set $${o[i]} (i32.xor (i32.or (i32.or ${sb(`(i32.shr_u ${g(w0)} ${c(24)})`)}
        (i32.shl ${sb(`(i32.and (i32.shr_u ${g(w1)} ${c(16)}) ${c(255)})`)} ${c(8)}))
      (i32.or (i32.shl ${sb(`(i32.and (i32.shr_u ${g(w2)} ${c(8)}) ${c(255)})`)} ${c(16)})
        (i32.shl ${sb(`(i32.and ${g(w3)} ${c(255)})`)} ${c(24)})))
      (i32.load offset=${RKL + 4 * i} ${g('key')})))`;
  return [col(s0, s1, s2, s3, 0), col(s1, s2, s3, s0, 1), col(s2, s3, s0, s1, 2), col(s3, s0, s1, s2, 3)].join('\n');
}

/** Encrypts the block (x0..x3, big-endian values) under $key into little-endian words k0..k3. */
function encrypt(x) {
  return `
(local.set $s0 (i32.xor ${g(x[0])} (i32.load offset=${RK} ${g('key')})))
(local.set $s1 (i32.xor ${g(x[1])} (i32.load offset=${RK + 4} ${g('key')})))
(local.set $s2 (i32.xor ${g(x[2])} (i32.load offset=${RK + 8} ${g('key')})))
(local.set $s3 (i32.xor ${g(x[3])} (i32.load offset=${RK + 12} ${g('key')})))
(local.set $r (i32.add ${g('key')} ${c(RK + 16)}))
(local.set $rend (i32.add ${g('key')} (i32.add ${c(RK)} (i32.shl (i32.load offset=${NR} ${g('key')}) ${c(4)}))))
(loop $rounds
  ${tround(['s0', 's1', 's2', 's3'], ['t0', 't1', 't2', 't3'], (i) => `(i32.load offset=${4 * i} ${g('r')})`)}
  (local.set $s0 ${g('t0')}) (local.set $s1 ${g('t1')}) (local.set $s2 ${g('t2')}) (local.set $s3 ${g('t3')})
  (local.set $r (i32.add ${g('r')} ${c(16)}))
  (br_if $rounds (i32.lt_u ${g('r')} ${g('rend')})))
${lastRound(['s0', 's1', 's2', 's3'], ['k0', 'k1', 'k2', 'k3'])}`;
}

/** Y = (Y xor block at address expr) · H, 8-bit tables per octet position, Y a v128 in GCM byte order. */
function ghashBlock(addr) {
  let s = `(local.set $a (v128.xor ${g('y')} (v128.load ${addr})))\n(local.set $y (v128.load offset=0 (i32.add ${g('key')} (i32.shl (i8x16.extract_lane_u 0 ${g('a')}) ${c(4)}))))\n`;
  for (let k = 1; k < 16; k++) {
    s += `(local.set $y (v128.xor ${g('y')} (v128.load offset=${k * 4096} (i32.add ${g('key')} (i32.shl (i8x16.extract_lane_u ${k} ${g('a')}) ${c(4)})))))\n`;
  }
  return s;
}

const PAD = 4480; // 128 octets: the last (padded) SHA-1 blocks, then the outer block
const ST = 4608; // 20 octets: SHA-1 working state / HMAC output (big-endian octets after hmac)
const MAC_IN = RK; // within a key slot: HMAC inner chaining value (5 words), then the outer one
const MAC_OUT = RK + 20;

/** Byte swap of a local (inline: wasm has no bswap, and V8 does not inline small wasm functions here). */
function bswapLocal(name) {
  const x = `(local.get ${name})`;
  return `(i32.or (i32.or (i32.shl ${x} ${c(24)}) (i32.shr_u ${x} ${c(24)}))
    (i32.or (i32.and (i32.shl ${x} ${c(8)}) ${c(0xff0000)}) (i32.and (i32.shr_u ${x} ${c(8)}) ${c(0xff00)})))`;
}

/** SHA-1 compression (FIPS 180-4 §6.1.2) of the block at $blk into the state at $st, unrolled, 16-word schedule. */
function sha1Func() {
  const w = (t) => `$w${t & 15}`;
  let body = '';
  for (let t = 0; t < 16; t++) {
    body += `(local.set ${w(t)} (i32.load offset=${4 * t} ${g('blk')}))\n(local.set ${w(t)} ${bswapLocal(w(t))})\n`;
  }
  let v = ['a', 'b', 'c', 'd', 'e'];
  for (let t = 0; t < 80; t++) {
    if (t >= 16) {
      body += `(local.set ${w(t)} (i32.rotl (i32.xor (i32.xor (local.get ${w(t - 3)}) (local.get ${w(t - 8)})) (i32.xor (local.get ${w(t - 14)}) (local.get ${w(t)}))) ${c(1)}))\n`;
    }
    const [a, b, cc, d, e] = v;
    let f;
    let k;
    if (t < 20) {
      f = `(i32.xor ${g(d)} (i32.and ${g(b)} (i32.xor ${g(cc)} ${g(d)})))`;
      k = 0x5a827999;
    } else if (t < 40) {
      f = `(i32.xor (i32.xor ${g(b)} ${g(cc)}) ${g(d)})`;
      k = 0x6ed9eba1;
    } else if (t < 60) {
      f = `(i32.or (i32.and ${g(b)} ${g(cc)}) (i32.and ${g(d)} (i32.or ${g(b)} ${g(cc)})))`;
      k = 0x8f1bbcdc | 0;
    } else {
      f = `(i32.xor (i32.xor ${g(b)} ${g(cc)}) ${g(d)})`;
      k = 0xca62c1d6 | 0;
    }
    // e' = rotl5(a) + f + e + K + w; b' = rotl30(b); then rename (a,b,c,d,e) <- (e', a, b', c, d)
    body += `(local.set $${e} (i32.add (i32.add (i32.rotl ${g(a)} ${c(5)}) ${f}) (i32.add (i32.add ${g(e)} ${c(k)}) (local.get ${w(t)}))))\n`;
    body += `(local.set $${b} (i32.rotl ${g(b)} ${c(30)}))\n`;
    v = [e, a, b, cc, d];
  }
  const locals = Array.from({ length: 16 }, (_, i) => `(local $w${i} i32)`).join(' ');
  const ld = ['a', 'b', 'c', 'd', 'e']
    .map((x, i) => `(local.set $${x} (i32.load offset=${4 * i} ${g('st')}))`)
    .join('\n');
  // after 80 rounds the renaming has come full circle (80 is a multiple of 5)
  const st = ['a', 'b', 'c', 'd', 'e']
    .map((x, i) => `(i32.store offset=${4 * i} ${g('st')} (i32.add (i32.load offset=${4 * i} ${g('st')}) ${g(x)}))`)
    .join('\n');
  return `(func $sha1 (param $st i32) (param $blk i32) (local $a i32) (local $b i32) (local $c i32) (local $d i32) (local $e i32) ${locals}
${ld}
${body}
${st})`;
}

const AES_LOCALS =
  '(local $s0 i32) (local $s1 i32) (local $s2 i32) (local $s3 i32) (local $t0 i32) (local $t1 i32) (local $t2 i32) (local $t3 i32) (local $k0 i32) (local $k1 i32) (local $k2 i32) (local $k3 i32) (local $r i32) (local $rend i32)';

export function wat() {
  return `(module
(memory (export "memory") ${Math.ceil(KEYS / 65536)})
;; XOR the AES-CTR keystream of counter blocks (c0, c1, c2, c3 + j mod 2^32) into [p, p+len) in place
;; (RFC 3711 §4.1.1 AES-CM; SP 800-38D GCTR with inc32). Only word 3 of the counter block changes within a
;; packet, so the 12 round-1 look-ups on words 0..2 are done once per call.
(func $ctr (export "ctr") (param $key i32) (param $c0 i32) (param $c1 i32) (param $c2 i32) (param $c3 i32) (param $p i32) (param $len i32)
  ${AES_LOCALS} (local $i i32) (local $p0 i32) (local $p1 i32) (local $p2 i32) (local $p3 i32) (local $x3 i32) (local $aes128 i32)
  (local.set $s0 (i32.xor ${g('c0')} (i32.load offset=${RK} ${g('key')})))
  (local.set $s1 (i32.xor ${g('c1')} (i32.load offset=${RK + 4} ${g('key')})))
  (local.set $s2 (i32.xor ${g('c2')} (i32.load offset=${RK + 8} ${g('key')})))
  (local.set $p0 (i32.xor (i32.xor ${T(0, 's0')} ${T(1, 's1')}) (i32.xor ${T(2, 's2')} (i32.load offset=${RK + 16} ${g('key')}))))
  (local.set $p1 (i32.xor (i32.xor ${T(0, 's1')} ${T(1, 's2')}) (i32.xor ${T(3, 's0')} (i32.load offset=${RK + 20} ${g('key')}))))
  (local.set $p2 (i32.xor (i32.xor ${T(0, 's2')} ${T(2, 's0')}) (i32.xor ${T(3, 's1')} (i32.load offset=${RK + 24} ${g('key')}))))
  (local.set $p3 (i32.xor (i32.xor ${T(1, 's0')} ${T(2, 's1')}) (i32.xor ${T(3, 's2')} (i32.load offset=${RK + 28} ${g('key')}))))
  (local.set $aes128 (i32.eq (i32.load offset=${NR} ${g('key')}) ${c(10)}))
  (local.set $rend (i32.add ${g('key')} (i32.add ${c(RK)} (i32.shl (i32.load offset=${NR} ${g('key')}) ${c(4)}))))
  (block $done
    (loop $blocks
      (br_if $done (i32.eqz ${g('len')}))
      (local.set $x3 (i32.xor ${g('c3')} (i32.load offset=${RK + 12} ${g('key')})))
      (local.set $s0 (i32.xor ${g('p0')} ${T(3, 'x3')}))
      (local.set $s1 (i32.xor ${g('p1')} ${T(2, 'x3')}))
      (local.set $s2 (i32.xor ${g('p2')} ${T(1, 'x3')}))
      (local.set $s3 (i32.xor ${g('p3')} ${T(0, 'x3')}))
      (if ${g('aes128')}
        (then ${unrolled128()})
        (else
          (local.set $r (i32.add ${g('key')} ${c(RK + 32)}))
          (loop $rounds
            ${tround(['s0', 's1', 's2', 's3'], ['t0', 't1', 't2', 't3'], (i) => `(i32.load offset=${4 * i} ${g('r')})`)}
            (local.set $s0 ${g('t0')}) (local.set $s1 ${g('t1')}) (local.set $s2 ${g('t2')}) (local.set $s3 ${g('t3')})
            (local.set $r (i32.add ${g('r')} ${c(16)}))
            (br_if $rounds (i32.lt_u ${g('r')} ${g('rend')})))))
      ${lastRound(['s0', 's1', 's2', 's3'], ['k0', 'k1', 'k2', 'k3'])}
      (local.set $c3 (i32.add ${g('c3')} ${c(1)}))
      (if (i32.ge_u ${g('len')} ${c(16)})
        (then
          (i32.store offset=0 ${g('p')} (i32.xor (i32.load offset=0 ${g('p')}) ${g('k0')}))
          (i32.store offset=4 ${g('p')} (i32.xor (i32.load offset=4 ${g('p')}) ${g('k1')}))
          (i32.store offset=8 ${g('p')} (i32.xor (i32.load offset=8 ${g('p')}) ${g('k2')}))
          (i32.store offset=12 ${g('p')} (i32.xor (i32.load offset=12 ${g('p')}) ${g('k3')}))
          (local.set $p (i32.add ${g('p')} ${c(16)}))
          (local.set $len (i32.sub ${g('len')} ${c(16)}))
          (br $blocks)))
      ;; a final partial block
      (i32.store offset=${SCR} ${c(0)} ${g('k0')})
      (i32.store offset=${SCR + 4} ${c(0)} ${g('k1')})
      (i32.store offset=${SCR + 8} ${c(0)} ${g('k2')})
      (i32.store offset=${SCR + 12} ${c(0)} ${g('k3')})
      (local.set $i ${c(0)})
      (loop $bytes
        (i32.store8 (i32.add ${g('p')} ${g('i')})
          (i32.xor (i32.load8_u (i32.add ${g('p')} ${g('i')})) (i32.load8_u offset=${SCR} ${g('i')})))
        (local.set $i (i32.add ${g('i')} ${c(1)}))
        (br_if $bytes (i32.lt_u ${g('i')} ${g('len')}))))))

;; Encrypts one block at $src into $dst (16 octets each; AES-f8 needs the raw block cipher).
(func (export "block") (param $key i32) (param $src i32) (param $dst i32)
  ${AES_LOCALS} (local $x0 i32) (local $x1 i32) (local $x2 i32) (local $x3 i32)
  (local.set $x0 (call $bswap (i32.load offset=0 ${g('src')})))
  (local.set $x1 (call $bswap (i32.load offset=4 ${g('src')})))
  (local.set $x2 (call $bswap (i32.load offset=8 ${g('src')})))
  (local.set $x3 (call $bswap (i32.load offset=12 ${g('src')})))
  ${encrypt(['x0', 'x1', 'x2', 'x3'])}
  (i32.store offset=0 ${g('dst')} ${g('k0')})
  (i32.store offset=4 ${g('dst')} ${g('k1')})
  (i32.store offset=8 ${g('dst')} ${g('k2')})
  (i32.store offset=12 ${g('dst')} ${g('k3')}))

;; GHASH of [p, p+len) zero-padded, continuing from y; returns the new y.
(func $ghash (param $key i32) (param $y v128) (param $p i32) (param $len i32) (result v128) (local $a v128)
  (block $done
    (loop $blocks
      (br_if $done (i32.lt_u ${g('len')} ${c(16)}))
      ${ghashBlock(g('p'))}
      (local.set $p (i32.add ${g('p')} ${c(16)}))
      (local.set $len (i32.sub ${g('len')} ${c(16)}))
      (br $blocks)))
  (if (i32.gt_u ${g('len')} ${c(0)})
    (then
      (v128.store (i32.const ${SCR}) (v128.const i64x2 0 0))
      (memory.copy (i32.const ${SCR}) ${g('p')} ${g('len')})
      ${ghashBlock(c(SCR))}))
  ${g('y')})

;; The GCM tag (SP 800-38D §7.1 steps 5-6) over AAD [a, a+alen) and ciphertext [p, p+len), with J0 = (c0,c1,c2,1).
(func $tag (param $key i32) (param $c0 i32) (param $c1 i32) (param $c2 i32) (param $a i32) (param $alen i32) (param $p i32) (param $len i32) (result v128)
  ${AES_LOCALS} (local $y v128) (local $one i32)
  (local.set $y (call $ghash ${g('key')} (v128.const i64x2 0 0) ${g('a')} ${g('alen')}))
  (local.set $y (call $ghash ${g('key')} ${g('y')} ${g('p')} ${g('len')}))
  ;; lengths block: [len(A)]64 || [len(C)]64 in bits, big-endian
  (v128.store (i32.const ${SCR}) (v128.const i64x2 0 0))
  (i32.store offset=${SCR + 4} ${c(0)} (call $bswap (i32.shl ${g('alen')} ${c(3)})))
  (i32.store offset=${SCR} ${c(0)} (call $bswap (i32.shr_u ${g('alen')} ${c(29)})))
  (i32.store offset=${SCR + 12} ${c(0)} (call $bswap (i32.shl ${g('len')} ${c(3)})))
  (i32.store offset=${SCR + 8} ${c(0)} (call $bswap (i32.shr_u ${g('len')} ${c(29)})))
  (local.set $y (call $ghash ${g('key')} ${g('y')} ${c(SCR)} ${c(16)}))
  (local.set $one ${c(1)})
  ${encrypt(['c0', 'c1', 'c2', 'one'])}
  (v128.xor ${g('y')} (i32x4.replace_lane 3 (i32x4.replace_lane 2 (i32x4.replace_lane 1 (i32x4.splat ${g('k0')}) ${g('k1')}) ${g('k2')}) ${g('k3')})))

(func $bswap (param $x i32) (result i32)
  (i32.or (i32.or (i32.shl ${g('x')} ${c(24)}) (i32.shr_u ${g('x')} ${c(24)}))
    (i32.or (i32.and (i32.shl ${g('x')} ${c(8)}) ${c(0xff0000)}) (i32.and (i32.shr_u ${g('x')} ${c(8)}) ${c(0xff00)}))))

${sha1Func()}

;; HMAC-SHA1 (RFC 2104) of [p, p+len) from the precomputed inner/outer chaining values of $key; the 20-octet
;; MAC lands at ${ST} as big-endian octets.
(func (export "hmac") (param $key i32) (param $p i32) (param $len i32) (local $n i32) (local $lim i32) (local $i i32)
  (i64.store offset=${ST} ${c(0)} (i64.load offset=${MAC_IN} ${g('key')}))
  (i64.store offset=${ST + 8} ${c(0)} (i64.load offset=${MAC_IN + 8} ${g('key')}))
  (i32.store offset=${ST + 16} ${c(0)} (i32.load offset=${MAC_IN + 16} ${g('key')}))
  (local.set $n ${g('len')})
  (block $done
    (loop $blocks
      (br_if $done (i32.lt_u ${g('n')} ${c(64)}))
      (call $sha1 ${c(ST)} ${g('p')})
      (local.set $p (i32.add ${g('p')} ${c(64)}))
      (local.set $n (i32.sub ${g('n')} ${c(64)}))
      (br $blocks)))
  ;; padding (FIPS 180-4 §5.1.1): 0x80, zeros, the 64-bit bit length of ipad block + message
  (v128.store offset=${PAD} ${c(0)} (v128.const i64x2 0 0))
  (v128.store offset=${PAD + 16} ${c(0)} (v128.const i64x2 0 0))
  (v128.store offset=${PAD + 32} ${c(0)} (v128.const i64x2 0 0))
  (v128.store offset=${PAD + 48} ${c(0)} (v128.const i64x2 0 0))
  (v128.store offset=${PAD + 64} ${c(0)} (v128.const i64x2 0 0))
  (v128.store offset=${PAD + 80} ${c(0)} (v128.const i64x2 0 0))
  (v128.store offset=${PAD + 96} ${c(0)} (v128.const i64x2 0 0))
  (v128.store offset=${PAD + 112} ${c(0)} (v128.const i64x2 0 0))
  (memory.copy ${c(PAD)} ${g('p')} ${g('n')})
  (i32.store8 offset=${PAD} ${g('n')} ${c(0x80)})
  (local.set $lim (select ${c(64)} ${c(128)} (i32.le_u (i32.add ${g('n')} ${c(9)}) ${c(64)})))
  (i32.store offset=${PAD - 8} ${g('lim')} (call $bswap (i32.shr_u (i32.add ${g('len')} ${c(64)}) ${c(29)})))
  (i32.store offset=${PAD - 4} ${g('lim')} (call $bswap (i32.shl (i32.add ${g('len')} ${c(64)}) ${c(3)})))
  (call $sha1 ${c(ST)} ${c(PAD)})
  (if (i32.eq ${g('lim')} ${c(128)}) (then (call $sha1 ${c(ST)} ${c(PAD + 64)})))
  ;; outer: inner digest (20 octets) || 0x80 || zeros || 672 (bits of opad block + digest)
  (v128.store offset=${PAD + 16} ${c(0)} (v128.const i64x2 0 0))
  (v128.store offset=${PAD + 32} ${c(0)} (v128.const i64x2 0 0))
  (v128.store offset=${PAD + 48} ${c(0)} (v128.const i64x2 0 0))
  (local.set $i ${c(0)})
  (loop $dig
    (i32.store offset=${PAD} ${g('i')} (call $bswap (i32.load offset=${ST} ${g('i')})))
    (local.set $i (i32.add ${g('i')} ${c(4)}))
    (br_if $dig (i32.lt_u ${g('i')} ${c(20)})))
  (i32.store8 offset=${PAD + 20} ${c(0)} ${c(0x80)})
  (i32.store offset=${PAD + 60} ${c(0)} (call $bswap ${c(672)}))
  (i64.store offset=${ST} ${c(0)} (i64.load offset=${MAC_OUT} ${g('key')}))
  (i64.store offset=${ST + 8} ${c(0)} (i64.load offset=${MAC_OUT + 8} ${g('key')}))
  (i32.store offset=${ST + 16} ${c(0)} (i32.load offset=${MAC_OUT + 16} ${g('key')}))
  (call $sha1 ${c(ST)} ${c(PAD)})
  (local.set $i ${c(0)})
  (loop $out
    (i32.store offset=${ST} ${g('i')} (call $bswap (i32.load offset=${ST} ${g('i')})))
    (local.set $i (i32.add ${g('i')} ${c(4)}))
    (br_if $out (i32.lt_u ${g('i')} ${c(20)}))))

;; Seals in place: encrypts [p, p+len) and writes the 16-octet tag at p+len.
(func (export "seal") (param $key i32) (param $c0 i32) (param $c1 i32) (param $c2 i32) (param $a i32) (param $alen i32) (param $p i32) (param $len i32)
  (call $ctr ${g('key')} ${g('c0')} ${g('c1')} ${g('c2')} ${c(2)} ${g('p')} ${g('len')})
  (v128.store (i32.add ${g('p')} ${g('len')})
    (call $tag ${g('key')} ${g('c0')} ${g('c1')} ${g('c2')} ${g('a')} ${g('alen')} ${g('p')} ${g('len')})))

;; Opens in place: checks the tag at p+len over AAD and ciphertext; only if it verifies, decrypts. 1 = ok.
(func (export "open") (param $key i32) (param $c0 i32) (param $c1 i32) (param $c2 i32) (param $a i32) (param $alen i32) (param $p i32) (param $len i32) (result i32)
  (if (v128.any_true (v128.xor (v128.load (i32.add ${g('p')} ${g('len')}))
        (call $tag ${g('key')} ${g('c0')} ${g('c1')} ${g('c2')} ${g('a')} ${g('alen')} ${g('p')} ${g('len')})))
    (then (return ${c(0)})))
  (call $ctr ${g('key')} ${g('c0')} ${g('c1')} ${g('c2')} ${c(2)} ${g('p')} ${g('len')})
  ${c(1)})
)`;
}

const here = dirname(fileURLToPath(import.meta.url));

async function main() {
  const text = wat();
  if (process.argv.includes('--wat')) {
    process.stdout.write(text);
    return;
  }
  const require = createRequire(join(here, '..', '..', 'package.json'));
  const wabt = await require('wabt')();
  const mod = wabt.parseWat('srtp.wat', text, { simd: true, bulk_memory: true });
  mod.validate();
  const { buffer } = mod.toBinary({});
  const b64 = Buffer.from(buffer).toString('base64');
  const out = `// Generated by wasm-gen.mjs (node packages/srtp/src/crypto/wasm-gen.mjs): do not edit.
// WebAssembly (SIMD) AES-CTR / AES-GCM core of the 'wasm' backend; the WAT source is in wasm-gen.mjs.

/** The module, base64. */
export const WASM_BASE64 =
  '${b64}';
/** Layout constants shared with wasm-gen.mjs. */
export const WASM_IO = ${IO};
export const WASM_IO_MAX = ${IO_MAX};
export const WASM_SLOT = ${SLOT};
export const WASM_KEYS = ${KEYS};
export const WASM_RK = ${RK};
export const WASM_RKL = ${RKL};
export const WASM_NR = ${NR};
export const WASM_SBOX = ${SB};
export const WASM_MAC_IN = ${MAC_IN};
export const WASM_MAC_OUT = ${MAC_OUT};
export const WASM_MAC_RESULT = ${ST};
`;
  writeFileSync(join(here, 'wasm-bytes.ts'), out);
  console.log(`wasm-bytes.ts: ${buffer.length} octets`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();

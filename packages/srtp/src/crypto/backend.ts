/**
 * The crypto a SRTP context needs, behind one interface, so the node:crypto and the portable (pure TypeScript)
 * implementations are interchangeable and testable against each other. Every object is keyed once (key
 * schedule, HMAC inner/outer state, GHASH tables) and then used for every packet.
 */

/** AES counter mode keyed once (RFC 3711 §4.1.1). */
export interface CtrCipher {
  /**
   * `dst[d..d+len) = src[s..s+len) XOR keystream`, the keystream starting at the 16-octet counter block
   * `iv[0..16)` whose last 16 bits count blocks. src and dst may be the same range.
   */
  xor(iv: Uint8Array, src: Uint8Array, s: number, dst: Uint8Array, d: number, len: number): void;
  /** Encrypts one 16-octet block (AES-f8 needs the raw block cipher). */
  encryptBlock(inp: Uint8Array, io: number, out: Uint8Array, oo: number): void;
  /** Zeroes the key schedule, where the implementation can. */
  wipe?(): void;
}

/** HMAC-SHA1 keyed once (RFC 3711 §4.2.1). */
export interface Mac {
  /** Writes the first `tagLen` octets of HMAC(data[start..end) || ROC(4, if roc ≥ 0)) to out[oo..]. */
  sign(data: Uint8Array, start: number, end: number, roc: number, out: Uint8Array, oo: number, tagLen: number): void;
  /** Zeroes the keyed state, where the implementation can. */
  wipe?(): void;
}

/** AES-GCM with a 12-octet IV and 16-octet tag, keyed once (RFC 7714 §§8-9). */
export interface Aead {
  /**
   * Encrypts src[s..s+len) into dst[d..d+len) and writes the 16-octet tag at dst[d+len..]. The AAD is
   * aad[a..a+alen), followed by the 32-bit word `tail` when `tail ≥ 0` (the SRTCP E|index word).
   */
  seal(
    iv: Uint8Array,
    aad: Uint8Array,
    a: number,
    alen: number,
    tail: number,
    src: Uint8Array,
    s: number,
    len: number,
    dst: Uint8Array,
    d: number,
  ): void;
  /**
   * Verifies the tag at src[s+len..s+len+16) over the AAD and ciphertext src[s..s+len), and only when it
   * verifies decrypts into dst[d..]. Returns false (and writes nothing) on a bad tag.
   */
  open(
    iv: Uint8Array,
    aad: Uint8Array,
    a: number,
    alen: number,
    tail: number,
    src: Uint8Array,
    s: number,
    len: number,
    dst: Uint8Array,
    d: number,
  ): boolean;
  /** Zeroes the key schedule and GHASH tables, where the implementation can. */
  wipe?(): void;
}

/** A crypto backend: a factory of keyed primitives. */
export interface SrtpBackend {
  /** 'node' or 'js'. */
  readonly name: string;
  /** AES-CM (and raw block encryption) under `key` (16, 24 or 32 octets). */
  ctr(key: Uint8Array): CtrCipher;
  /** HMAC-SHA1 under `key`. */
  hmacSha1(key: Uint8Array): Mac;
  /** AES-GCM under `key` (16 or 32 octets). */
  gcm(key: Uint8Array): Aead;
}

/**
 * The AEAD AAD as one buffer: aad[a..a+alen) (a view, when `tail < 0`), else a copy followed by the big-endian
 * 32-bit `tail` word (the SRTCP E|index word, RFC 7714 §9.1). For backends whose GCM takes the AAD whole.
 */
export function aadWithTail(aad: Uint8Array, a: number, alen: number, tail: number): Uint8Array {
  if (tail < 0) return aad.subarray(a, a + alen);
  const t = new Uint8Array(alen + 4);
  t.set(aad.subarray(a, a + alen));
  t[alen] = tail >>> 24;
  t[alen + 1] = tail >>> 16;
  t[alen + 2] = tail >>> 8;
  t[alen + 3] = tail;
  return t;
}

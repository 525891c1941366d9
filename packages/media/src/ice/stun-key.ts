import { createHash, createHmac } from 'node:crypto';
import { jsBackend, type Mac } from '@mdh/srtp';

const enc = new TextEncoder();

/**
 * A MESSAGE-INTEGRITY key (RFC 8489 §9.1.1 short-term: the password's UTF-8 octets; §9.2.2 long-term:
 * MD5(username ":" realm ":" password)). Holds a keyed HMAC-SHA1 with its pad states precomputed (@mdh/srtp's
 * portable HMAC-SHA1, the one owner of that code), so a 20–100 octet message costs two or three SHA-1 compressions
 * and no allocation: `pnpm bench stun` measures it well ahead of node:crypto createHmac and @noble/hashes, whose
 * per-call set-up dominates at these sizes.
 */
export class StunKey {
  /** The key octets. */
  readonly bytes: Uint8Array;
  /** @internal The keyed HMAC-SHA1. */
  readonly mac: Mac;

  constructor(key: Uint8Array) {
    this.bytes = key.slice();
    this.mac = jsBackend.hmacSha1(this.bytes);
  }

  /** HMAC-SHA1 of `data` (20 octets), the MESSAGE-INTEGRITY function (§14.5). */
  hmacSha1(data: Uint8Array): Uint8Array {
    const out = new Uint8Array(20);
    this.mac.sign(data, 0, data.length, -1, out, 0, 20);
    return out;
  }

  /**
   * Short-term credential key (§9.1.1): the password as UTF-8. (The RFC's OpaqueString preparation is the
   * identity for the ASCII ice-char passwords ICE uses, RFC 8445 §5.3.)
   */
  static shortTerm(password: string): StunKey {
    return new StunKey(enc.encode(password));
  }

  /**
   * Long-term credential key for MESSAGE-INTEGRITY (§9.2.2): MD5(username:realm:password). The caller passes
   * username, realm and password already prepared (OpaqueString, RFC 8265) where that matters.
   */
  static longTerm(username: string, realm: string, password: string): StunKey {
    return new StunKey(new Uint8Array(createHash('md5').update(`${username}:${realm}:${password}`, 'utf8').digest()));
  }

  /** HMAC-SHA256 of `data` truncated to `length` octets (MESSAGE-INTEGRITY-SHA256, §14.6). */
  hmacSha256(data: Uint8Array, length = 32): Uint8Array {
    return new Uint8Array(createHmac('sha256', this.bytes).update(data).digest().subarray(0, length));
  }
}

/**
 * Sliding replay window over packet indices or record sequence numbers: SRTP (RFC 3711 §3.3.2, sized
 * 64..32768 there) and DTLS records (RFC 6347 §4.1.2.6) share it. Bits are kept in a ring bitset
 * indexed by `index mod size` (32768 packets cost 4 KiB); `top` is the highest index accepted so far (-1 before
 * the first packet). `check` is pure; `commit` is called only after the packet authenticated (RFC 3711 §3.3
 * steps 5-6), so a forgery never moves the window.
 */
export class ReplayWindow {
  /** Highest accepted index, or -1. */
  top = -1;
  private readonly bits: Uint32Array;

  /** Throws RangeError unless `size` is an integer in 1..32768. */
  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1 || size > 32768)
      throw new RangeError(`replay window size must be an integer in 1..32768, got ${size}`);
    this.bits = new Uint32Array((size + 31) >>> 5);
  }

  /** 0 = new, 1 = already received, 2 = older than the window. */
  check(index: number): 0 | 1 | 2 {
    const top = this.top;
    if (top < 0 || index > top) return 0;
    if (top - index >= this.size) return 2;
    const slot = index % this.size;
    return (this.bits[slot >>> 5]! >>> (slot & 31)) & 1 ? 1 : 0;
  }

  /** Marks `index` received, sliding the window forward when it is the new highest. */
  commit(index: number): void {
    const size = this.size;
    const top = this.top;
    const bits = this.bits;
    if (top < 0 || index - top >= size) {
      bits.fill(0);
      this.top = index;
    } else if (index > top) {
      for (let i = top + 1; i < index; i++) {
        const slot = i % size;
        bits[slot >>> 5] = bits[slot >>> 5]! & ~(1 << (slot & 31));
      }
      this.top = index;
    }
    const slot = index % size;
    bits[slot >>> 5] = bits[slot >>> 5]! | (1 << (slot & 31));
  }

  /** Forgets everything (used when the ROC is set by hand). */
  reset(top: number): void {
    this.bits.fill(0);
    this.top = top;
  }
}

/**
 * Sliding replay window (RFC 3711 §3.3.2) over packet indices, sized 64..32768. Bits are kept in a ring
 * indexed by `index mod size`; `top` is the highest index accepted so far (-1 before the first packet).
 * `check` is pure; `commit` is called only after the packet authenticated (RFC 3711 §3.3 step 5/6).
 */
export class ReplayWindow {
  /** Highest accepted index, or -1. */
  top = -1;
  private readonly seen: Uint8Array;

  constructor(readonly size: number) {
    this.seen = new Uint8Array(size);
  }

  /** 0 = new, 1 = already received, 2 = older than the window. */
  check(index: number): 0 | 1 | 2 {
    const top = this.top;
    if (top < 0 || index > top) return 0;
    if (top - index >= this.size) return 2;
    return this.seen[index % this.size] === 1 ? 1 : 0;
  }

  /** Marks `index` received, sliding the window forward when it is the new highest. */
  commit(index: number): void {
    const size = this.size;
    const top = this.top;
    if (top < 0 || index - top >= size) {
      this.seen.fill(0);
      this.top = index;
    } else if (index > top) {
      for (let i = top + 1; i < index; i++) this.seen[i % size] = 0;
      this.top = index;
    }
    this.seen[index % size] = 1;
  }

  /** Forgets everything (used when the ROC is set by hand). */
  reset(top: number): void {
    this.seen.fill(0);
    this.top = top;
  }
}

/**
 * Path-compressed "next free position" pointers, shared by the nearest-neighbour walks.
 */
/**
 * Free positions in a sorted array, with "nearest free to the left/right" queries in
 * amortised O(α(n)) by path-compressed pointers. Hand-written: this is the matching kernel.
 */
export class FreeList {
  private readonly leftPtr: Int32Array;
  private readonly rightPtr: Int32Array;
  constructor(n: number) {
    // Positions shifted by one so -1 and n are sentinels at 0 and n + 1.
    this.leftPtr = new Int32Array(n + 2);
    this.rightPtr = new Int32Array(n + 2);
    for (let k = 0; k < n + 2; k++) {
      this.leftPtr[k] = k;
      this.rightPtr[k] = k;
    }
  }
  /** Nearest free position ≤ p (−1 if none). */
  left(p: number): number {
    if (p < 0) return -1;
    return this.find(this.leftPtr, p + 1) - 1;
  }
  /** Nearest free position ≥ p (n if none). */
  right(p: number): number {
    return this.find(this.rightPtr, p + 1) - 1;
  }
  take(p: number): void {
    this.leftPtr[p + 1] = p; // points to p - 1 (shifted)
    this.rightPtr[p + 1] = p + 2;
  }
  private find(ptr: Int32Array, x: number): number {
    let root = x;
    while (ptr[root] !== root) root = ptr[root]!;
    while (ptr[x] !== root) {
      const next = ptr[x]!;
      ptr[x] = root;
      x = next;
    }
    return root;
  }
}

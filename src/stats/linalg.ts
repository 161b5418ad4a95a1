/**
 * Linear algebra for the library: the one place for Cholesky factorisations, SPD solves and
 * inverses, the rank (aliasing) check and the weighted cross-product kernel of the IRLS fit.
 *
 * Matrices are row-major `Float64Array`s. Symmetric matrices that are accumulated (cross
 * products) are held as the packed upper triangle, row by row: entry (a, b), b ≥ a, of a q × q
 * matrix sits at {@link packedIndex}(q, a, b) = a·q − a(a − 1)/2 + (b − a).
 *
 * Everything here is small dense p × p algebra (p = number of model columns), written out by
 * hand: it must run identically in Node and browsers with no native dependency. The one
 * O(n·p²) kernel, {@link crossprodChunk}, is hand-tuned because it is the hot loop of the
 * propensity fit at register scale (see its comment).
 */

/** Position of entry (a, b), b ≥ a, in the packed upper triangle of a q × q symmetric matrix. */
export function packedIndex(q: number, a: number, b: number): number {
  return a * q - (a * (a - 1)) / 2 + (b - a);
}

/** Length of the packed upper triangle of a q × q matrix: q(q + 1)/2. */
export function packedLength(q: number): number {
  return (q * (q + 1)) / 2;
}

/**
 * The leading p × p block of a packed upper triangle (of a q × q matrix, q ≥ p) as a full
 * symmetric row-major p × p matrix.
 */
export function unpackSymmetric(packed: Float64Array, q: number, p: number = q): Float64Array {
  const A = new Float64Array(p * p);
  for (let a = 0; a < p; a++) {
    const row = packedIndex(q, a, a) - a;
    for (let b = a; b < p; b++) {
      const v = packed[row + b]!;
      A[a * p + b] = v;
      A[b * p + a] = v;
    }
  }
  return A;
}

/**
 * Cholesky factor L (lower triangular, row-major, A = L Lᵀ) of a symmetric positive definite
 * p × p matrix; reads the lower triangle of A. Returns null if A is not numerically positive
 * definite (a pivot ≤ 0 or not finite).
 */
export function cholesky(A: Float64Array, p: number): Float64Array | null {
  const L = new Float64Array(p * p);
  for (let j = 0; j < p; j++) {
    let d = A[j * p + j]!;
    for (let k = 0; k < j; k++) d -= L[j * p + k]! ** 2;
    if (!(d > 0)) return null;
    const ljj = Math.sqrt(d);
    L[j * p + j] = ljj;
    for (let i = j + 1; i < p; i++) {
      let s = A[i * p + j]!;
      for (let k = 0; k < j; k++) s -= L[i * p + k]! * L[j * p + k]!;
      L[i * p + j] = s / ljj;
    }
  }
  return L;
}

/** Solve L Lᵀ x = b given the Cholesky factor L (p × p, row-major). */
export function choleskySolve(L: Float64Array, b: Float64Array, p: number): Float64Array {
  const z = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= L[i * p + k]! * z[k]!;
    z[i] = s / L[i * p + i]!;
  }
  const x = new Float64Array(p);
  for (let i = p - 1; i >= 0; i--) {
    let s = z[i]!;
    for (let k = i + 1; k < p; k++) s -= L[k * p + i]! * x[k]!;
    x[i] = s / L[i * p + i]!;
  }
  return x;
}

/** Solve A x = b for symmetric positive definite A (p × p, row-major) by Cholesky; null if not SPD. */
export function solveSpd(A: Float64Array, b: Float64Array, p: number): Float64Array | null {
  const L = cholesky(A, p);
  return L ? choleskySolve(L, b, p) : null;
}

/** Inverse of a symmetric positive definite matrix (row-major); null if not SPD. One factorisation. */
export function invertSpd(A: Float64Array, p: number): Float64Array | null {
  const L = cholesky(A, p);
  if (!L) return null;
  const inv = new Float64Array(p * p);
  const e = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    e.fill(0);
    e[j] = 1;
    const col = choleskySolve(L, e, p);
    for (let i = 0; i < p; i++) inv[i * p + j] = col[i]!;
  }
  return inv;
}

/**
 * Columns linearly dependent on earlier ones, from their Gram matrix G = XᵀX (p × p,
 * row-major, lower triangle read): a pivot-free Cholesky that skips a column whose pivot is at
 * most `tolerance` × its diagonal (or whose diagonal is 0), so later aliased columns are
 * dropped as R's QR does with its default tolerance. The data are never read again.
 */
export function aliasedColumns(G: Float64Array, p: number, tolerance = 1e-7): boolean[] {
  const aliased = new Array<boolean>(p).fill(false);
  const L = new Float64Array(p * p);
  for (let j = 0; j < p; j++) {
    let d = G[j * p + j]!;
    for (let k = 0; k < j; k++) if (!aliased[k]) d -= L[j * p + k]! ** 2;
    if (!(d > tolerance * G[j * p + j]!) || G[j * p + j]! === 0) {
      aliased[j] = true;
      continue;
    }
    const ljj = Math.sqrt(d);
    L[j * p + j] = ljj;
    for (let i = j + 1; i < p; i++) {
      let s = G[i * p + j]!;
      for (let k = 0; k < j; k++) if (!aliased[k]) s -= L[i * p + k]! * L[j * p + k]!;
      L[i * p + j] = s / ljj;
    }
  }
  return aliased;
}

/**
 * One chunk of a weighted cross-product of standardised columns: the packed upper triangle of
 * Σᵢ wᵢ cᵢ cᵢᵀ over rows [start, end), with cᵢ[a] = (cols[a][i] − center[a]) / scale[a] (a
 * null column is the constant 1: the intercept), written to out[offset … offset + q(q + 1)/2).
 * `w` null means unit weights (XᵀX). With the IRLS working response as the last column
 * (center 0, scale 1: its values exactly), the last column of the triangle is XᵀWz.
 * Standardising on the fly gives the same bits as standardising first, without a copy of the
 * design.
 *
 * Hand-written kernel (the hot loop of the propensity fit: n·q²/2 multiply-adds per IRLS
 * iteration). Rows are taken in blocks of 256: the block of every standardised column, and of
 * every column times w, is written to two small contiguous buffers (they stay in cache), then
 * the triangle is computed in 2 × 2 tiles — four independent running sums, four loads per four
 * multiply-adds — and each tile's block sums are added to `out`. The arithmetic depends only on
 * the chunk boundaries, so any thread computing a chunk gets the same bits. Self-contained (no
 * outer references): the worker-thread accumulator ships its source to the workers.
 */
export function crossprodChunk(
  cols: readonly (Float64Array | null)[],
  center: Float64Array,
  scale: Float64Array,
  w: Float64Array | null,
  start: number,
  end: number,
  out: Float64Array,
  offset: number,
): void {
  const q = cols.length;
  const B = 256;
  const T = (q * (q + 1)) / 2;
  for (let k = 0; k < T; k++) out[offset + k] = 0;
  // rowStart[a] = packed index of (a, 0) if the row were full: index(a, b) = rowStart[a] + b.
  const rowStart = new Int32Array(q);
  for (let a = 0; a < q; a++) rowStart[a] = offset + a * q - (a * (a - 1)) / 2 - a;
  const xx = new Float64Array(q * B);
  const wx = new Float64Array(q * B);
  for (let s = start; s < end; s += B) {
    const len = Math.min(end, s + B) - s;
    for (let a = 0; a < q; a++) {
      const col = cols[a];
      const base = a * B;
      if (col === null || col === undefined) {
        for (let i = 0; i < len; i++) xx[base + i] = 1;
      } else {
        const m = center[a]!;
        const sd = scale[a]!;
        for (let i = 0; i < len; i++) xx[base + i] = (col[s + i]! - m) / sd;
      }
      if (w === null) {
        for (let i = 0; i < len; i++) wx[base + i] = xx[base + i]!;
      } else {
        for (let i = 0; i < len; i++) wx[base + i] = w[s + i]! * xx[base + i]!;
      }
    }
    let a = 0;
    for (; a + 1 < q; a += 2) {
      const r0 = a * B;
      const r1 = r0 + B;
      // Diagonal tile: (a, a), (a, a + 1), (a + 1, a + 1).
      let d00 = 0,
        d01 = 0,
        d11 = 0;
      for (let i = 0; i < len; i++) {
        const w0 = wx[r0 + i]!;
        const x1 = xx[r1 + i]!;
        d00 += w0 * xx[r0 + i]!;
        d01 += w0 * x1;
        d11 += wx[r1 + i]! * x1;
      }
      out[rowStart[a]! + a] += d00;
      out[rowStart[a]! + a + 1] += d01;
      out[rowStart[a + 1]! + a + 1] += d11;
      let b = a + 2;
      for (; b + 1 < q; b += 2) {
        const c0 = b * B;
        const c1 = c0 + B;
        let s00 = 0,
          s01 = 0,
          s10 = 0,
          s11 = 0;
        for (let i = 0; i < len; i++) {
          const w0 = wx[r0 + i]!;
          const w1 = wx[r1 + i]!;
          const x0 = xx[c0 + i]!;
          const x1 = xx[c1 + i]!;
          s00 += w0 * x0;
          s01 += w0 * x1;
          s10 += w1 * x0;
          s11 += w1 * x1;
        }
        out[rowStart[a]! + b] += s00;
        out[rowStart[a]! + b + 1] += s01;
        out[rowStart[a + 1]! + b] += s10;
        out[rowStart[a + 1]! + b + 1] += s11;
      }
      if (b < q) {
        const c0 = b * B;
        let s00 = 0,
          s10 = 0;
        for (let i = 0; i < len; i++) {
          const x0 = xx[c0 + i]!;
          s00 += wx[r0 + i]! * x0;
          s10 += wx[r1 + i]! * x0;
        }
        out[rowStart[a]! + b] += s00;
        out[rowStart[a + 1]! + b] += s10;
      }
    }
    if (a < q) {
      const r0 = a * B;
      let d00 = 0;
      for (let i = 0; i < len; i++) d00 += wx[r0 + i]! * xx[r0 + i]!;
      out[rowStart[a]! + a] += d00;
    }
  }
}

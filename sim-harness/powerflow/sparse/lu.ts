// Sparse complex LU for structurally symmetric matrices (the system admittance
// matrix is one), written for the power flow's loop:
// - analyze once per pattern: minimum-degree ordering, elimination tree, the
//   filled pattern F = L + U stored row by row (CSR, columns sorted);
// - the caller writes matrix values straight into `aRe/aIm` (laid out like F,
//   fill positions stay zero) through `position(row, col)`;
// - factor() refactors numerically in place without allocating; after
//   touch(row) only the touched rows and their ancestors in the elimination
//   tree are redone, so a tap or switch change refactors a path to the root;
// - solve() does the forward/back substitutions; the factors are stored in
//   the order the substitutions read them (L from the first row, U from the
//   last), so each pass streams through one array.
// Pivots stay on the diagonal (static pivoting): admittance matrices are
// diagonally strong, as KLU's rarely-used pivoting in OpenDSS shows.
import { minimumDegreeOrder, type Graph } from "./ordering.js";

export class SingularMatrixError extends Error {
  constructor(readonly index: number) {
    super(`zero pivot at matrix row ${index}`);
    this.name = "SingularMatrixError";
  }
}

export class SparseLU {
  readonly n: number;
  /** perm[k] = original row of pivot k; pinv is its inverse. */
  readonly perm: Int32Array;
  readonly pinv: Int32Array;
  /** Row pointers and column indices (permuted numbering) of F = L + U. */
  readonly ptr: Int32Array;
  readonly col: Int32Array;
  /** Index in `col` of each row's diagonal. */
  readonly diag: Int32Array;
  /** Matrix values in F's layout (fill positions zero); written by the caller. */
  readonly aRe: Float64Array;
  readonly aIm: Float64Array;
  /**
   * The factors, complex interleaved (re, im), each part laid out in the order the substitutions
   * read it: L (unit diagonal) row by row from the first row (lStart, lCol2 = 2 x column), U row
   * by row from the last row (row i at uPtr[n-1-i] .. uPtr[n-i], uCol2), and the inverted pivots.
   */
  readonly lVal: Float64Array;
  readonly uVal: Float64Array;
  readonly dInv: Float64Array;
  private readonly lStart: Int32Array;
  private readonly lCol2: Int32Array;
  private readonly uPtr: Int32Array;
  private readonly uCol2: Int32Array;
  private readonly w: Float64Array;
  private readonly y: Float64Array;
  /** Elimination tree (permuted numbering): parent of each row, -1 at a root. */
  readonly parent: Int32Array;
  /** Lowest permuted row whose values changed since the last factor(); n when none. */
  private dirtyFrom: number;
  /** Every row must be refactored (else only the touched rows and their ancestors). */
  private allDirty: boolean;
  /** Per permuted row: 1 when touched since the last factor(). */
  private readonly touched: Uint8Array;

  private constructor(n: number, perm: Int32Array, ptr: Int32Array, col: Int32Array, diag: Int32Array, parent: Int32Array, shared?: SparseLU) {
    this.n = n;
    this.perm = perm;
    this.ptr = ptr;
    this.col = col;
    this.diag = diag;
    this.parent = parent;
    if (shared) {
      this.pinv = shared.pinv;
      this.lStart = shared.lStart;
      this.lCol2 = shared.lCol2;
      this.uPtr = shared.uPtr;
      this.uCol2 = shared.uCol2;
    } else {
      this.pinv = new Int32Array(n);
      for (let k = 0; k < n; k++) this.pinv[perm[k]!] = k;
      this.lStart = new Int32Array(n + 1);
      for (let i = 0; i < n; i++) this.lStart[i + 1] = this.lStart[i]! + diag[i]! - ptr[i]!;
      this.lCol2 = new Int32Array(this.lStart[n]!);
      for (let i = 0, a = 0; i < n; i++) for (let q = ptr[i]!; q < diag[i]!; q++) this.lCol2[a++] = 2 * col[q]!;
      this.uPtr = new Int32Array(n + 1);
      for (let r = 0; r < n; r++) {
        const i = n - 1 - r;
        this.uPtr[r + 1] = this.uPtr[r]! + ptr[i + 1]! - diag[i]! - 1;
      }
      this.uCol2 = new Int32Array(this.uPtr[n]!);
      for (let r = 0, b = 0; r < n; r++) {
        const i = n - 1 - r;
        for (let q = diag[i]! + 1; q < ptr[i + 1]!; q++) this.uCol2[b++] = 2 * col[q]!;
      }
    }
    const nnz = col.length;
    this.aRe = new Float64Array(nnz);
    this.aIm = new Float64Array(nnz);
    this.lVal = new Float64Array(2 * this.lCol2.length);
    this.uVal = new Float64Array(2 * this.uCol2.length);
    this.dInv = new Float64Array(2 * n);
    this.w = new Float64Array(2 * n);
    this.y = new Float64Array(2 * n);
    this.touched = new Uint8Array(n);
    this.dirtyFrom = 0;
    this.allDirty = true;
  }

  /** Symbolic analysis of a symmetric pattern (each edge listed in both rows or in either; the diagonal is implied). */
  static analyze(pattern: Graph, perm?: Int32Array): SparseLU {
    const n = pattern.n;
    const sym = symmetrize(pattern);
    const p = perm ?? minimumDegreeOrder(sym);
    const pinv = new Int32Array(n);
    for (let k = 0; k < n; k++) pinv[p[k]!] = k;
    // Elimination tree of the permuted pattern (Liu's algorithm with path compression).
    const parent = new Int32Array(n).fill(-1);
    const ancestor = new Int32Array(n).fill(-1);
    for (let k = 0; k < n; k++) {
      const orig = p[k]!;
      for (let q = sym.ptr[orig]!; q < sym.ptr[orig + 1]!; q++) {
        let i = pinv[sym.adj[q]!]!;
        if (i >= k) continue;
        while (i !== -1 && i !== k) {
          const next = ancestor[i]!;
          ancestor[i] = k;
          if (next === -1) {
            parent[i] = k;
            break;
          }
          i = next;
        }
      }
    }
    // Row patterns of L: for each A(k, j), j < k, walk the etree from j up to k. Two passes (count,
    // then fill) keep it to flat typed arrays.
    const mark = new Int32Array(n).fill(-1);
    const lCount = new Int32Array(n);
    const uCount = new Int32Array(n);
    for (let k = 0; k < n; k++) {
      const orig = p[k]!;
      mark[k] = k;
      for (let q = sym.ptr[orig]!; q < sym.ptr[orig + 1]!; q++) {
        let j = pinv[sym.adj[q]!]!;
        if (j >= k) continue;
        while (j !== -1 && mark[j] !== k) {
          mark[j] = k;
          lCount[k]!++;
          uCount[j]!++;
          j = parent[j]!;
        }
      }
    }
    // F row k = L row k, diagonal, then U row k (= transpose of L column k).
    const ptr = new Int32Array(n + 1);
    for (let k = 0; k < n; k++) ptr[k + 1] = ptr[k]! + lCount[k]! + 1 + uCount[k]!;
    const col = new Int32Array(ptr[n]!);
    const diag = new Int32Array(n);
    mark.fill(-1);
    for (let k = 0; k < n; k++) {
      const start = ptr[k]!;
      let q = start;
      const orig = p[k]!;
      mark[k] = k;
      for (let s = sym.ptr[orig]!; s < sym.ptr[orig + 1]!; s++) {
        let j = pinv[sym.adj[s]!]!;
        if (j >= k) continue;
        while (j !== -1 && mark[j] !== k) {
          mark[j] = k;
          col[q++] = j;
          j = parent[j]!;
        }
      }
      // Rows hold a few entries: insertion sort.
      for (let a = start + 1; a < q; a++) {
        const v = col[a]!;
        let b = a - 1;
        while (b >= start && col[b]! > v) {
          col[b + 1] = col[b]!;
          b--;
        }
        col[b + 1] = v;
      }
      diag[k] = q;
      col[q] = k;
    }
    // U entries come out sorted because rows k are visited in increasing order.
    const fillU = new Int32Array(n);
    for (let k = 0; k < n; k++) fillU[k] = diag[k]! + 1;
    for (let k = 0; k < n; k++) for (let q = ptr[k]!; q < diag[k]!; q++) col[fillU[col[q]!]!++] = k;
    return new SparseLU(n, p, ptr, col, diag, parent);
  }

  get nnz(): number {
    return this.col.length;
  }

  /** Index into aRe/aIm of entry (row, col) in original numbering, or -1 if outside the pattern. */
  position(row: number, column: number): number {
    const r = this.pinv[row]!;
    const c = this.pinv[column]!;
    let lo = this.ptr[r]!;
    let hi = this.ptr[r + 1]! - 1;
    const col = this.col;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = col[mid]!;
      if (v === c) return mid;
      if (v < c) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** Record that values in original row `row` changed, so factor() redoes that row and its ancestors in the elimination tree. */
  touch(row: number): void {
    const r = this.pinv[row]!;
    this.touched[r] = 1;
    if (r < this.dirtyFrom) this.dirtyFrom = r;
  }

  /** Record that every value may have changed. */
  touchAll(): void {
    this.dirtyFrom = 0;
    this.allDirty = true;
  }

  /** True when values changed since the last factorization. */
  get stale(): boolean {
    return this.dirtyFrom < this.n;
  }

  /** 1 / U(p,p) of permuted row p (the stored inverted pivot), as [re, im]. */
  pivotInverse(p: number): [number, number] {
    return [this.dInv[2 * p]!, this.dInv[2 * p + 1]!];
  }

  /**
   * Numeric factorization of aRe/aIm. Row i's factors depend only on its own values and the rows
   * of its subtree in the elimination tree, so after touch() only the touched rows and their
   * ancestors are redone (a tap or switch change: a path to the root, not the matrix); each row
   * is computed exactly as a full factorization computes it. With `cancellation`, a pivot below
   * 1e-15 of its row's diagonal value (lost to roundoff) throws like a zero one.
   */
  factor(cancellation = false): void {
    const { n, ptr, col, diag, aRe, aIm, w, touched, parent, lStart, lCol2, lVal, uPtr, uCol2, uVal, dInv } = this;
    const from = this.dirtyFrom;
    const all = this.allDirty;
    if (!all)
      for (let i = from; i < n; i++)
        if (touched[i] && parent[i]! >= 0) touched[parent[i]!] = 1;
    for (let i = from; i < n; i++) {
      if (!all && !touched[i]) continue;
      // Row i of A, scattered by column.
      for (let q = ptr[i]!; q < ptr[i + 1]!; q++) {
        const c2 = 2 * col[q]!;
        w[c2] = aRe[q]!;
        w[c2 + 1] = aIm[q]!;
      }
      const l0 = lStart[i]!;
      const l1 = lStart[i + 1]!;
      for (let q = l0; q < l1; q++) {
        const k2 = lCol2[q]!;
        // l = w[k] / U(k,k); the diagonal is stored inverted.
        const ir = dInv[k2]!;
        const ii = dInv[k2 + 1]!;
        const xr = w[k2]!;
        const xi = w[k2 + 1]!;
        const lr = xr * ir - xi * ii;
        const li = xr * ii + xi * ir;
        w[k2] = lr;
        w[k2 + 1] = li;
        const rk = n - 1 - (k2 >> 1);
        for (let s = uPtr[rk]!; s < uPtr[rk + 1]!; s++) {
          const j2 = uCol2[s]!;
          const ur = uVal[2 * s]!;
          const ui = uVal[2 * s + 1]!;
          w[j2] = w[j2]! - (lr * ur - li * ui);
          w[j2 + 1] = w[j2 + 1]! - (lr * ui + li * ur);
        }
      }
      // Gather L row i, the pivot and U row i; clear w.
      for (let q = l0; q < l1; q++) {
        const c2 = lCol2[q]!;
        lVal[2 * q] = w[c2]!;
        lVal[2 * q + 1] = w[c2 + 1]!;
        w[c2] = 0;
        w[c2 + 1] = 0;
      }
      const ri = n - 1 - i;
      for (let s = uPtr[ri]!; s < uPtr[ri + 1]!; s++) {
        const c2 = uCol2[s]!;
        uVal[2 * s] = w[c2]!;
        uVal[2 * s + 1] = w[c2 + 1]!;
        w[c2] = 0;
        w[c2 + 1] = 0;
      }
      const pr = w[2 * i]!;
      const pi = w[2 * i + 1]!;
      w[2 * i] = 0;
      w[2 * i + 1] = 0;
      const m = pr * pr + pi * pi;
      const fr = pr / m;
      const fi = -pi / m;
      let lost = false;
      if (cancellation) {
        const ar = aRe[diag[i]!]!;
        const ai = aIm[diag[i]!]!;
        const a2 = ar * ar + ai * ai;
        lost = a2 > 0 && 1 < 1e-30 * a2 * (fr * fr + fi * fi);
      }
      if (!(m > 0) || !Number.isFinite(m) || lost) {
        // This row and the marked ones after it wait for the next factor().
        this.dirtyFrom = i;
        throw new SingularMatrixError(this.perm[i]!);
      }
      dInv[2 * i] = fr;
      dInv[2 * i + 1] = fi;
      touched[i] = 0;
    }
    if (all) touched.fill(0, from);
    this.dirtyFrom = n;
    this.allDirty = false;
  }

  /** Solve A x = b (original numbering). x may alias b. */
  solve(bRe: Float64Array, bIm: Float64Array, xRe: Float64Array, xIm: Float64Array): void {
    const { n, lStart, lCol2, lVal, uPtr, uCol2, uVal, dInv, y, perm } = this;
    // Forward: L y = P b (unit diagonal), gathering b on the way.
    let q = 0;
    for (let i = 0; i < n; i++) {
      const o = perm[i]!;
      let sr = bRe[o]!;
      let si = bIm[o]!;
      const end = lStart[i + 1]!;
      for (; q < end; q++) {
        const k2 = lCol2[q]!;
        const lr = lVal[2 * q]!;
        const li = lVal[2 * q + 1]!;
        const vr = y[k2]!;
        const vi = y[k2 + 1]!;
        sr -= lr * vr - li * vi;
        si -= lr * vi + li * vr;
      }
      y[2 * i] = sr;
      y[2 * i + 1] = si;
    }
    // Backward: U z = y from the last row, scattering z to x on the way. x is written only here,
    // so it may alias b.
    q = 0;
    for (let r = 0; r < n; r++) {
      const i = n - 1 - r;
      let sr = y[2 * i]!;
      let si = y[2 * i + 1]!;
      const end = uPtr[r + 1]!;
      for (; q < end; q++) {
        const j2 = uCol2[q]!;
        const ur = uVal[2 * q]!;
        const ui = uVal[2 * q + 1]!;
        const vr = y[j2]!;
        const vi = y[j2 + 1]!;
        sr -= ur * vr - ui * vi;
        si -= ur * vi + ui * vr;
      }
      const ir = dInv[2 * i]!;
      const ii = dInv[2 * i + 1]!;
      const zr = sr * ir - si * ii;
      const zi = sr * ii + si * ir;
      y[2 * i] = zr;
      y[2 * i + 1] = zi;
      const o = perm[i]!;
      xRe[o] = zr;
      xIm[o] = zi;
    }
  }

  /** Copies another LU's values and factors (same symbolic structure) without allocating. */
  copyValuesFrom(o: SparseLU): void {
    if (o.col !== this.col) throw new Error("copyValuesFrom: different symbolic structure");
    this.aRe.set(o.aRe);
    this.aIm.set(o.aIm);
    this.lVal.set(o.lVal);
    this.uVal.set(o.uVal);
    this.dInv.set(o.dInv);
    this.touched.set(o.touched);
    this.dirtyFrom = o.dirtyFrom;
    this.allDirty = o.allDirty;
  }

  /** A copy sharing the symbolic structure, with its own values and work space (for forks). */
  clone(): SparseLU {
    const c = new SparseLU(this.n, this.perm, this.ptr, this.col, this.diag, this.parent, this);
    c.copyValuesFrom(this);
    return c;
  }
}

/** Pattern with every edge in both rows, no self loops, no duplicates. */
function symmetrize(g: Graph): Graph {
  const n = g.n;
  const count = new Int32Array(n);
  for (let i = 0; i < n; i++)
    for (let q = g.ptr[i]!; q < g.ptr[i + 1]!; q++) {
      const j = g.adj[q]!;
      if (j === i) continue;
      count[i]!++;
      count[j]!++;
    }
  const ptr = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) ptr[i + 1] = ptr[i]! + count[i]!;
  const raw = new Int32Array(ptr[n]!);
  const fill = ptr.slice(0, n);
  for (let i = 0; i < n; i++)
    for (let q = g.ptr[i]!; q < g.ptr[i + 1]!; q++) {
      const j = g.adj[q]!;
      if (j === i) continue;
      raw[fill[i]!++] = j;
      raw[fill[j]!++] = i;
    }
  // Deduplicate each row, in place (rows only shrink, so writing stays behind reading).
  const mark = new Int32Array(n).fill(-1);
  const outPtr = new Int32Array(n + 1);
  let w = 0;
  for (let i = 0; i < n; i++) {
    for (let q = ptr[i]!; q < ptr[i + 1]!; q++) {
      const j = raw[q]!;
      if (mark[j] !== i) {
        mark[j] = i;
        raw[w++] = j;
      }
    }
    outPtr[i + 1] = w;
  }
  return { n, ptr: outPtr, adj: raw.subarray(0, w) };
}

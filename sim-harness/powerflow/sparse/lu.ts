// Sparse complex LU for structurally symmetric matrices (the system admittance
// matrix is one), written for the power flow's loop:
// - analyze once per pattern: minimum-degree ordering, elimination tree, the
//   filled pattern F = L + U stored row by row (CSR, columns sorted);
// - the caller writes matrix values straight into `aRe/aIm` (laid out like F,
//   fill positions stay zero) through `position(row, col)`;
// - factor() refactors numerically in place without allocating; rows before
//   the first changed row keep their factors (`factor(fromRow)`), so a tap or
//   switch change refactors only the tail of the ordering;
// - solve() does the forward/back substitutions.
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
  /** Factor values: strict lower part is L (unit diagonal), the rest is U; diagonal stored inverted. */
  readonly fRe: Float64Array;
  readonly fIm: Float64Array;
  private readonly wRe: Float64Array;
  private readonly wIm: Float64Array;
  private readonly yRe: Float64Array;
  private readonly yIm: Float64Array;
  /** Lowest permuted row whose values changed since the last factor(); n when none. */
  private dirtyFrom: number;

  private constructor(n: number, perm: Int32Array, ptr: Int32Array, col: Int32Array, diag: Int32Array) {
    this.n = n;
    this.perm = perm;
    this.pinv = new Int32Array(n);
    for (let k = 0; k < n; k++) this.pinv[perm[k]!] = k;
    this.ptr = ptr;
    this.col = col;
    this.diag = diag;
    const nnz = col.length;
    this.aRe = new Float64Array(nnz);
    this.aIm = new Float64Array(nnz);
    this.fRe = new Float64Array(nnz);
    this.fIm = new Float64Array(nnz);
    this.wRe = new Float64Array(n);
    this.wIm = new Float64Array(n);
    this.yRe = new Float64Array(n);
    this.yIm = new Float64Array(n);
    this.dirtyFrom = 0;
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
    const walk = (k: number, visit: (j: number) => void) => {
      const orig = p[k]!;
      mark[k] = k;
      for (let q = sym.ptr[orig]!; q < sym.ptr[orig + 1]!; q++) {
        let j = pinv[sym.adj[q]!]!;
        if (j >= k) continue;
        while (j !== -1 && mark[j] !== k) {
          mark[j] = k;
          visit(j);
          j = parent[j]!;
        }
      }
    };
    for (let k = 0; k < n; k++)
      walk(k, (j) => {
        lCount[k]!++;
        uCount[j]!++;
      });
    // F row k = L row k, diagonal, then U row k (= transpose of L column k).
    const ptr = new Int32Array(n + 1);
    for (let k = 0; k < n; k++) ptr[k + 1] = ptr[k]! + lCount[k]! + 1 + uCount[k]!;
    const col = new Int32Array(ptr[n]!);
    const diag = new Int32Array(n);
    mark.fill(-1);
    for (let k = 0; k < n; k++) {
      const start = ptr[k]!;
      let q = start;
      walk(k, (j) => (col[q++] = j));
      col.subarray(start, q).sort();
      diag[k] = q;
      col[q] = k;
    }
    // U entries come out sorted because rows k are visited in increasing order.
    const fillU = new Int32Array(n);
    for (let k = 0; k < n; k++) fillU[k] = diag[k]! + 1;
    for (let k = 0; k < n; k++) for (let q = ptr[k]!; q < diag[k]!; q++) col[fillU[col[q]!]!++] = k;
    return new SparseLU(n, p, ptr, col, diag);
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

  /** Record that values in original row `row` changed, so factor() redoes that row and those after it. */
  touch(row: number): void {
    const r = this.pinv[row]!;
    if (r < this.dirtyFrom) this.dirtyFrom = r;
  }

  /** Record that every value may have changed. */
  touchAll(): void {
    this.dirtyFrom = 0;
  }

  /** True when values changed since the last factorization. */
  get stale(): boolean {
    return this.dirtyFrom < this.n;
  }

  /** Numeric factorization of aRe/aIm (from the first touched row on). */
  factor(): void {
    const { n, ptr, col, diag, aRe, aIm, fRe, fIm, wRe, wIm } = this;
    const from = this.dirtyFrom;
    for (let i = from; i < n; i++) {
      const start = ptr[i]!;
      const end = ptr[i + 1]!;
      for (let q = start; q < end; q++) {
        const c = col[q]!;
        wRe[c] = aRe[q]!;
        wIm[c] = aIm[q]!;
      }
      const dq = diag[i]!;
      for (let q = start; q < dq; q++) {
        const k = col[q]!;
        // l = w[k] / U(k,k); the diagonal is stored inverted.
        const dk = diag[k]!;
        const ir = fRe[dk]!;
        const ii = fIm[dk]!;
        const xr = wRe[k]!;
        const xi = wIm[k]!;
        const lr = xr * ir - xi * ii;
        const li = xr * ii + xi * ir;
        wRe[k] = lr;
        wIm[k] = li;
        const kEnd = ptr[k + 1]!;
        for (let s = dk + 1; s < kEnd; s++) {
          const j = col[s]!;
          const ur = fRe[s]!;
          const ui = fIm[s]!;
          wRe[j] = wRe[j]! - (lr * ur - li * ui);
          wIm[j] = wIm[j]! - (lr * ui + li * ur);
        }
      }
      for (let q = start; q < end; q++) {
        const c = col[q]!;
        fRe[q] = wRe[c]!;
        fIm[q] = wIm[c]!;
        wRe[c] = 0;
        wIm[c] = 0;
      }
      const pr = fRe[dq]!;
      const pi = fIm[dq]!;
      const m = pr * pr + pi * pi;
      if (!(m > 0) || !Number.isFinite(m)) {
        this.dirtyFrom = i;
        throw new SingularMatrixError(this.perm[i]!);
      }
      fRe[dq] = pr / m;
      fIm[dq] = -pi / m;
    }
    this.dirtyFrom = n;
  }

  /** Solve A x = b (original numbering). x may alias b. */
  solve(bRe: Float64Array, bIm: Float64Array, xRe: Float64Array, xIm: Float64Array): void {
    const { n, ptr, col, diag, fRe, fIm, yRe, yIm, perm } = this;
    for (let k = 0; k < n; k++) {
      const o = perm[k]!;
      yRe[k] = bRe[o]!;
      yIm[k] = bIm[o]!;
    }
    // Forward: L y = P b (unit diagonal).
    for (let i = 0; i < n; i++) {
      let sr = yRe[i]!;
      let si = yIm[i]!;
      const dq = diag[i]!;
      for (let q = ptr[i]!; q < dq; q++) {
        const k = col[q]!;
        const lr = fRe[q]!;
        const li = fIm[q]!;
        const vr = yRe[k]!;
        const vi = yIm[k]!;
        sr -= lr * vr - li * vi;
        si -= lr * vi + li * vr;
      }
      yRe[i] = sr;
      yIm[i] = si;
    }
    // Backward: U z = y.
    for (let i = n - 1; i >= 0; i--) {
      let sr = yRe[i]!;
      let si = yIm[i]!;
      const dq = diag[i]!;
      const end = ptr[i + 1]!;
      for (let q = dq + 1; q < end; q++) {
        const j = col[q]!;
        const ur = fRe[q]!;
        const ui = fIm[q]!;
        const vr = yRe[j]!;
        const vi = yIm[j]!;
        sr -= ur * vr - ui * vi;
        si -= ur * vi + ui * vr;
      }
      const ir = fRe[dq]!;
      const ii = fIm[dq]!;
      yRe[i] = sr * ir - si * ii;
      yIm[i] = sr * ii + si * ir;
    }
    for (let k = 0; k < n; k++) {
      const o = perm[k]!;
      xRe[o] = yRe[k]!;
      xIm[o] = yIm[k]!;
    }
  }

  /** Copies another LU's values and factors (same symbolic structure) without allocating. */
  copyValuesFrom(o: SparseLU): void {
    if (o.col !== this.col) throw new Error("copyValuesFrom: different symbolic structure");
    this.aRe.set(o.aRe);
    this.aIm.set(o.aIm);
    this.fRe.set(o.fRe);
    this.fIm.set(o.fIm);
    this.dirtyFrom = o.dirtyFrom;
  }

  /** A copy sharing the symbolic structure, with its own values and work space (for forks). */
  clone(): SparseLU {
    const c = new SparseLU(this.n, this.perm, this.ptr, this.col, this.diag);
    c.aRe.set(this.aRe);
    c.aIm.set(this.aIm);
    c.fRe.set(this.fRe);
    c.fIm.set(this.fIm);
    c.dirtyFrom = this.dirtyFrom;
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
  // Deduplicate each row.
  const mark = new Int32Array(n).fill(-1);
  const outPtr = new Int32Array(n + 1);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let q = ptr[i]!; q < ptr[i + 1]!; q++) {
      const j = raw[q]!;
      if (mark[j] !== i) {
        mark[j] = i;
        out.push(j);
      }
    }
    outPtr[i + 1] = out.length;
  }
  return { n, ptr: outPtr, adj: Int32Array.from(out) };
}

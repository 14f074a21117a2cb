// Small dense complex matrices for primitive admittances (order <= a few dozen):
// row-major, re and im in separate Float64Arrays.
import { carveF64 } from "../chunks.js";
import type { CMatrixSpec } from "../network.js";

export class CMatrix implements CMatrixSpec {
  readonly order: number;
  readonly re: Float64Array;
  readonly im: Float64Array;

  constructor(order: number) {
    this.order = order;
    this.re = carveF64(order * order);
    this.im = carveF64(order * order);
  }

  static from(spec: CMatrixSpec): CMatrix {
    const m = new CMatrix(spec.order);
    m.re.set(spec.re);
    m.im.set(spec.im);
    return m;
  }

  copy(): CMatrix {
    return CMatrix.from(this);
  }

  getRe(i: number, j: number): number {
    return this.re[i * this.order + j]!;
  }
  getIm(i: number, j: number): number {
    return this.im[i * this.order + j]!;
  }
  set(i: number, j: number, re: number, im: number): void {
    const k = i * this.order + j;
    this.re[k] = re;
    this.im[k] = im;
  }
  add(i: number, j: number, re: number, im: number): void {
    const k = i * this.order + j;
    this.re[k] = this.re[k]! + re;
    this.im[k] = this.im[k]! + im;
  }
  /** Add to (i,j) and, when i != j, to (j,i). */
  addSym(i: number, j: number, re: number, im: number): void {
    this.add(i, j, re, im);
    if (i !== j) this.add(j, i, re, im);
  }
  addMatrix(other: CMatrixSpec, scale = 1): void {
    for (let k = 0; k < this.re.length; k++) {
      this.re[k] = this.re[k]! + scale * other.re[k]!;
      this.im[k] = this.im[k]! + scale * other.im[k]!;
    }
  }
  scale(s: number): this {
    for (let k = 0; k < this.re.length; k++) {
      this.re[k] = this.re[k]! * s;
      this.im[k] = this.im[k]! * s;
    }
    return this;
  }

  /** In-place inverse by Gauss-Jordan with partial pivoting; returns false if singular. */
  invert(): boolean {
    const n = this.order;
    const a = this.re;
    const b = this.im;
    const piv: number[] = [];
    for (let i = 0; i < n; i++) piv.push(i);
    for (let k = 0; k < n; k++) {
      let p = k;
      let best = -1;
      for (let i = k; i < n; i++) {
        // Squared magnitude: same order as |z| (Math.hypot is slow and allocates).
        const m = a[i * n + k]! * a[i * n + k]! + b[i * n + k]! * b[i * n + k]!;
        if (m > best) {
          best = m;
          p = i;
        }
      }
      if (!(best > 0)) return false;
      if (p !== k) {
        for (let j = 0; j < n; j++) {
          const t1 = a[k * n + j]!;
          a[k * n + j] = a[p * n + j]!;
          a[p * n + j] = t1;
          const t2 = b[k * n + j]!;
          b[k * n + j] = b[p * n + j]!;
          b[p * n + j] = t2;
        }
        const t = piv[k]!;
        piv[k] = piv[p]!;
        piv[p] = t;
      }
      // Scale pivot row by 1/pivot; pivot position becomes 1/pivot.
      const pr = a[k * n + k]!;
      const pi = b[k * n + k]!;
      const m = pr * pr + pi * pi;
      const ir = pr / m;
      const ii = -pi / m;
      a[k * n + k] = 1;
      b[k * n + k] = 0;
      for (let j = 0; j < n; j++) {
        const xr = a[k * n + j]!;
        const xi = b[k * n + j]!;
        a[k * n + j] = xr * ir - xi * ii;
        b[k * n + j] = xr * ii + xi * ir;
      }
      for (let i = 0; i < n; i++) {
        if (i === k) continue;
        const fr = a[i * n + k]!;
        const fi = b[i * n + k]!;
        if (fr === 0 && fi === 0) continue;
        a[i * n + k] = 0;
        b[i * n + k] = 0;
        for (let j = 0; j < n; j++) {
          const ur = a[k * n + j]!;
          const ui = b[k * n + j]!;
          a[i * n + j] = a[i * n + j]! - (fr * ur - fi * ui);
          b[i * n + j] = b[i * n + j]! - (fr * ui + fi * ur);
        }
      }
    }
    // Row swaps of A become column swaps of the inverse: inv[i][piv[j]] = X[i][j], row by row.
    const tr = new Array<number>(n);
    const ti = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        tr[piv[j]!] = a[i * n + j]!;
        ti[piv[j]!] = b[i * n + j]!;
      }
      for (let j = 0; j < n; j++) {
        a[i * n + j] = tr[j]!;
        b[i * n + j] = ti[j]!;
      }
    }
    return true;
  }

  /** y = M x for complex vectors. */
  mulVec(xRe: ArrayLike<number>, xIm: ArrayLike<number>, yRe: Float64Array, yIm: Float64Array): void {
    const n = this.order;
    for (let i = 0; i < n; i++) {
      let sr = 0;
      let si = 0;
      for (let j = 0; j < n; j++) {
        const mr = this.re[i * n + j]!;
        const mi = this.im[i * n + j]!;
        const vr = xRe[j]!;
        const vi = xIm[j]!;
        sr += mr * vr - mi * vi;
        si += mr * vi + mi * vr;
      }
      yRe[i] = sr;
      yIm[i] = si;
    }
  }
}

const scratchByOrder: CMatrix[] = [];

/**
 * A copy of `spec` in a matrix reused for its order: for a value consumed at once (a line's
 * impedance inverted into its Yprim). The next call for the same order overwrites it.
 */
export function scratchCopy(spec: CMatrixSpec): CMatrix {
  const m = (scratchByOrder[spec.order] ??= new CMatrix(spec.order));
  m.re.set(spec.re);
  m.im.set(spec.im);
  return m;
}

/** Series branch between two terminals of n conductors each: [Y -Y; -Y Y]. */
export function seriesYprim(y: CMatrixSpec): CMatrix {
  const n = y.order;
  const out = new CMatrix(2 * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      const r = y.re[i * n + j]!;
      const m = y.im[i * n + j]!;
      out.set(i, j, r, m);
      out.set(i + n, j + n, r, m);
      out.set(i, j + n, -r, -m);
      out.set(i + n, j, -r, -m);
    }
  return out;
}

/** OpenDSS's EPSILON for open conductors. */
export const EPSILON = 1e-12;

/**
 * Open conductors (OpenDSS DoYprimCalcs): Kron-reduce each open conductor out
 * of the primitive matrix, zero its row and column and leave a tiny diagonal.
 * `closed[k]` is per conductor in terminal order.
 */
export function applyOpenConductors(y: CMatrix, closed: ArrayLike<boolean>): void {
  const n = y.order;
  const eliminated = new Uint8Array(n);
  for (let e = 0; e < n; e++) {
    if (closed[e]) continue;
    let nr = y.getRe(e, e);
    let ni = y.getIm(e, e);
    if (nr === 0 && ni === 0) nr = EPSILON;
    const m = nr * nr + ni * ni;
    eliminated[e] = 1;
    for (let i = 0; i < n; i++) {
      if (eliminated[i]) continue;
      const ar = y.getRe(i, e);
      const ai = y.getIm(i, e);
      if (ar === 0 && ai === 0) continue;
      // t = Yin / Ynn
      const tr = (ar * nr + ai * ni) / m;
      const ti = (ai * nr - ar * ni) / m;
      for (let j = 0; j < n; j++) {
        if (eliminated[j]) continue;
        const br = y.getRe(e, j);
        const bi = y.getIm(e, j);
        if (br === 0 && bi === 0) continue;
        y.add(i, j, -(tr * br - ti * bi), -(tr * bi + ti * br));
      }
    }
    for (let k = 0; k < n; k++) {
      y.set(e, k, 0, 0);
      y.set(k, e, 0, 0);
    }
    y.set(e, e, EPSILON, 0);
  }
}

// Small dense complex matrices for line constants (order <= a dozen):
// row-major re/im arrays, the same shape as the power flow's CMatrixSpec.
import { carveF64 } from "../chunks.js";

export interface CMatrix {
  order: number;
  re: Float64Array;
  im: Float64Array;
}

// Thousands of lines each hold a few of these: re and im are carved from shared chunks.
export function cmatrix(order: number): CMatrix {
  const nn = order * order;
  return { order, re: carveF64(nn), im: carveF64(nn) };
}

export function copyCMatrix(m: CMatrix): CMatrix {
  const out = cmatrix(m.order);
  out.re.set(m.re);
  out.im.set(m.im);
  return out;
}

/** Sets (i,j) and (j,i), 0-based. */
export function setSym(m: CMatrix, i: number, j: number, re: number, im: number): void {
  const n = m.order;
  m.re[i * n + j] = re;
  m.im[i * n + j] = im;
  m.re[j * n + i] = re;
  m.im[j * n + i] = im;
}

export function scale(m: CMatrix, k: number): CMatrix {
  const out = copyCMatrix(m);
  for (let i = 0; i < out.re.length; i++) {
    out.re[i]! *= k;
    out.im[i]! *= k;
  }
  return out;
}

/**
 * Kron reduction eliminating the last row and column:
 * Z'ij = Zij - Zin Znj / Znn (what OpenDSS's TcMatrix.Kron(order) does).
 */
export function kronLast(m: CMatrix): CMatrix {
  const n = m.order;
  const k = n - 1;
  const out = cmatrix(k);
  const pr = m.re[k * n + k]!;
  const pi = m.im[k * n + k]!;
  const den = pr * pr + pi * pi;
  for (let i = 0; i < k; i++) {
    const ar = m.re[i * n + k]!;
    const ai = m.im[i * n + k]!;
    // a / Znn
    const qr = (ar * pr + ai * pi) / den;
    const qi = (ai * pr - ar * pi) / den;
    for (let j = 0; j < k; j++) {
      const br = m.re[k * n + j]!;
      const bi = m.im[k * n + j]!;
      out.re[i * k + j] = m.re[i * n + j]! - (qr * br - qi * bi);
      out.im[i * k + j] = m.im[i * n + j]! - (qr * bi + qi * br);
    }
  }
  return out;
}

/** Reduces to `order` by repeatedly eliminating the last conductor. */
export function kronTo(m: CMatrix, order: number): CMatrix {
  let z = m;
  while (z.order > order) z = kronLast(z);
  return z;
}

/** Top-left `order` x `order` block. */
export function leading(m: CMatrix, order: number): CMatrix {
  const n = m.order;
  const out = cmatrix(order);
  for (let i = 0; i < order; i++) {
    for (let j = 0; j < order; j++) {
      out.re[i * order + j] = m.re[i * n + j]!;
      out.im[i * order + j] = m.im[i * n + j]!;
    }
  }
  return out;
}

/** Inverse by Gauss-Jordan elimination with partial pivoting; throws on a singular matrix. */
export function invert(m: CMatrix): CMatrix {
  const n = m.order;
  const ar = m.re.slice();
  const ai = m.im.slice();
  const br = new Float64Array(n * n);
  const bi = new Float64Array(n * n);
  for (let i = 0; i < n; i++) br[i * n + i] = 1;
  for (let c = 0; c < n; c++) {
    let p = c;
    let best = ar[c * n + c]! ** 2 + ai[c * n + c]! ** 2;
    for (let r = c + 1; r < n; r++) {
      const v = ar[r * n + c]! ** 2 + ai[r * n + c]! ** 2;
      if (v > best) {
        best = v;
        p = r;
      }
    }
    if (best === 0) throw new Error("singular complex matrix");
    if (p !== c) {
      for (let j = 0; j < n; j++) {
        swap(ar, p * n + j, c * n + j);
        swap(ai, p * n + j, c * n + j);
        swap(br, p * n + j, c * n + j);
        swap(bi, p * n + j, c * n + j);
      }
    }
    const pr = ar[c * n + c]!;
    const pim = ai[c * n + c]!;
    const den = pr * pr + pim * pim;
    const ir = pr / den;
    const ii = -pim / den;
    for (let j = 0; j < n; j++) {
      const k = c * n + j;
      let xr = ar[k]!, xi = ai[k]!;
      ar[k] = xr * ir - xi * ii;
      ai[k] = xr * ii + xi * ir;
      xr = br[k]!;
      xi = bi[k]!;
      br[k] = xr * ir - xi * ii;
      bi[k] = xr * ii + xi * ir;
    }
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const fr = ar[r * n + c]!;
      const fi = ai[r * n + c]!;
      if (fr === 0 && fi === 0) continue;
      for (let j = 0; j < n; j++) {
        const s = c * n + j;
        const t = r * n + j;
        ar[t] = ar[t]! - (fr * ar[s]! - fi * ai[s]!);
        ai[t] = ai[t]! - (fr * ai[s]! + fi * ar[s]!);
        br[t] = br[t]! - (fr * br[s]! - fi * bi[s]!);
        bi[t] = bi[t]! - (fr * bi[s]! + fi * br[s]!);
      }
    }
  }
  return { order: n, re: br, im: bi };
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

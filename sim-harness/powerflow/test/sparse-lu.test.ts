import { describe, expect, it } from "vitest";
import { SparseLU, SingularMatrixError } from "../sparse/lu.js";
import { minimumDegreeOrder, type Graph } from "../sparse/ordering.js";
import { Rng } from "../../scenarios/rng.js";

/** The scenarios' seeded generator (mulberry32) as a function, so failures reproduce. */
function rng(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.next();
}

interface Sys {
  n: number;
  edges: [number, number][];
  /** dense values re/im, row-major */
  re: Float64Array;
  im: Float64Array;
}

/** Random structurally symmetric, numerically unsymmetric, diagonally dominant complex system (a tree plus extra edges). */
function randomSystem(n: number, extra: number, seed: number): Sys {
  const r = rng(seed);
  const edges: [number, number][] = [];
  for (let i = 1; i < n; i++) edges.push([i, Math.floor(r() * i)]);
  for (let e = 0; e < extra; e++) {
    const i = Math.floor(r() * n);
    const j = Math.floor(r() * n);
    if (i !== j) edges.push([i, j]);
  }
  const re = new Float64Array(n * n);
  const im = new Float64Array(n * n);
  for (const [i, j] of edges) {
    re[i * n + j] = re[i * n + j]! + (r() - 0.5);
    im[i * n + j] = im[i * n + j]! + (r() - 0.5);
    re[j * n + i] = re[j * n + i]! + (r() - 0.5);
    im[j * n + i] = im[j * n + i]! + (r() - 0.5);
  }
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) if (j !== i) s += Math.hypot(re[i * n + j]!, im[i * n + j]!);
    re[i * n + i] = s + 0.1 + r();
    im[i * n + i] = (r() - 0.5) * 3;
  }
  return { n, edges, re, im };
}

function graphOf(s: Sys): Graph {
  const rows: number[][] = Array.from({ length: s.n }, () => []);
  for (const [i, j] of s.edges) rows[i]!.push(j);
  const ptr = new Int32Array(s.n + 1);
  for (let i = 0; i < s.n; i++) ptr[i + 1] = ptr[i]! + rows[i]!.length;
  return { n: s.n, ptr, adj: Int32Array.from(rows.flat()) };
}

/** Dense complex Gaussian elimination with partial pivoting (the reference). */
function denseSolve(n: number, re0: Float64Array, im0: Float64Array, bRe: Float64Array, bIm: Float64Array) {
  const re = re0.slice();
  const im = im0.slice();
  const xr = bRe.slice();
  const xi = bIm.slice();
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.hypot(re[i * n + k]!, im[i * n + k]!) > Math.hypot(re[p * n + k]!, im[p * n + k]!)) p = i;
    if (p !== k) {
      for (let j = 0; j < n; j++) {
        [re[k * n + j], re[p * n + j]] = [re[p * n + j]!, re[k * n + j]!];
        [im[k * n + j], im[p * n + j]] = [im[p * n + j]!, im[k * n + j]!];
      }
      [xr[k], xr[p]] = [xr[p]!, xr[k]!];
      [xi[k], xi[p]] = [xi[p]!, xi[k]!];
    }
    const dr = re[k * n + k]!;
    const di = im[k * n + k]!;
    const m = dr * dr + di * di;
    for (let i = k + 1; i < n; i++) {
      const ar = re[i * n + k]!;
      const ai = im[i * n + k]!;
      if (ar === 0 && ai === 0) continue;
      const lr = (ar * dr + ai * di) / m;
      const li = (ai * dr - ar * di) / m;
      for (let j = k; j < n; j++) {
        const ur = re[k * n + j]!;
        const ui = im[k * n + j]!;
        re[i * n + j] = re[i * n + j]! - (lr * ur - li * ui);
        im[i * n + j] = im[i * n + j]! - (lr * ui + li * ur);
      }
      xr[i] = xr[i]! - (lr * xr[k]! - li * xi[k]!);
      xi[i] = xi[i]! - (lr * xi[k]! + li * xr[k]!);
    }
  }
  for (let i = n - 1; i >= 0; i--) {
    let sr = xr[i]!;
    let si = xi[i]!;
    for (let j = i + 1; j < n; j++) {
      sr -= re[i * n + j]! * xr[j]! - im[i * n + j]! * xi[j]!;
      si -= re[i * n + j]! * xi[j]! + im[i * n + j]! * xr[j]!;
    }
    const dr = re[i * n + i]!;
    const di = im[i * n + i]!;
    const m = dr * dr + di * di;
    xr[i] = (sr * dr + si * di) / m;
    xi[i] = (si * dr - sr * di) / m;
  }
  return { xr, xi };
}

function load(lu: SparseLU, s: Sys) {
  lu.aRe.fill(0);
  lu.aIm.fill(0);
  for (let i = 0; i < s.n; i++)
    for (let j = 0; j < s.n; j++) {
      const v = s.re[i * s.n + j]!;
      const w = s.im[i * s.n + j]!;
      if (v === 0 && w === 0) continue;
      const p = lu.position(i, j);
      expect(p).toBeGreaterThanOrEqual(0);
      lu.aRe[p] = v;
      lu.aIm[p] = w;
    }
  lu.touchAll();
}

function maxDiff(a: Float64Array, b: Float64Array) {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe("sparse complex LU", () => {
  it.each([
    [5, 0, 1],
    [40, 10, 2],
    [120, 60, 3],
    [300, 40, 4],
    [250, 400, 5],
  ])("matches a dense solve on a random %i-node system with %i extra edges (seed %i)", (n, extra, seed) => {
    const s = randomSystem(n, extra, seed);
    const lu = SparseLU.analyze(graphOf(s));
    load(lu, s);
    lu.factor();
    const r = rng(seed + 100);
    const bRe = Float64Array.from({ length: n }, () => r() - 0.5);
    const bIm = Float64Array.from({ length: n }, () => r() - 0.5);
    const xRe = new Float64Array(n);
    const xIm = new Float64Array(n);
    lu.solve(bRe, bIm, xRe, xIm);
    const ref = denseSolve(n, s.re, s.im, bRe, bIm);
    expect(maxDiff(xRe, ref.xr)).toBeLessThan(1e-10);
    expect(maxDiff(xIm, ref.xi)).toBeLessThan(1e-10);
  });

  it("refactors only the changed rows and their elimination-tree ancestors, to the same factors as a full factorization", () => {
    const n = 200;
    const s = randomSystem(n, 80, 11);
    const lu = SparseLU.analyze(graphOf(s));
    load(lu, s);
    lu.factor();
    // Change one row's diagonal and one off-diagonal pair, refactor partially.
    const i = 137;
    const [a, b] = s.edges[150]!;
    s.re[i * n + i] = s.re[i * n + i]! + (2.5);
    s.im[a * n + b] = s.im[a * n + b]! + (0.3);
    for (const [r, c] of [[i, i], [a, b]] as const) {
      const p = lu.position(r, c);
      lu.aRe[p] = s.re[r * n + c]!;
      lu.aIm[p] = s.im[r * n + c]!;
      lu.touch(r);
    }
    expect(lu.stale).toBe(true);
    // Rows off the paths from the changed rows to the root are not recomputed (a marker survives).
    const path = new Set<number>();
    for (const r of [i, a]) for (let p = lu.pinv[r]!; p >= 0; p = lu.parent[p]!) path.add(p);
    const off = Array.from({ length: n }, (_, p) => p).filter((p) => !path.has(p));
    expect(off.length).toBeGreaterThan(n / 2);
    const probe = lu.clone();
    for (const p of off) probe.dInv[2 * p] = 12345;
    probe.factor();
    for (const p of off) expect(probe.dInv[2 * p]).toBe(12345);
    lu.factor();
    expect(lu.stale).toBe(false);
    const full = lu.clone();
    load(full, s);
    full.factor();
    for (const part of ["lVal", "uVal", "dInv"] as const) expect(Array.from(lu[part])).toEqual(Array.from(full[part]));
    const bRe = new Float64Array(n).fill(1);
    const bIm = new Float64Array(n);
    const xRe = new Float64Array(n);
    const xIm = new Float64Array(n);
    lu.solve(bRe, bIm, xRe, xIm);
    const ref = denseSolve(n, s.re, s.im, bRe, bIm);
    expect(maxDiff(xRe, ref.xr)).toBeLessThan(1e-10);
    expect(maxDiff(xIm, ref.xi)).toBeLessThan(1e-10);
  });

  it("keeps fill low on a tree (no fill at all)", () => {
    const s = randomSystem(1000, 0, 7);
    const lu = SparseLU.analyze(graphOf(s));
    // A tree eliminated leaves-first has no fill: nnz(F) = n + 2(n-1).
    expect(lu.nnz).toBe(1000 + 2 * 999);
  });

  it("orders a grid with less fill than the natural order", () => {
    const k = 20;
    const edges: [number, number][] = [];
    for (let i = 0; i < k; i++)
      for (let j = 0; j < k; j++) {
        if (i + 1 < k) edges.push([i * k + j, (i + 1) * k + j]);
        if (j + 1 < k) edges.push([i * k + j, i * k + j + 1]);
      }
    const s: Sys = { n: k * k, edges, re: new Float64Array(0), im: new Float64Array(0) };
    const g = graphOf(s);
    const natural = SparseLU.analyze(g, Int32Array.from({ length: k * k }, (_, i) => i));
    const md = SparseLU.analyze(g);
    expect(md.nnz).toBeLessThan(natural.nnz);
    const perm = minimumDegreeOrder(g);
    expect([...perm].sort((a, b) => a - b)).toEqual(Array.from({ length: k * k }, (_, i) => i));
  });

  it("treats a pivot lost to cancellation as zero when asked", () => {
    // [[1, 1], [1, 1 + 2^-51]]: the second pivot is 2^-51, below 1e-15 of its diagonal value.
    const s: Sys = { n: 2, edges: [[0, 1]], re: Float64Array.of(1, 1, 1, 1 + 2 ** -51), im: new Float64Array(4) };
    const lu = SparseLU.analyze(graphOf(s));
    load(lu, s);
    expect(() => lu.factor(true)).toThrow(SingularMatrixError);
    lu.touchAll();
    expect(() => lu.factor()).not.toThrow();
  });

  it("reports a zero pivot with the original row", () => {
    const s: Sys = { n: 3, edges: [[0, 1]], re: new Float64Array(9), im: new Float64Array(9) };
    s.re[0] = 1;
    s.re[4] = 1;
    const lu = SparseLU.analyze(graphOf(s));
    load(lu, s);
    expect(() => lu.factor()).toThrow(SingularMatrixError);
    try {
      lu.factor();
    } catch (e) {
      expect((e as SingularMatrixError).index).toBe(2);
    }
  });
});

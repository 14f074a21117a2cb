// calcvoltagebases as OpenDSS does it (SetVoltageBases): a zero-load
// solution with series admittances only (no loads, shunt capacitors, line
// charging or magnetizing branches), then each bus takes the legal base
// nearest to its first node's voltage times sqrt(3).
import type { Circuit } from "./circuit.js";
import type { CompiledElement } from "./compile.js";
import type { CMatrixSpec } from "./network.js";
import { applyOpenConductors, CMatrix, seriesYprim } from "./yprim/cmatrix.js";
import { transformerYprim } from "./yprim/transformer.js";
import { vsourceVoltages, vsourceYprim } from "./yprim/vsource.js";

function allClosed(c: Circuit, e: CompiledElement): boolean {
  for (let k = 0; k < e.nodes.length; k++) if (!c.closed[e.conductorOffset + k]) return false;
  return true;
}

/**
 * Adds an element's series-only admittance into the matrix values: `y` less, where given, the
 * shunt part `sub` (entry by entry, as subtracting it from a copy of `y` would) or, for a line, half
 * its shunt Yc at each end. Written straight into the matrix: thousands of elements, no copies.
 */
function stamp(c: Circuit, e: CompiledElement, aRe: Float64Array, aIm: Float64Array, y: CMatrix, sub?: CMatrix, lineYc?: CMatrixSpec): void {
  const o = y.order;
  const nodes = e.nodes;
  const pos = e.positions;
  const energized = c.energized;
  const n = lineYc?.order ?? 0;
  for (let a = 0; a < o; a++) {
    const na = nodes[a]!;
    if (na === 0 || !energized[na]) continue;
    for (let b = 0; b < o; b++) {
      const nb = nodes[b]!;
      if (nb === 0 || !energized[nb]) continue;
      const k = a * o + b;
      let vr = y.re[k]!;
      let vi = y.im[k]!;
      if (sub) {
        vr -= sub.re[k]!;
        vi -= sub.im[k]!;
      } else if (lineYc && (a < n) === (b < n)) {
        const yk = (a % n) * n + (b % n);
        vr += -(lineYc.re[yk]! / 2);
        vi += -(lineYc.im[yk]! / 2);
      }
      const p = pos[k]!;
      aRe[p] = aRe[p]! + vr;
      aIm[p] = aIm[p]! + vi;
    }
  }
}

/** Stamps an element's part of the series-only (no-load) matrix; false when it has none. */
function stampSeriesOnly(c: Circuit, e: CompiledElement, aRe: Float64Array, aIm: Float64Array): CMatrix | null {
  if (!c.enabled[e.index]) return null;
  const s = e.spec;
  let y: CMatrix;
  switch (s.kind) {
    case "vsource":
      y = vsourceYprim(s);
      break;
    case "line": {
      const full = c.yprim[e.index];
      if (full && allClosed(c, e)) {
        // The line's Yprim less half its shunt admittance at each end.
        stamp(c, e, aRe, aIm, full, undefined, s.yc);
        return full;
      }
      const z = CMatrix.from(s.z);
      if (!z.invert()) return null;
      y = seriesYprim(z);
      break;
    }
    case "transformer": {
      const full = c.yprim[e.index];
      const shunt = c.shuntPart[e.index];
      if (full && shunt && allClosed(c, e)) {
        stamp(c, e, aRe, aIm, full, shunt);
        return full;
      }
      const t = transformerYprim(s, 1, c.taps[e.index]!);
      y = t.y;
      y.addMatrix(t.yShunt, -1);
      break;
    }
    case "reactor":
      if (!s.series) return null;
      y = c.computeYprim(e)!;
      stamp(c, e, aRe, aIm, y);
      return y;
    case "capacitor": {
      if (!s.series) return null;
      y = c.computeYprim(e)!;
      stamp(c, e, aRe, aIm, y);
      return y;
    }
    case "load":
    case "generator":
    case "pvsystem":
    case "storage": {
      // OpenDSS gives PC elements a series part of 1e-10 x their diagonal "so that CalcVoltages doesn't fail":
      // a whisker of ground reference that the zero-load solution of a floating winding relies on.
      const full = c.yprim[e.index];
      if (!full) return null;
      const o = full.order;
      for (let a = 0; a < o; a++) {
        const na = e.nodes[a]!;
        if (na === 0 || !c.energized[na]) continue;
        const p = e.positions[a * o + a]!;
        aRe[p] = aRe[p]! + full.re[a * o + a]! * 1e-10;
        aIm[p] = aIm[p]! + full.im[a * o + a]! * 1e-10;
      }
      return full;
    }
    default:
      return null;
  }
  const off = e.conductorOffset;
  const closed = Array.from({ length: e.nodes.length }, (_, k) => c.closed[off + k] === 1);
  if (closed.some((x) => !x)) applyOpenConductors(y, closed);
  stamp(c, e, aRe, aIm, y);
  return y;
}

/** OpenDSS NearestBasekV: the legal base with the smallest per-unit difference (the first one when V = 0). */
export function nearestBase(kV: number, bases: readonly number[]): number {
  let best = bases[0] ?? 0;
  let minDiff = 1e50;
  for (const b of bases) {
    if (b === 0) break;
    const d = Math.abs(1 - kV / b);
    if (d < minDiff) {
      minDiff = d;
      best = b;
    }
  }
  return best;
}

/** Assigns busKvBase / nodeVbase from a series-only no-load solution. */
export function calcVoltageBases(c: Circuit, bases: readonly number[]): void {
  c.prepareElements();
  // Before the first solve the circuit's own matrix is free (that solve assembles it from
  // scratch); afterwards a copy keeps its factorization.
  const lu = c.initialized ? c.lu.clone() : c.lu;
  const topo = c.topo;
  lu.aRe.fill(0);
  lu.aIm.fill(0);
  const N = topo.nodeCount;
  const bRe = new Float64Array(N);
  const bIm = new Float64Array(N);
  for (const e of topo.elements) {
    const y = stampSeriesOnly(c, e, lu.aRe, lu.aIm);
    if (!y || e.spec.kind !== "vsource") continue;
    const o = y.order;
    const vs = vsourceVoltages(e.spec);
    for (let a = 0; a < o; a++) {
      const na = e.nodes[a]!;
      if (na === 0 || !c.energized[na]) continue;
      for (let b = 0; b < e.conductors; b++) {
        const mr = y.re[a * o + b]!;
        const mi = y.im[a * o + b]!;
        bRe[na - 1] = bRe[na - 1]! + mr * vs.re[b]! - mi * vs.im[b]!;
        bIm[na - 1] = bIm[na - 1]! + mr * vs.im[b]! + mi * vs.re[b]!;
      }
    }
  }
  // Unreached nodes become identity rows. A part held only by series admittances (the unused
  // conductors of a 3-phase switch on a 1-phase bus, an ungrounded winding with ppm_antifloat=0)
  // floats in this matrix; a shunt of 1e-12 of each diagonal pins it at zero volts, as OpenDSS's
  // solver leaves such nodes, without moving any other node.
  for (let n = 1; n <= N; n++) {
    const p = lu.pinv[n - 1]!;
    const d = lu.diag[p]!;
    if (!c.energized[n] || (lu.aRe[d] === 0 && lu.aIm[d] === 0)) {
      lu.aRe.fill(0, lu.ptr[p]!, lu.ptr[p + 1]!);
      lu.aIm.fill(0, lu.ptr[p]!, lu.ptr[p + 1]!);
      lu.aRe[d] = 1;
      bRe[n - 1] = 0;
      bIm[n - 1] = 0;
    } else {
      lu.aRe[d] = lu.aRe[d]! * (1 + 1e-12);
      lu.aIm[d] = lu.aIm[d]! * (1 + 1e-12);
    }
  }
  lu.touchAll();
  const vRe = new Float64Array(N);
  const vIm = new Float64Array(N);
  try {
    lu.factor();
    lu.solve(bRe, bIm, vRe, vIm);
  } catch {
    // A singular matrix all the same: OpenDSS's solve fails and leaves every node at zero.
    vRe.fill(0);
    vIm.fill(0);
  }
  topo.buses.forEach((_, bi) => {
    const first = topo.busNodes[bi]!.find((n) => c.nodeUsed[n]);
    const v = first === undefined ? 0 : Math.hypot(vRe[first - 1]!, vIm[first - 1]!);
    c.busKvBase[bi] = nearestBase(v * 0.001732, bases) / Math.sqrt(3);
  });
  applyBusBases(c);
}

/** Node bases (volts L-N) from bus bases. */
export function applyBusBases(c: Circuit): void {
  const topo = c.topo;
  for (let n = 1; n <= topo.nodeCount; n++) c.nodeVbase[n] = c.busKvBase[topo.nodeBus[n]!]! * 1000;
}

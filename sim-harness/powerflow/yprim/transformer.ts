// Transformer: OpenDSS's tree-topology model. The (n-1)x(n-1) short-circuit
// impedance matrix ZB (per unit on winding 1's kVA, in ohms on a one-volt base)
// is inverted, expanded to the n-winding one-volt admittance, scaled by each
// winding's turns (base volts x tap) into a 2n x 2n terminal matrix per phase,
// and stamped onto each phase's two winding conductors (wye: phase and
// neutral; delta: phase and the next phase, lag or lead). No-load losses and
// magnetizing current sit on winding 2; ppm_antifloat adds a tiny susceptance
// to every winding conductor so ungrounded windings never float.
import type { TransformerSpec, WindingSpec } from "../network.js";
import { CMatrix } from "./cmatrix.js";

const INV_SQRT3_X1000 = 1000 / Math.sqrt(3);

/** Volts of one winding's turns (its voltage base before the tap). */
export function windingVBase(w: WindingSpec, phases: number): number {
  if (w.conn === "delta") return w.kV * 1000;
  return phases === 2 || phases === 3 ? w.kV * INV_SQRT3_X1000 : w.kV * 1000;
}

/** +1 (ANSI lag) or -1, from which winding is high voltage and its connection. */
export function deltaDirection(spec: TransformerSpec): number {
  const [w1, w2] = spec.windings;
  if (!w1 || !w2 || w1.conn === w2.conn) return 1;
  const hv = w1.kV >= w2.kV ? w1 : w2;
  if (hv.conn === "wye") return spec.hvLeadsLv ? -1 : 1;
  return spec.hvLeadsLv ? 1 : -1;
}

function rotatePhase(i: number, dir: number, phases: number): number {
  // 1-based phase numbers as in OpenDSS
  let r = i + dir;
  if (phases > 2) {
    if (r > phases) r = 1;
    if (r < 1) r = phases;
  } else if (r < 1) r = 3;
  return r;
}

/** TermRef: for each phase and winding, the two conductors (0-based Yprim indices). */
export function transformerTermRef(spec: TransformerSpec): Int32Array {
  const np = spec.phases;
  const nw = spec.windings.length;
  const nc = np + 1;
  const ref = new Int32Array(2 * nw * np);
  let k = 0;
  if (np === 1) {
    for (let j = 0; j < nw; j++) {
      ref[k++] = j * nc;
      ref[k++] = j * nc + nc - 1;
    }
    return ref;
  }
  const dir = deltaDirection(spec);
  for (let i = 1; i <= np; i++)
    for (let j = 0; j < nw; j++) {
      const w = spec.windings[j]!;
      ref[k++] = j * nc + (i - 1);
      ref[k++] = w.conn === "wye" ? j * nc + nc - 1 : j * nc + rotatePhase(i, dir, np) - 1;
    }
  return ref;
}

/** The per-phase terminal matrices (series part, no-load part), 2n x 2n; `taps` (per winding) replace the spec's. */
export function transformerYTerminal(spec: TransformerSpec, freqMult = 1, taps?: ArrayLike<number>): { yTerm: CMatrix; yTermNL: CMatrix } {
  const nw = spec.windings.length;
  const np = spec.phases;
  const w1 = spec.windings[0]!;
  const vaBase = w1.kVA * 1000;
  const zBase = 1 / (vaBase / np);
  const zb = new CMatrix(nw - 1);
  for (let i = 0; i < nw - 1; i++)
    zb.set(i, i, (w1.rPu + spec.windings[i + 1]!.rPu) * zBase, freqMult * spec.xsc[i]! * zBase);
  let k = nw - 1;
  for (let i = 0; i < nw - 1; i++)
    for (let j = i + 1; j < nw - 1; j++) {
      const rr = (spec.windings[i + 1]!.rPu + spec.windings[j + 1]!.rPu) * zBase;
      const xx = freqMult * spec.xsc[k]! * zBase;
      const vr = 0.5 * (zb.getRe(i, i) + zb.getRe(j, j) - rr);
      const vi = 0.5 * (zb.getIm(i, i) + zb.getIm(j, j) - xx);
      zb.set(i, j, vr, vi);
      zb.set(j, i, vr, vi);
      k++;
    }
  if (!zb.invert()) {
    zb.re.fill(0);
    zb.im.fill(0);
    for (let i = 0; i < nw - 1; i++) zb.set(i, i, 1e-12, 0);
  }
  // Y_1Volt = A^T ZB^-1 A with A = [-1 I] (n-1 x n).
  const y1 = new CMatrix(nw);
  const aIdx = (row: number, col: number) => (col === 0 ? -1 : row === col - 1 ? 1 : 0);
  for (let r = 0; r < nw; r++)
    for (let c = 0; c < nw; c++) {
      let sr = 0;
      let si = 0;
      for (let p = 0; p < nw - 1; p++) {
        const ap = aIdx(p, r);
        if (ap === 0) continue;
        for (let q = 0; q < nw - 1; q++) {
          const aq = aIdx(q, c);
          if (aq === 0) continue;
          sr += ap * aq * zb.getRe(p, q);
          si += ap * aq * zb.getIm(p, q);
        }
      }
      y1.set(r, c, sr, si);
    }
  const y1NL = new CMatrix(nw);
  if (nw >= 2) y1NL.add(1, 1, spec.pctNoLoadLoss / 100 / zBase, -spec.pctImag / 100 / zBase / freqMult);
  // Terminal matrices: Y_term = AT Y_1Volt AT^T, AT(2i,i) = 1/(V_i t_i), AT(2i+1,i) = -1/(V_i t_i).
  const scale = spec.windings.map((w, i) => {
    const tap = taps ? taps[i]! : w.tap;
    return 1 / (windingVBase(w, np) * (tap === 0 ? 0.0001 : tap));
  });
  const yTerm = new CMatrix(2 * nw);
  const yTermNL = new CMatrix(2 * nw);
  for (let a = 0; a < 2 * nw; a++)
    for (let b = 0; b < 2 * nw; b++) {
      const wa = a >> 1;
      const wb = b >> 1;
      const s = (a & 1 ? -1 : 1) * (b & 1 ? -1 : 1) * scale[wa]! * scale[wb]!;
      yTerm.set(a, b, s * y1.getRe(wa, wb), s * y1.getIm(wa, wb));
      yTermNL.set(a, b, s * y1NL.getRe(wa, wb), s * y1NL.getIm(wa, wb));
    }
  const ppm = spec.ppmAntifloat * 1e-6;
  if (ppm !== 0) {
    for (let i = 0; i < nw; i++) {
      const yppm = antiFloat(spec, i);
      yTerm.add(2 * i, 2 * i, 0, yppm);
      yTerm.add(2 * i + 1, 2 * i + 1, 0, yppm);
    }
  }
  return { yTerm, yTermNL };
}

/** OpenDSS Y_PPM: -ppm / (Vbase^2 / VA per phase) / 2, half on each terminal of the winding. */
function antiFloat(spec: TransformerSpec, i: number): number {
  const w = spec.windings[i]!;
  const vb = windingVBase(w, spec.phases);
  const vaPhase = (spec.windings[0]!.kVA * 1000) / spec.phases;
  return (-spec.ppmAntifloat * 1e-6) / ((vb * vb) / vaPhase) / 2;
}

export interface TransformerYprim {
  y: CMatrix;
  /** The no-load (shunt) part alone, for loss reporting. */
  yShunt: CMatrix;
}

/** Yprim at the present `taps` (per winding; the spec's when not given). */
export function transformerYprim(spec: TransformerSpec, freqMult = 1, taps?: ArrayLike<number>): TransformerYprim {
  const nw = spec.windings.length;
  const np = spec.phases;
  const nc = np + 1;
  const order = nw * nc;
  const { yTerm, yTermNL } = transformerYTerminal(spec, freqMult, taps);
  const ref = transformerTermRef(spec);
  const y = new CMatrix(order);
  const yShunt = new CMatrix(order);
  const nw2 = 2 * nw;
  for (let i = 0; i < nw2; i++)
    for (let j = 0; j <= i; j++) {
      const sr = yTerm.getRe(i, j);
      const si = yTerm.getIm(i, j);
      const nr = yTermNL.getRe(i, j);
      const ni = yTermNL.getIm(i, j);
      for (let k = 0; k < np; k++) {
        const a = ref[i + k * nw2]!;
        const b = ref[j + k * nw2]!;
        y.addSym(a, b, sr, si);
        yShunt.addSym(a, b, nr, ni);
      }
    }
  // Neutral impedances of wye windings (Rneut < 0: open neutral, bumped by the antifloat adder).
  for (let i = 0; i < nw; i++) {
    const w = spec.windings[i]!;
    if (w.conn !== "wye") continue;
    const j = i * nc + nc - 1;
    if (w.rneut >= 0) {
      if (w.rneut === 0 && w.xneut === 0) y.add(j, j, 1e6, 0);
      else {
        const x = w.xneut * freqMult;
        const m = w.rneut * w.rneut + x * x;
        y.add(j, j, w.rneut / m, -x / m);
      }
    } else if (spec.ppmAntifloat !== 0) {
      y.add(j, j, 0, antiFloat(spec, i));
    }
  }
  y.addMatrix(yShunt);
  return { y, yShunt };
}

// Vsource: a Thevenin source, as OpenDSS builds it. The series impedance
// matrix comes from sequence impedances (Zs = (2Z1+Z0)/3, Zm = (Z0-Z1)/3 when
// Z2 = Z1), Yprim = [Y -Y; -Y Y] between bus1 and bus2 (bus2 is normally
// ground), and the source appears as the Norton current Yprim * [Vs; 0].
import type { VsourceSpec } from "../network.js";
import { CMatrix, seriesYprim } from "./cmatrix.js";

const SQRT3 = Math.sqrt(3);

/** Sequence impedances in ohms from short-circuit MVA (OpenDSS ZSpecType 1). */
export function impedanceFromMVAsc(basekV: number, phases: number, mvasc3: number, mvasc1: number, x1r1: number, x0r0: number) {
  const factor = phases === 1 ? 1 : SQRT3;
  const x1 = (basekV * basekV) / mvasc3 / Math.sqrt(1 + 1 / (x1r1 * x1r1));
  const r1 = x1 / x1r1;
  const isc1 = (mvasc1 * 1000) / (factor * basekV);
  const a = 1 + x0r0 * x0r0;
  const b = 4 * (r1 + x1 * x0r0);
  const c = 4 * (r1 * r1 + x1 * x1) - Math.pow((3 * basekV * 1000) / factor / isc1, 2);
  const r0 = (-b + Math.sqrt(b * b - 4 * a * c)) / (2 * a);
  return { r1, x1, r0, x0: r0 * x0r0 };
}

/** Sequence impedances from short-circuit currents (ZSpecType 2). */
export function impedanceFromIsc(basekV: number, phases: number, isc3: number, isc1: number, x1r1: number, x0r0: number) {
  const factor = phases === 1 ? 1 : SQRT3;
  return impedanceFromMVAsc(basekV, phases, (SQRT3 * basekV * isc3) / 1000, (factor * basekV * isc1) / 1000, x1r1, x0r0);
}

export function vsourceZ(spec: VsourceSpec, freqMult = 1): CMatrix {
  const n = spec.phases;
  let { r1, x1, r0, x0 } = spec;
  let r2 = spec.r2 ?? r1;
  let x2 = spec.x2 ?? x1;
  if (n === 1) {
    r0 = r1;
    x0 = x1;
    r2 = r1;
    x2 = x1;
  }
  const z = new CMatrix(n);
  if (r1 === r2 && x1 === x2) {
    const zs = [(2 * r1 + r0) / 3, (2 * x1 + x0) / 3];
    const zm = [(r0 - r1) / 3, (x0 - x1) / 3];
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        const v = i === j ? zs : zm;
        z.set(i, j, v[0]!, v[1]! * freqMult);
      }
  } else {
    // Z1 != Z2: the two off-diagonal values of the sequence transform (3 phases only).
    const d = [(r1 + r2 + r0) / 3, (x1 + x2 + x0) / 3];
    for (let i = 0; i < n; i++) z.set(i, i, d[0]!, d[1]! * freqMult);
    if (n === 3) {
      // a = 1/_120 (textbook), a2 = 1/_240
      const ar = -0.5;
      const ai = SQRT3 / 2;
      const a2r = -0.5;
      const a2i = -SQRT3 / 2;
      // v2 = (a2 Z2 + a Z1 + Z0)/3 ; v1 = (a2 Z1 + a Z2 + Z0)/3
      const v2 = [(a2r * r2 - a2i * x2 + ar * r1 - ai * x1 + r0) / 3, (a2r * x2 + a2i * r2 + ar * x1 + ai * r1 + x0) / 3];
      const v1 = [(a2r * r1 - a2i * x1 + ar * r2 - ai * x2 + r0) / 3, (a2r * x1 + a2i * r1 + ar * x2 + ai * r2 + x0) / 3];
      const put = (i: number, j: number, v: number[]) => z.set(i, j, v[0]!, v[1]! * freqMult);
      put(1, 0, v1);
      put(2, 0, v2);
      put(2, 1, v1);
      put(0, 1, v2);
      put(0, 2, v1);
      put(1, 2, v2);
    }
  }
  return z;
}

export function vsourceYprim(spec: VsourceSpec, freqMult = 1): CMatrix {
  const y = vsourceZ(spec, freqMult);
  if (!y.invert()) {
    // OpenDSS replaces a singular source impedance by a large series conductance.
    y.re.fill(0);
    y.im.fill(0);
    for (let i = 0; i < spec.phases; i++) y.set(i, i, 1e12, 0);
  }
  return seriesYprim(y);
}

/** Open-circuit source voltages per phase (volts, complex), positive sequence. */
export function vsourceVoltages(spec: VsourceSpec): { re: Float64Array; im: Float64Array } {
  const n = spec.phases;
  const vmag = n === 1 ? spec.basekV * spec.pu * 1000 : (spec.basekV * spec.pu * 1000) / 2 / Math.sin(Math.PI / n);
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const ang = ((spec.angleDeg - (i * 360) / n) * Math.PI) / 180;
    re[i] = vmag * Math.cos(ang);
    im[i] = vmag * Math.sin(ang);
  }
  return { re, im };
}

// LineCode: impedance per unit length for lines (OpenDSS LineCode). Given by
// sequence values (then the phase matrices are computed at the end of each
// command) or by R/X/C matrices read with the number of phases in force at
// that moment; `units` names the length the values are per.
import type { DssClassDef, DssElement } from "../model.js";
import { cmatrix, type CMatrix } from "../../powerflow/lineconstants/cmatrix.js";
import { matricesFromSequence } from "../../powerflow/lineconstants/sequence.js";
import { LengthUnit, parseLengthUnit } from "../../powerflow/lineconstants/units.js";
import { symMatrix } from "../values.js";
import { bool, ignored, int, LIKE, mat, num, nums, str } from "./common.js";

export interface LineCodeData {
  nphases: number;
  sym: boolean;
  r1: number;
  x1: number;
  r0: number;
  x0: number;
  /** farads per unit length */
  c1: number;
  c0: number;
  /** ohm and siemens (j w C) per unit length at baseFrequency */
  z: CMatrix;
  yc: CMatrix;
  units: LengthUnit;
  baseFrequency: number;
  normAmps: number;
  emergAmps: number;
  rg: number;
  xg: number;
  rho: number;
  neutral: number;
}

function fromSequence(d: LineCodeData): void {
  const m = matricesFromSequence(d, d.nphases, d.baseFrequency);
  d.z = m.z;
  d.yc = m.yc;
}

/** Kron-eliminates conductor k (0-based) from an n x n matrix. */
function kronAt(m: CMatrix, k: number): CMatrix {
  const n = m.order;
  const out = cmatrix(n - 1);
  const pr = m.re[k * n + k]!;
  const pi = m.im[k * n + k]!;
  const den = pr * pr + pi * pi;
  let r = 0;
  for (let i = 0; i < n; i++) {
    if (i === k) continue;
    let c = 0;
    const ar = m.re[i * n + k]!;
    const ai = m.im[i * n + k]!;
    const qr = den === 0 ? 0 : (ar * pr + ai * pi) / den;
    const qi = den === 0 ? 0 : (ai * pr - ar * pi) / den;
    for (let j = 0; j < n; j++) {
      if (j === k) continue;
      const br = m.re[k * n + j]!;
      const bi = m.im[k * n + j]!;
      out.re[r * (n - 1) + c] = m.re[i * n + j]! - (qr * br - qi * bi);
      out.im[r * (n - 1) + c] = m.im[i * n + j]! - (qr * bi + qi * br);
      c++;
    }
    r++;
  }
  return out;
}

export const LineCode: DssClassDef = {
  name: "LineCode",
  kind: "general",
  properties: [
    int("nphases", 3),
    num("r1", 0.058),
    num("x1", 0.1206),
    num("r0", 0.1784),
    num("x0", 0.4047),
    num("C1", 3.4),
    num("C0", 1.6),
    str("units", "none"),
    mat("rmatrix"),
    mat("xmatrix"),
    mat("cmatrix"),
    num("baseFreq", 60),
    num("normamps", 400),
    num("emergamps", 600),
    ignored(num("faultrate", 0.1)),
    ignored(num("pctperm", 20)),
    ignored(num("repair", 3)),
    bool("Kron", false),
    num("Rg", 0.01805),
    num("Xg", 0.155081),
    num("rho", 100),
    int("neutral", 3),
    num("B1", 1.2818),
    num("B0", 0.60319),
    ignored(int("Seasons", 1)),
    ignored(nums("Ratings")),
    ignored(str("LineType", "OH")),
    LIKE,
  ],
  init(el, ctx) {
    const d: LineCodeData = {
      nphases: 3,
      sym: true,
      r1: 0.058,
      x1: 0.1206,
      r0: 0.1784,
      x0: 0.4047,
      c1: 3.4e-9,
      c0: 1.6e-9,
      z: cmatrix(3),
      yc: cmatrix(3),
      units: LengthUnit.None,
      baseFrequency: ctx.circuit.options.defaultBaseFrequency,
      normAmps: 400,
      emergAmps: 600,
      rg: 0.01805,
      xg: 0.155081,
      rho: 100,
      neutral: 3,
    };
    fromSequence(d);
    el.data = d;
  },
  onSet(el, i, ctx) {
    const d = el.data as LineCodeData;
    const v = el.values[i];
    const x = typeof v === "number" ? v : Number.NaN;
    const w = 2 * Math.PI * d.baseFrequency;
    switch (el.cls.properties[i]!.name) {
      case "nphases":
        if (x > 0 && x !== d.nphases) {
          d.nphases = x;
          d.neutral = x;
          fromSequence(d);
        }
        return;
      case "r1": d.sym = true; d.r1 = x; return;
      case "x1": d.sym = true; d.x1 = x; return;
      case "r0": d.sym = true; d.r0 = x; return;
      case "x0": d.sym = true; d.x0 = x; return;
      case "C1": d.sym = true; d.c1 = x * 1e-9; return;
      case "C0": d.sym = true; d.c0 = x * 1e-9; return;
      case "B1": d.sym = true; d.c1 = (x / w) * 1e-6; return;
      case "B0": d.sym = true; d.c0 = (x / w) * 1e-6; return;
      case "units": {
        const u = parseLengthUnit(String(v));
        if (u === undefined) throw ctx.badValue(i, `'${String(v)}' is not a length unit (none, mi, kft, km, m, ft, in, cm, mm)`);
        d.units = u;
        return;
      }
      case "rmatrix":
      case "xmatrix":
      case "cmatrix": {
        const n = d.nphases;
        const m = symMatrix(v as number[][], n);
        const name = el.cls.properties[i]!.name;
        // New arrays, never writes in place: lines share a linecode's matrices.
        if (name === "rmatrix") d.z = { order: n, re: m, im: d.z.im.slice() };
        else if (name === "xmatrix") d.z = { order: n, re: d.z.re.slice(), im: m };
        else {
          const im = new Float64Array(n * n);
          for (let k = 0; k < n * n; k++) im[k] = w * 1e-9 * m[k]!;
          d.yc = { order: n, re: new Float64Array(n * n), im };
        }
        d.sym = false;
        return;
      }
      case "baseFreq": d.baseFrequency = x; return;
      case "normamps": d.normAmps = x; return;
      case "emergamps": d.emergAmps = x; return;
      case "Rg": d.rg = x; return;
      case "Xg": d.xg = x; return;
      case "rho": d.rho = x; return;
      case "neutral": d.neutral = x; return;
      case "Kron":
        if (v === true && !d.sym && d.neutral >= 1 && d.neutral <= d.nphases) {
          d.z = kronAt(d.z, d.neutral - 1);
          d.yc = kronAt(d.yc, d.neutral - 1);
          d.nphases -= 1;
          d.neutral = 0;
        }
        return;
    }
  },
  onEditEnd(el) {
    const d = el.data as LineCodeData;
    if (d.sym) fromSequence(d);
  },
  like(el, other) {
    const o = other.data as LineCodeData;
    el.data = {
      ...o,
      z: { order: o.z.order, re: o.z.re.slice(), im: o.z.im.slice() },
      yc: { order: o.yc.order, re: o.yc.re.slice(), im: o.yc.im.slice() },
    } satisfies LineCodeData;
  },
};

export function lineCodeOf(el: DssElement): LineCodeData {
  return el.data as LineCodeData;
}

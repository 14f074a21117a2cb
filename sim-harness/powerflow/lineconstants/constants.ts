// Line constants: series impedance and shunt admittance matrices per meter
// of a set of conductors above (or below) earth, as OpenDSS's LineConstants,
// CNLineConstants and TSLineConstants compute them.
//
// Series: Zii = Zint + j w mu0/2pi ln(1/GMR) + Ze(i,i),
//         Zij = j w mu0/2pi ln(1/Dij) + Ze(i,j),
// with the earth term Ze from Carson's simple formula, Carson's full series,
// or Deri's complex-depth model, and the internal impedance Zint from Rac
// (Carson) or from Rdc with Bessel-function skin effect (Deri). At power
// frequencies (40 Hz < f < 1 kHz) the internal reactance is dropped and the
// published GMR carries it, as OpenDSS does.
// Shunt: potential coefficients from the conductor heights and images,
// inverted to the nodal capacitance; cables use their insulation instead.
// Concentric-neutral and tape-shield cables add one neutral conductor per
// phase cable, which is always Kron-reduced out.
import { besselI0, besselI1, type Complex } from "./bessel.js";
import { cmatrix, invert, kronLast, kronTo, leading, setSym, type CMatrix } from "./cmatrix.js";

// OpenDSS's own constants (LineConstants.pas): note mu0 and 2pi are rounded.
export const MU0 = 12.56637e-7;
export const E0 = 8.854e-12;
export const TWO_PI = 6.283185307;

export type EarthModel = "carson" | "fullcarson" | "deri";

/** Concentric-neutral cable data, SI units (m, ohm/m). */
export interface CNCable {
  kind: "cn";
  epsR: number;
  insLayer: number;
  diaIns: number;
  diaCable: number;
  kStrand: number;
  diaStrand: number;
  gmrStrand: number;
  /** Resistance of one strand, ohm/m. */
  rStrand: number;
}

/** Tape-shield cable data, SI units (m). */
export interface TSCable {
  kind: "ts";
  epsR: number;
  insLayer: number;
  diaIns: number;
  diaCable: number;
  diaShield: number;
  tapeLayer: number;
  /** Tape overlap, percent. */
  tapeLap: number;
}

/** One conductor, SI units: positions in m, resistances in ohm/m. */
export interface Conductor {
  x: number;
  y: number;
  rdc: number;
  rac: number;
  gmr: number;
  radius: number;
  capRadius: number;
  cable?: CNCable | TSCable;
}

export type ConstantsKind = "overhead" | "cn" | "ts";

export interface LineConstantsInput {
  kind: ConstantsKind;
  conductors: Conductor[];
  /** Phase conductors (the first ones); the rest are neutrals. */
  phases: number;
  /** Earth resistivity, ohm-m. */
  rho: number;
  earthModel: EarthModel;
  /** Kron-reduce to the phases. */
  reduce: boolean;
}

export interface PerMeter {
  /** Series impedance, ohm/m. */
  z: CMatrix;
  /** Shunt admittance j w C, S/m. */
  yc: CMatrix;
}

export class LineConstantsError extends Error {}

// Full Carson series constants (OpenDSS LineConstants initialization).
const B1 = 1.0 / (3.0 * Math.sqrt(2.0));
const B2 = 1.0 / 16.0;
const B3 = B1 / 3.0 / 5.0;
const B4 = B2 / 4.0 / 6.0;
const D2 = (B2 * Math.PI) / 4.0;
const D4 = (B4 * Math.PI) / 4.0;
const C2 = 1.3659315;
const C4 = C2 + 1.0 / 4.0 + 1.0 / 6.0;

interface Ctx {
  f: number;
  w: number;
  rho: number;
  model: EarthModel;
  /** Deri's complex penetration constant sqrt(j w mu0 / rho). */
  me: Complex;
}

function csqrt(a: Complex): Complex {
  const m = Math.hypot(a.re, a.im);
  const re = Math.sqrt((m + a.re) / 2);
  const im = Math.sign(a.im || 1) * Math.sqrt((m - a.re) / 2);
  return { re, im };
}

function cinv(a: Complex): Complex {
  const d = a.re * a.re + a.im * a.im;
  return { re: a.re / d, im: -a.im / d };
}

function cln(a: Complex): Complex {
  return { re: Math.log(Math.hypot(a.re, a.im)), im: Math.atan2(a.im, a.re) };
}

/** Earth-return term Ze(i,j), ohm/m. */
function earthZ(c: Ctx, a: Conductor, b: Conductor, self: boolean): Complex {
  const yi = Math.abs(a.y);
  const yj = Math.abs(b.y);
  switch (c.model) {
    case "carson":
      return { re: (c.w * MU0) / 8.0, im: ((c.w * MU0) / TWO_PI) * Math.log(658.5 * Math.sqrt(c.rho / c.f)) };
    case "fullcarson": {
      let dij: number;
      let th: number;
      if (self) {
        th = 0;
        dij = 2 * yi;
      } else {
        dij = Math.sqrt((yi + yj) ** 2 + (a.x - b.x) ** 2);
        th = Math.acos((yi + yj) / dij);
      }
      const m = 2.8099e-3 * dij * Math.sqrt(c.f / c.rho);
      const re =
        Math.PI / 8.0 -
        B1 * m * Math.cos(th) +
        B2 * m * m * (Math.log(Math.exp(C2) / m) * Math.cos(2 * th) + th * Math.sin(2 * th)) +
        B3 * m ** 3 * Math.cos(3 * th) -
        D4 * m ** 4 * Math.cos(4 * th);
      let im =
        0.5 * Math.log(1.85138 / m) +
        B1 * m * Math.cos(th) -
        D2 * m * m * Math.cos(2 * th) +
        B3 * m ** 3 * Math.cos(3 * th) -
        B4 * m ** 4 * (Math.log(Math.exp(C4) / m) * Math.cos(4 * th) + th * Math.sin(4 * th));
      im += 0.5 * Math.log(dij); // puts the result on OpenDSS's ln(1/Dij) structure
      const k = (c.w * MU0) / Math.PI;
      return { re: re * k, im: im * k };
    }
    case "deri": {
      const inv = cinv(c.me);
      let arg: Complex;
      if (!self) {
        const hr = yi + yj + 2 * inv.re;
        const hi = 2 * inv.im;
        const xt = a.x - b.x;
        arg = csqrt({ re: hr * hr - hi * hi + xt * xt, im: 2 * hr * hi });
      } else {
        arg = { re: 2 * (yi + inv.re), im: 2 * inv.im };
      }
      const l = cln(arg);
      const k = (c.w * MU0) / TWO_PI;
      // j k ln(arg)
      return { re: -k * l.im, im: k * l.re };
    }
  }
}

/** Internal impedance of a round conductor, ohm/m (reactance dropped by the caller at power frequency). */
function internalZ(c: Ctx, cond: Conductor): Complex {
  if (c.model !== "deri") return { re: cond.rac, im: (c.w * MU0) / (8 * Math.PI) };
  const s = Math.sqrt((c.f * MU0) / cond.rdc);
  const alpha = { re: s, im: s };
  let q: Complex = { re: 1, im: 0 };
  if (Math.hypot(alpha.re, alpha.im) <= 35.0) {
    const i0 = besselI0(alpha);
    const i1 = besselI1(alpha);
    const d = i1.re * i1.re + i1.im * i1.im;
    q = { re: (i0.re * i1.re + i0.im * i1.im) / d, im: (i0.im * i1.re - i0.re * i1.im) / d };
  }
  const k = Math.sqrt(cond.rdc * c.f * MU0) / 2.0;
  // (1+j) q k
  return { re: (q.re - q.im) * k, im: (q.re + q.im) * k };
}

function checkGeometry(input: LineConstantsInput): void {
  const cs = input.conductors;
  const buried = input.kind !== "overhead";
  cs.forEach((c, i) => {
    if (!buried && c.y <= 0) throw new LineConstantsError(`conductor ${i + 1} height must be > 0`);
    if (buried && c.y >= 0) throw new LineConstantsError(`cable ${i + 1} depth must be given as a negative height`);
    if (!(c.gmr > 0)) throw new LineConstantsError(`conductor ${i + 1} has no GMR`);
    if (!(c.radius > 0)) throw new LineConstantsError(`conductor ${i + 1} has no radius`);
    if (input.earthModel === "deri" ? !(c.rdc > 0) : !(c.rac >= 0)) throw new LineConstantsError(`conductor ${i + 1} has no resistance`);
  });
  for (let i = 0; i < cs.length; i++) {
    for (let j = i + 1; j < cs.length; j++) {
      const d = Math.hypot(cs[i]!.x - cs[j]!.x, cs[i]!.y - cs[j]!.y);
      if (d < cs[i]!.radius + cs[j]!.radius) throw new LineConstantsError(`conductors ${i + 1} and ${j + 1} occupy the same space`);
    }
  }
}

/** Z and Yc per meter at frequency `f` (Hz), reduced to the phases when `input.reduce`. */
export function lineConstants(input: LineConstantsInput, f: number): PerMeter {
  checkGeometry(input);
  const w = TWO_PI * f;
  const me = csqrt({ re: 0, im: (w * MU0) / input.rho });
  const c: Ctx = { f, w, rho: input.rho, model: input.earthModel, me };
  const cs = input.conductors;
  const n = cs.length;
  const powerFreq = f < 1000.0 && f > 40.0;
  const lf = (w * MU0) / TWO_PI; // j * lf * ln(...)

  const selfZ = (i: number): Complex => {
    const cond = cs[i]!;
    const zi = internalZ(c, cond);
    const ze = earthZ(c, cond, cond, true);
    const spacing = lf * Math.log(1.0 / (powerFreq ? cond.gmr : cond.radius));
    return { re: zi.re + ze.re, im: (powerFreq ? 0 : zi.im) + spacing + ze.im };
  };
  const mutualZ = (i: number, j: number, dij: number): Complex => {
    const ze = earthZ(c, cs[i]!, cs[j]!, false);
    return { re: ze.re, im: lf * Math.log(1.0 / dij) + ze.im };
  };
  const dist = (i: number, j: number) => Math.hypot(cs[i]!.x - cs[j]!.x, cs[i]!.y - cs[j]!.y);

  let z: CMatrix;
  let yc: CMatrix;
  if (input.kind === "overhead") {
    z = cmatrix(n);
    for (let i = 0; i < n; i++) {
      const s = selfZ(i);
      z.re[i * n + i] = s.re;
      z.im[i * n + i] = s.im;
      for (let j = 0; j < i; j++) {
        const m = mutualZ(i, j, dist(i, j));
        setSym(z, i, j, m.re, m.im);
      }
    }
    // Potential coefficients (imaginary, frequency included), then invert to nodal j w C.
    const pf = -1.0 / TWO_PI / E0 / w;
    const p = cmatrix(n);
    for (let i = 0; i < n; i++) {
      p.im[i * n + i] = pf * Math.log((2.0 * cs[i]!.y) / cs[i]!.capRadius);
      for (let j = 0; j < i; j++) {
        const dij = dist(i, j);
        const dijp = Math.hypot(cs[i]!.x - cs[j]!.x, cs[i]!.y + cs[j]!.y);
        setSym(p, i, j, 0, pf * Math.log(dijp / dij));
      }
    }
    yc = invert(p);
  } else {
    const np = input.phases;
    const total = n + np;
    let zm = cmatrix(total);
    for (let i = 0; i < n; i++) {
      const s = selfZ(i);
      zm.re[i * total + i] = s.re;
      zm.im[i * total + i] = s.im;
      for (let j = 0; j < i; j++) {
        const m = mutualZ(i, j, dist(i, j));
        setSym(zm, i, j, m.re, m.im);
      }
    }
    for (let i = 0; i < np; i++) {
      const cab = cs[i]!.cable;
      if (!cab || cab.kind !== (input.kind === "cn" ? "cn" : "ts")) {
        throw new LineConstantsError(`phase conductor ${i + 1} is not a ${input.kind === "cn" ? "concentric-neutral" : "tape-shield"} cable`);
      }
      let rShield: number;
      let gmrShield: number;
      let radShield: number;
      let kStrand = 1;
      if (cab.kind === "cn") {
        kStrand = cab.kStrand;
        rShield = cab.rStrand / cab.kStrand;
        radShield = 0.5 * (cab.diaCable - cab.diaStrand);
        gmrShield = Math.pow(cab.gmrStrand * cab.kStrand * Math.pow(radShield, cab.kStrand - 1.0), 1.0 / cab.kStrand);
      } else {
        const rhoTS = 2.3718e-8; // copper tape
        rShield = (0.3183 * rhoTS) / (cab.diaShield * cab.tapeLayer * Math.sqrt(50.0 / (100.0 - cab.tapeLap)));
        gmrShield = 0.5 * (cab.diaShield - cab.tapeLayer);
        radShield = gmrShield;
      }
      const ii = n + i;
      const ze = earthZ(c, cs[i]!, cs[i]!, true);
      zm.re[ii * total + ii] = rShield + ze.re;
      zm.im[ii * total + ii] = lf * Math.log(1.0 / gmrShield) + ze.im;
      for (let j = 0; j < i; j++) {
        const m = mutualZ(i, j, dist(i, j));
        setSym(zm, ii, n + j, m.re, m.im);
      }
      for (let j = 0; j < n; j++) {
        let dij: number;
        if (i === j) dij = radShield;
        else {
          dij = dist(i, j);
          if (cab.kind === "cn") dij = Math.pow(Math.pow(dij, kStrand) - Math.pow(radShield, kStrand), 1.0 / kStrand);
        }
        const ze2 = earthZ(c, cs[i]!, cs[j]!, i === j);
        setSym(zm, ii, j, ze2.re, lf * Math.log(1.0 / dij) + ze2.im);
      }
    }
    while (zm.order > n) zm = kronLast(zm);
    z = zm;
    // Shielded cables: capacitance of each phase's insulation only.
    yc = cmatrix(n);
    for (let i = 0; i < np; i++) {
      const cab = cs[i]!.cable!;
      const yf = TWO_PI * E0 * cab.epsR * w;
      const radOut = 0.5 * cab.diaIns;
      const radIn = radOut - cab.insLayer;
      yc.im[i * n + i] = yf / Math.log(radOut / radIn);
    }
  }
  if (input.reduce && input.phases < n) {
    z = kronTo(z, input.phases);
    yc = leading(yc, input.phases);
  }
  return { z, yc };
}

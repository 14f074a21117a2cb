// Load models as OpenDSS computes them per phase (Load.pas): 1 constant PQ,
// 2 constant Z, 3 motor (constant P, quadratic Q), 4 CVR exponents,
// 5 constant |I|, 6 constant P fixed Q, 7 constant P fixed X, 8 ZIPV. Outside
// vminpu..vmaxpu the power models turn into impedances (below vminpu a line
// from the vlowpu point to the vminpu point; below vlowpu the nominal Yeq), as
// in OpenDSS's low-voltage model.
import type { LoadSpec } from "../network.js";
import type { CMatrix } from "./cmatrix.js";
import { PhaseLayout, type PhaseCurrentModel } from "./pcelement.js";

const INV_SQRT3_X1000 = 1000 / Math.sqrt(3);

export function loadVBase(spec: Pick<LoadSpec, "conn" | "phases" | "kV">): number {
  if (spec.conn === "delta") return spec.kV * 1000;
  return spec.phases === 2 || spec.phases === 3 ? spec.kV * INV_SQRT3_X1000 : spec.kV * 1000;
}

export class LoadModel implements PhaseCurrentModel {
  readonly spec: LoadSpec;
  readonly layout: PhaseLayout;
  vbase = 0;
  wNom = 0;
  varNom = 0;
  yeqR = 0;
  yeqI = 0;
  private y95R = 0;
  private y95I = 0;
  private y105R = 0;
  private y105I = 0;
  private y105IR = 0;
  private y105II = 0;
  private iLowR = 0;
  private iLowI = 0;
  private m95R = 0;
  private m95I = 0;
  private m95IR = 0;
  private m95II = 0;
  private vLow = 0;
  private v95 = 0;
  private v105 = 0;
  private yqFixed = 0;
  private varBase = 0;
  private readonly constantPQ: boolean;

  constructor(spec: LoadSpec, conductors: number) {
    this.spec = spec;
    this.layout = new PhaseLayout(spec.phases, conductors, spec.conn === "delta");
    this.constantPQ = spec.model === 1;
  }

  /** OpenDSS SetNominalLoad + RecalcElementData for a snapshot with this multiplier. */
  setNominal(loadMult: number): void {
    const s = this.spec;
    const vb = loadVBase(s);
    this.vbase = vb;
    const factor = s.exempt ? 1 : loadMult;
    const np = s.phases;
    this.wNom = (1000 * s.kW * factor) / np;
    this.varNom = (1000 * s.kvar * factor) / np;
    const yr = this.wNom / (vb * vb);
    const yi = -this.varNom / (vb * vb);
    this.yeqR = yr;
    this.yeqI = yi;
    const vmin = s.vminpu;
    const vmax = s.vmaxpu;
    if (vmin !== 0) {
      this.y95R = yr / (vmin * vmin);
      this.y95I = yi / (vmin * vmin);
    } else {
      this.y95R = 0;
      this.y95I = 0;
    }
    if (vmax !== 0) {
      this.y105R = yr / (vmax * vmax);
      this.y105I = yi / (vmax * vmax);
      this.y105IR = yr / vmax;
      this.y105II = yi / vmax;
    } else {
      this.y105R = yr;
      this.y105I = yi;
      this.y105IR = yr;
      this.y105II = yi;
    }
    this.vLow = s.vlowpu * vb;
    this.v95 = vmin * vb;
    this.v105 = vmax * vb;
    this.iLowR = yr * this.vLow;
    this.iLowI = yi * this.vLow;
    const i95R = this.y95R * this.v95;
    const i95I = this.y95I * this.v95;
    const span = this.v95 - this.vLow;
    this.m95R = (i95R - this.iLowR) / span;
    this.m95I = (i95I - this.iLowI) / span;
    this.m95IR = (yr * vb - this.iLowR) / span;
    this.m95II = (yi * vb - this.iLowI) / span;
    this.varBase = (1000 * s.kvar) / np;
    this.yqFixed = -this.varBase / (vb * vb);
  }

  yprim(): CMatrix {
    const s = this.spec;
    let yN: [number, number] | undefined;
    if (s.rneut >= 0) {
      if (s.rneut === 0 && s.xneut === 0) yN = [1e6, 0];
      else {
        const m = s.rneut * s.rneut + s.xneut * s.xneut;
        yN = [s.rneut / m, -s.xneut / m];
      }
    }
    return this.layout.yprim(this.yeqR, this.yeqI, s.rneut < 0, yN);
  }

  /** Nominal P and Q per phase (W, var) and the voltages (V) bounding where they apply, for a constant-PQ load; else undefined. */
  pqBand(): { p: number; q: number; vLow: number; v95: number; v105: number } | undefined {
    if (!this.constantPQ) return undefined;
    return { p: this.wNom, q: this.varNom, vLow: this.vLow, v95: this.v95, v105: this.v105 };
  }

  /** An independent copy (state included). */
  clone(): LoadModel {
    return Object.assign(Object.create(Object.getPrototypeOf(this) as object) as LoadModel, this);
  }

  /** The per-phase admittance its Yprim is built from. */
  branchY(): [number, number] {
    return [this.yeqR, this.yeqI];
  }

  current(_i: number, vr: number, vi: number, out: Float64Array): void {
    const vmag = Math.sqrt(vr * vr + vi * vi);
    if (this.constantPQ && vmag > this.v95 && vmag <= this.v105 && vmag > this.vLow) {
      // The common case first, kept small so the solve loop inlines it: constant PQ inside
      // vminpu..vmaxpu (the same arithmetic as normalBand's).
      const m2 = vr * vr + vi * vi;
      const p = this.wNom;
      const q = this.varNom;
      out[0] = (p * vr + q * vi) / m2;
      out[1] = (p * vi - q * vr) / m2;
      return;
    }
    const model = this.spec.model;
    let gr: number;
    let gi: number;
    if (model === 2) {
      gr = this.yeqR;
      gi = this.yeqI;
      out[0] = gr * vr - gi * vi;
      out[1] = gr * vi + gi * vr;
      return;
    }
    if (vmag <= this.vLow) {
      gr = this.yeqR;
      gi = this.yeqI;
    } else if (model === 6 || model === 7) {
      if (vmag <= this.v95) {
        gr = this.y95R;
        gi = this.yqFixed;
      } else if (vmag > this.v105) {
        gr = this.y105R;
        gi = this.yqFixed;
      } else {
        // Constant P, and Q fixed (6) or from a fixed reactance (7).
        const pr = this.wNom;
        const m2 = vr * vr + vi * vi;
        // conj(P / V) = P * V / |V|^2
        let cr = (pr * vr) / m2;
        let ci = (pr * vi) / m2;
        if (model === 6) {
          // conj(jQ/V) = -jQ conj(1/V)... conj(jQ / V) = Q*(vi - j vr)/|V|^2 * ... computed directly:
          cr += (this.varBase * vi) / m2;
          ci += (-this.varBase * vr) / m2;
        } else {
          cr += -this.yqFixed * vi;
          ci += this.yqFixed * vr;
        }
        out[0] = cr;
        out[1] = ci;
        return;
      }
    } else if (vmag <= this.v95) {
      // Between vlowpu and vminpu: interpolated admittance (constant I model has its own line).
      const mr = model === 5 ? this.m95IR : this.m95R;
      const mi = model === 5 ? this.m95II : this.m95I;
      if (model === 8) {
        this.zipCurrent(vr, vi, vmag, out, -1);
        return;
      }
      gr = (this.iLowR + mr * (vmag - this.vLow)) / vmag;
      gi = (this.iLowI + mi * (vmag - this.vLow)) / vmag;
    } else if (vmag > this.v105) {
      if (model === 8) {
        this.zipCurrent(vr, vi, vmag, out, 1);
        return;
      }
      gr = model === 5 ? this.y105IR : this.y105R;
      gi = model === 5 ? this.y105II : this.y105I;
    } else {
      this.normalBand(vr, vi, vmag, out);
      return;
    }
    out[0] = gr * vr - gi * vi;
    out[1] = gr * vi + gi * vr;
  }

  /** Current inside vminpu..vmaxpu for the power-type models. */
  private normalBand(vr: number, vi: number, vmag: number, out: Float64Array): void {
    const m2 = vr * vr + vi * vi;
    const p = this.wNom;
    const q = this.varNom;
    switch (this.spec.model) {
      case 3: {
        // Constant P, reactive part as constant impedance.
        out[0] = (p * vr) / m2 - this.yeqI * vi;
        out[1] = (p * vi) / m2 + this.yeqI * vr;
        return;
      }
      case 4: {
        const ratio = vmag / this.vbase;
        const wf = this.spec.cvrWatts !== 1 ? Math.pow(ratio, this.spec.cvrWatts) : ratio;
        let cr = wf > 0 ? (p * wf * vr) / m2 : 0;
        let ci = wf > 0 ? (p * wf * vi) / m2 : 0;
        if (this.spec.cvrVars === 2) {
          cr += -this.yeqI * vi;
          ci += this.yeqI * vr;
        } else {
          const vf = Math.pow(ratio, this.spec.cvrVars);
          const qq = q * vf;
          cr += (qq * vi) / m2;
          ci += (-qq * vr) / m2;
        }
        out[0] = cr;
        out[1] = ci;
        return;
      }
      case 5: {
        // |I| constant: conj(S / (Vbase * V/|V|)).
        const sr = vr / vmag;
        const si = vi / vmag;
        const vb = this.vbase;
        out[0] = (p * sr + q * si) / vb;
        out[1] = (p * si - q * sr) / vb;
        return;
      }
      case 8:
        this.zipCurrent(vr, vi, vmag, out, 0);
        return;
      default: {
        // Constant PQ: conj((P + jQ) / V).
        out[0] = (p * vr + q * vi) / m2;
        out[1] = (p * vi - q * vr) / m2;
      }
    }
  }

  /** ZIPV (model 8): band -1 below vminpu, 0 normal, 1 above vmaxpu. */
  private zipCurrent(vr: number, vi: number, vmag: number, out: Float64Array, band: number): void {
    const z = this.spec.zipv;
    const [zp = 0, ip = 0, pp = 0, zq = 0, iq = 0, pq = 0, vcut = 0] = z;
    const yr = this.yeqR;
    const yi = this.yeqI;
    let cr = 0;
    let ci = 0;
    if (band !== 0) {
      let gr = yr * zp;
      let gi = yi * zq;
      if (band < 0) {
        const lowR = (this.iLowR + this.m95R * (vmag - this.vLow)) / vmag;
        const lowI = (this.iLowI + this.m95I * (vmag - this.vLow)) / vmag;
        const lowIR = (this.iLowR + this.m95IR * (vmag - this.vLow)) / vmag;
        const lowII = (this.iLowI + this.m95II * (vmag - this.vLow)) / vmag;
        gr += lowR * pp + lowIR * ip;
        gi += lowI * pq + lowII * iq;
      } else {
        gr += this.y105R * pp + this.y105IR * ip;
        gi += this.y105I * pq + this.y105II * iq;
      }
      cr = gr * vr - gi * vi;
      ci = gr * vi + gi * vr;
    } else {
      const m2 = vr * vr + vi * vi;
      // Z part
      cr += yr * zp * vr - yi * zq * vi;
      ci += yr * zp * vi + yi * zq * vr;
      // I part: conj((P ip + j Q iq) / (Vbase V/|V|))
      const sr = vr / vmag;
      const si = vi / vmag;
      const pI = this.wNom * ip;
      const qI = this.varNom * iq;
      cr += (pI * sr + qI * si) / this.vbase;
      ci += (pI * si - qI * sr) / this.vbase;
      // P part
      const pP = this.wNom * pp;
      const qP = this.varNom * pq;
      cr += (pP * vr + qP * vi) / m2;
      ci += (pP * vi - qP * vr) / m2;
    }
    if (vcut > 0) {
      const vx = 500 * (vmag / this.vbase - vcut);
      const evx = Math.exp(2 * vx);
      const yv = 0.5 * (1 + (evx - 1) / (evx + 1));
      cr *= yv;
      ci *= yv;
    }
    out[0] = cr;
    out[1] = ci;
  }
}

// Generating elements in a snapshot (Generator model 1, PVSystem, Storage):
// constant P and Q per phase inside vminpu..vmaxpu, an impedance outside it
// (OpenDSS's Yeq/vminpu^2 and Yeq/vmaxpu^2). Their Yprim is the negative of
// the nominal admittance, as OpenDSS stamps generation.
import type { GeneratorSpec, PVSystemSpec, StorageSpec, XYCurveSpec } from "../network.js";
import type { CMatrix } from "./cmatrix.js";
import { PhaseLayout, type PhaseCurrentModel } from "./pcelement.js";

const INV_SQRT3_X1000 = 1000 / Math.sqrt(3);

export class GenerationModel implements PhaseCurrentModel {
  readonly layout: PhaseLayout;
  readonly phases: number;
  vbase: number;
  private vmin: number;
  private vmax: number;
  private pPh = 0;
  private qPh = 0;
  private yeqR = 0;
  private yeqI = 0;

  constructor(phases: number, conductors: number, delta: boolean, kV: number, vminpu: number, vmaxpu: number) {
    this.phases = phases;
    this.layout = new PhaseLayout(phases, conductors, delta);
    // Generators take an L-N base for 2 and 3 phases whatever the connection.
    this.vbase = phases === 2 || phases === 3 ? kV * INV_SQRT3_X1000 : kV * 1000;
    this.vmin = vminpu;
    this.vmax = vmaxpu;
  }

  /** Output in kW and kvar (positive = delivered to the grid). */
  setOutput(kW: number, kvar: number): void {
    this.pPh = (1000 * kW) / this.phases;
    this.qPh = (1000 * kvar) / this.phases;
    const v2 = this.vbase * this.vbase;
    this.yeqR = this.pPh / v2;
    this.yeqI = -this.qPh / v2;
  }

  get kW(): number {
    return (this.pPh * this.phases) / 1000;
  }
  get kvar(): number {
    return (this.qPh * this.phases) / 1000;
  }

  yprim(): CMatrix {
    const d = this.layout.delta ? 3 : 1;
    return this.layout.yprim(-this.yeqR / d, -this.yeqI / d, false, undefined);
  }

  /** An independent copy (state included). */
  clone(): GenerationModel {
    return Object.assign(Object.create(Object.getPrototypeOf(this) as object) as GenerationModel, this);
  }

  /** The per-phase admittance its Yprim is built from (negative: generation). */
  branchY(): [number, number] {
    const d = this.layout.delta ? 3 : 1;
    return [-this.yeqR / d, -this.yeqI / d];
  }

  /** Generator model 2: constant admittance at every voltage. */
  constantZ = false;

  current(_i: number, vr: number, vi: number, out: Float64Array): void {
    if (this.constantZ) {
      const d = this.layout.delta ? 3 : 1;
      out[0] = -((this.yeqR * vr - this.yeqI * vi) / d);
      out[1] = -((this.yeqR * vi + this.yeqI * vr) / d);
      return;
    }
    let vmag = Math.sqrt(vr * vr + vi * vi);
    const delta = this.layout.delta;
    if (delta) vmag /= Math.sqrt(3);
    let gr: number;
    let gi: number;
    if (vmag <= this.vmin * this.vbase) {
      const s = this.vmin * this.vmin * (delta ? 3 : 1);
      gr = this.yeqR / s;
      gi = this.yeqI / s;
    } else if (vmag > this.vmax * this.vbase) {
      const s = this.vmax * this.vmax * (delta ? 3 : 1);
      gr = this.yeqR / s;
      gi = this.yeqI / s;
    } else {
      const m2 = vr * vr + vi * vi;
      // Delivered conj(S/V); load convention is its negative.
      out[0] = -(this.pPh * vr + this.qPh * vi) / m2;
      out[1] = -(this.pPh * vi - this.qPh * vr) / m2;
      return;
    }
    out[0] = -(gr * vr - gi * vi);
    out[1] = -(gr * vi + gi * vr);
  }
}

export function generatorModel(spec: GeneratorSpec, conductors: number): GenerationModel {
  const g = new GenerationModel(spec.phases, conductors, spec.conn === "delta", spec.kV, spec.vminpu, spec.vmaxpu);
  g.setOutput(spec.kW, spec.kvar);
  g.constantZ = spec.model === 2;
  return g;
}

/** Linear interpolation on an XYCurve, clamped to its end points' slopes as OpenDSS extrapolates. */
export function curveValue(c: XYCurveSpec, x: number): number {
  const n = c.x.length;
  if (n === 0) return 1;
  if (n === 1) return c.y[0]!;
  let k = 0;
  if (x <= c.x[0]!) k = 0;
  else if (x >= c.x[n - 1]!) k = n - 2;
  else while (k < n - 2 && x > c.x[k + 1]!) k++;
  const x0 = c.x[k]!;
  const x1 = c.x[k + 1]!;
  const y0 = c.y[k]!;
  const y1 = c.y[k + 1]!;
  return x1 === x0 ? y0 : y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
}

/** PVSystem snapshot output (kW, kvar) from Pmpp, irradiance, the P-T and efficiency curves, kVA and pf. */
export function pvOutput(spec: PVSystemSpec): { kW: number; kvar: number } {
  const tempFactor = spec.ptCurve ? curveValue(spec.ptCurve, spec.temperature) : 1;
  let panelkW = spec.irradiance * spec.pmpp * tempFactor;
  panelkW = Math.min(panelkW, (spec.pmpp * spec.pctPmpp) / 100);
  const eff = spec.effCurve ? curveValue(spec.effCurve, panelkW / spec.kVA) : 1;
  let kW = panelkW * eff;
  // Cut-in / cut-out on the panel's per-unit of kVA.
  if ((panelkW / spec.kVA) * 100 < spec.pctCutout) kW = 0;
  let kvar = spec.kvar ?? (spec.pf === 1 || spec.pf === 0 ? 0 : kW * Math.sqrt(1 / (spec.pf * spec.pf) - 1) * Math.sign(spec.pf));
  // The inverter's kVA limits the apparent power; P has priority.
  const s = Math.sqrt(kW * kW + kvar * kvar);
  if (s > spec.kVA) {
    if (kW >= spec.kVA) {
      kW = spec.kVA;
      kvar = 0;
    } else kvar = Math.sign(kvar) * Math.sqrt(spec.kVA * spec.kVA - kW * kW);
  }
  return { kW, kvar };
}

export function pvModel(spec: PVSystemSpec, conductors: number): GenerationModel {
  const g = new GenerationModel(spec.phases, conductors, spec.conn === "delta", spec.kV, spec.vminpu, spec.vmaxpu);
  const o = pvOutput(spec);
  g.setOutput(o.kW, o.kvar);
  return g;
}

export function storageModel(spec: StorageSpec, conductors: number): GenerationModel {
  const g = new GenerationModel(spec.phases, conductors, spec.conn === "delta", spec.kV, spec.vminpu, spec.vmaxpu);
  g.setOutput(spec.kW, spec.kvar);
  return g;
}

// Power-conversion elements (Load, Generator, PVSystem, Storage) in OpenDSS's
// power-flow formulation: a constant admittance Yprim (the element at nominal
// voltage) sits in the system matrix, and each iteration the element adds the
// compensation current I_inj = Yprim*V - I_element (load convention for
// loads, generation convention for sources), so the converged solution holds
// the element's true voltage-dependent model. Working arrays are preallocated.
import { carveF64 } from "../chunks.js";
import { CMatrix } from "./cmatrix.js";

export interface PhaseCurrentModel {
  /** Load-convention current of phase i for phase voltage (vr, vi); writes into out[0], out[1]. */
  current(i: number, vr: number, vi: number, out: Float64Array): void;
}

/** Scratch for one phase current (the solve is single-threaded and current() does not re-enter). */
const SCRATCH = new Float64Array(2);

/** Connection layout shared by loads and generators. */
export class PhaseLayout {
  readonly phases: number;
  readonly conductors: number;
  readonly delta: boolean;
  /** For phase i, the conductor pair (a, b) its voltage is measured across. */
  readonly pa: Int32Array;
  readonly pb: Int32Array;

  constructor(phases: number, conductors: number, delta: boolean) {
    this.phases = phases;
    this.conductors = conductors;
    this.delta = delta;
    this.pa = new Int32Array(phases);
    this.pb = new Int32Array(phases);
    for (let i = 0; i < phases; i++) {
      this.pa[i] = i;
      if (delta) {
        let j = i + 1;
        if (j >= conductors) j = 0;
        this.pb[i] = j;
      } else this.pb[i] = conductors - 1;
    }
  }

  /** Yprim of a per-phase admittance y on this layout (OpenDSS CalcYPrimMatrix for loads). */
  yprim(yr: number, yi: number, floatingNeutral: boolean, yNeutral: [number, number] | undefined): CMatrix {
    const m = new CMatrix(this.conductors);
    for (let i = 0; i < this.phases; i++) {
      const a = this.pa[i]!;
      const b = this.pb[i]!;
      m.add(a, a, yr, yi);
      m.add(b, b, yr, yi);
      m.add(a, b, -yr, -yi);
      m.add(b, a, -yr, -yi);
    }
    if (!this.delta) {
      const n = this.conductors - 1;
      if (yNeutral) m.add(n, n, yNeutral[0], yNeutral[1]);
      if (floatingNeutral) m.set(n, n, m.getRe(n, n) * 1.000001, m.getIm(n, n) * 1.000001);
    }
    return m;
  }
}

/**
 * Compensation injection for one element. `sign` is +1 for loads (current
 * drawn) and -1 for generating elements whose model returns current delivered.
 */
export class Injector {
  readonly layout: PhaseLayout;
  yprim: CMatrix;
  /** System node of each conductor (0 = ground). */
  readonly nodes: Int32Array;
  /** Phase currents in load convention, as of the last refresh() (for reporting; the solve's flat path does not write them). */
  readonly iRe: Float64Array;
  readonly iIm: Float64Array;
  private readonly tmp = SCRATCH;
  private readonly vcRe: Float64Array;
  private readonly vcIm: Float64Array;

  constructor(layout: PhaseLayout, nodes: Int32Array, yprim: CMatrix) {
    this.layout = layout;
    this.nodes = nodes;
    this.yprim = yprim;
    // One buffer for the phase currents and the conductor-voltage scratch: forks make thousands.
    const buf = carveF64(2 * layout.phases + 2 * layout.conductors);
    this.iRe = buf.subarray(0, layout.phases);
    this.iIm = buf.subarray(layout.phases, 2 * layout.phases);
    this.vcRe = buf.subarray(2 * layout.phases, 2 * layout.phases + layout.conductors);
    this.vcIm = buf.subarray(2 * layout.phases + layout.conductors);
  }

  /**
   * Per-phase branch admittance when Yprim is exactly the sum of y (e_a - e_b)(e_a - e_b)^T over
   * phases (grounded neutral, no neutral impedance): then Yprim*V is y*(Va - Vb) per phase and the
   * dense product is skipped. NaN when the dense product is needed.
   */
  branchYRe = Number.NaN;
  branchYIm = 0;

  /** Add Yprim*V - I_model into the global injection vector. */
  inject(model: PhaseCurrentModel, vRe: Float64Array, vIm: Float64Array, injRe: Float64Array, injIm: Float64Array): void {
    if (this.branchYRe === this.branchYRe) {
      this.injectBranch(model, vRe, vIm, injRe, injIm);
      return;
    }
    const { layout, nodes, vcRe, vcIm, yprim, tmp } = this;
    const nc = layout.conductors;
    for (let k = 0; k < nc; k++) {
      const nd = nodes[k]!;
      vcRe[k] = vRe[nd]!;
      vcIm[k] = vIm[nd]!;
    }
    const yr = yprim.re;
    const yi = yprim.im;
    for (let a = 0; a < nc; a++) {
      const nd = nodes[a]!;
      if (nd === 0) continue;
      let sr = 0;
      let si = 0;
      for (let b = 0; b < nc; b++) {
        const mr = yr[a * nc + b]!;
        const mi = yi[a * nc + b]!;
        sr += mr * vcRe[b]! - mi * vcIm[b]!;
        si += mr * vcIm[b]! + mi * vcRe[b]!;
      }
      injRe[nd] = injRe[nd]! + sr;
      injIm[nd] = injIm[nd]! + si;
    }
    for (let i = 0; i < layout.phases; i++) {
      const a = layout.pa[i]!;
      const b = layout.pb[i]!;
      model.current(i, vcRe[a]! - vcRe[b]!, vcIm[a]! - vcIm[b]!, tmp);
      const cr = tmp[0]!;
      const ci = tmp[1]!;
      this.iRe[i] = cr;
      this.iIm[i] = ci;
      // Current cr leaves the network at conductor a and returns at b.
      const na = nodes[a]!;
      const nb = nodes[b]!;
      injRe[na] = injRe[na]! - cr;
      injIm[na] = injIm[na]! - ci;
      injRe[nb] = injRe[nb]! + cr;
      injIm[nb] = injIm[nb]! + ci;
    }
    // Ground never carries an unknown.
    injRe[0] = 0;
    injIm[0] = 0;
  }

  private injectBranch(model: PhaseCurrentModel, vRe: Float64Array, vIm: Float64Array, injRe: Float64Array, injIm: Float64Array): void {
    const { layout, nodes, tmp } = this;
    const yr = this.branchYRe;
    const yi = this.branchYIm;
    for (let i = 0; i < layout.phases; i++) {
      const na = nodes[layout.pa[i]!]!;
      const nb = nodes[layout.pb[i]!]!;
      const vr = vRe[na]! - vRe[nb]!;
      const vi = vIm[na]! - vIm[nb]!;
      model.current(i, vr, vi, tmp);
      const cr = tmp[0]!;
      const ci = tmp[1]!;
      this.iRe[i] = cr;
      this.iIm[i] = ci;
      // y * Vab - I flows into a and out of b.
      const dr = yr * vr - yi * vi - cr;
      const di = yr * vi + yi * vr - ci;
      injRe[na] = injRe[na]! + dr;
      injIm[na] = injIm[na]! + di;
      injRe[nb] = injRe[nb]! - dr;
      injIm[nb] = injIm[nb]! - di;
    }
    injRe[0] = 0;
    injIm[0] = 0;
  }

  /** Recomputes the phase currents at the present voltages (for results after a solve). */
  refresh(model: PhaseCurrentModel, vRe: Float64Array, vIm: Float64Array): void {
    const { layout, nodes, tmp } = this;
    for (let i = 0; i < layout.phases; i++) {
      const na = nodes[layout.pa[i]!]!;
      const nb = nodes[layout.pb[i]!]!;
      model.current(i, vRe[na]! - vRe[nb]!, vIm[na]! - vIm[nb]!, tmp);
      this.iRe[i] = tmp[0]!;
      this.iIm[i] = tmp[1]!;
    }
  }

  /** Terminal currents per conductor, load convention (out arrays of length conductors). */
  terminalCurrents(outRe: Float64Array, outIm: Float64Array): void {
    outRe.fill(0);
    outIm.fill(0);
    for (let i = 0; i < this.layout.phases; i++) {
      const a = this.layout.pa[i]!;
      const b = this.layout.pb[i]!;
      outRe[a] = outRe[a]! + this.iRe[i]!;
      outIm[a] = outIm[a]! + this.iIm[i]!;
      outRe[b] = outRe[b]! - this.iRe[i]!;
      outIm[b] = outIm[b]! - this.iIm[i]!;
    }
  }
}

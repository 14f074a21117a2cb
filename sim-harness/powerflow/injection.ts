// The fixed point's hot loop: every PC element's compensation current
// Yprim*V - I(V), added into the injection vector each iteration. Most
// elements of a large feeder are constant-PQ loads with a grounded neutral
// (each phase a branch y between two nodes); their per-phase numbers live
// here in flat arrays, so the loop reads a few typed arrays instead of
// walking several objects per load (about five times faster on ieee8500).
// Every other element, and a fast load whose voltage is outside the band
// where it draws constant PQ, goes through its model as before. Elements are
// visited in the same order with the same arithmetic as Injector.inject, so
// the sums, and the solution, are the same to the last bit.
import type { PCEntry } from "./circuit.js";
import { LoadModel } from "./yprim/load.js";

/** Scratch for a phase current computed by a model (single-threaded, no re-entry). */
const SCRATCH = new Float64Array(2);

export class InjectionPlan {
  private readonly pcs: PCEntry[];
  /** Per PC: 1 when its phases take the flat path. */
  private readonly fast: Uint8Array;
  /** Per PC: its first phase entry (count + 1 entries). */
  private readonly start: Int32Array;
  /** Per phase entry: the nodes its voltage is across, its phase number, branch admittance, nominal P and Q per phase, band limits (volts). */
  private readonly na: Int32Array;
  private readonly nb: Int32Array;
  private readonly phase: Int32Array;
  private readonly yRe: Float64Array;
  private readonly yIm: Float64Array;
  private readonly p: Float64Array;
  private readonly q: Float64Array;
  private readonly vLow: Float64Array;
  private readonly v95: Float64Array;
  private readonly v105: Float64Array;

  constructor(pcs: PCEntry[]) {
    this.pcs = pcs;
    const n = pcs.length;
    this.fast = new Uint8Array(n);
    this.start = new Int32Array(n + 1);
    for (let k = 0; k < n; k++) this.start[k + 1] = this.start[k]! + pcs[k]!.injector.layout.phases;
    const m = this.start[n]!;
    this.na = new Int32Array(m);
    this.nb = new Int32Array(m);
    this.phase = new Int32Array(m);
    this.yRe = new Float64Array(m);
    this.yIm = new Float64Array(m);
    this.p = new Float64Array(m);
    this.q = new Float64Array(m);
    this.vLow = new Float64Array(m);
    this.v95 = new Float64Array(m);
    this.v105 = new Float64Array(m);
    for (let k = 0; k < n; k++) this.update(k);
  }

  /** Re-reads PC k (after its model or Yprim changed). */
  update(k: number): void {
    const { model, injector } = this.pcs[k]!;
    const band = model instanceof LoadModel ? model.pqBand() : undefined;
    // The branch form applies when Yprim is y (e_a - e_b)(e_a - e_b)^T per phase (branchYRe not NaN).
    this.fast[k] = band && injector.branchYRe === injector.branchYRe ? 1 : 0;
    if (!this.fast[k] || !band) return;
    const { layout, nodes } = injector;
    for (let i = 0, j = this.start[k]!; i < layout.phases; i++, j++) {
      this.na[j] = nodes[layout.pa[i]!]!;
      this.nb[j] = nodes[layout.pb[i]!]!;
      this.phase[j] = i;
      this.yRe[j] = injector.branchYRe;
      this.yIm[j] = injector.branchYIm;
      this.p[j] = band.p;
      this.q[j] = band.q;
      this.vLow[j] = band.vLow;
      this.v95[j] = band.v95;
      this.v105[j] = band.v105;
    }
  }

  /** Takes another plan's numbers (a circuit of the same compile whose models this circuit's copy). */
  copyFrom(o: InjectionPlan): void {
    this.fast.set(o.fast);
    this.na.set(o.na);
    this.nb.set(o.nb);
    this.phase.set(o.phase);
    this.yRe.set(o.yRe);
    this.yIm.set(o.yIm);
    this.p.set(o.p);
    this.q.set(o.q);
    this.vLow.set(o.vLow);
    this.v95.set(o.v95);
    this.v105.set(o.v105);
  }

  /** Adds every enabled PC element's compensation current into injRe/injIm (node-indexed; index 0 is ground and ends at 0). */
  inject(enabled: Uint8Array, vRe: Float64Array, vIm: Float64Array, injRe: Float64Array, injIm: Float64Array): void {
    const { pcs, fast, start, na, nb, yRe, yIm, p, q, vLow, v95, v105 } = this;
    const out = SCRATCH;
    for (let k = 0; k < pcs.length; k++) {
      if (!fast[k]) {
        const pc = pcs[k]!;
        if (enabled[pc.element]) pc.injector.inject(pc.model, vRe, vIm, injRe, injIm);
        continue;
      }
      if (!enabled[pcs[k]!.element]) continue;
      for (let j = start[k]!; j < start[k + 1]!; j++) {
        const a = na[j]!;
        const b = nb[j]!;
        const vr = vRe[a]! - vRe[b]!;
        const vi = vIm[a]! - vIm[b]!;
        const vmag = Math.sqrt(vr * vr + vi * vi);
        let cr: number;
        let ci: number;
        if (vmag > v95[j]! && vmag <= v105[j]! && vmag > vLow[j]!) {
          // LoadModel.current's constant-PQ case, same arithmetic.
          const m2 = vr * vr + vi * vi;
          const pj = p[j]!;
          const qj = q[j]!;
          cr = (pj * vr + qj * vi) / m2;
          ci = (pj * vi - qj * vr) / m2;
        } else {
          pcs[k]!.model.current(this.phase[j]!, vr, vi, out);
          cr = out[0]!;
          ci = out[1]!;
        }
        // Injector.injectBranch: y * Vab - I flows into a and out of b.
        const yr = yRe[j]!;
        const yi = yIm[j]!;
        const dr = yr * vr - yi * vi - cr;
        const di = yr * vi + yi * vr - ci;
        injRe[a] = injRe[a]! + dr;
        injIm[a] = injIm[a]! + di;
        injRe[b] = injRe[b]! - dr;
        injIm[b] = injIm[b]! - di;
      }
    }
    injRe[0] = 0;
    injIm[0] = 0;
  }
}

// Terminal quantities of one element from the present node voltages:
// conductor voltages, currents into the element (Yprim*V, minus the
// compensation injection for PC elements and sources, as OpenDSS's
// GetCurrents does) and powers per terminal.
import type { Circuit } from "./circuit.js";
import type { CompiledElement } from "./compile.js";
import type { VsourceSpec } from "./network.js";
import { vsourceVoltages } from "./yprim/vsource.js";

/** Currents flowing into the element at each conductor (amps, complex), terminal after terminal. */
export function elementCurrents(c: Circuit, e: CompiledElement, outRe: Float64Array, outIm: Float64Array): void {
  const o = e.nodes.length;
  outRe.fill(0, 0, o);
  outIm.fill(0, 0, o);
  const y = c.yprim[e.index];
  if (!y) return;
  const pc = c.pcOf(e.index);
  if (pc) {
    // The element's own model current (load convention) at the present voltages is what flows in.
    pc.injector.refresh(pc.model, c.vRe, c.vIm);
    pc.injector.terminalCurrents(outRe, outIm);
    return;
  }
  const { vRe, vIm } = c;
  for (let a = 0; a < o; a++) {
    let sr = 0;
    let si = 0;
    for (let b = 0; b < o; b++) {
      const nb = e.nodes[b]!;
      const mr = y.re[a * o + b]!;
      const mi = y.im[a * o + b]!;
      sr += mr * vRe[nb]! - mi * vIm[nb]!;
      si += mr * vIm[nb]! + mi * vRe[nb]!;
    }
    outRe[a] = sr;
    outIm[a] = si;
  }
  if (e.spec.kind === "vsource") {
    // Subtract the Norton current Yprim * [Vs; 0].
    const vs = vsourceVoltages(e.spec as VsourceSpec);
    for (let a = 0; a < o; a++) {
      let sr = 0;
      let si = 0;
      for (let b = 0; b < e.conductors; b++) {
        const mr = y.re[a * o + b]!;
        const mi = y.im[a * o + b]!;
        sr += mr * vs.re[b]! - mi * vs.im[b]!;
        si += mr * vs.im[b]! + mi * vs.re[b]!;
      }
      outRe[a] = outRe[a]! - sr;
      outIm[a] = outIm[a]! - si;
    }
  }
}

/** Complex power (VA) into the element at terminal t (1-based), given its conductor currents. */
export function terminalPower(c: Circuit, e: CompiledElement, t: number, iRe: Float64Array, iIm: Float64Array): [number, number] {
  let p = 0;
  let q = 0;
  const start = (t - 1) * e.conductors;
  for (let k = start; k < start + e.conductors; k++) {
    const n = e.nodes[k]!;
    const vr = c.vRe[n]!;
    const vi = c.vIm[n]!;
    // V * conj(I)
    p += vr * iRe[k]! + vi * iIm[k]!;
    q += vi * iRe[k]! - vr * iIm[k]!;
  }
  return [p, q];
}

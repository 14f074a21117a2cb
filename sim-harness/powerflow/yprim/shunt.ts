// Reactor and Capacitor: per-phase (or matrix) admittances placed either in
// series between two terminals ([Y -Y; -Y Y], the shunt case is the same with
// terminal 2 on ground nodes) or, for a delta connection on one terminal,
// between each phase and the next. A Capacitor sums the Yprims of its closed
// steps.
import type { CMatrixSpec } from "../network.js";
import { CMatrix, seriesYprim } from "./cmatrix.js";

/** Yprim of one branch admittance matrix y (phases x phases) for the element's terminal layout. */
export function branchYprim(y: CMatrixSpec, conn: "wye" | "delta", terminals: number, conductors: number): CMatrix {
  const n = y.order;
  if (conn === "delta" && terminals === 1) {
    // Phase i to phase i+1 (wrapping over the terminal's conductors), diagonal entries of y.
    const out = new CMatrix(conductors);
    for (let i = 0; i < n; i++) {
      let j = i + 1;
      if (j >= conductors) j = 0;
      const r = y.re[i * n + i]!;
      const m = y.im[i * n + i]!;
      out.add(i, i, r, m);
      out.add(j, j, r, m);
      out.add(i, j, -r, -m);
      out.add(j, i, -r, -m);
    }
    return out;
  }
  const s = seriesYprim(y);
  if (terminals * conductors === 2 * n) return s;
  // Terminal with an extra (neutral) conductor: embed.
  const out = new CMatrix(terminals * conductors);
  for (let a = 0; a < 2 * n; a++)
    for (let b = 0; b < 2 * n; b++) {
      const ia = (a < n ? 0 : conductors) + (a % n);
      const ib = (b < n ? 0 : conductors) + (b % n);
      out.add(ia, ib, s.getRe(a, b), s.getIm(a, b));
    }
  return out;
}

export function capacitorYprim(
  steps: CMatrixSpec[],
  states: ArrayLike<number>,
  conn: "wye" | "delta",
  terminals: number,
  conductors: number,
): CMatrix {
  const out = new CMatrix(terminals * conductors);
  for (let s = 0; s < steps.length; s++) if (states[s] === 1) out.addMatrix(branchYprim(steps[s]!, conn, terminals, conductors));
  return out;
}

// Phase matrices from sequence values (the balanced, transposed line OpenDSS
// assumes when a line or linecode is given by R1/X1/R0/X0/C1/C0):
//   Zs = (2 Z1 + Z0)/3 on the diagonal, Zm = (Z0 - Z1)/3 off it;
//   the shunt admittance likewise from j w C1 and j w C0.
import { cmatrix, type CMatrix } from "./cmatrix.js";

export interface SequenceValues {
  /** ohms per unit length */
  r1: number;
  x1: number;
  r0: number;
  x0: number;
  /** farads per unit length */
  c1: number;
  c0: number;
}

/**
 * Z (ohm per unit length) and Yc = j w C (siemens per unit length) at `baseFrequency`, written
 * into `out` when given (zeroed matrices of order `phases`).
 */
export function matricesFromSequence(
  s: SequenceValues,
  phases: number,
  baseFrequency: number,
  out?: { z: CMatrix; yc: CMatrix },
): { z: CMatrix; yc: CMatrix } {
  const third = 1.0 / 3.0;
  const zsr = (2 * s.r1 + s.r0) * third;
  const zsi = (2 * s.x1 + s.x0) * third;
  const zmr = (s.r0 - s.r1) * third;
  const zmi = (s.x0 - s.x1) * third;
  // Line and LineCode use DSSGlobals' exact 2*pi (only the line-constants unit rounds it).
  const yc1 = 2 * Math.PI * baseFrequency * s.c1;
  const yc0 = 2 * Math.PI * baseFrequency * s.c0;
  const ysi = (2 * yc1 + yc0) * third;
  const ymi = (yc0 - yc1) * third;
  const n = phases;
  const z = out?.z ?? cmatrix(n);
  const yc = out?.yc ?? cmatrix(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const k = i * n + j;
      if (i === j) {
        z.re[k] = zsr;
        z.im[k] = zsi;
        yc.im[k] = ysi;
      } else {
        z.re[k] = zmr;
        z.im[k] = zmi;
        yc.im[k] = ymi;
      }
    }
  }
  return { z, yc };
}

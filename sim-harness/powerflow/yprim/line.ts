// Line: series impedance between its two terminals plus half the shunt
// admittance at each end (the pi model OpenDSS uses for every line,
// including switches, which are just very short lines).
import type { LineSpec } from "../network.js";
import { CMatrix, scratchCopy, seriesYprim } from "./cmatrix.js";

export function lineYprim(spec: LineSpec): CMatrix {
  const n = spec.phases;
  const ys = scratchCopy(spec.z);
  if (!ys.invert()) {
    // A zero impedance matrix: OpenDSS would fail the inversion; use a stiff tie.
    ys.re.fill(0);
    ys.im.fill(0);
    for (let i = 0; i < n; i++) ys.set(i, i, 1e12, 0);
  }
  const y = seriesYprim(ys);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      const r = spec.yc.re[i * n + j]! / 2;
      const m = spec.yc.im[i * n + j]! / 2;
      if (r === 0 && m === 0) continue;
      y.add(i, j, r, m);
      y.add(i + n, j + n, r, m);
    }
  return y;
}

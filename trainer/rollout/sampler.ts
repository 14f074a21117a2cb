// Sampling one joint action per row from an actor's logits (one 3-way
// categorical per switch), with the shield's availability mask applied as
// HARL does (unavailable logits -> -1e10). Plain JS: rollouts call it for a
// handful of rows at a time, where dispatching tfjs ops would cost more.
import type { Rng } from "../util/rng.js";

export interface Sampled {
  actions: Int32Array;
  /** Joint log-probability per row (sum over the heads). */
  logp: Float32Array;
}

/**
 * `logits` [rows * 3n]; `avail` 0/1 of the same layout or undefined.
 * `deterministic` takes each head's most probable available action (ties to the lower index).
 */
export function sampleActions(logits: Float32Array, rows: number, n: number, avail: ArrayLike<number> | undefined, rng: Rng | undefined, deterministic = false): Sampled {
  const actions = new Int32Array(rows * n);
  const logp = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let total = 0;
    for (let k = 0; k < n; k++) {
      const o = (r * n + k) * 3;
      const l = [0, 1, 2].map((a) => (avail && !avail[o + a] ? -1e10 : logits[o + a]!));
      const m = Math.max(l[0]!, l[1]!, l[2]!);
      const e = l.map((x) => Math.exp(x - m));
      const z = e[0]! + e[1]! + e[2]!;
      let a: number;
      if (deterministic || !rng) {
        a = l[0]! >= l[1]! ? (l[0]! >= l[2]! ? 0 : 2) : l[1]! >= l[2]! ? 1 : 2;
      } else {
        const u = rng.next() * z;
        a = u < e[0]! ? 0 : u < e[0]! + e[1]! ? 1 : 2;
        // Never sample an unavailable action, even at the edge of rounding.
        if (avail && !avail[o + a]) a = 2;
      }
      actions[r * n + k] = a;
      total += l[a]! - m - Math.log(z);
    }
    logp[r] = total;
  }
  return { actions, logp };
}

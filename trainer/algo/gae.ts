// Generalised advantage estimation over a rollout of T steps in E parallel
// environments (row t*E + e), as HARL's critic buffer computes it with
// ValueNorm: deltas and returns on denormalised values.
//   delta_t = r_t + gamma * V(s_{t+1}) * m_{t+1} - V(s_t)
//   gae_t   = delta_t + gamma * lambda * m_{t+1} * gae_{t+1}
//   R_t     = gae_t + V(s_t)
// m_{t+1} = 0 when the episode ended at step t (termination: no bootstrap).
// A rollout cut before an episode ends bootstraps from V(s_T).

export interface GaeInput {
  T: number;
  E: number;
  /** [T * E] rewards. */
  rewards: ArrayLike<number>;
  /** [(T + 1) * E] denormalised values V(s_t), the last row for bootstrapping. */
  values: ArrayLike<number>;
  /** [T * E] 1 if the episode ended with step t. */
  dones: ArrayLike<number>;
  gamma: number;
  lambda: number;
}

/** Returns R_t ([T * E]); advantages are R_t - V(s_t). */
export function gaeReturns(x: GaeInput): Float32Array {
  const { T, E } = x;
  const returns = new Float32Array(T * E);
  for (let e = 0; e < E; e++) {
    let gae = 0;
    for (let t = T - 1; t >= 0; t--) {
      const i = t * E + e;
      const next = x.dones[i] ? 0 : 1;
      const delta = x.rewards[i]! + x.gamma * x.values[i + E]! * next - x.values[i]!;
      gae = delta + x.gamma * x.lambda * next * gae;
      returns[i] = gae + x.values[i]!;
    }
  }
  return returns;
}

/** (a - mean) / (std + 1e-5) over the whole batch, as HARL standardises advantages. */
export function standardize(a: ArrayLike<number>): Float32Array {
  let mean = 0;
  for (let i = 0; i < a.length; i++) mean += a[i]!;
  mean /= a.length;
  let v = 0;
  for (let i = 0; i < a.length; i++) v += (a[i]! - mean) ** 2;
  const std = Math.sqrt(v / a.length);
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i]! - mean) / (std + 1e-5);
  return out;
}

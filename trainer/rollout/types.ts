// What one iteration's rollout holds: T steps in each of E environments,
// row t*E + e (HARL's (episode_length, n_rollout_threads) flattened).

export interface EpisodeStats {
  /** Environment index that ran it. */
  env: number;
  return: number;
  length: number;
  /** Restored kW at the end of the episode (the last step's power flow). */
  restoredKw: number;
  /** Priority-weighted restored load at the end. */
  weightedRestored: number;
  capKw: number | undefined;
  /** The cap was exceeded at some step. */
  capBreached: boolean;
  violations: number;
  nonconverged: number;
  /** Switching operations applied over the episode. */
  operations: number;
  /** The episode ran to its end (terminated or at the episode length), not cut by the rollout. */
  complete: boolean;
}

export interface Rollout {
  T: number;
  E: number;
  /** Per agent [(T + 1) * E * obsSize]. */
  obs: Float32Array[];
  /** Per agent [T * E * elements]. */
  actions: Int32Array[];
  /** Per agent joint log-probability of the sampled actions [T * E]. */
  logp: Float32Array[];
  /** Per agent 0/1 availability [(T + 1) * E * 3 * elements] when training with the shield mask. */
  avail: Float32Array[] | undefined;
  /** Global state [(T + 1) * E * stateSize]. */
  state: Float32Array;
  /** Per agent rewards [T * E] (independent critics learn from these). */
  rewards: Float32Array[];
  /** Team reward [T * E] (the centralized critic learns from this). */
  teamRewards: Float32Array;
  /** 1 if the episode ended with step t [T * E]. */
  dones: Uint8Array;
  /** Episodes that ended during this rollout. */
  episodes: EpisodeStats[];
}

// The multi-agent restoration environment's contract, as the trainer, the
// evaluators and the bench see it. Heterogeneous agents, no padding: each
// agent has its own observation size and one 3-way head per switch
// (shared/encoding/actions.ts: close 0, open 1, no-op 2).

export interface AgentSpec {
  /** Microgrid id from the scenario. */
  id: string;
  /** Switchable elements behind the action vector, in order (`Line.L45`). */
  elements: readonly string[];
  observationSize: number;
}

export interface Violation {
  /**
   * `reverse-power`: a grid-forming unit delivers less than its floor (element:
   * the unit's id; value: its kW; limit: the floor, 0 for a diesel, minus its
   * charge rating for a battery), which frequency-watt curtailment of the
   * island's grid-following units could not prevent: a diesel's reverse-power
   * relay would trip it and the island collapse.
   */
  kind: "voltage-low" | "voltage-high" | "thermal-line" | "thermal-transformer" | "island-generation" | "reverse-power" | "generation-cap" | "mesh";
  /** Element or bus (with node) the violation concerns. */
  element: string;
  value: number;
  limit: number;
}

export interface IslandInfo {
  /** Grid-forming unit or source feeding the island. */
  source: string;
  load_kw: number;
  generation_kw: number;
  rating_kw: number;
  /** Least its grid-forming units may deliver (sum of their floors; -Infinity for a substation: JSON shows null). */
  floor_kw: number;
  /** kW its grid-following units hold back (frequency-watt) so that its grid-forming units stay at their floor. */
  curtailed_kw: number;
}

export interface StepInfo {
  restored_kw: number;
  weighted_restored: number;
  cap_kw: number | undefined;
  cap_breached: boolean;
  islands: IslandInfo[];
  violations: Violation[];
  tap_positions: Record<string, number>;
  /** Operations actually applied this step, in order (`close Line.L45`). */
  operations: string[];
  /** Operations refused this step (closing a switch locked open by the outage), in order. */
  refused?: string[];
  /** Steps taken in this episode (0 after a reset). */
  step?: number;
  /** Power flow did not converge this step (reported, never hidden). */
  nonconverged: boolean;
}

export interface ResetResult {
  /** One observation per agent, in `agents` order. */
  obs: Float32Array[];
  /** Global state for the centralized critic. */
  state: Float32Array;
  info: StepInfo;
}

export interface StepResult extends ResetResult {
  /** Per-agent rewards (equal to the team reward in the cooperative setting unless the env splits it). */
  rewards: number[];
  teamReward: number;
  done: boolean;
}

export interface MultiAgentEnv {
  readonly scenarioName: string;
  readonly agents: readonly AgentSpec[];
  readonly stateSize: number;
  readonly episodeLength: number;
  reset(seed?: number): ResetResult;
  /** actions[i][k] is agent i's choice (0 close, 1 open, 2 no-op) for its k-th element. */
  step(actions: readonly (Int32Array | readonly number[])[]): StepResult;
  /**
   * Which actions the run-time safety shield would allow now: mask[i][3k + a]
   * is 1 if agent i may take action a on its k-th element. Used to train with
   * the shield on, as deployed.
   */
  actionMask(): Uint8Array[];
}

/**
 * N environments of one scenario stepped together (sim-harness/env/vector.ts).
 * Results come back per environment, in order. With `autoReset`, an
 * environment whose step returned `done` is reset (with the next seed of its
 * stream) at the start of the following step, and that step's result is the
 * reset's observation with reward 0 and `done` false.
 */
export interface VectorEnv {
  readonly size: number;
  readonly scenarioName: string;
  readonly agents: readonly AgentSpec[];
  readonly stateSize: number;
  readonly episodeLength: number;
  reset(seeds?: readonly number[]): ResetResult[];
  /** actions[e][i][k]: environment e, agent i, element k. */
  step(actions: readonly (readonly (Int32Array | readonly number[])[])[]): StepResult[];
  actionMask(): Uint8Array[][];
}

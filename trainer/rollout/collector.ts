// Runs a set of environments for T steps with the current actors (plain-JS
// forward passes) and records what training needs. Each environment has its
// own random stream (actions, reset seeds), so a rollout does not depend on
// how environments are split over worker threads.
import type { MultiAgentEnv, StepInfo } from "../../sim-harness/env/types.js";
import { mlpForward, type MlpParams } from "../model/mlp.js";
import { Rng } from "../util/rng.js";
import { sampleActions } from "./sampler.js";
import type { EpisodeStats, Rollout } from "./types.js";

/** Availability per agent as 0/1 floats, no-op always available (holding is always allowed). */
export function availability(env: MultiAgentEnv): Float32Array[] {
  return env.actionMask().map((m) => {
    const out = new Float32Array(m.length);
    for (let i = 0; i < m.length; i++) out[i] = i % 3 === 2 ? 1 : m[i]! ? 1 : 0;
    return out;
  });
}

interface Running {
  ret: number;
  length: number;
  breached: boolean;
  violations: number;
  nonconverged: number;
  operations: number;
}

function fresh(): Running {
  return { ret: 0, length: 0, breached: false, violations: 0, nonconverged: 0, operations: 0 };
}

function account(run: Running, reward: number, info: StepInfo) {
  run.ret += reward;
  run.length++;
  run.breached ||= info.cap_breached;
  run.violations += info.violations.length;
  run.nonconverged += info.nonconverged ? 1 : 0;
  run.operations += info.operations.length;
}

function finish(env: number, run: Running, info: StepInfo, complete: boolean): EpisodeStats {
  return {
    env,
    return: run.ret,
    length: run.length,
    restoredKw: info.restored_kw,
    weightedRestored: info.weighted_restored,
    capKw: info.cap_kw,
    capBreached: run.breached,
    violations: run.violations,
    nonconverged: run.nonconverged,
    operations: run.operations,
    complete,
  };
}

/** How rollouts are collected. */
export interface CollectOptions {
  /** Sample only among the actions the environment's shield allows (as deployed). */
  shieldMask: boolean;
  /**
   * Reward units taken off the team reward per switching operation applied.
   * The paper has none; without it, switches whose operation changes nothing
   * (a dead or empty section) get no signal to stay put and learned policies
   * may toggle them every step. In the field every operation wears a relay.
   */
  operationCost: number;
  /**
   * Reward units taken off a step that exceeds the generation cap, on top of
   * the scenario's own penalty. The paper's -M (restored - cap)^2 with M = 0.005
   * (8500) is small next to a step's gains, and with an operation cost ending
   * the episode by a breach can pay.
   */
  breachCost?: number;
}

export class Collector {
  private readonly rngs: Rng[];
  private readonly shieldMask: boolean;
  private readonly operationCost: number;
  private readonly breachCost: number;

  constructor(
    private readonly envs: MultiAgentEnv[],
    /** Global index of each environment (for its random stream and statistics). */
    private readonly indices: number[],
    seed: number,
    options: CollectOptions,
  ) {
    this.rngs = indices.map((i) => new Rng(seed, 1000 + i));
    this.shieldMask = options.shieldMask;
    this.operationCost = options.operationCost;
    this.breachCost = options.breachCost ?? 0;
  }

  get rngStates(): [number, number, number, number][] {
    return this.rngs.map((r) => r.state);
  }
  set rngStates(s: [number, number, number, number][]) {
    s.forEach((st, i) => (this.rngs[i]!.state = st));
  }

  /** T steps in every environment, each starting from a reset. */
  collect(actors: readonly MlpParams[], T: number): Rollout {
    const E = this.envs.length;
    const env0 = this.envs[0]!;
    const agents = env0.agents;
    const S = env0.stateSize;
    const obs = agents.map((a) => new Float32Array((T + 1) * E * a.observationSize));
    const actions = agents.map((a) => new Int32Array(T * E * a.elements.length));
    const logp = agents.map(() => new Float32Array(T * E));
    const avail = this.shieldMask ? agents.map((a) => new Float32Array((T + 1) * E * 3 * a.elements.length)) : undefined;
    const state = new Float32Array((T + 1) * E * S);
    const rewards = agents.map(() => new Float32Array(T * E));
    const teamRewards = new Float32Array(T * E);
    const dones = new Uint8Array(T * E);
    const episodes: EpisodeStats[] = [];

    const put = (t: number, e: number, o: readonly Float32Array[], s: Float32Array) => {
      const row = t * E + e;
      agents.forEach((a, i) => obs[i]!.set(o[i]!, row * a.observationSize));
      state.set(s, row * S);
      if (avail) availability(this.envs[e]!).forEach((m, i) => avail[i]!.set(m, row * m.length));
    };
    const running = this.envs.map(() => fresh());
    this.envs.forEach((env, e) => {
      const r = env.reset(this.rngs[e]!.nextU32());
      put(0, e, r.obs, r.state);
    });

    for (let t = 0; t < T; t++) {
      // Sample every environment's actions agent by agent (one batched forward pass per agent).
      const chosen: Int32Array[][] = this.envs.map(() => []);
      agents.forEach((a, i) => {
        const n = a.elements.length;
        const rows = obs[i]!.subarray(t * E * a.observationSize, (t + 1) * E * a.observationSize);
        const logits = mlpForward(actors[i]!, rows, E);
        for (let e = 0; e < E; e++) {
          const row = t * E + e;
          const av = avail?.[i]!.subarray(row * 3 * n, (row + 1) * 3 * n);
          const s = sampleActions(logits.subarray(e * 3 * n, (e + 1) * 3 * n), 1, n, av, this.rngs[e]!);
          actions[i]!.set(s.actions, row * n);
          logp[i]![row] = s.logp[0]!;
          chosen[e]!.push(s.actions);
        }
      });
      this.envs.forEach((env, e) => {
        const row = t * E + e;
        const res = env.step(chosen[e]!);
        const cost = this.operationCost * res.info.operations.length + (res.info.cap_breached ? this.breachCost : 0);
        res.rewards.forEach((rw, i) => (rewards[i]![row] = rw - cost));
        teamRewards[row] = res.teamReward - cost;
        account(running[e]!, res.teamReward - cost, res.info);
        if (res.done) {
          dones[row] = 1;
          episodes.push(finish(this.indices[e]!, running[e]!, res.info, true));
          running[e] = fresh();
          const r = env.reset(this.rngs[e]!.nextU32());
          put(t + 1, e, r.obs, r.state);
        } else {
          put(t + 1, e, res.obs, res.state);
        }
      });
    }
    return { T, E, obs, actions, logp, avail, state, rewards, teamRewards, dones, episodes };
  }
}

/** Join rollouts of consecutive environment ranges into one (rows t*E + e). */
export function mergeRollouts(parts: readonly Rollout[]): Rollout {
  if (parts.length === 1) return parts[0]!;
  const T = parts[0]!.T;
  const E = parts.reduce((s, p) => s + p.E, 0);
  const merge = <A extends Float32Array | Int32Array | Uint8Array>(pick: (p: Rollout) => A, rowsPerEnv: number, width: number): A => {
    const first = pick(parts[0]!);
    const out = new (first.constructor as new (n: number) => A)(rowsPerEnv * E * width);
    let e0 = 0;
    for (const p of parts) {
      const src = pick(p);
      for (let t = 0; t < rowsPerEnv; t++) out.set(src.subarray(t * p.E * width, (t + 1) * p.E * width), (t * E + e0) * width);
      e0 += p.E;
    }
    return out;
  };
  const p0 = parts[0]!;
  const w = (a: ArrayLike<number>, rows: number) => a.length / (rows * p0.E);
  return {
    T,
    E,
    obs: p0.obs.map((o, i) => merge((p) => p.obs[i]!, T + 1, w(o, T + 1))),
    actions: p0.actions.map((a, i) => merge((p) => p.actions[i]!, T, w(a, T))),
    logp: p0.logp.map((_, i) => merge((p) => p.logp[i]!, T, 1)),
    avail: p0.avail?.map((a, i) => merge((p) => p.avail![i]!, T + 1, w(a, T + 1))),
    state: merge((p) => p.state, T + 1, w(p0.state, T + 1)),
    rewards: p0.rewards.map((_, i) => merge((p) => p.rewards[i]!, T, 1)),
    teamRewards: merge((p) => p.teamRewards, T, 1),
    dones: merge((p) => p.dones, T, 1),
    episodes: parts.flatMap((p) => p.episodes),
  };
}

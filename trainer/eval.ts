// Evaluation of actors on an environment: deterministic (each switch's most
// probable allowed action), with or without the run-time shield's mask, and
// the random-policy baseline. Restored kW and weighted restored load are the
// environment's (the power flow's, on the real environment) at the end of each
// episode, as the paper reports them.
import type { MultiAgentEnv } from "../sim-harness/env/types.js";
import { mlpForward, type MlpParams } from "./model/mlp.js";
import { availability } from "./rollout/collector.js";
import { sampleActions } from "./rollout/sampler.js";
import { Rng } from "./util/rng.js";

export interface Optimum {
  /** The optimum's weighted restored load (objective), from the sim-harness baselines. */
  weightedRestored: number;
  restoredKw: number;
  source: string;
}

export interface EvalResult {
  episodes: number;
  shield: boolean;
  /** Means over episodes. */
  restoredKw: number;
  weightedRestored: number;
  pctCap: number | undefined;
  pctOptimum: number | undefined;
  return: number;
  /** Episodes in which the cap was exceeded at some step. */
  capBreaches: number;
  /** Highest restored kW seen at any step of any episode (the cap must hold at every step). */
  peakKw: number;
  operations: number;
  /** Operations per episode that undo an earlier operation of the same switch in that episode (toggling). */
  reversals: number;
  violations: number;
  nonconverged: number;
  /** The last episode's operations, step by step (for model cards and reports). */
  trace: string[][];
}

export type ActionSource = (obs: readonly Float32Array[], avail: Float32Array[] | undefined) => Int32Array[];

/** Greedy actions from actor parameters. */
export function deterministicActors(actors: readonly MlpParams[], elements: readonly number[]): ActionSource {
  return (obs, avail) => actors.map((p, i) => sampleActions(mlpForward(p, obs[i]!, 1), 1, elements[i]!, avail?.[i], undefined, true).actions);
}

/** Uniformly random actions among the allowed ones (the random baseline). */
export function randomActions(elements: readonly number[], rng: Rng): ActionSource {
  return (_obs, avail) =>
    elements.map((n, i) => {
      const a = new Int32Array(n);
      for (let k = 0; k < n; k++) {
        const allowed = [0, 1, 2].filter((x) => !avail || avail[i]![3 * k + x]);
        a[k] = allowed[rng.int(allowed.length)]!;
      }
      return a;
    });
}

export function evaluate(env: MultiAgentEnv, act: ActionSource, o: { episodes: number; shield: boolean; seed: number; optimum?: Optimum }): EvalResult {
  const seeds = new Rng(o.seed, 999);
  const sum = { restoredKw: 0, weighted: 0, ret: 0, breaches: 0, ops: 0, reversals: 0, violations: 0, nonconverged: 0 };
  let peak = 0;
  let cap: number | undefined;
  let trace: string[][] = [];
  for (let ep = 0; ep < o.episodes; ep++) {
    let r = env.reset(seeds.nextU32());
    let breached = false;
    trace = [];
    const operated = new Map<string, string>();
    peak = Math.max(peak, r.info.restored_kw);
    for (let t = 0; t < env.episodeLength; t++) {
      const res = env.step(act(r.obs, o.shield ? availability(env) : undefined));
      sum.ret += res.teamReward;
      sum.ops += res.info.operations.length;
      sum.violations += res.info.violations.length;
      sum.nonconverged += res.info.nonconverged ? 1 : 0;
      breached ||= res.info.cap_breached;
      peak = Math.max(peak, res.info.restored_kw);
      trace.push(res.info.operations);
      for (const op of res.info.operations) {
        const [action, element] = op.split(" ") as [string, string];
        if (operated.has(element) && operated.get(element) !== action) sum.reversals++;
        operated.set(element, action);
      }
      r = res;
      if (res.done) break;
    }
    cap = r.info.cap_kw;
    sum.restoredKw += r.info.restored_kw;
    sum.weighted += r.info.weighted_restored;
    sum.breaches += breached ? 1 : 0;
  }
  const n = o.episodes;
  const restoredKw = sum.restoredKw / n;
  const weightedRestored = sum.weighted / n;
  return {
    episodes: n,
    shield: o.shield,
    restoredKw,
    weightedRestored,
    pctCap: cap ? (100 * restoredKw) / cap : undefined,
    pctOptimum: o.optimum ? (100 * weightedRestored) / o.optimum.weightedRestored : undefined,
    return: sum.ret / n,
    capBreaches: sum.breaches,
    peakKw: peak,
    operations: sum.ops / n,
    reversals: sum.reversals / n,
    violations: sum.violations / n,
    nonconverged: sum.nonconverged / n,
    trace,
  };
}

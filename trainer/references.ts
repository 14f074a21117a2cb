// The reference points a training run is measured against, from the
// sim-harness baselines on the same environment: the optimum (MILP checked by
// the environment's solve) and the greedy policy. Cached in the run directory
// (references.json) so a resumed run does not solve the MILP again.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runEpisode } from "../sim-harness/baselines/evaluate.js";
import { findOptimum } from "../sim-harness/baselines/optimum.js";
import { GreedyPolicy, RandomPolicy } from "../sim-harness/baselines/policies.js";
import type { RestorationEnv } from "../sim-harness/env/env.js";
import type { Optimum } from "./eval.js";

export interface BaselineFigure {
  restoredKw: number;
  weightedRestored: number;
  pctCap: number | undefined;
  pctOptimum: number;
  capBreaches: number;
  episodes: number;
}

export interface References {
  scenarioHash: string;
  grid: string;
  optimum: Optimum & { pctCap: number | undefined; steps: number; solveMs: number };
  greedy: BaselineFigure;
  random: BaselineFigure;
}

async function baseline(env: RestorationEnv, policy: GreedyPolicy | RandomPolicy, episodes: number, optimum: Optimum, cap: number | undefined): Promise<BaselineFigure> {
  let kw = 0;
  let w = 0;
  let breaches = 0;
  for (let ep = 0; ep < episodes; ep++) {
    const r = await runEpisode(env, policy, 1000 + ep);
    kw += r.final.restored_kw;
    w += r.final.weighted_restored;
    breaches += r.capBreaches > 0 ? 1 : 0;
  }
  const restoredKw = kw / episodes;
  const weightedRestored = w / episodes;
  return { restoredKw, weightedRestored, pctCap: cap ? (100 * restoredKw) / cap : undefined, pctOptimum: (100 * weightedRestored) / optimum.weightedRestored, capBreaches: breaches, episodes };
}

export async function references(env: RestorationEnv, runDir: string, grid: string, progress?: (line: string) => void): Promise<References> {
  const file = join(runDir, "references.json");
  if (existsSync(file)) {
    const cached = JSON.parse(readFileSync(file, "utf8")) as References;
    if (cached.scenarioHash === env.bound.hash && cached.grid === grid) return cached;
  }
  const evalEnv = env.clone({ randomPartialProbability: 0 });
  const cap = env.bound.scenario.limits.generation_cap_kw;
  const opt = await findOptimum(evalEnv, progress ? { progress } : {});
  const optimum = {
    weightedRestored: opt.replay.final.weighted_restored,
    restoredKw: opt.replay.final.restored_kw,
    source: `sim-harness/baselines optimum (MILP, ${opt.iterations.length} solve(s), replayed through the ${grid} environment)`,
    pctCap: cap ? (100 * opt.replay.final.restored_kw) / cap : undefined,
    steps: opt.sequence.length,
    solveMs: opt.solveMs,
  };
  const greedy = await baseline(evalEnv, new GreedyPolicy(), 1, optimum, cap);
  const random = await baseline(evalEnv, new RandomPolicy(), 20, optimum, cap);
  const refs: References = { scenarioHash: env.bound.hash, grid, optimum, greedy, random };
  writeFileSync(file, JSON.stringify(refs, null, 2) + "\n");
  return refs;
}

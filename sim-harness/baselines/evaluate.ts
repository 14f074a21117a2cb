// Running a policy for whole episodes in the environment and summarising
// what the final states were, as every figure is reported: from the grid the
// environment solves (the power flow unless told otherwise).
import type { RestorationEnv } from "../env/env.js";
import type { StepInfo, Violation } from "../env/types.js";
import type { EnvPolicy } from "./policies.js";
import type { SequenceStep } from "./sequence.js";

export interface EpisodeResult {
  seed: number;
  steps: number;
  return: number;
  /** Info after the last step. */
  final: StepInfo;
  /** Steps in which the cap was exceeded, and steps ending with any violation. */
  capBreaches: number;
  violationSteps: number;
  switchStates: Record<string, "open" | "closed">;
  /** Operations the environment applied, step by step (empty steps left out). */
  sequence: (SequenceStep & { step: number })[];
  /** Time of each env.step (ms), policy excluded. */
  stepMs: number[];
  /** OpenDSS commands that set the final taps and curtailed outputs (grid.tapCommands, grid.outputCommands), for replaying the final state. */
  tapCommands: string[];
}

export async function runEpisode(env: RestorationEnv, policy: EnvPolicy, seed: number): Promise<EpisodeResult> {
  const reset = env.reset(seed);
  policy.begin(env, reset, seed);
  let obs = reset.obs;
  let final = reset.info;
  let ret = 0;
  let capBreaches = 0;
  let violationSteps = 0;
  const sequence: EpisodeResult["sequence"] = [];
  const stepMs: number[] = [];
  const agentOf = new Map<string, string>();
  env.agents.forEach((a) => a.elements.forEach((e) => agentOf.set(e, a.id)));
  for (let t = 0; t < env.episodeLength; t++) {
    const actions = await policy.act(env, obs);
    const t0 = performance.now();
    const r = env.step(actions);
    stepMs.push(performance.now() - t0);
    ret += r.teamReward;
    obs = r.obs;
    final = r.info;
    if (r.info.cap_breached) capBreaches++;
    if (r.info.violations.length > 0) violationSteps++;
    if (r.info.operations.length > 0) {
      sequence.push({
        step: t + 1,
        operations: r.info.operations.map((op) => {
          const [action, element] = op.split(" ") as ["close" | "open", string];
          return { agent: agentOf.get(element) ?? "?", element, action };
        }),
      });
    }
    if (r.done) break;
  }
  return { seed, steps: env.stepIndex, return: ret, final, capBreaches, violationSteps, switchStates: env.switchStates(), sequence, stepMs, tapCommands: [...(env.grid.tapCommands?.() ?? []), ...(env.grid.outputCommands?.() ?? [])] };
}

export interface EvaluationSummary {
  episodes: number;
  restored_kw_mean: number;
  restored_kw_min: number;
  restored_kw_max: number;
  weighted_restored_mean: number;
  return_mean: number;
  cap_breaches: number;
  /** Episodes whose final state has a violation (cap and mesh included). */
  episodes_with_violations: number;
  step_ms_mean: number;
}

export function summarise(results: readonly EpisodeResult[]): EvaluationSummary {
  const n = results.length;
  const kw = results.map((r) => r.final.restored_kw);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const allMs = results.flatMap((r) => r.stepMs);
  return {
    episodes: n,
    restored_kw_mean: mean(kw),
    restored_kw_min: Math.min(...kw),
    restored_kw_max: Math.max(...kw),
    weighted_restored_mean: mean(results.map((r) => r.final.weighted_restored)),
    return_mean: mean(results.map((r) => r.return)),
    cap_breaches: results.reduce((t, r) => t + r.capBreaches, 0),
    episodes_with_violations: results.filter((r) => r.final.violations.length > 0).length,
    step_ms_mean: mean(allMs),
  };
}

/** Violations in the JSON shape of the CLI (kind, element, value, limit). */
export function violationList(v: readonly Violation[]): Violation[] {
  return v.map((x) => ({ kind: x.kind, element: x.element, value: round(x.value, 4), limit: round(x.limit, 4) }));
}

export function round(x: number, digits = 3): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

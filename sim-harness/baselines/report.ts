// The JSON reports of `blackstart scenario optimum` and `scenario eval`
// (fields documented in docs/scenario.md), and the OpenDSS commands that
// reproduce a reported state with `blackstart powerflow --command`.
import type { RestorationEnv } from "../env/env.js";
import type { Violation } from "../env/types.js";
import { summarise, round, violationList, type EpisodeResult, type EvaluationSummary } from "./evaluate.js";
import { planDocument, type OptimumResult } from "./optimum.js";
import type { SequenceStep } from "./sequence.js";

export interface ScenarioReport {
  scenario: string;
  mode: "paper" | "physics";
  /** `optimum`, `greedy`, `random`, or the policy directory's label. */
  policy: string;
  /** `powerflow` or `nominal`: where the kW come from. */
  grid: "powerflow" | "nominal";
  restored_kw: number;
  weighted_restored: number;
  total_load_kw: number;
  cap_kw: number | null;
  pct_of_cap: number | null;
  pct_of_total_load: number;
  pct_of_optimum: number | null;
  /** Weighted restored against the optimum's (the quantity the reward accumulates). */
  pct_of_optimum_weighted: number | null;
  cap_breaches: number;
  violations: Violation[];
  switch_states: Record<string, "open" | "closed">;
  sequence: (SequenceStep & { step: number })[];
  tap_positions: Record<string, number>;
  step_ms_mean: number;
  /** OpenDSS commands after compiling the feeder master that reproduce the final state. */
  powerflow_commands: string[];
  nonconverged: boolean;
  /**
   * The final state's energized islands: grid-forming source, load, what its units deliver,
   * their rating and floor (null for a substation), and the kW its grid-following units
   * hold back (frequency-watt, physics mode).
   */
  islands?: { source: string; load_kw: number; generation_kw: number; rating_kw: number | null; floor_kw: number | null; curtailed_kw: number }[];
}

export interface OptimumReport extends ScenarioReport {
  solve_ms: number;
  milp_ms: number;
  milp: { vars: number; rows: number; binaries: number; solves: number; estimated_kw: number; estimated_weighted: number };
  /** Power flow kW of the plan solved from the reset (the check) against the replayed sequence's final kW. */
  check_kw: number;
  fits_episode: boolean;
  breaches_on_the_way: number;
  /** Per agent: the load its closes pick up along the sequence (nominal kW, as its shield and ledger count it) beside its static quota. */
  agents: { id: string; quota_kw: number; pickup_kw: number }[];
  iterations: OptimumResult["iterations"];
  plan: ReturnType<typeof planDocument>;
}

export interface EvalReport extends ScenarioReport {
  episodes: number;
  seed: number;
  summary: EvaluationSummary;
  per_episode: { seed: number; restored_kw: number; weighted_restored: number; return: number; steps: number; cap_breaches: number; violations: number }[];
}

function pct(a: number, b: number | undefined): number | null {
  return b === undefined || !(b > 0) ? null : round((100 * a) / b, 3);
}

/**
 * OpenDSS commands, after `compile <master>`, that put the circuit in this
 * state: the scenario's commands, the switch states, the regulators' taps
 * held (control mode off), then a solve.
 */
export function powerflowCommands(env: RestorationEnv, states: Record<string, "open" | "closed">, tapCommands: readonly string[]): string[] {
  const out = [...env.bound.commands];
  for (const [el, st] of Object.entries(states)) out.push(st === "open" ? `open ${el} term=2` : `close ${el} term=2`);
  out.push(...tapCommands);
  out.push("solve");
  return out;
}

function base(env: RestorationEnv, policy: string, episode: EpisodeResult, stepMs: number, optimum?: { kw: number; weighted: number }): ScenarioReport {
  const { final, switchStates, sequence } = episode;
  const cap = env.bound.scenario.limits.generation_cap_kw;
  const total = env.bound.sections.total_load_kw;
  return {
    scenario: env.scenarioName,
    mode: env.bound.scenario.mode,
    policy,
    grid: env.grid.kind,
    restored_kw: round(final.restored_kw, 3),
    weighted_restored: round(final.weighted_restored, 3),
    total_load_kw: round(total, 3),
    cap_kw: cap ?? null,
    pct_of_cap: pct(final.restored_kw, cap),
    pct_of_total_load: pct(final.restored_kw, total) ?? 0,
    pct_of_optimum: optimum ? pct(final.restored_kw, optimum.kw) : null,
    pct_of_optimum_weighted: optimum ? pct(final.weighted_restored, optimum.weighted) : null,
    cap_breaches: 0,
    violations: violationList(final.violations),
    switch_states: switchStates,
    sequence,
    tap_positions: final.tap_positions,
    step_ms_mean: round(stepMs, 4),
    powerflow_commands: powerflowCommands(env, switchStates, episode.tapCommands),
    nonconverged: final.nonconverged,
    islands: final.islands.map((i) => ({
      source: i.source,
      load_kw: round(i.load_kw, 3),
      generation_kw: round(i.generation_kw, 3),
      rating_kw: Number.isFinite(i.rating_kw) ? round(i.rating_kw, 3) : null,
      floor_kw: Number.isFinite(i.floor_kw) ? round(i.floor_kw, 3) : null,
      curtailed_kw: round(i.curtailed_kw, 3),
    })),
  };
}

export function optimumReport(env: RestorationEnv, r: OptimumResult): OptimumReport {
  const replay = r.replay;
  const mean = replay.stepMs.reduce((a, b) => a + b, 0) / Math.max(1, replay.stepMs.length);
  const b = base(env, "optimum", replay, mean, { kw: replay.final.restored_kw, weighted: replay.final.weighted_restored });
  return {
    ...b,
    cap_breaches: replay.capBreaches,
    solve_ms: round(r.solveMs, 1),
    milp_ms: round(r.milpMs, 1),
    milp: { ...r.size, solves: r.iterations.length, estimated_kw: round(r.plan.kw, 3), estimated_weighted: round(r.plan.weighted, 3) },
    check_kw: round(r.check.restored, 3),
    fits_episode: r.fitsEpisode,
    breaches_on_the_way: r.breachesOnTheWay,
    agents: env.bound.scenario.microgrids.map((mg) => ({ id: mg.id, quota_kw: mg.quota_kw, pickup_kw: round(r.pickupKw.get(mg.id) ?? 0, 3) })),
    iterations: r.iterations,
    plan: planDocument(env, r),
  };
}

export function evalReport(env: RestorationEnv, policy: string, results: readonly EpisodeResult[], seed: number, optimum?: { kw: number; weighted: number }): EvalReport {
  const first = results[0]!;
  const summary = summarise(results);
  const b = base(env, policy, first, summary.step_ms_mean, optimum);
  // Headline figures are means over the episodes; the state fields are the first episode's.
  return {
    ...b,
    restored_kw: round(summary.restored_kw_mean, 3),
    weighted_restored: round(summary.weighted_restored_mean, 3),
    pct_of_cap: pct(summary.restored_kw_mean, env.bound.scenario.limits.generation_cap_kw),
    pct_of_total_load: pct(summary.restored_kw_mean, env.bound.sections.total_load_kw) ?? 0,
    pct_of_optimum: optimum ? pct(summary.restored_kw_mean, optimum.kw) : null,
    pct_of_optimum_weighted: optimum ? pct(summary.weighted_restored_mean, optimum.weighted) : null,
    cap_breaches: summary.cap_breaches,
    episodes: results.length,
    seed,
    summary,
    per_episode: results.map((r) => ({
      seed: r.seed,
      restored_kw: round(r.final.restored_kw, 3),
      weighted_restored: round(r.final.weighted_restored, 3),
      return: round(r.return, 3),
      steps: r.steps,
      cap_breaches: r.capBreaches,
      violations: r.final.violations.length,
    })),
  };
}

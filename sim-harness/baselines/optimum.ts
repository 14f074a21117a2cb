// The optimum of a scenario in its own terms and on the environment's kW
// measure: the MILP (milp.ts) on section kW, each plan re-checked by the
// environment's grid (the full power flow), section kW refined from the
// check, and no-good cuts for plans the power flow rejects (cap exceeded;
// physics: any violation), until the MILP returns a plan the power flow has
// already accepted with its own measured kW. Then a switching sequence that
// reaches it (sequence.ts), replayed through the environment step by step
// with every step passed through the agents' own shields (shield-audit.ts):
// the optimum is a plan the field can execute.
import { BlackstartError } from "../../shared/errors.js";
import type { PlanDocument } from "../../shared/policy/plan.js";
import { ScenarioErrors } from "../scenarios/errors.js";
import type { Probe, RestorationEnv } from "../env/env.js";
import { runEpisode, type EpisodeResult } from "./evaluate.js";
import { solveModel, type Cut, type Formulation, type Plan } from "./milp.js";
import { buildModel, type RestorationModel } from "./model.js";
import { SequencePolicy } from "./policies.js";
import { ShieldAudit } from "./shield-audit.js";
import { buildSequence, type SequenceStep } from "./sequence.js";
import { LinDistFlow } from "./lindistflow.js";
import { PowerFlowGrid } from "../env/powerflow-grid.js";

export interface OptimumOptions {
  /** MILP solves at most (default 40). */
  maxIterations?: number;
  /** Island demand = section kW x this in the rating rows (physics; default 1.03 for losses). */
  lossFactor?: number;
  /** Extra rows (linear voltage limits) added to each MILP. */
  extend?: (f: Formulation, m: RestorationModel) => void;
  progress?: (line: string) => void;
}

export interface OptimumIteration {
  estimatedKw: number;
  estimatedWeighted: number;
  checkedKw: number;
  checkedWeighted: number;
  accepted: boolean;
  reason: string;
  milpMs: number;
}

export interface OptimumResult {
  plan: Plan;
  /** The power flow's check of the plan (solved from the reset state). */
  check: Probe;
  /** The switching sequence and whether it fits the episode. */
  sequence: SequenceStep[];
  fitsEpisode: boolean;
  /** The sequence replayed through the environment (its final info is what is reported). */
  replay: EpisodeResult;
  /** Steps of the replay that breached the cap or had a violation (should be none). */
  breachesOnTheWay: number;
  /**
   * Load (kW, nominal) each agent's closes pick up along the sequence, by agent
   * id, as its shield counts it: what its ledger commits against its quota and
   * the reservations it holds. Every step of the sequence passed the agents'
   * shields (a plan with a veto is cut).
   */
  pickupKw: ReadonlyMap<string, number>;
  iterations: OptimumIteration[];
  /** Wall time of the whole search (MILPs and power flow checks), and of the MILPs alone (ms). */
  solveMs: number;
  milpMs: number;
  size: { vars: number; rows: number; binaries: number };
  model: RestorationModel;
}

function key(a: Uint8Array): string {
  return Buffer.from(a).toString("base64");
}

function rejects(env: RestorationEnv, p: Probe): string | undefined {
  if (p.result.converged === false) return "power flow did not converge";
  if (p.capBreached) return `cap exceeded (${p.restored.toFixed(1)} kW > ${env.bound.scenario.limits.generation_cap_kw} kW)`;
  if (env.bound.scenario.mode === "physics" && p.violations.length > 0) {
    const v = p.violations[0]!;
    return `${p.violations.length} violation(s), first ${v.kind} at ${v.element}: ${v.value.toFixed(4)} vs ${v.limit.toFixed(4)}`;
  }
  return undefined;
}

export async function findOptimum(envIn: RestorationEnv, options: OptimumOptions = {}): Promise<OptimumResult> {
  const env = envIn.clone({ randomPartialProbability: 0, observation: "switch-states" });
  const s = env.bound.scenario;
  const graph = env.bound.sections;
  const maxIt = options.maxIterations ?? 40;
  let lossFactor = options.lossFactor ?? (s.mode === "physics" ? 1.02 : 1);
  const estKw = Float64Array.from(graph.sections, (x) => x.load_kw);
  const estW = Float64Array.from(graph.sections, (x) => x.weighted_kw);
  const estInj = Float64Array.from(graph.sections, (x) => x.sources.filter((src) => !src.grid_forming).reduce((t, src) => t + (src.kw ?? 0), 0));
  // Physics on the power flow: LinDistFlow voltage and line limits, corrected from each check.
  const ldf = s.mode === "physics" && env.grid instanceof PowerFlowGrid ? new LinDistFlow(env.bound, env.grid.powerflow) : undefined;
  if (ldf) options.progress?.(`optimum: LinDistFlow on ${ldf.stats.nodes} nodes, ${ldf.stats.branches} branches (${ldf.stats.loadNodes} with loads)`);
  const cuts: Cut[] = [];
  const good = new Map<string, Probe>();
  const iterations: OptimumIteration[] = [];
  const t0 = performance.now();
  let milpMs = 0;
  let size = { vars: 0, rows: 0, binaries: 0 };
  const identity = env.bound.switches.map((sw) => ({ element: sw.ref, agent: s.microgrids[sw.agent]!.id }));

  for (let it = 0; it < maxIt; it++) {
    const model = buildModel(s, graph, { sectionKw: estKw, sectionWeighted: estW, sectionInjectionKw: estInj, lossFactor });
    const scale = Float64Array.from(graph.sections, (x, i) => (x.load_kw > 0 ? estKw[i]! / x.load_kw : 1));
    const solve = () =>
      solveModel(model, cuts, (f) => {
        ldf?.extend(f, model, scale);
        options.extend?.(f, model);
      });
    let r: Awaited<ReturnType<typeof solve>>;
    try {
      r = await solve();
    } catch (e) {
      if (!(e instanceof BlackstartError) || !ldf?.corrected) throw e;
      // The voltage corrections hold for the configurations they were learnt from; with every
      // unit holding its set point they can leave no plan at all (not even the reset, which
      // the power flow accepts): drop them, the checks and cuts lead on.
      options.progress?.(`optimum: iteration ${it + 1}: the learnt voltage corrections leave no plan; dropped`);
      ldf.forget();
      r = await solve();
    }
    milpMs += r.ms;
    size = r.size;
    const planKey = key(r.plan.closed);
    const known = good.get(planKey);
    if (known) {
      // The MILP's best under kW measured by the power flow is a plan the power flow accepted.
      iterations.push({ estimatedKw: r.plan.kw, estimatedWeighted: r.plan.weighted, checkedKw: known.restored, checkedWeighted: known.weighted, accepted: true, reason: "optimal with measured kW", milpMs: r.ms });
      options.progress?.(`optimum: iteration ${it + 1}: plan confirmed (${known.restored.toFixed(1)} kW)`);
      let seq: ReturnType<typeof buildSequence>;
      try {
        seq = buildSequence(model, identity, env.initialStates(), r.plan.closed, s.episode.length);
      } catch (e) {
        if (!(e instanceof BlackstartError)) throw e;
        // Not reachable without breaching a limit on the way (e.g. a merge through a dead
        // section neither unit can pick up alone): the optimum must be reachable.
        good.delete(planKey);
        cuts.push({ on: "switches", set: r.plan.closed });
        iterations[iterations.length - 1]!.accepted = false;
        iterations[iterations.length - 1]!.reason = e.detail;
        options.progress?.(`optimum: iteration ${it + 1}: ${e.detail}`);
        continue;
      }
      // Replayed through the environment with every step passed through the agents' own shields.
      const audit = new ShieldAudit(new SequencePolicy(seq.steps));
      const replay = await runEpisode(env, audit, 0);
      const bad =
        audit.vetoes.length > 0
          ? `the shield vetoes ${audit.vetoes.map((v) => `${v.action} ${v.element} (${v.rule}, step ${v.step})`).join(", ")}`
          : replay.final.cap_breached || (s.mode === "physics" && replay.final.violations.length > 0)
            ? "replayed sequence ends with a violation"
            : undefined;
      if (bad) {
        // Taps carried along the path moved the result past a limit, or the field could not
        // execute a step: exclude this plan and go on.
        good.delete(planKey);
        cuts.push({ on: "switches", set: r.plan.closed });
        iterations[iterations.length - 1]!.accepted = false;
        iterations[iterations.length - 1]!.reason = bad;
        options.progress?.(`optimum: iteration ${it + 1}: ${bad}`);
        continue;
      }
      const breachesOnTheWay = s.mode === "physics" ? replay.violationSteps : replay.capBreaches;
      return {
        plan: r.plan,
        check: known,
        sequence: seq.steps,
        fitsEpisode: seq.fitsEpisode,
        replay,
        breachesOnTheWay,
        pickupKw: audit.pickupKw,
        iterations,
        solveMs: performance.now() - t0,
        milpMs,
        size,
        model,
      };
    }
    const probe = env.probe(r.plan.closed, "reset");
    // Refine the kW of the sections this plan energizes, what their grid-following units
    // deliver, the losses and the linear voltage model with what the power flow measured.
    for (let i = 0; i < graph.sections.length; i++) {
      if (!r.plan.energized[i]) continue;
      if (probe.sectionKw[i]! > 0) {
        estKw[i] = probe.sectionKw[i]!;
        estW[i] = probe.sectionWeighted[i]!;
      }
      // What they have available: what they delivered plus what frequency-watt held back.
      const following = graph.sections[i]!.sources.filter((src) => !src.grid_forming);
      if (following.length) estInj[i] = following.reduce((t, src) => t + Math.max(0, (probe.result.sourceKw.get(src.element) ?? 0) + (probe.result.curtailedKw.get(src.element) ?? 0)), 0);
    }
    if (s.mode === "physics") {
      for (const isl of probe.islands) {
        if (isl.load_kw > 0) lossFactor = Math.max(lossFactor, (isl.generation_kw + islandInjection(graph, env, probe, isl.source)) / isl.load_kw + 0.002);
      }
    }
    ldf?.learn(r.values, r.plan.energized, probe.result.nodeVoltagePu);
    const reason = rejects(env, probe);
    iterations.push({
      estimatedKw: r.plan.kw,
      estimatedWeighted: r.plan.weighted,
      checkedKw: probe.restored,
      checkedWeighted: probe.weighted,
      accepted: reason === undefined,
      reason: reason ?? "accepted by the power flow; re-solving with measured kW",
      milpMs: r.ms,
    });
    options.progress?.(`optimum: iteration ${it + 1}: MILP ${r.plan.kw.toFixed(1)} kW, power flow ${probe.restored.toFixed(1)} kW${reason ? `: ${reason}` : ""}`);
    // The cap depends only on what is energized; other violations on how (which switches).
    if (reason) cuts.push(probe.capBreached ? { on: "sections", set: r.plan.energized } : { on: "switches", set: r.plan.closed });
    else good.set(planKey, probe);
  }
  throw new BlackstartError(ScenarioErrors.OPTIMUM, `no plan confirmed by the power flow after ${maxIt} MILP solves (${cuts.length} cuts)`);
}

/** kW the grid-following units of an island (named by its forming sources) deliver, from a probe. */
function islandInjection(graph: RestorationEnv["bound"]["sections"], env: RestorationEnv, probe: Probe, source: string): number {
  const ids = new Set(source.split("+"));
  const home = env.energy.forming.filter((f) => ids.has(f.id)).map((f) => f.section);
  if (home.length === 0) return 0;
  // Sections of that island in the probe: those energized and joined to a home section.
  const e = env.energy.clone();
  e.setAll(probe.closed);
  const isl = e.islandOf(home[0]!);
  let kw = 0;
  graph.sections.forEach((sec, i) => {
    if (e.islandOf(i) !== isl) return;
    for (const src of sec.sources) if (!src.grid_forming) kw += Math.max(0, probe.result.sourceKw.get(src.element) ?? 0);
  });
  return kw;
}

/** The optimum's sequence as the `plan` policy's document (shared/policy/plan.ts). */
export function planDocument(env: RestorationEnv, result: OptimumResult): PlanDocument {
  return {
    format: "blackstart-plan/1",
    label: "plan: optimum switching sequence (MILP, checked by the power flow), not a learned policy",
    scenario: env.bound.scenario.name,
    scenario_hash: env.bound.hash,
    source: `sim-harness/baselines optimum: ${result.iterations.length} MILP solve(s), restored ${result.replay.final.restored_kw.toFixed(1)} kW`,
    retry_limit: 3,
    steps: result.sequence.map((st) => ({ operations: st.operations })),
  };
}

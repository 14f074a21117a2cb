// The multi-agent restoration environment (types.ts: MultiAgentEnv). One
// agent per microgrid, one 3-way choice per switch; all operations of a step
// are applied, then the circuit is solved once (the parity adapter in
// parity.ts reproduces the paper's per-operation solves). Regulator taps
// carry over from step to step inside the grid model; a reset brings the
// circuit back to its post-compile state.
//
// Reward (team, given to every agent):
//   scale * (weighted restored now - before)
//   paper & physics, when a cap exists and restored > cap: -M (restored - cap)^2
//     instead, and the episode ends (the paper's rule);
//   physics, in addition: - voltage_penalty * sum(pu outside the band)
//     - thermal_penalty * sum(% over rating) - island_penalty * sum(kW over
//     the island's units).
import type { ObservationKind } from "../../shared/policy/manifest.js";
import { BlackstartError } from "../../shared/errors.js";
import type { BoundScenario } from "../scenarios/bind.js";
import { ScenarioErrors } from "../scenarios/errors.js";
import { Rng } from "../scenarios/rng.js";
import { EnergizationGraph } from "./energization.js";
import type { Grid, GridResult } from "./grid.js";
import { globalState, observationSize, observe, stateSize, switchFlows, type ObserveContext } from "./observe.js";
import type { AgentSpec, IslandInfo, MultiAgentEnv, ResetResult, StepInfo, StepResult, Violation } from "./types.js";

export interface EnvOptions {
  /** `switch-states` (the paper's, default) or `measured`. */
  observation?: ObservationKind;
  /** Probability of a random partially-restored start (default: the scenario's `reset.random_partial_probability`). */
  randomPartialProbability?: number;
}

export interface Operation {
  /** Index into the flattened switch list (bound.switches). */
  k: number;
  closed: boolean;
}

export class RestorationEnv implements MultiAgentEnv {
  readonly scenarioName: string;
  readonly agents: readonly AgentSpec[];
  readonly stateSize: number;
  readonly episodeLength: number;
  readonly bound: BoundScenario;
  readonly grid: Grid;
  readonly energy: EnergizationGraph;
  readonly observation: ObservationKind;
  /** Flattened switch indices per agent, in action order. */
  readonly agentSwitches: readonly (readonly number[])[];
  private readonly switchBuses: (readonly [string, string])[];
  private readonly loadSection: Int32Array;
  private readonly weights: Float64Array;
  private readonly totalWeighted: number;
  private readonly norm: number;
  private readonly capKw: number | undefined;
  private readonly randomPartial: number;
  private rng = new Rng(0);
  private seedCounter = 0;
  private stepCount = 0;
  private prevWeighted = 0;
  private finished = false;
  private last!: GridResult;
  private lastSectionKw!: Float64Array;
  private lastRestored = 0;
  private lastWeighted = 0;
  private compiledAllClosedWeighted: number | undefined;

  constructor(bound: BoundScenario, grid: Grid, options: EnvOptions = {}) {
    const s = bound.scenario;
    this.bound = bound;
    this.grid = grid;
    this.scenarioName = s.name;
    this.episodeLength = s.episode.length;
    this.observation = options.observation ?? "switch-states";
    this.energy = new EnergizationGraph(bound.sections);
    this.capKw = s.limits.generation_cap_kw;
    this.randomPartial = options.randomPartialProbability ?? s.reset.random_partial_probability;
    this.agentSwitches = s.microgrids.map((_, i) => bound.switches.flatMap((sw, k) => (sw.agent === i ? [k] : [])));
    this.agents = s.microgrids.map((mg, i) => ({
      id: mg.id,
      elements: this.agentSwitches[i]!.map((k) => bound.switches[k]!.ref),
      observationSize: observationSize(this.observation, this.agentSwitches[i]!.length),
    }));
    this.stateSize = stateSize(this.energy.switchCount, this.energy.sectionCount);
    this.switchBuses = bound.switches.map((sw) => {
      const e = bound.topology.byRef.get(sw.ref.toLowerCase())!;
      const bs = e.terminals.filter((t) => t.bus).map((t) => t.bus);
      return [bs[0]!, bs[bs.length - 1]!] as const;
    });
    const sectionOfBus = new Map<string, number>();
    bound.sections.sections.forEach((sec, i) => sec.buses.forEach((b) => sectionOfBus.set(b, i)));
    this.loadSection = Int32Array.from(bound.loads, (l) => sectionOfBus.get(l.bus) ?? -1);
    this.weights = Float64Array.from(bound.loads, (l) => l.weight);
    this.totalWeighted = bound.loads.reduce((t, l) => t + l.kw * l.weight, 0);
    this.norm = this.capKw ?? Math.max(1, bound.sections.total_load_kw);
    if (s.parity.reward_baseline === "compiled-all-closed") {
      this.grid.restore(new Uint8Array(this.energy.switchCount).fill(1));
      this.compiledAllClosedWeighted = this.measure(this.grid.solve()).weighted;
    }
  }

  /** Initial switch states of the scenario's reset (1 closed). */
  initialStates(): Uint8Array {
    return Uint8Array.from(this.bound.sections.switches, (sw) => (sw.initial === "closed" ? 1 : 0));
  }

  reset(seed?: number): ResetResult {
    this.rng = new Rng(seed ?? this.seedCounter++);
    const states = this.initialStates();
    if (this.randomPartial > 0 && this.rng.next() < this.randomPartial) this.randomPartialStates(states);
    this.energy.setAll(states);
    this.grid.restore(this.energy.closed);
    this.stepCount = 0;
    this.finished = false;
    const result = this.grid.solve();
    this.absorb(result);
    this.prevWeighted = this.compiledAllClosedWeighted ?? this.lastWeighted;
    const info = this.info(result, [], []);
    return { obs: this.observeAll(info), state: this.state(), info };
  }

  /**
   * A feasible partially-restored start: switches visited in random order, each
   * closed with probability 1/2 when the load it picks up (nominal) keeps the
   * cap and every island's rating.
   */
  private randomPartialStates(states: Uint8Array): void {
    const g = this.energy;
    g.setAll(states);
    const order = Array.from({ length: g.switchCount }, (_, k) => k);
    for (let i = order.length - 1; i > 0; i--) {
      const j = this.rng.int(0, i);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    let restored = 0;
    for (const isl of g.islands()) if (isl.energized) for (const s of isl.sections) restored += g.sectionLoadKw[s]!;
    for (const k of order) {
      if (g.locked[k] || g.closed[k] || this.rng.next() < 0.5) continue;
      if (!this.closeKeepsLimits(k, restored)) continue;
      restored += g.pickupKw(k);
      g.set(k, true);
    }
    states.set(g.closed);
  }

  /** Nominal check that closing switch k keeps the cap, island ratings and radiality. */
  private closeKeepsLimits(k: number, restoredKw: number): boolean {
    const g = this.energy;
    if (g.locked[k]) return false;
    const a = g.islandOf(g.ends[2 * k]!);
    const b = g.islandOf(g.ends[2 * k + 1]!);
    if (a === b) return this.bound.scenario.limits.allow_mesh;
    const pickup = g.pickupKw(k);
    if (this.capKw !== undefined && restoredKw + pickup > this.capKw) return false;
    const ia = g.islands()[a]!;
    const ib = g.islands()[b]!;
    if (ia.energized || ib.energized) {
      let load = 0;
      for (const s of ia.sections) load += g.sectionLoadKw[s]!;
      for (const s of ib.sections) load += g.sectionLoadKw[s]!;
      const rating = (ia.energized ? ia.ratingKw : 0) + (ib.energized ? ib.ratingKw : 0);
      if (load > rating) return false;
    }
    return true;
  }

  step(actions: readonly (Int32Array | readonly number[])[]): StepResult {
    if (actions.length !== this.agents.length) {
      throw new BlackstartError(ScenarioErrors.ACTIONS, `expected actions for ${this.agents.length} agents, got ${actions.length}`);
    }
    const ops: Operation[] = [];
    actions.forEach((a, i) => {
      const sw = this.agentSwitches[i]!;
      if (a.length !== sw.length) {
        throw new BlackstartError(ScenarioErrors.ACTIONS, `agent ${this.agents[i]!.id} has ${sw.length} switches, got ${a.length} actions`);
      }
      for (let j = 0; j < sw.length; j++) {
        const act = a[j]!;
        if (act === 0) ops.push({ k: sw[j]!, closed: true });
        else if (act === 1) ops.push({ k: sw[j]!, closed: false });
        else if (act !== 2) throw new BlackstartError(ScenarioErrors.ACTIONS, `agent ${this.agents[i]!.id}: action ${act} is not 0 (close), 1 (open) or 2 (no-op)`);
      }
    });
    return this.applyAndSolve(ops);
  }

  /** Apply operations in order, then solve once and score the step. */
  applyAndSolve(ops: readonly Operation[], solveEach = false): StepResult {
    if (this.finished) throw new BlackstartError(ScenarioErrors.ACTIONS, "the episode is over: call reset() before step()");
    const applied: string[] = [];
    const refused: string[] = [];
    for (const op of ops) {
      const ref = this.bound.switches[op.k]!.ref;
      if (op.closed && this.energy.locked[op.k]) {
        refused.push(`close ${ref}`);
        continue;
      }
      if (this.energy.closed[op.k] === (op.closed ? 1 : 0)) continue;
      this.energy.set(op.k, op.closed);
      this.grid.setSwitch(op.k, op.closed);
      applied.push(`${op.closed ? "close" : "open"} ${ref}`);
      if (solveEach) this.grid.solve();
    }
    this.stepCount++;
    const result = this.grid.solve();
    this.absorb(result);
    const info = this.info(result, applied, refused);
    const s = this.bound.scenario;
    let reward = s.reward.scale * (this.lastWeighted - this.prevWeighted);
    let done = this.stepCount >= this.episodeLength;
    if (info.cap_breached) {
      reward = -s.reward.cap_penalty_m * (this.lastRestored - this.capKw!) ** 2;
      done = true;
    } else if (s.mode === "physics") {
      reward -= penalty(info.violations, s.reward);
    }
    this.prevWeighted = this.lastWeighted;
    this.finished = done;
    return {
      obs: this.observeAll(info),
      state: this.state(),
      info,
      rewards: this.agents.map(() => reward),
      teamReward: reward,
      done,
    };
  }

  actionMask(): Uint8Array[] {
    const g = this.energy;
    return this.agentSwitches.map((sw) => {
      const mask = new Uint8Array(3 * sw.length);
      sw.forEach((k, j) => {
        mask[3 * j] = !g.closed[k] && this.closeKeepsLimits(k, this.lastRestored) ? 1 : 0;
        mask[3 * j + 1] = g.closed[k] ? 1 : 0;
        mask[3 * j + 2] = 1;
      });
      return mask;
    });
  }

  /** Current switch states by element. */
  switchStates(): Record<string, "open" | "closed"> {
    const out: Record<string, "open" | "closed"> = {};
    this.bound.switches.forEach((sw, k) => (out[sw.ref] = this.energy.closed[k] ? "closed" : "open"));
    return out;
  }

  get stepIndex(): number {
    return this.stepCount;
  }

  get lastResult(): GridResult {
    return this.last;
  }

  /** An independent environment on a copy of the grid (for vectorised stepping). */
  clone(options: EnvOptions = {}): RestorationEnv {
    return new RestorationEnv(this.bound, this.grid.clone(), { observation: this.observation, randomPartialProbability: this.randomPartial, ...options });
  }

  private measure(result: GridResult): { restored: number; weighted: number; sectionKw: Float64Array } {
    const sectionKw = new Float64Array(this.energy.sectionCount);
    let restored = 0;
    let weighted = 0;
    const kw = result.loadKw;
    for (let i = 0; i < kw.length; i++) {
      const p = kw[i]!;
      restored += p;
      weighted += p * this.weights[i]!;
      const s = this.loadSection[i]!;
      if (s >= 0) sectionKw[s] = sectionKw[s]! + p;
    }
    return { restored, weighted, sectionKw };
  }

  private absorb(result: GridResult): void {
    const m = this.measure(result);
    this.last = result;
    this.lastRestored = m.restored;
    this.lastWeighted = m.weighted;
    this.lastSectionKw = m.sectionKw;
  }

  private islandInfos(result: GridResult): IslandInfo[] {
    const g = this.energy;
    const out: IslandInfo[] = [];
    for (const isl of g.islands()) {
      if (!isl.energized) continue;
      let load = 0;
      for (const s of isl.sections) load += this.lastSectionKw[s]!;
      let gen = 0;
      for (const j of isl.forming) gen += result.sourceKw.get(g.forming[j]!.element) ?? 0;
      const unrated = !Number.isFinite(isl.ratingKw);
      out.push({
        source: isl.forming.map((j) => g.forming[j]!.id).join("+"),
        load_kw: load,
        generation_kw: gen,
        rating_kw: unrated ? (this.capKw ?? Infinity) : isl.ratingKw,
      });
    }
    return out;
  }

  private info(result: GridResult, operations: string[], refused: string[]): StepInfo {
    const islands = this.islandInfos(result);
    const violations: Violation[] = [...result.violations];
    const capBreached = this.capKw !== undefined && this.lastRestored > this.capKw;
    if (capBreached) violations.push({ kind: "generation-cap", element: "total", value: this.lastRestored, limit: this.capKw! });
    for (const isl of islands) {
      if (Number.isFinite(isl.rating_kw) && isl.generation_kw > isl.rating_kw && isl.source !== "" && !this.isSubstationIsland(isl)) {
        violations.push({ kind: "island-generation", element: isl.source, value: isl.generation_kw, limit: isl.rating_kw });
      }
    }
    if (!this.bound.scenario.limits.allow_mesh) {
      for (const k of this.energy.meshSwitches()) violations.push({ kind: "mesh", element: this.bound.switches[k]!.ref, value: 1, limit: 0 });
    }
    return {
      restored_kw: this.lastRestored,
      weighted_restored: this.lastWeighted,
      cap_kw: this.capKw,
      cap_breached: capBreached,
      islands,
      violations,
      tap_positions: result.tapPositions,
      operations,
      refused,
      step: this.stepCount,
      nonconverged: !result.converged,
    };
  }

  private isSubstationIsland(isl: IslandInfo): boolean {
    return isl.source.split("+").some((id) => this.energy.forming.some((f) => f.id === id && !Number.isFinite(f.kw)));
  }

  private headroom(): Float64Array {
    const g = this.energy;
    const out = new Float64Array(this.agents.length);
    const capLeft = this.capKw !== undefined ? this.capKw - this.lastRestored : 0;
    const islandGen = new Map<number, number>();
    this.bound.scenario.microgrids.forEach((mg, i) => {
      const unit = mg.forming_unit ?? mg.units.find((u) => g.forming.some((f) => f.id === u.id))?.id;
      const f = unit === undefined ? -1 : g.forming.findIndex((x) => x.id === unit);
      if (f < 0) {
        out[i] = capLeft;
        return;
      }
      const isl = g.islandOf(g.forming[f]!.section);
      let load = islandGen.get(isl);
      if (load === undefined) {
        load = 0;
        for (const s of g.islands()[isl]!.sections) load += this.lastSectionKw[s]!;
        islandGen.set(isl, load);
      }
      const rating = g.islands()[isl]!.ratingKw;
      out[i] = Number.isFinite(rating) ? rating - load : capLeft;
    });
    return out;
  }

  private context(): ObserveContext {
    return {
      energy: this.energy,
      result: this.last,
      sectionKw: this.lastSectionKw,
      switchBuses: this.switchBuses,
      norm: this.norm,
      headroomKw: this.observation === "measured" ? this.headroom() : new Float64Array(this.agents.length),
      step: this.stepCount,
      episodeLength: this.episodeLength,
    };
  }

  private observeAll(_info: StepInfo): Float32Array[] {
    const ctx = this.context();
    const flows = this.observation === "measured" ? switchFlows(this.energy, this.lastSectionKw) : undefined;
    return this.agentSwitches.map((sw, i) => observe(this.observation, sw, i, ctx, flows));
  }

  private state(): Float32Array {
    return globalState(this.context(), this.lastRestored, this.lastWeighted, this.totalWeighted);
  }
}

function penalty(violations: readonly Violation[], w: { voltage_penalty: number; thermal_penalty: number; island_penalty: number }): number {
  let p = 0;
  for (const v of violations) {
    if (v.kind === "voltage-low") p += w.voltage_penalty * (v.limit - v.value);
    else if (v.kind === "voltage-high") p += w.voltage_penalty * (v.value - v.limit);
    else if (v.kind === "thermal-line" || v.kind === "thermal-transformer") p += w.thermal_penalty * (v.value - v.limit);
    else if (v.kind === "island-generation") p += w.island_penalty * (v.value - v.limit);
  }
  return p;
}

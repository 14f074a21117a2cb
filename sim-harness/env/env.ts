// The multi-agent restoration environment (types.ts: MultiAgentEnv). One
// agent per microgrid, one 3-way choice per switch; all operations of a step
// are applied, then the circuit is solved once (the parity adapter in
// parity.ts reproduces the paper's per-operation solves). Regulator taps
// carry over from step to step inside the grid model; a reset brings the
// circuit back to its post-compile state.
//
// Reward (team, given to every agent):
//   scale * (weighted restored now - before)
//   when a cap exists and restored > cap: -M (restored - cap)^2 instead, and
//     the episode ends (the paper's rule, both modes);
//   physics, in addition: - voltage_penalty * sum(pu outside the band)
//     - thermal_penalty * sum(% over rating) - island_penalty * sum(kW over
//     the island's units).
import type { ObservationKind } from "../../shared/policy/manifest.js";
import { BlackstartError } from "../../shared/errors.js";
import type { BoundScenario } from "../scenarios/bind.js";
import { ScenarioErrors } from "../scenarios/errors.js";
import { Rng } from "../scenarios/rng.js";
import { DEFAULT_LIMITS, evaluate, indexGraph, type GraphIndex, type ShieldInput, type SwitchReading } from "../../shared/shield/index.js";
import { Assessor, violationPenalty, type Assessment } from "./assess.js";
import { EnergizationGraph } from "./energization.js";
import type { Grid, GridResult } from "./grid.js";
import { globalState, observationSize, observe, stateSize, switchFlows, terminalPu, type ObserveContext, type SwitchTerminal } from "./observe.js";
import type { AgentSpec, MultiAgentEnv, ResetResult, StepInfo, StepResult } from "./types.js";

export interface EnvOptions {
  /** `switch-states` (the paper's, default) or `measured`. */
  observation?: ObservationKind;
  /** Probability of a random partially-restored start (default: the scenario's `reset.random_partial_probability`). */
  randomPartialProbability?: number;
  /** Where the first step's reward is measured from (default: the scenario's `parity.reward_baseline`). */
  rewardBaseline?: "reset" | "compiled-all-closed";
  /**
   * When voltage/thermal violations are computed (about a solve's cost on 8500):
   * `when-needed` (default): physics mode every step (they are in its reward);
   * paper mode, which only reports them, at a reset and when an episode ends.
   * `every-step`: always.
   */
  violations?: "when-needed" | "every-step";
  /**
   * What `actionMask()` allows: `limits` (default: the cap, island ratings and
   * radiality on the section graph with measured kW, never a close with both
   * sides live, never a dead-to-dead close a live source could reach this
   * step) or `shield`: the edge agent's own rules (shared/shield
   * `evaluate`) on readings made from the environment's state, as deployed.
   */
  mask?: "limits" | "shield";
  /**
   * `team` (default): every agent gets the team reward. `own-sections`: each
   * agent gets the change of weighted kW in the sections its microgrid owns
   * (section graph), plus the team's penalties (cap, violations).
   */
  rewardSplit?: "team" | "own-sections";
}

export interface Operation {
  /** Index into the flattened switch list (bound.switches). */
  k: number;
  closed: boolean;
}

/** A configuration solved on a copy of the circuit. */
export interface Probe extends Assessment {
  result: GridResult;
  closed: Uint8Array;
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
  readonly assessor: Assessor;
  /** Flattened switch indices per agent, in action order. */
  readonly agentSwitches: readonly (readonly number[])[];
  private readonly switchTerminals: (readonly [SwitchTerminal, SwitchTerminal])[];
  private readonly totalWeighted: number;
  private readonly norm: number;
  private readonly capKw: number | undefined;
  private readonly randomPartial: number;
  private readonly options: EnvOptions;
  private rng = new Rng(0);
  private seedCounter = 0;
  private stepCount = 0;
  private prevWeighted = 0;
  private finished = false;
  private last!: GridResult;
  private now!: Assessment;
  private compiledAllClosedWeighted: number | undefined;
  private prevOwnWeighted: Float64Array = new Float64Array(0);
  private ownerOfSection: Int32Array | undefined;

  constructor(bound: BoundScenario, grid: Grid, options: EnvOptions = {}) {
    const s = bound.scenario;
    this.bound = bound;
    this.grid = grid;
    this.options = options;
    this.scenarioName = s.name;
    this.episodeLength = s.episode.length;
    this.observation = options.observation ?? "switch-states";
    this.energy = new EnergizationGraph(bound.sections);
    this.assessor = new Assessor(bound);
    this.capKw = s.limits.generation_cap_kw;
    this.randomPartial = options.randomPartialProbability ?? s.reset.random_partial_probability;
    this.agentSwitches = s.microgrids.map((_, i) => bound.switches.flatMap((sw, k) => (sw.agent === i ? [k] : [])));
    this.agents = s.microgrids.map((mg, i) => ({
      id: mg.id,
      elements: this.agentSwitches[i]!.map((k) => bound.switches[k]!.ref),
      observationSize: observationSize(this.observation, this.agentSwitches[i]!.length),
    }));
    this.stateSize = stateSize(this.energy.switchCount, this.energy.sectionCount);
    this.switchTerminals = bound.switches.map((sw) => {
      const e = bound.topology.byRef.get(sw.ref.toLowerCase())!;
      const ts = e.terminals.filter((t) => t.bus).map((t) => ({ bus: t.bus, nodes: t.nodes.length ? t.nodes : [1, 2, 3] }));
      return [ts[0]!, ts[ts.length - 1]!] as const;
    });
    this.totalWeighted = bound.loads.reduce((t, l) => t + l.kw * l.weight, 0);
    this.norm = this.capKw ?? Math.max(1, bound.sections.total_load_kw);
    if ((options.rewardBaseline ?? s.parity.reward_baseline) === "compiled-all-closed") {
      // The paper's quirk: the baseline is taken on the feeder as compiled (its agent switches closed).
      const compiled = Uint8Array.from(bound.switches, (sw) => (sw.compiled === "closed" ? 1 : 0));
      this.compiledAllClosedWeighted = this.probe(compiled, "reset").weighted;
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
    this.absorb(this.grid.solve(), true);
    this.prevWeighted = this.compiledAllClosedWeighted ?? this.now.weighted;
    this.prevOwnWeighted = this.ownWeighted();
    const info = this.info([], []);
    return { obs: this.observeAll(), state: this.state(), info };
  }

  /**
   * A feasible partially-restored start: switches visited in random order, each
   * closed with probability 1/2 when the load it picks up (nominal) keeps the
   * cap, every island's rating and radiality.
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
      if (!this.closeKeepsLimitsOn(g, k, restored, g.sectionLoadKw)) continue;
      restored += g.pickupKw(k);
      g.set(k, true);
    }
    states.set(g.closed);
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

  /** Apply operations in order (solving after each one if asked, as the paper does), then solve and score the step. */
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
    const s = this.bound.scenario;
    const result = this.grid.solve();
    this.absorb(result, false);
    const ending = this.stepCount >= this.episodeLength || this.now.capBreached;
    if (s.mode === "physics" || ending || this.options.violations === "every-step") this.absorb(result, true);
    const info = this.info(applied, refused);
    let reward = s.reward.scale * (this.now.weighted - this.prevWeighted);
    let penalty = 0;
    let done = this.stepCount >= this.episodeLength;
    if (info.cap_breached) {
      reward = -s.reward.cap_penalty_m * (this.now.restored - this.capKw!) ** 2;
      done = true;
    } else if (s.mode === "physics") {
      penalty = violationPenalty(info.violations, s.reward);
      reward -= penalty;
    }
    const own = this.ownWeighted();
    const rewards: number[] =
      this.options.rewardSplit === "own-sections"
        ? Array.from(own, (w, i) => (info.cap_breached ? reward : s.reward.scale * (w - this.prevOwnWeighted[i]!) - penalty))
        : this.agents.map(() => reward);
    this.prevWeighted = this.now.weighted;
    this.prevOwnWeighted = own;
    this.finished = done;
    return { obs: this.observeAll(), state: this.state(), info, rewards, teamReward: reward, done };
  }

  actionMask(): Uint8Array[] {
    if (this.options.mask === "shield") return this.shieldActionMask();
    const g = this.energy;
    const est = this.sectionKwEstimate();
    return this.agentSwitches.map((sw) => {
      const mask = new Uint8Array(3 * sw.length);
      sw.forEach((k, j) => {
        mask[3 * j] = !g.closed[k] && this.closeKeepsLimitsOn(g, k, this.now.restored, est) && !this.deadSideReachable(g, k) ? 1 : 0;
        mask[3 * j + 1] = g.closed[k] ? 1 : 0;
        mask[3 * j + 2] = 1;
      });
      return mask;
    });
  }

  private shieldIx: GraphIndex | undefined;

  /** The section graph indexed for the shield (once per environment). */
  get shieldIndex(): GraphIndex {
    return (this.shieldIx ??= indexGraph(this.bound.sections));
  }

  /** The edge agent's shield mask on this state, whatever the `mask` option (the greedy baseline asks it too). */
  shieldActionMask(): Uint8Array[] {
    return this.shieldInputs().map((input) => evaluate(this.shieldIndex, input).mask);
  }

  /**
   * Each agent's shield input made from this state, as its devices would report
   * it: fresh readings, terminal voltages from the last solve, no pending
   * command, every peer fresh; the cap as the generation left to share (a lease
   * from the fleet), no cap as unlimited (physics islands are checked by the
   * shield's own rule).
   */
  shieldInputs(): ShieldInput[] {
    const g = this.energy;
    const capLeft = this.capKw !== undefined ? Math.max(0, this.capKw - this.now.restored) : 1e12;
    const reading = (k: number): SwitchReading => {
      // As the edge agent reports them (agent/runtime/shield-input.ts): each terminal's highest live phase of the switch's own.
      const [a, b] = this.switchTerminals[k]!;
      const va = terminalPu(this.last, a)?.max ?? 0;
      const vb = terminalPu(this.last, b)?.max ?? 0;
      return {
        element: this.bound.switches[k]!.ref,
        closed: g.closed[k] === 1,
        open: g.closed[k] === 0,
        read_at_ms: 0,
        terminal_pu: [va, vb],
        locked_out: g.locked[k] === 1,
        pending: null,
        last_operation_ms: null,
      };
    };
    const states = (sw: readonly number[]) => Object.fromEntries(sw.map((k) => [this.bound.switches[k]!.ref, g.closed[k] ? ("closed" as const) : ("open" as const)]));
    return this.agents.map((agent, i) => ({
      now_ms: 0,
      microgrid: agent.id,
      switches: this.agentSwitches[i]!.map(reading),
      peers: this.agents.flatMap((p, j) => (j === i ? [] : [{ microgrid: p.id, fresh: true, switches: states(this.agentSwitches[j]!) }])),
      generation: { quota_kw: 0, committed_kw: 0, leases: [{ id: "cap", kw: capLeft, remaining_ms: 1e9 }], bus_up: true },
      limits: DEFAULT_LIMITS,
      // Every agent may claim any dead region (rule region-claim): the deployed fleet serializes two
      // closes into one region over the bus; this environment applies one step's closes together.
      claims: { own: [{ id: "env", sections: this.shieldIndex.sectionIds, remaining_ms: 1e9 }], peers: [], bus_up: true },
    }));
  }

  /**
   * Whether closing switch k keeps the cap, the islands' ratings and radiality
   * (on the section graph with the given section kW), on any energization
   * graph of this scenario: the greedy policy plans on a scratch copy. As the
   * deployed shield: never with both sides live (no synchronism check: no
   * merge of two islands, no loop inside one) and, in physics mode, the
   * island's nominal load within its grid-forming units' rating.
   */
  closeKeepsLimitsOn(g: EnergizationGraph, k: number, restoredKw: number, sectionKw: ArrayLike<number>): boolean {
    if (g.locked[k]) return false;
    const a = g.islandOf(g.ends[2 * k]!);
    const b = g.islandOf(g.ends[2 * k + 1]!);
    const ia = g.islands()[a]!;
    const ib = g.islands()[b]!;
    if (ia.energized && ib.energized) return false;
    if (a === b) return this.bound.scenario.limits.allow_mesh;
    const pickup = g.pickupKw(k, sectionKw);
    if (this.capKw !== undefined && restoredKw + pickup > this.capKw) return false;
    if (ia.energized || ib.energized) {
      const live = ia.energized ? ia : ib;
      let load = 0;
      let nominal = 0;
      for (const s of [...ia.sections, ...ib.sections]) {
        load += sectionKw[s]!;
        nominal += g.sectionLoadKw[s]!;
      }
      if (load > live.ratingKw) return false;
      if (this.bound.scenario.mode === "physics" && g.pickupKw(k) > 0 && nominal > live.ratingKw + 1e-6) return false;
    }
    return true;
  }

  /**
   * A close between two dead sides that a live source could reach this same
   * tick, through switches agents may close at once (closed, or open and not
   * locked by the outage): the deployed shield refuses it (rule dead-to-dead:
   * a simultaneous close elsewhere could energize one side, and this close would
   * pick the other up uncounted). False for any close with a live side.
   */
  deadSideReachable(g: EnergizationGraph, k: number): boolean {
    const a = g.ends[2 * k]!;
    const b = g.ends[2 * k + 1]!;
    if (g.energized(a) || g.energized(b)) return false;
    const seen = new Uint8Array(g.sectionCount);
    const queue = [a, b];
    seen[a] = seen[b] = 1;
    for (let q = 0; q < queue.length; q++) {
      const s = queue[q]!;
      if (g.energized(s)) return true;
      for (let j = 0; j < g.switchCount; j++) {
        if (j === k || (!g.closed[j] && g.locked[j])) continue;
        const x = g.ends[2 * j]!;
        const y = g.ends[2 * j + 1]!;
        const t = x === s ? y : y === s ? x : -1;
        if (t >= 0 && !seen[t]) {
          seen[t] = 1;
          queue.push(t);
        }
      }
    }
    return false;
  }

  /**
   * Solve a configuration on a copy of the circuit, leaving this environment
   * untouched: from the present state (taps carried over) or from the reset.
   */
  probe(closed: ArrayLike<number>, from: "current" | "reset" = "current"): Probe {
    const grid = this.grid.clone();
    const energy = this.energy.clone();
    if (from === "reset") {
      // As one step from the reset: the outage solved first (taps settle there), then the switching.
      energy.setAll(this.initialStates());
      grid.restore(energy.closed);
      grid.solve();
    }
    for (let k = 0; k < energy.switchCount; k++) {
      const want = closed[k] && !energy.locked[k] ? 1 : 0;
      if (energy.closed[k] !== want) {
        energy.set(k, want === 1);
        grid.setSwitch(k, want === 1);
      }
    }
    const result = grid.solve();
    return { ...this.assessor.assess(energy, result, grid.violations()), result, closed: energy.closed.slice() };
  }

  /** kW per section: measured by the last solve where energized, nominal where dead. */
  sectionKwEstimate(): Float64Array {
    const out = Float64Array.from(this.energy.sectionLoadKw);
    for (let s = 0; s < out.length; s++) if (this.energy.energized(s)) out[s] = this.now.sectionKw[s]!;
    return out;
  }

  /** Weighted kW per section, as sectionKwEstimate. */
  sectionWeightedEstimate(): Float64Array {
    const out = Float64Array.from(this.energy.sectionWeightedKw);
    for (let s = 0; s < out.length; s++) if (this.energy.energized(s)) out[s] = this.now.sectionWeighted[s]!;
    return out;
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

  get lastRestoredKw(): number {
    return this.now.restored;
  }

  get lastWeightedKw(): number {
    return this.now.weighted;
  }

  /** An independent environment on a copy of the grid (for vectorised stepping). */
  clone(options: EnvOptions = {}): RestorationEnv {
    return new RestorationEnv(this.bound, this.grid.clone(), { ...this.options, ...options });
  }

  /** Weighted kW served in each microgrid's own sections. */
  private ownWeighted(): Float64Array {
    if (!this.ownerOfSection) {
      const ids = this.agents.map((a) => a.id);
      this.ownerOfSection = Int32Array.from(this.bound.sections.sections, (sec) => (sec.microgrid ? ids.indexOf(sec.microgrid) : -1));
    }
    const out = new Float64Array(this.agents.length);
    this.ownerOfSection.forEach((a, sec) => {
      if (a >= 0) out[a] = out[a]! + this.now.sectionWeighted[sec]!;
    });
    return out;
  }

  private absorb(result: GridResult, withViolations: boolean): void {
    this.last = result;
    this.now = this.assessor.assess(this.energy, result, withViolations ? this.grid.violations() : []);
  }

  private info(operations: string[], refused: string[]): StepInfo {
    return {
      restored_kw: this.now.restored,
      weighted_restored: this.now.weighted,
      cap_kw: this.capKw,
      cap_breached: this.now.capBreached,
      islands: this.now.islands,
      violations: this.now.violations,
      tap_positions: this.last.tapPositions,
      operations,
      refused,
      step: this.stepCount,
      nonconverged: !this.last.converged,
    };
  }

  /**
   * Generation headroom per agent for the measured observation, in nominal kW as
   * the edge agent counts it (agent/runtime/observe.ts: it cannot measure its
   * island's load, it sums the energized sections' nominal load): the cap less
   * the energized load, or its island's grid-forming rating less the island's load.
   */
  private headroom(): Float64Array {
    const g = this.energy;
    const out = new Float64Array(this.agents.length);
    let energized = 0;
    for (let s = 0; s < g.sectionCount; s++) if (g.energized(s)) energized += g.sectionLoadKw[s]!;
    const capLeft = this.capKw !== undefined ? this.capKw - energized : 0;
    this.bound.scenario.microgrids.forEach((mg, i) => {
      const unit = mg.forming_unit ?? mg.units.find((u) => g.forming.some((f) => f.id === u.id))?.id;
      const f = unit === undefined ? -1 : g.forming.findIndex((x) => x.id === unit);
      if (f < 0) {
        out[i] = capLeft;
        return;
      }
      const isl = g.islands()[g.islandOf(g.forming[f]!.section)]!;
      let load = 0;
      for (const s of isl.sections) load += g.sectionLoadKw[s]!;
      out[i] = Number.isFinite(isl.ratingKw) ? isl.ratingKw - load : capLeft;
    });
    return out;
  }

  private context(): ObserveContext {
    return {
      energy: this.energy,
      result: this.last,
      sectionKw: this.now.sectionKw,
      switchTerminals: this.switchTerminals,
      norm: this.norm,
      headroomKw: this.observation === "measured" ? this.headroom() : new Float64Array(this.agents.length),
      step: this.stepCount,
      episodeLength: this.episodeLength,
    };
  }

  private observeAll(): Float32Array[] {
    const ctx = this.context();
    const flows = this.observation === "measured" ? this.measuredFlows() : undefined;
    return this.agentSwitches.map((sw, i) => observe(this.observation, sw, i, ctx, flows));
  }

  /**
   * kW through each switch for the measured observation: on the power flow, what
   * its device measures (|kW| at terminal 1 of a closed switch with a live side:
   * PV downstream and losses included); on the nominal grid, the load of the
   * sections beyond it.
   */
  private measuredFlows(): Float64Array {
    const branchKw = this.last.branchKw;
    if (!branchKw) return switchFlows(this.energy, this.now.sectionKw);
    const g = this.energy;
    const out = new Float64Array(g.switchCount);
    for (let k = 0; k < g.switchCount; k++) {
      if (g.closed[k] && (g.energized(g.ends[2 * k]!) || g.energized(g.ends[2 * k + 1]!))) out[k] = branchKw(this.bound.switches[k]!.ref);
    }
    return out;
  }

  private state(): Float32Array {
    return globalState(this.context(), this.now.restored, this.now.weighted, this.totalWeighted);
  }
}

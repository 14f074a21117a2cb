// What the bench measures, always on the simulator's side and never from the
// agents' claims: after every step of the device harness, the switch states
// the plant holds, the load it serves (the scenario mode's measure, scored by
// the environment's own Assessor: paper = power-flow load kW against the cap;
// physics = each island's load against its grid-forming units), the islands,
// the violations (a grid-forming unit driven below its floor, i.e. reverse
// power, among them), and whether a switch held open by the outage was
// closed. On the power flow the plant's grid-following inverters answer the
// island's frequency as in the field (frequency-watt, env/frequency-watt.ts):
// the meter's solve settles their curtailment on the plant's own circuit.
import { canonicalElement } from "../../shared/names.js";
import { Assessor } from "../env/assess.js";
import { EnergizationGraph } from "../env/energization.js";
import { NominalGrid, type GridResult } from "../env/grid.js";
import { PowerFlowGrid } from "../env/powerflow-grid.js";
import type { IslandInfo, Violation } from "../env/types.js";
import type { Plant } from "../devices/plant.js";
import { PowerFlowPlant } from "../devices/powerflow-plant.js";
import type { BoundScenario } from "../scenarios/bind.js";

export interface Reading {
  /** Served load (kW) and its priority-weighted sum. */
  restored_kw: number;
  weighted: number;
  /** Per microgrid: load of the energized sections it owns (section graph `microgrid`). */
  served_by_microgrid: Record<string, number>;
  islands: IslandInfo[];
  /** Every switch of the section graph as the plant holds it. */
  switches: Record<string, "open" | "closed">;
  violations: Violation[];
  /** Above the generation cap (paper) at this instant. */
  cap_exceeded: boolean;
  /** Islands whose grid-forming units deliver more than their rating (physics). */
  islands_exceeded: IslandInfo[];
  /** Grid-forming units delivering less than their floor (`reverse-power` violations: a diesel driven backwards, a battery charged beyond its rating). */
  reverse_power: Violation[];
  /** Switches held open by the outage (faulted sections) that the plant shows closed. */
  locked_closed: string[];
  converged: boolean;
}

/** Tolerance on the cap and on ratings (kW): solver round-off, not load. */
export const KW_TOLERANCE = 1e-6;

export class Meter {
  readonly assessor: Assessor;
  readonly capKw: number | undefined;
  private readonly energy: EnergizationGraph;
  private readonly sectionOwner: (string | undefined)[];
  private readonly graphSwitches: string[];
  private readonly nominal: NominalGrid | undefined;
  /** The environment's grid over the plant's own circuit (power flow plant): its curtailment state persists across reads. */
  private readonly grid: PowerFlowGrid | undefined;

  constructor(
    readonly bound: BoundScenario,
    readonly plant: Plant,
  ) {
    this.assessor = new Assessor(bound);
    this.capKw = bound.scenario.limits.generation_cap_kw;
    this.energy = new EnergizationGraph(bound.sections);
    this.sectionOwner = bound.sections.sections.map((s) => s.microgrid);
    this.graphSwitches = bound.sections.switches.map((s) => canonicalElement(s.element));
    this.nominal = plant instanceof PowerFlowPlant ? undefined : new NominalGrid(bound);
    this.grid = plant instanceof PowerFlowPlant ? new PowerFlowGrid(bound, plant.pf, {}, plant.pf) : undefined;
  }

  /** The plant is solved on the full power flow (voltages, losses, taps) rather than nominal loads. */
  get physical(): boolean {
    return this.nominal === undefined;
  }

  /** The power flow behind the plant, when there is one (voltage profile, OpenDSS commands). */
  get powerflow(): PowerFlowPlant["pf"] | undefined {
    return this.plant instanceof PowerFlowPlant ? this.plant.pf : undefined;
  }

  /** OpenDSS commands that set the regulators' taps and the curtailed outputs as the plant holds them (to reproduce the final state). */
  tapCommands(): string[] {
    return this.grid ? [...this.grid.tapCommands(), ...this.grid.outputCommands()] : [];
  }

  private gridResult(): GridResult {
    if (this.grid && this.plant instanceof PowerFlowPlant) {
      // The environment's grid over the plant's own circuit: the same extraction `scenario eval` scores.
      this.grid.adoptSwitchStates(this.energy.closed);
      const r = this.grid.solve();
      // Curtailment moved outputs after the plant's own solve: its devices read the settled solution next step.
      if (this.grid.lastSettleSteps > 0) (this.plant as PowerFlowPlant).invalidate();
      return r;
    }
    this.nominal!.restore(this.energy.closed);
    return this.nominal!.solve();
  }

  read(): Reading {
    const switches: Record<string, "open" | "closed"> = {};
    const locked_closed: string[] = [];
    this.bound.sections.switches.forEach((sw, k) => {
      const el = this.graphSwitches[k]!;
      const closed = this.plant.isClosed(el);
      switches[el] = closed ? "closed" : "open";
      if (closed && sw.locked_open) locked_closed.push(el);
      this.energy.set(k, closed);
    });
    const result = this.gridResult();
    const a = this.assessor.assess(this.energy, result);
    const served_by_microgrid: Record<string, number> = {};
    for (const mg of this.bound.scenario.microgrids) served_by_microgrid[mg.id] = 0;
    a.sectionKw.forEach((kw, s) => {
      const owner = this.sectionOwner[s];
      if (owner !== undefined && kw > 0) served_by_microgrid[owner] = (served_by_microgrid[owner] ?? 0) + kw;
    });
    // The Assessor flags an island only against a finite rating of its own units (an unrated substation is under the cap).
    const over = new Set(a.violations.filter((v) => v.kind === "island-generation" && v.value > v.limit + KW_TOLERANCE).map((v) => v.element));
    const islands_exceeded = a.islands.filter((i) => over.has(i.source));
    return {
      restored_kw: a.restored,
      weighted: a.weighted,
      served_by_microgrid,
      islands: a.islands,
      switches,
      violations: a.violations,
      cap_exceeded: this.capKw !== undefined && a.restored > this.capKw + KW_TOLERANCE,
      islands_exceeded,
      reverse_power: a.violations.filter((v) => v.kind === "reverse-power"),
      locked_closed,
      converged: result.converged,
    };
  }
}

// What the environment needs from a circuit model: operate agent switches,
// solve, and read per-load kW, source outputs, taps and violations. Two
// models implement it: the full power flow (powerflow-grid.ts), which every
// reported figure uses, and the nominal-load model below (each energized load
// at its nominal kW, no voltages), a fast mode for training whose gap to the
// power flow is measured in the bench.
import type { Violation } from "./types.js";
import { EnergizationGraph } from "./energization.js";
import type { BoundScenario } from "../scenarios/bind.js";

export interface GridResult {
  converged: boolean;
  iterations: number;
  /** kW drawn by each scenario load (bound.loads order); 0 when dead. */
  loadKw: Float64Array;
  /** kW delivered by each source of the section graph (grid-forming and grid-following), keyed by element (`Vsource.bat1`). */
  sourceKw: Map<string, number>;
  /** Voltage (pu, lowest and highest phase) per bus of interest, keyed by bus name; absent when dead. */
  busVoltage(bus: string): { min: number; max: number } | undefined;
  /** Voltage (pu) of one bus node; undefined when dead or without a base. */
  nodeVoltagePu(bus: string, node: number): number | undefined;
  tapPositions: Record<string, number>;
}

export interface Grid {
  /** `nominal` or `powerflow`. */
  readonly kind: "nominal" | "powerflow";
  /** Set agent switch k (bound.switches order) open or closed. Cheap: no solve. */
  setSwitch(k: number, closed: boolean): void;
  /** Solve (or reuse the last solution if nothing changed since). */
  solve(): GridResult;
  /** Voltage and thermal violations of the present solution (the scenario's limits); computed on demand: on 8500 it costs about a solve. */
  violations(): Violation[];
  /** Back to the state after compile and the scenario's commands (taps included), every agent switch as given. */
  restore(closed: ArrayLike<number>): void;
  /** Regulator taps to start from (carried over in the field; set by a reset or a replay). */
  setTaps?(taps: Record<string, number>): void;
  /** OpenDSS commands that set the regulators' present taps (and hold them), for replaying a state. */
  tapCommands?(): string[];
  /** An independent copy for another environment. */
  clone(): Grid;
}

/** Each energized load at its nominal kW; sources deliver what their island draws. */
export class NominalGrid implements Grid {
  readonly kind = "nominal" as const;
  private readonly energy: EnergizationGraph;
  private readonly loadSection: Int32Array;
  private readonly loadNominal: Float64Array;
  /** kW injected by grid-following units per section when energized. */
  private readonly injectionKw: Float64Array;
  private readonly bound: BoundScenario;
  private last: GridResult | undefined;

  constructor(bound: BoundScenario) {
    this.bound = bound;
    this.energy = new EnergizationGraph(bound.sections);
    const sectionOfBus = new Map<string, number>();
    bound.sections.sections.forEach((s, i) => s.buses.forEach((b) => sectionOfBus.set(b, i)));
    this.loadSection = Int32Array.from(bound.loads, (l) => sectionOfBus.get(l.bus) ?? -1);
    this.loadNominal = Float64Array.from(bound.loads, (l) => l.kw);
    this.injectionKw = Float64Array.from(bound.sections.sections, (sec) => sec.sources.filter((x) => !x.grid_forming).reduce((t, x) => t + (x.kw ?? 0), 0));
  }

  setSwitch(k: number, closed: boolean): void {
    if (this.energy.set(k, closed)) this.last = undefined;
  }

  restore(closed: ArrayLike<number>): void {
    this.energy.setAll(closed);
    this.last = undefined;
  }

  solve(): GridResult {
    if (this.last) return this.last;
    const e = this.energy;
    const loadKw = new Float64Array(this.loadNominal.length);
    for (let i = 0; i < loadKw.length; i++) {
      const s = this.loadSection[i]!;
      if (s >= 0 && e.energized(s)) loadKw[i] = this.loadNominal[i]!;
    }
    // Each island's load, less what its grid-following units inject, is shared by
    // its grid-forming sources in proportion to their ratings.
    const sectionKw = new Float64Array(e.sectionCount);
    for (let i = 0; i < loadKw.length; i++) {
      const s = this.loadSection[i]!;
      if (s >= 0) sectionKw[s] = sectionKw[s]! + loadKw[i]!;
    }
    const sourceKw = new Map<string, number>();
    this.bound.sections.sections.forEach((sec, i) => {
      if (!e.energized(i)) return;
      for (const src of sec.sources) if (!src.grid_forming) sourceKw.set(src.element, src.kw ?? 0);
    });
    for (const isl of e.islands()) {
      if (!isl.energized) continue;
      let kw = 0;
      for (const s of isl.sections) kw += sectionKw[s]! - this.injectionKw[s]!;
      const finite = isl.forming.every((j) => Number.isFinite(e.forming[j]!.kw));
      for (const j of isl.forming) {
        const f = e.forming[j]!;
        const share = finite ? f.kw / isl.ratingKw : Number.isFinite(f.kw) ? 0 : 1 / isl.forming.filter((x) => !Number.isFinite(e.forming[x]!.kw)).length;
        sourceKw.set(f.element, kw * share);
      }
    }
    const sectionOf = new Map<string, number>();
    this.bound.sections.sections.forEach((s, i) => s.buses.forEach((b) => sectionOf.set(b, i)));
    this.last = {
      converged: true,
      iterations: 0,
      loadKw,
      sourceKw,
      busVoltage: (bus) => {
        const s = sectionOf.get(bus);
        return s !== undefined && e.energized(s) ? { min: 1, max: 1 } : undefined;
      },
      nodeVoltagePu: (bus) => {
        const s = sectionOf.get(bus);
        return s !== undefined && e.energized(s) ? 1 : undefined;
      },
      tapPositions: {},
    };
    return this.last;
  }

  violations(): Violation[] {
    return [];
  }

  clone(): NominalGrid {
    const g = new NominalGrid(this.bound);
    g.energy.setAll(this.energy.closed);
    return g;
  }
}

// What the environment needs from a circuit model: operate agent switches,
// solve, and read per-load kW, source outputs, taps and violations. Two
// models implement it: the full power flow (powerflow-grid.ts), which every
// reported figure uses, and the nominal-load model below (each energized load
// at its nominal kW, no voltages), a fast mode for training whose gap to the
// power flow is measured in the bench.
import type { Violation } from "./types.js";
import { EnergizationGraph } from "./energization.js";
import type { BoundScenario } from "../scenarios/bind.js";
import { droopShare } from "./frequency-watt.js";
import { islandUnits, type FollowingUnit, type IslandUnits } from "./units.js";

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
  /**
   * Active power (kW, magnitude) through a branch element at its terminal 1, as
   * its device measures it (load less grid-following output downstream, plus
   * losses); absent on a model without branch flows (the nominal grid).
   */
  branchKw?(element: string): number;
  /** kW curtailed per grid-following element (frequency-watt, physics mode): what it has available less what it delivers. Only curtailed elements. */
  curtailedKw: ReadonlyMap<string, number>;
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
  /** OpenDSS commands that set the grid-following units' present (curtailed) outputs, for replaying a state. */
  outputCommands?(): string[];
  /** An independent copy for another environment. */
  clone(): Grid;
}

/**
 * Each energized load at its nominal kW; grid-forming sources deliver what
 * their island draws less its grid-following output, which (physics mode:
 * frequency-watt, as on the power flow) is curtailed by droop so that the
 * grid-forming units stay at their floor or above.
 */
export class NominalGrid implements Grid {
  readonly kind = "nominal" as const;
  private readonly energy: EnergizationGraph;
  private readonly loadSection: Int32Array;
  private readonly loadNominal: Float64Array;
  /** kW injected by grid-following units per section when energized. */
  private readonly injectionKw: Float64Array;
  private readonly bound: BoundScenario;
  private readonly units: IslandUnits | undefined;
  private readonly following: FollowingUnit[][];
  private last: GridResult | undefined;

  private readonly options: { curtailment?: "frequency-watt" | "none" };

  constructor(bound: BoundScenario, options: { curtailment?: "frequency-watt" | "none" } = {}) {
    this.bound = bound;
    this.options = options;
    const curtail = options.curtailment ?? (bound.scenario.mode === "physics" ? "frequency-watt" : "none");
    this.units = curtail === "frequency-watt" ? islandUnits(bound) : undefined;
    this.energy = new EnergizationGraph(bound.sections);
    const sectionOfBus = new Map<string, number>();
    bound.sections.sections.forEach((s, i) => s.buses.forEach((b) => sectionOfBus.set(b, i)));
    this.loadSection = Int32Array.from(bound.loads, (l) => sectionOfBus.get(l.bus) ?? -1);
    this.loadNominal = Float64Array.from(bound.loads, (l) => l.kw);
    // What the grid-following units deliver uncurtailed, per section (PV added by the scenario at kw x irradiance).
    this.following = islandUnits(bound).followingBySection;
    this.injectionKw = Float64Array.from(this.following, (us) => us.reduce((t, u) => t + u.availableKw, 0));
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
    const curtailedKw = new Map<string, number>();
    this.following.forEach((us, i) => {
      if (e.energized(i)) for (const u of us) sourceKw.set(u.element, u.availableKw);
    });
    for (const isl of e.islands()) {
      if (!isl.energized) continue;
      let load = 0;
      let injected = 0;
      for (const s of isl.sections) {
        load += sectionKw[s]!;
        injected += this.injectionKw[s]!;
      }
      // Frequency-watt: the grid-following units give up what would drive the grid-forming units below their floor.
      const forming = this.units ? isl.forming.map((j) => this.units!.formingByElement.get(e.forming[j]!.element)) : [];
      if (this.units && forming.length > 0 && forming.every((f) => f !== undefined)) {
        const floor = forming.reduce((t, f) => t + f!.floorKw, 0);
        const deliver = Math.min(injected, Math.max(0, load - floor));
        if (deliver < injected) {
          const members = isl.sections.flatMap((s) => this.units!.followingBySection[s]!);
          const avail = members.map((u) => sourceKw.get(u.element) ?? 0);
          const out = droopShare(avail, members.map((u) => u.ratingKw), deliver);
          members.forEach((u, m) => {
            sourceKw.set(u.element, out[m]!);
            if (avail[m]! - out[m]! > 1e-9) curtailedKw.set(u.element, avail[m]! - out[m]!);
          });
          injected = deliver;
        }
      }
      const kw = load - injected;
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
      curtailedKw,
    };
    return this.last;
  }

  violations(): Violation[] {
    return [];
  }

  clone(): NominalGrid {
    const g = new NominalGrid(this.bound, this.options);
    g.energy.setAll(this.energy.closed);
    return g;
  }
}

// Scoring a solved configuration: restored and weighted kW (the sum of every
// load's power from the solve, as the paper defines restored power), kW per
// section, island generation against the units' ratings, and the violations
// (the grid's voltage and thermal ones, plus cap, island generation, a
// grid-forming unit below its floor (reverse power), mesh).
import type { BoundScenario } from "../scenarios/bind.js";
import type { EnergizationGraph } from "./energization.js";
import type { GridResult } from "./grid.js";
import type { IslandInfo, Violation } from "./types.js";
import { islandUnits, type IslandUnits } from "./units.js";

/** Tolerance (kW) below a grid-forming unit's floor: the solve's and the curtailment's accuracy, not a reverse flow. */
export const FLOOR_SLACK_KW = 1;

export interface Assessment {
  restored: number;
  weighted: number;
  sectionKw: Float64Array;
  sectionWeighted: Float64Array;
  islands: IslandInfo[];
  violations: Violation[];
  capBreached: boolean;
}

export class Assessor {
  readonly bound: BoundScenario;
  readonly loadSection: Int32Array;
  readonly weights: Float64Array;
  readonly capKw: number | undefined;
  readonly units: IslandUnits;

  constructor(bound: BoundScenario) {
    this.bound = bound;
    this.units = islandUnits(bound);
    const sectionOfBus = new Map<string, number>();
    bound.sections.sections.forEach((sec, i) => sec.buses.forEach((b) => sectionOfBus.set(b, i)));
    this.loadSection = Int32Array.from(bound.loads, (l) => sectionOfBus.get(l.bus) ?? -1);
    this.weights = Float64Array.from(bound.loads, (l) => l.weight);
    this.capKw = bound.scenario.limits.generation_cap_kw;
  }

  /** `gridViolations`: the grid's voltage and thermal violations for this solve (or none when not computed). */
  assess(energy: EnergizationGraph, result: GridResult, gridViolations: readonly Violation[] = []): Assessment {
    const sectionKw = new Float64Array(energy.sectionCount);
    const sectionWeighted = new Float64Array(energy.sectionCount);
    let restored = 0;
    let weighted = 0;
    const kw = result.loadKw;
    for (let i = 0; i < kw.length; i++) {
      const p = kw[i]!;
      const w = p * this.weights[i]!;
      restored += p;
      weighted += w;
      const s = this.loadSection[i]!;
      if (s >= 0) {
        sectionKw[s] = sectionKw[s]! + p;
        sectionWeighted[s] = sectionWeighted[s]! + w;
      }
    }
    const violations: Violation[] = [...gridViolations];
    const capBreached = this.capKw !== undefined && restored > this.capKw;
    if (capBreached) violations.push({ kind: "generation-cap", element: "total", value: restored, limit: this.capKw! });
    const islands: IslandInfo[] = [];
    for (const isl of energy.islands()) {
      if (!isl.energized) continue;
      let load = 0;
      for (const s of isl.sections) load += sectionKw[s]!;
      let gen = 0;
      for (const j of isl.forming) gen += result.sourceKw.get(energy.forming[j]!.element) ?? 0;
      const source = isl.forming.map((j) => energy.forming[j]!.id).join("+");
      const rated = Number.isFinite(isl.ratingKw);
      if (rated && gen > isl.ratingKw) violations.push({ kind: "island-generation", element: source, value: gen, limit: isl.ratingKw });
      // Each grid-forming unit of the scenario at its floor or above (a substation has none).
      let floor = 0;
      for (const j of isl.forming) {
        const u = this.units.formingByElement.get(energy.forming[j]!.element);
        if (!u) {
          floor = -Infinity;
          continue;
        }
        floor += u.floorKw;
        const kw = result.sourceKw.get(u.element) ?? 0;
        if (kw < u.floorKw - FLOOR_SLACK_KW) violations.push({ kind: "reverse-power", element: u.id, value: kw, limit: u.floorKw });
      }
      let curtailed = 0;
      if (result.curtailedKw.size > 0) for (const s of isl.sections) for (const u of this.units.followingBySection[s]!) curtailed += result.curtailedKw.get(u.element) ?? 0;
      // An unrated substation is reported against the cap (Infinity without one; JSON shows null).
      islands.push({ source, load_kw: load, generation_kw: gen, rating_kw: rated ? isl.ratingKw : (this.capKw ?? Infinity), floor_kw: floor, curtailed_kw: curtailed });
    }
    if (!this.bound.scenario.limits.allow_mesh) {
      for (const k of energy.meshSwitches()) violations.push({ kind: "mesh", element: this.bound.switches[k]!.ref, value: 1, limit: 0 });
    }
    return { restored, weighted, sectionKw, sectionWeighted, islands, violations, capBreached };
  }
}

/** Physics-mode penalty of a step's violations (the cap is handled apart: it replaces the reward). */
export function violationPenalty(violations: readonly Violation[], w: { voltage_penalty: number; thermal_penalty: number; island_penalty: number }): number {
  let p = 0;
  for (const v of violations) {
    if (v.kind === "voltage-low") p += w.voltage_penalty * (v.limit - v.value);
    else if (v.kind === "voltage-high") p += w.voltage_penalty * (v.value - v.limit);
    else if (v.kind === "thermal-line" || v.kind === "thermal-transformer") p += w.thermal_penalty * (v.value - v.limit);
    else if (v.kind === "island-generation") p += w.island_penalty * (v.value - v.limit);
    else if (v.kind === "reverse-power") p += w.island_penalty * (v.limit - v.value);
  }
  return p;
}

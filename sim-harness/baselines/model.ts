// The restoration problem on the section graph, as numbers: what the MILP
// optimizes and what brute force enumerates, so both answer on the same
// model. Section kW are estimates (nominal, or measured by a power flow);
// optimum.ts re-checks plans by the full power flow and refines them.
import type { SectionGraph } from "../../shared/scenario/sections.js";
import type { Scenario } from "../../shared/scenario/schema.js";
import { unitMinKw } from "../env/units.js";

export interface ModelUnit {
  id: string;
  element: string;
  /** Most it delivers (kW); Infinity for an unrated substation. */
  maxKw: number;
  /** Least it delivers (kW): 0 for a machine, minus its charge power for a battery. */
  minKw: number;
}

export interface ModelSection {
  kw: number;
  /** Nominal kW (the section graph's): what the shield counts a pick-up with. */
  nominalKw: number;
  weighted: number;
  faulted: boolean;
  /** Grid-forming units: the section is energized from the start. */
  forming: ModelUnit[];
  /** Grid-following injection (kW) available when energized (PV at its irradiance, a dispatched battery); curtailable. */
  injectionKw: number;
}

export interface ModelSwitch {
  a: number;
  b: number;
  locked: boolean;
  /** Thermal limit as kW through the switch (Infinity: none). */
  limitKw: number;
  /** Closed at the start (the scenario's reset). */
  initial: boolean;
}

export interface RestorationModel {
  mode: "paper" | "physics";
  sections: ModelSection[];
  switches: ModelSwitch[];
  capKw: number | undefined;
  /** Islands must be trees (no loops of closed switches). */
  radial: boolean;
  /** Physics: each island's load within its units' ratings (paper: only the cap). */
  islandRatings: boolean;
  /**
   * Two live islands may be joined (a close with both sides live). False in
   * this version: the shield closes only onto a dead section (no synchronism
   * check), so every island holds at most one section with grid-forming units.
   */
  liveMerges: boolean;
  /**
   * The shield's pick-up rule (physics): each island's nominal load within its
   * grid-forming units' ratings, grid-following units not counted.
   */
  pickupRule: boolean;
  /** Island demand is the section kW times this (covers losses in the rating check). */
  lossFactor: number;
  /** Objective: sum weighted + epsKw * kW - epsSwitch * closed switches. */
  epsKw: number;
  epsSwitch: number;
}

/**
 * Most nominal kW an island grown from this grid-forming section may carry
 * under the shield's pick-up rule: its units' rating (a section already
 * heavier than that stands alone and picks nothing up).
 */
export function pickupLimitKw(s: ModelSection): number {
  return Math.max(
    s.forming.reduce((t, u) => t + u.maxKw, 0),
    s.nominalKw,
  );
}

/** Objective of an energized set and closed switches, as the MILP scores it. */
export function objectiveOf(m: RestorationModel, energized: ArrayLike<number>, closed: ArrayLike<number>): number {
  let obj = 0;
  m.sections.forEach((s, i) => {
    if (energized[i]) obj += s.weighted + m.epsKw * s.kw;
  });
  for (let k = 0; k < m.switches.length; k++) if (closed[k]) obj -= m.epsSwitch;
  return obj;
}

export interface ModelOptions {
  /** kW per section (defaults: the graph's nominal). */
  sectionKw?: ArrayLike<number>;
  /** Weighted kW per section (defaults: the graph's nominal). */
  sectionWeighted?: ArrayLike<number>;
  lossFactor?: number;
  /** Thermal limit per switch element (kW); missing = none. */
  switchLimitKw?: ReadonlyMap<string, number>;
  /** Grid-following injection per section (defaults: the units' kW). */
  sectionInjectionKw?: ArrayLike<number>;
}

/** Least a grid-forming unit may deliver (kW): the environment's floor (sim-harness/env/units.ts). */
export { unitMinKw };

export function buildModel(scenario: Scenario, graph: SectionGraph, options: ModelOptions = {}): RestorationModel {
  const index = new Map(graph.sections.map((s, i) => [s.id, i]));
  const units = new Map(scenario.microgrids.flatMap((mg) => mg.units.map((u) => [u.id, u] as const)));
  return {
    mode: scenario.mode,
    sections: graph.sections.map((s, i) => ({
      kw: options.sectionKw?.[i] ?? s.load_kw,
      nominalKw: s.load_kw,
      weighted: options.sectionWeighted?.[i] ?? s.weighted_kw,
      faulted: s.faulted,
      forming: s.faulted
        ? []
        : s.sources
            .filter((src) => src.grid_forming)
            .map((src) => {
              const u = units.get(src.id);
              return { id: src.id, element: src.element, maxKw: src.kw ?? Infinity, minKw: u ? unitMinKw(u) : 0 };
            }),
      injectionKw: s.faulted ? 0 : (options.sectionInjectionKw?.[i] ?? s.sources.filter((src) => !src.grid_forming).reduce((t, src) => t + (src.kw ?? 0), 0)),
    })),
    switches: graph.switches.map((sw) => ({
      a: index.get(sw.sections[0])!,
      b: index.get(sw.sections[1])!,
      locked: sw.locked_open,
      limitKw: options.switchLimitKw?.get(sw.element) ?? Infinity,
      initial: sw.initial === "closed",
    })),
    capKw: scenario.limits.generation_cap_kw,
    radial: !scenario.limits.allow_mesh,
    islandRatings: scenario.mode === "physics",
    liveMerges: false,
    pickupRule: scenario.mode === "physics",
    lossFactor: options.lossFactor ?? 1,
    epsKw: 1e-6,
    epsSwitch: 1e-7,
  };
}

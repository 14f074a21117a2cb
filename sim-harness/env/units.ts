// The operating range of the units that form and follow an island, as data
// read from the scenario: what a grid-forming unit may deliver at least (its
// floor: a machine is never driven backwards, a battery absorbs up to its
// charge rating while it has room) and at most (its rating), and the
// grid-following units each island holds (what frequency-watt curtails).
import type { SectionGraph } from "../../shared/scenario/sections.js";
import type { DerUnit } from "../../shared/scenario/schema.js";
import type { BoundScenario } from "../scenarios/bind.js";

/**
 * Least a grid-forming unit may deliver (kW). A diesel (or a grid-forming
 * inverter without storage) absorbs nothing: driven backwards it motors, and
 * its reverse-power relay (ANSI 32, set at 5-10 % of rating) trips it. A
 * battery may absorb up to its charge rating while its state of charge is
 * below its ceiling; a full battery absorbs nothing.
 */
export function unitMinKw(u: Pick<DerUnit, "kind" | "kw" | "charge_kw" | "soc">): number {
  if (u.kind !== "battery") return 0;
  if (u.soc && u.soc.initial >= u.soc.max) return 0;
  return -(u.charge_kw ?? u.kw);
}

/** A grid-forming unit of the scenario, with its range. */
export interface FormingUnit {
  id: string;
  element: string;
  section: number;
  floorKw: number;
  ratingKw: number;
  /** Its source impedance is 5 % on this kVA: several units in one island share a change in this proportion. */
  kva: number;
}

/** A grid-following source (scenario unit or the feeder's own PV/generator): curtailable by frequency-watt. */
export interface FollowingUnit {
  id: string;
  element: string;
  section: number;
  /** Active power rating (kW): IEEE 1547 frequency-droop reduces each unit in proportion to it. */
  ratingKw: number;
  /**
   * What it delivers uncurtailed, as the scenario states it (a unit added at a bus: PV at
   * kw x irradiance, a battery at its discharge power; the feeder's own: the section
   * graph's kW). The power flow reads the real figure from its element.
   */
  availableKw: number;
}

export interface IslandUnits {
  forming: FormingUnit[];
  following: FollowingUnit[];
  /** Forming unit by element, following units by section. */
  formingByElement: Map<string, FormingUnit>;
  followingBySection: FollowingUnit[][];
}

/** The scenario's grid-forming units with a finite rating (not a substation), and every grid-following source, per section. */
export function islandUnits(bound: Pick<BoundScenario, "scenario" | "sections">): IslandUnits {
  return unitsOfGraph(bound.sections, new Map(bound.scenario.microgrids.flatMap((mg) => mg.units.map((u) => [u.id, u] as const))));
}

function unitsOfGraph(graph: SectionGraph, units: ReadonlyMap<string, DerUnit>): IslandUnits {
  const forming: FormingUnit[] = [];
  const following: FollowingUnit[] = [];
  const followingBySection: FollowingUnit[][] = graph.sections.map(() => []);
  graph.sections.forEach((sec, i) => {
    if (sec.faulted) return;
    for (const src of sec.sources) {
      const u = units.get(src.id);
      if (src.grid_forming) {
        // A substation (paper mode) has no rating of its own: nothing to keep it within.
        if (!u) continue;
        forming.push({ id: src.id, element: src.element, section: i, floorKw: unitMinKw(u), ratingKw: u.kw, kva: u.kva });
      } else {
        const added = u && !u.element;
        const availableKw = added ? (u.kind === "pv" ? u.kw * (u.irradiance ?? 1) : u.kind === "battery" ? (u.discharge_kw ?? u.kw) : u.kw) : (src.kw ?? 0);
        const f = { id: src.id, element: src.element, section: i, ratingKw: u?.kw ?? src.kw ?? src.kva ?? 1, availableKw };
        following.push(f);
        followingBySection[i]!.push(f);
      }
    }
  });
  return { forming, following, formingByElement: new Map(forming.map((f) => [f.element, f])), followingBySection };
}

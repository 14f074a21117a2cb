// The section graph of a scenario: the feeder cut at every switchable element
// into sections (connected pieces that are energized or dead as one), each
// with its loads and its sources, and the switches between them. The edge
// agent's safety shield reads it from its site config and computes pick-up
// load on it; the environment and the optimum work on it too. Derived by
// sim-harness/scenarios/sections.ts (`blackstart scenario sections <name> --json`),
// documented in docs/scenario.md. Pure data and pure helpers: no I/O.
import { z } from "zod";
import { ElementRef } from "./schema.js";

export const SECTION_GRAPH_FORMAT = "blackstart-sections/1";

export const SectionLoad = z
  .object({
    /** Load name as in the feeder, lower-case, without its class (`s1a`). */
    name: z.string(),
    bus: z.string(),
    phases: z.number().int().min(1).max(3),
    /** Nominal active and reactive power as defined in the feeder (before any power flow). */
    kw: z.number(),
    kvar: z.number(),
    /** Priority weight from the scenario. */
    weight: z.number().nonnegative(),
  })
  .strict();
export type SectionLoad = z.infer<typeof SectionLoad>;

export const SourceKind = z.enum(["substation", "pv", "battery", "diesel", "grid-forming"]);
export type SourceKind = z.infer<typeof SourceKind>;

export const SectionSource = z
  .object({
    /** Unit id from the scenario, or the element name for the feeder's own sources. */
    id: z.string(),
    element: ElementRef,
    kind: SourceKind,
    /** Microgrid that owns the unit, if any. */
    microgrid: z.string().optional(),
    /** Can energize a dead section on its own (substation, diesel, grid-forming inverter). */
    grid_forming: z.boolean(),
    /** Active power rating (kW); the substation has none unless the scenario caps it. */
    kw: z.number().nonnegative().optional(),
    kva: z.number().positive().optional(),
  })
  .strict();
export type SectionSource = z.infer<typeof SectionSource>;

export const Section = z
  .object({
    /** `s0`, `s1`, ...: numbered breadth-first from the first source, stable for a scenario. */
    id: z.string(),
    buses: z.array(z.string()),
    loads: z.array(SectionLoad),
    /** Sum of the loads' nominal kW / kvar, and of weight * kW. */
    load_kw: z.number(),
    load_kvar: z.number(),
    weighted_kw: z.number(),
    sources: z.array(SectionSource),
    /** Switchable elements on its boundary. */
    switches: z.array(ElementRef),
    /** Holds a faulted element: never energized during the restoration; its switches are locked open. */
    faulted: z.boolean(),
    /** Microgrid this section belongs to (holds its units, or most of its switches), if any. */
    microgrid: z.string().optional(),
  })
  .strict();
export type Section = z.infer<typeof Section>;

export const SwitchKind = z.enum([
  /** Operated by a microgrid's agent. */
  "agent",
  /** Held open by the outage: a faulted element or one bounding a faulted section. */
  "locked",
]);

export const SectionSwitch = z
  .object({
    element: ElementRef,
    /** Section on terminal 1's side and on terminal 2's side. */
    sections: z.tuple([z.string(), z.string()]),
    kind: SwitchKind,
    /** Microgrid whose agent operates it, and its position in that agent's action vector. */
    microgrid: z.string().optional(),
    index: z.number().int().nonnegative().optional(),
    /** State at the scenario's reset. */
    initial: z.enum(["open", "closed"]),
    /** Must stay open for the whole restoration (faulted, or closing it would energize a faulted section). */
    locked_open: z.boolean(),
  })
  .strict();
export type SectionSwitch = z.infer<typeof SectionSwitch>;

export const SectionMicrogrid = z
  .object({
    id: z.string(),
    /** Its agent's switches, in action order. */
    switches: z.array(ElementRef),
    /** Sections holding its units (its home when islanded). */
    sections: z.array(z.string()),
    /** Unit ids, and the one that forms its island. */
    units: z.array(z.string()),
    forming_unit: z.string().optional(),
    /** Generation (kW) the agent may commit alone when it cannot reach its peers. */
    quota_kw: z.number().nonnegative(),
  })
  .strict();
export type SectionMicrogrid = z.infer<typeof SectionMicrogrid>;

export const SectionGraph = z
  .object({
    format: z.literal(SECTION_GRAPH_FORMAT),
    scenario: z.string(),
    /** sha256 of the scenario (shared/scenario/hash.ts): the agent refuses a graph from another scenario. */
    scenario_hash: z.string().regex(/^[0-9a-f]{64}$/),
    mode: z.enum(["paper", "physics"]),
    /** Total generation cap (kW), if the scenario has one. */
    cap_kw: z.number().positive().optional(),
    total_load_kw: z.number(),
    sections: z.array(Section),
    switches: z.array(SectionSwitch),
    microgrids: z.array(SectionMicrogrid),
  })
  .strict();
export type SectionGraph = z.infer<typeof SectionGraph>;

export type SwitchStates = ReadonlyMap<string, "open" | "closed"> | Readonly<Record<string, "open" | "closed">>;

function stateOf(states: SwitchStates, element: string): "open" | "closed" | undefined {
  if (states instanceof Map) return (states as ReadonlyMap<string, "open" | "closed">).get(element);
  return (states as Readonly<Record<string, "open" | "closed">>)[element];
}

/** An island: sections joined by closed switches. */
export interface SectionIsland {
  sections: string[];
  load_kw: number;
  weighted_kw: number;
  /** Grid-forming sources in it (empty: the island is dead). */
  forming: SectionSource[];
  /** Sum of the kW ratings of its grid-forming sources (Infinity if one has no rating, e.g. a substation). */
  rating_kw: number;
  faulted: boolean;
}

/**
 * Islands for given switch states (a switch missing from `states` takes its
 * `initial` state). Pure; linear in the graph's size.
 */
export function islands(graph: SectionGraph, states: SwitchStates): SectionIsland[] {
  const index = new Map(graph.sections.map((s, i) => [s.id, i]));
  const parent = graph.sections.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  };
  for (const sw of graph.switches) {
    const st = stateOf(states, sw.element) ?? sw.initial;
    if (st !== "closed") continue;
    const a = find(index.get(sw.sections[0])!);
    const b = find(index.get(sw.sections[1])!);
    if (a !== b) parent[a] = b;
  }
  const byRoot = new Map<number, SectionIsland>();
  graph.sections.forEach((s, i) => {
    const r = find(i);
    let isl = byRoot.get(r);
    if (!isl) {
      isl = { sections: [], load_kw: 0, weighted_kw: 0, forming: [], rating_kw: 0, faulted: false };
      byRoot.set(r, isl);
    }
    isl.sections.push(s.id);
    isl.load_kw += s.load_kw;
    isl.weighted_kw += s.weighted_kw;
    isl.faulted ||= s.faulted;
    for (const src of s.sources) {
      if (!src.grid_forming) continue;
      isl.forming.push(src);
      isl.rating_kw += src.kw ?? Infinity;
    }
  });
  return [...byRoot.values()];
}

/**
 * Load (kW, nominal) a close of `element` would pick up: the dead island on
 * the other side of it, or 0 if both sides are already energized or both dead.
 * This is what the shield checks against the generation left.
 */
export function pickupKw(graph: SectionGraph, states: SwitchStates, element: string): number {
  const sw = graph.switches.find((s) => s.element === element);
  if (!sw) throw new Error(`pickupKw: '${element}' is not a switch of scenario ${graph.scenario}`);
  const isl = islands(graph, states);
  const of = (sec: string) => isl.find((i) => i.sections.includes(sec))!;
  const a = of(sw.sections[0]);
  const b = of(sw.sections[1]);
  if (a === b) return 0;
  const liveA = a.forming.length > 0;
  const liveB = b.forming.length > 0;
  if (liveA === liveB) return 0;
  return liveA ? b.load_kw : a.load_kw;
}

// The section graph as the shield walks it: sections as integers, switches as
// edges, adjacency in flat arrays, built once per scenario. Switch states are
// three-valued: open, closed, or unknown (stale, missing or inconsistent data).
// Walks that must not underestimate what a close reaches treat unknown as
// closed; walks that must not overestimate what is energized treat it as open.
import { canonicalElement } from "../names.js";
import type { SectionGraph } from "../scenario/sections.js";

export const OPEN = 0;
export const CLOSED = 1;
export const UNKNOWN = 2;
export type StateCode = typeof OPEN | typeof CLOSED | typeof UNKNOWN;

export interface GraphIndex {
  readonly graph: SectionGraph;
  readonly sectionIds: readonly string[];
  readonly sectionOf: ReadonlyMap<string, number>;
  readonly loadKw: Float64Array;
  /** Faulted in the graph itself (the outage). */
  readonly faulted: Uint8Array;
  /** Grid-forming sources per section: ids and ratings (Infinity when unrated, e.g. a substation). */
  readonly forming: readonly (readonly { id: string; kw: number }[])[];
  readonly switchIds: readonly string[];
  /** Switch index by canonical element name (`Line.l45`: OpenDSS names are case-insensitive). */
  readonly switchOf: ReadonlyMap<string, number>;
  /** Section at terminal 1 and terminal 2 of each switch. */
  readonly endA: Int32Array;
  readonly endB: Int32Array;
  /** Owner microgrid of each switch ("" for none). */
  readonly owner: readonly string[];
  /** Held open by the outage for the whole restoration. */
  readonly lockedOpen: Uint8Array;
  /** CSR adjacency: switches at section s are adjSwitch[adjStart[s] .. adjStart[s+1]). */
  readonly adjStart: Int32Array;
  readonly adjSwitch: Int32Array;
}

/** Build the walkable index once per graph (validated by SectionGraph's schema). */
export function indexGraph(graph: SectionGraph): GraphIndex {
  const sectionIds = graph.sections.map((s) => s.id);
  const sectionOf = new Map(sectionIds.map((id, i) => [id, i]));
  const loadKw = Float64Array.from(graph.sections, (s) => s.load_kw);
  const faulted = Uint8Array.from(graph.sections, (s) => (s.faulted ? 1 : 0));
  const forming = graph.sections.map((s) => s.sources.filter((src) => src.grid_forming).map((src) => ({ id: src.id, kw: src.kw ?? Infinity })));
  const switchIds = graph.switches.map((s) => s.element);
  const switchOf = new Map(switchIds.map((id, i) => [canonicalElement(id), i]));
  const n = graph.switches.length;
  const endA = new Int32Array(n);
  const endB = new Int32Array(n);
  const degree = new Int32Array(sectionIds.length + 1);
  graph.switches.forEach((sw, i) => {
    const a = sectionOf.get(sw.sections[0]);
    const b = sectionOf.get(sw.sections[1]);
    if (a === undefined || b === undefined) {
      throw new Error(`section graph of ${graph.scenario}: switch ${sw.element} names an unknown section (${sw.sections.join(", ")})`);
    }
    endA[i] = a;
    endB[i] = b;
    degree[a]!++;
    degree[b]!++;
  });
  const adjStart = new Int32Array(sectionIds.length + 1);
  for (let s = 0; s < sectionIds.length; s++) adjStart[s + 1] = adjStart[s]! + degree[s]!;
  const fill = adjStart.slice(0, sectionIds.length);
  const adjSwitch = new Int32Array(adjStart[sectionIds.length]!);
  for (let i = 0; i < n; i++) {
    adjSwitch[fill[endA[i]!]!++] = i;
    adjSwitch[fill[endB[i]!]!++] = i;
  }
  return {
    graph,
    sectionIds,
    sectionOf,
    loadKw,
    faulted,
    forming,
    switchIds,
    switchOf,
    endA,
    endB,
    owner: graph.switches.map((s) => s.microgrid ?? ""),
    lockedOpen: Uint8Array.from(graph.switches, (s) => (s.locked_open || s.kind === "locked" ? 1 : 0)),
    adjStart,
    adjSwitch,
  };
}

/** Does a walk cross this switch? `pessimistic` walks cross unknown switches too. */
function passable(state: number, pessimistic: boolean): boolean {
  return state === CLOSED || (pessimistic && state === UNKNOWN);
}

/**
 * Mark every section reachable from `seeds` (section indices) through switches
 * that are closed (or unknown, if `pessimistic`), never through `skip` and
 * never into a section marked in `stop`. Returns the sections in visit order.
 */
export function walk(
  ix: GraphIndex,
  states: Uint8Array,
  seeds: readonly number[],
  pessimistic: boolean,
  skip = -1,
  stop?: Uint8Array,
): number[] {
  const seen = new Uint8Array(ix.sectionIds.length);
  const out: number[] = [];
  for (const s of seeds) {
    if (seen[s] || stop?.[s]) continue;
    seen[s] = 1;
    out.push(s);
  }
  for (let head = 0; head < out.length; head++) {
    const s = out[head]!;
    for (let p = ix.adjStart[s]!; p < ix.adjStart[s + 1]!; p++) {
      const sw = ix.adjSwitch[p]!;
      if (sw === skip || !passable(states[sw]!, pessimistic)) continue;
      const other = ix.endA[sw] === s ? ix.endB[sw]! : ix.endA[sw]!;
      if (seen[other] || stop?.[other]) continue;
      seen[other] = 1;
      out.push(other);
    }
  }
  return out;
}

/** Sections holding a grid-forming source that is not known to be down. */
export function liveSourceSections(ix: GraphIndex, down: ReadonlySet<string>): number[] {
  const out: number[] = [];
  ix.forming.forEach((srcs, s) => {
    if (srcs.some((src) => !down.has(src.id))) out.push(s);
  });
  return out;
}

/** Mark of the sections energized from live sources: surely (`pessimistic` false) or possibly (true). */
export function energized(ix: GraphIndex, states: Uint8Array, sources: readonly number[], pessimistic: boolean): Uint8Array {
  const mark = new Uint8Array(ix.sectionIds.length);
  for (const s of walk(ix, states, sources, pessimistic)) mark[s] = 1;
  return mark;
}

export function sumLoad(ix: GraphIndex, sections: readonly number[]): number {
  let kw = 0;
  for (const s of sections) kw += ix.loadKw[s]!;
  return kw;
}

/** Sum of grid-forming ratings in these sections, skipping sources known down. */
export function formingRating(ix: GraphIndex, sections: readonly number[], down: ReadonlySet<string>): number {
  let kw = 0;
  for (const s of sections) for (const src of ix.forming[s]!) if (!down.has(src.id)) kw += src.kw;
  return kw;
}

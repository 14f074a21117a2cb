// Generation pools: what the fleet's generation limits are, each with the
// static quotas that live in it (docs/bus.md, Generation pools).
//
// - With a cap (paper mode, the paper's P_gen): one pool, `fleet`, holding the
//   cap; every microgrid's quota is in it, whichever source serves the load.
// - Without a cap (physics mode): one pool per island the grid-forming units
//   form at the scenario's reset, holding their ratings; a microgrid's quota is
//   in the pool of its own grid-forming units, and it has none elsewhere: a
//   pick-up into another microgrid's island needs a lease from that island's
//   pool. The shield never lets two live islands merge (dead-bus rule), so a
//   pool's island only grows by picking up dead sections.
import { CLOSED, OPEN, liveSourceSections, walk, type GraphIndex } from "../shield/graph.js";
import { initialLoadKw } from "../shield/fleet.js";

export const FLEET_POOL = "fleet";

export interface GenerationPool {
  /** `fleet`, or the ids of the island's grid-forming units joined by `+` (e.g. `d1`, `b2+d1`). */
  id: string;
  /** kW the pool may serve: the cap, or the sum of its grid-forming units' ratings (Infinity if one is unrated). */
  capacity_kw: number;
  /** Nominal load (kW) energized in it at the reset. */
  base_kw: number;
  /** Microgrids whose static quota is in this pool. */
  owners: string[];
  /** Sections holding its grid-forming units (empty for the fleet pool: every source). */
  sources: number[];
}

export interface PoolIndex {
  pools: GenerationPool[];
  byId: ReadonlyMap<string, GenerationPool>;
  /** Pool of each section holding a grid-forming unit (-1 elsewhere), by index into `pools`. */
  poolOfSource: Int32Array;
  /** The pool each microgrid's quota is in (none: it has no quota anywhere but by lease). */
  quotaPool: ReadonlyMap<string, string>;
  /** One pool for the whole fleet (a cap). */
  fleet: boolean;
}

/** The pools of a section graph: one `fleet` pool with a cap, else one per island of grid-forming units at reset. */
export function generationPools(ix: GraphIndex): PoolIndex {
  const g = ix.graph;
  const poolOfSource = new Int32Array(ix.sectionIds.length).fill(-1);
  if (g.cap_kw !== undefined || g.mode === "paper") {
    let capacity = g.cap_kw ?? 0;
    if (g.cap_kw === undefined) for (const srcs of ix.forming) for (const s of srcs) capacity += s.kw;
    const sources: number[] = [];
    ix.forming.forEach((srcs, s) => {
      if (srcs.length) poolOfSource[s] = 0;
    });
    const pool: GenerationPool = { id: FLEET_POOL, capacity_kw: capacity, base_kw: initialLoadKw(ix), owners: g.microgrids.map((m) => m.id), sources };
    return { pools: [pool], byId: new Map([[pool.id, pool]]), poolOfSource, quotaPool: new Map(g.microgrids.map((m) => [m.id, FLEET_POOL])), fleet: true };
  }
  // Physics: islands of grid-forming units at reset (every switch in its initial state).
  const states = Uint8Array.from(g.switches, (s, i) => (s.initial === "closed" && !ix.lockedOpen[i] ? CLOSED : OPEN));
  const unitOwner = new Map<string, string>();
  for (const sec of g.sections) for (const src of sec.sources) if (src.grid_forming && src.microgrid) unitOwner.set(src.id, src.microgrid);
  const pools: GenerationPool[] = [];
  ix.forming.forEach((srcs, s) => {
    if (!srcs.length || poolOfSource[s] !== -1 || ix.faulted[s]) return;
    const island = walk(ix, states, [s], false);
    const sources = island.filter((x) => ix.forming[x]!.length > 0 && !ix.faulted[x]);
    const units = sources.flatMap((x) => ix.forming[x]!);
    const k = pools.length;
    for (const x of sources) poolOfSource[x] = k;
    let base = 0;
    for (const x of island) base += ix.loadKw[x]!;
    const owners = [...new Set(units.map((u) => unitOwner.get(u.id)).filter((m): m is string => m !== undefined))].sort();
    pools.push({
      id: units.map((u) => u.id).sort().join("+"),
      capacity_kw: units.reduce((a, u) => a + u.kw, 0),
      base_kw: base,
      owners,
      sources,
    });
  });
  const quotaPool = new Map<string, string>();
  for (const p of pools) for (const m of p.owners) if (!quotaPool.has(m)) quotaPool.set(m, p.id);
  return { pools, byId: new Map(pools.map((p) => [p.id, p])), poolOfSource, quotaPool, fleet: false };
}

/**
 * The pool a section's island draws on now: the pool of the grid-forming
 * units it is surely connected to (walking closed switches only), or null if
 * it reaches none (or, where islands were merged, the first it reaches).
 */
export function poolOfSection(ix: GraphIndex, pools: PoolIndex, states: Uint8Array, section: number, skip = -1): string | null {
  if (pools.fleet) return FLEET_POOL;
  for (const s of walk(ix, states, [section], false, skip)) {
    const k = pools.poolOfSource[s]!;
    if (k >= 0) return pools.pools[k]!.id;
  }
  return null;
}

/**
 * Load (kW, nominal) each pool may be serving: every section possibly
 * energized from its grid-forming units (unknown switches closed), so a
 * section that might be reached from two pools counts in both.
 */
export function poolLoadsKw(ix: GraphIndex, pools: PoolIndex, states: Uint8Array, sourcesDown: ReadonlySet<string> = new Set()): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of pools.pools) {
    const seeds = pools.fleet ? liveSourceSections(ix, sourcesDown) : p.sources.filter((s) => ix.forming[s]!.some((u) => !sourcesDown.has(u.id)));
    let kw = 0;
    for (const s of walk(ix, states, seeds, true)) kw += ix.loadKw[s]!;
    out.set(p.id, kw);
  }
  return out;
}

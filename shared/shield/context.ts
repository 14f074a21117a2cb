// One evaluation's view of the feeder: the three-valued state of every switch
// of the graph (own readings, peers' published states, the outage's locked
// switches), what is surely and possibly energized, and per own switch what a
// close would join. Built once per decision; the rules read it.
import { BlackstartError } from "../errors.js";
import { canonicalElement, unknownNameMessage } from "../names.js";
import { fleetStates } from "./fleet.js";
import { ShieldErrors } from "./errors.js";
import { CLOSED, OPEN, UNKNOWN, energized, formingRating, liveSourceSections, sumLoad, walk, type GraphIndex } from "./graph.js";
import { readPosition, type Position } from "./rules/data-quality.js";
import type { ShieldInput, SwitchReading } from "./types.js";
import { FLEET_POOL, generationPools, type PoolIndex } from "../bus/pools.js";

/** Command states after which the switch is where it reads (the command did not, or no longer may, move it). */
const SETTLED = new Set(["failed", "confirmed", "resolved", "rejected"]);

/** Each graph's generation pools, computed once. */
const POOLS = new WeakMap<GraphIndex, PoolIndex>();
function poolsOf(ix: GraphIndex): PoolIndex {
  let p = POOLS.get(ix);
  if (!p) POOLS.set(ix, (p = generationPools(ix)));
  return p;
}

/** The pool of the first grid-forming section among these (an island's surely connected sections). */
function poolOfSections(pools: PoolIndex, sections: readonly number[]): string | null {
  for (const s of sections) {
    const k = pools.poolOfSource[s]!;
    if (k >= 0) return pools.pools[k]!.id;
  }
  return null;
}

/** What closing one switch would do, computed on demand. */
export interface CloseAnalysis {
  /** Each terminal's side is (possibly) live: measured when the device reports voltage, else from the graph. */
  live: readonly [boolean, boolean];
  /** Where liveness came from for each side. */
  evidence: readonly ["measured" | "graph", "measured" | "graph"];
  /** Sections the close would join that are not surely energized now (walked through unknown switches). */
  joined: number[];
  /** Load (kW) newly energized: the dead side's sections when exactly one side is live, else 0. */
  pickupKw: number;
  /** The live side's island (walked through unknown switches), its load and its surely connected grid-forming rating. */
  islandLoadKw: number;
  islandRatingKw: number;
  /** Generation pool of the live side's island (its surely connected grid-forming units), null if none. */
  pool: string | null;
  /**
   * Both sides dead: what a simultaneous close elsewhere could make of it
   * (docs/shield.md, "Closing between two dead sides"). Absent when a side is live.
   */
  deadToDead?: DeadToDead;
  /**
   * One side live, the other dead, and another microgrid's open switch that
   * may close in this same tick bounds the dead region with a side that may be
   * live: two closes at once would energize the region from two sides
   * (paralleling two islands, or meshing one) with no synchronism check. The
   * region-claim rule lets it through only under a claim (docs/shield.md).
   */
  contested?: Contested;
}

export interface Contested {
  /** The dead region the close energizes (its pick-up's sections). */
  region: number[];
  /** The switches that may also energize it this tick (own: a command in flight), their state, and the live section each could draw from. */
  competitors: readonly { element: string; microgrid: string; state: "open" | "unknown" | "stale"; via: string }[];
}

/**
 * A close between two dead sides picks up nothing by itself, but the peers
 * decide on states published before this tick: a side that a live source can
 * reach through switches someone may be closing in this same tick (any open
 * switch of a microgrid, own or peer, not held open by the outage, and own
 * switches not tripped, locked out or held) may be energized at the same
 * instant, and this close then picks up the other side with nobody counting
 * it. The dead-to-dead rule refuses such a close (docs/shield.md).
 */
export interface DeadToDead {
  /** Each side reachable from a live source through switches that may close this tick. */
  reachable: readonly [boolean, boolean];
  /** Nominal load (kW) of each side (walked through closed and unknown switches). */
  sideKw: readonly [number, number];
  /** Generation pools (physics: islands) whose live sections may reach a side; `fleet` in paper mode. */
  pools: readonly string[];
  /** Possibly energized sections a side may be reached from (for the verdict). */
  via: readonly string[];
}

export interface ShieldContext {
  readonly input: ShieldInput;
  readonly ix: GraphIndex;
  /** Graph switch index of each own switch, in action order. */
  readonly own: Int32Array;
  readonly positions: readonly Position[];
  /** Three-valued state per graph switch. */
  readonly states: Uint8Array;
  readonly sourcesDown: ReadonlySet<string>;
  /** Sections faulted in the graph or reported faulted now (by this agent or a peer). */
  readonly faulted: Uint8Array;
  /** Sections counted faulted because a peer holds them after a trip: section -> that peer. */
  readonly faultedBy: ReadonlyMap<number, string>;
  readonly surelyLive: Uint8Array;
  readonly possiblyLive: Uint8Array;
  /** Generation left for pick-ups now. */
  readonly availableKw: number;
  readonly leasesCountedKw: number;
  close(k: number): CloseAnalysis;
  /** Physics mode with per-pool commitments: what is left in one pool (quota there, leases there, less committed there). */
  poolBudget(pool: string): { available_kw: number; quota_kw: number; leases_kw: number; committed_kw: number } | null;
}

export function buildContext(ix: GraphIndex, input: ShieldInput): ShieldContext {
  const own = new Int32Array(input.switches.length);
  input.switches.forEach((r: SwitchReading, k) => {
    const sw = ix.switchOf.get(canonicalElement(r.element));
    if (sw === undefined) {
      throw new BlackstartError(ShieldErrors.INPUT, `${unknownNameMessage("switch", r.element, ix.switchIds)} in the section graph of ${ix.graph.scenario}`, {
        field: `switches[${k}].element`,
      });
    }
    if (ix.owner[sw] !== input.microgrid) {
      throw new BlackstartError(ShieldErrors.INPUT, `${r.element} belongs to '${ix.owner[sw] || "no microgrid"}', not to '${input.microgrid}'`, {
        field: `switches[${k}].element`,
      });
    }
    own[k] = sw;
  });
  const positions = input.switches.map((r) => readPosition(r, input.now_ms, input.limits));

  // Peers' switches: a fresh peer's published state, else unknown (counts closed for pick-ups).
  const states = fleetStates(ix, input.peers);
  positions.forEach((p, k) => {
    // A command in flight may already have moved the switch: either position is possible.
    const moving = input.switches[k]!.pending != null && !SETTLED.has(input.switches[k]!.pending!.state);
    states[own[k]!] = moving ? UNKNOWN : p.state === "closed" ? CLOSED : p.state === "open" ? OPEN : UNKNOWN;
  });

  const faulted = ix.faulted.slice();
  (input.faulted_sections ?? []).forEach((id, i) => {
    const s = ix.sectionOf.get(id);
    if (s === undefined) {
      throw new BlackstartError(ShieldErrors.INPUT, unknownNameMessage("section", id, ix.sectionIds), { field: `faulted_sections[${i}]` });
    }
    faulted[s] = 1;
  });
  // Sections a peer counts faulted after a trip it holds: never closed onto by anyone until it releases them.
  // Fresh or not (the last word of a silent peer still stands); names not in this graph are the peer's mistake, skipped.
  const faultedBy = new Map<number, string>();
  for (const p of input.peers) {
    for (const id of p.faulted_sections ?? []) {
      const s = ix.sectionOf.get(id);
      if (s === undefined) continue;
      faulted[s] = 1;
      if (!ix.faulted[s]) faultedBy.set(s, p.microgrid);
    }
  }
  const sourcesDown = new Set(input.sources_down ?? []);
  const sources = liveSourceSections(ix, sourcesDown);
  const surelyLive = energized(ix, states, sources, false);
  const possiblyLive = energized(ix, states, sources, true);

  const g = input.generation;
  const leasesCountedKw = g.bus_up
    ? g.leases.reduce((kw, l) => (l.remaining_ms >= input.limits.lease_margin_ms ? kw + l.kw : kw), 0)
    : 0;
  const availableKw = g.quota_kw + leasesCountedKw - g.committed_kw;
  const byPool = ix.graph.mode === "physics" && g.committed_by_pool !== undefined ? g.committed_by_pool : undefined;
  const pools = byPool ? poolsOf(ix) : undefined;
  const poolBudget = (pool: string) => {
    if (!byPool) return null;
    const quota = g.quota_pool === pool ? g.quota_kw : 0;
    const leases = g.bus_up ? g.leases.reduce((kw, l) => ((l.pool ?? FLEET_POOL) === pool && l.remaining_ms >= input.limits.lease_margin_ms ? kw + l.kw : kw), 0) : 0;
    const committed = byPool[pool] ?? 0;
    return { available_kw: quota + leases - committed, quota_kw: quota, leases_kw: leases, committed_kw: committed };
  };

  const freshPeers = new Set(input.peers.filter((p) => p.fresh).map((p) => p.microgrid));
  let movable: Uint8Array | undefined;
  const movableStates = (): Uint8Array => (movable ??= mayCloseThisTick(ix, input, own, states));
  const cache = new Map<number, CloseAnalysis>();
  const close = (k: number): CloseAnalysis => {
    let a = cache.get(k);
    if (!a) {
      a = analyseClose(ix, input.switches[k]!, own[k]!, input.microgrid, freshPeers, states, surelyLive, possiblyLive, sourcesDown, input.limits.dead_below_pu, pools, movableStates);
      cache.set(k, a);
    }
    return a;
  };
  return { input, ix, own, positions, states, sourcesDown, faulted, faultedBy, surelyLive, possiblyLive, availableKw, leasesCountedKw, close, poolBudget };
}

function analyseClose(
  ix: GraphIndex,
  reading: SwitchReading,
  sw: number,
  self: string,
  fresh: ReadonlySet<string>,
  states: Uint8Array,
  surelyLive: Uint8Array,
  possiblyLive: Uint8Array,
  down: ReadonlySet<string>,
  deadBelowPu: number,
  pools: PoolIndex | undefined,
  movableStates: () => Uint8Array,
): CloseAnalysis {
  const ends = [ix.endA[sw]!, ix.endB[sw]!] as const;
  const side = (t: 0 | 1): { live: boolean; evidence: "measured" | "graph" } => {
    const pu = reading.terminal_pu?.[t] ?? null;
    if (pu !== null && Number.isFinite(pu)) return { live: pu >= deadBelowPu, evidence: "measured" };
    return { live: possiblyLive[ends[t]] === 1, evidence: "graph" };
  };
  const s0 = side(0);
  const s1 = side(1);
  // Everything the close would join that is not surely energized already.
  const joined = walk(ix, states, [...ends], true, sw, surelyLive);
  let pickupKw = 0;
  let islandLoadKw = 0;
  let islandRatingKw = Infinity;
  let pool: string | null = null;
  let deadToDead: DeadToDead | undefined;
  let contested: Contested | undefined;
  // Possibly live sections a live source could reach from terminal t through switches that may close this tick.
  const liveVia = (t: 0 | 1): number[] => walk(ix, movableStates(), [ends[t]], true, sw).filter((x) => possiblyLive[x] === 1);
  if (s0.live !== s1.live) {
    const near = s0.live ? ends[0] : ends[1];
    const far = s0.live ? ends[1] : ends[0];
    pickupKw = sumLoad(ix, walk(ix, states, [far], true, sw, surelyLive));
    // A live side known only from the graph, not surely energized (through a stale peer's switch), may
    // be dead; if a simultaneous close may energize the other side, this close may pick the near one up.
    const nearSide = s0.live ? s0 : s1;
    if (nearSide.evidence === "graph" && !surelyLive[near] && liveVia(far === ends[0] ? 0 : 1).length > 0) {
      pickupKw = Math.max(pickupKw, sumLoad(ix, walk(ix, states, [near], true, sw, surelyLive)));
    }
    islandLoadKw = sumLoad(ix, walk(ix, states, [near], true, sw));
    contested = contestOf(ix, walk(ix, states, [far], true, sw, surelyLive), sw, self, states, possiblyLive, movableStates, fresh);
    const surely = walk(ix, states, [near], false, sw);
    islandRatingKw = formingRating(ix, surely, down);
    if (pools) pool = poolOfSections(pools, surely);
  } else if (!s0.live && !s1.live) {
    // Dead to dead: picks up nothing by itself; what a simultaneous close elsewhere could make of it (rule dead-to-dead).
    const sides = [walk(ix, states, [ends[0]], true, sw, surelyLive), walk(ix, states, [ends[1]], true, sw, surelyLive)] as const;
    const via = [liveVia(0), liveVia(1)] as const;
    const allVia = [...new Set([...via[0], ...via[1]])];
    const island = allVia.length ? walk(ix, states, allVia, true, sw) : [];
    deadToDead = {
      reachable: [via[0].length > 0, via[1].length > 0],
      sideKw: [sumLoad(ix, sides[0]), sumLoad(ix, sides[1])],
      pools: ix.graph.mode === "physics" ? poolsOfSections(pools ?? poolsOf(ix), island) : allVia.length ? [FLEET_POOL] : [],
      via: allVia.map((x) => ix.sectionIds[x]!),
    };
  }
  return { live: [s0.live, s1.live], evidence: [s0.evidence, s1.evidence], joined, pickupKw, islandLoadKw, islandRatingKw, pool, ...(deadToDead ? { deadToDead } : {}), ...(contested ? { contested } : {}) };
}

/**
 * The switches that may energize the dead `region` in this same tick from
 * outside it: a peer's open switch its owner may close (not held open by the
 * outage nor held by its owner), or any switch whose state is unknown (a
 * command in flight, a stale peer's: the region is dead as measured, but that
 * switch may close at any instant); one terminal in the region, and the other
 * reaching a possibly energized section through switches that may close this
 * tick without passing through the region. The agent's own open switches are
 * not competitors: `admit` judges one decision's closes together; its own
 * unknown ones are (no claim helps against its own command in flight).
 */
function contestOf(
  ix: GraphIndex,
  region: number[],
  sw: number,
  self: string,
  states: Uint8Array,
  possiblyLive: Uint8Array,
  movableStates: () => Uint8Array,
  fresh: ReadonlySet<string>,
): Contested | undefined {
  if (!region.length) return undefined;
  let reach: Uint8Array | undefined;
  // Sections a live section can reach through switches that may close this tick (region or not).
  const reachOf = (): Uint8Array => {
    if (reach) return reach;
    const seeds: number[] = [];
    for (let x = 0; x < possiblyLive.length; x++) if (possiblyLive[x]) seeds.push(x);
    reach = new Uint8Array(possiblyLive.length);
    for (const x of walk(ix, movableStates(), seeds, true)) reach[x] = 1;
    return reach;
  };
  const inRegion = new Uint8Array(ix.sectionIds.length);
  for (const s of region) inRegion[s] = 1;
  const competitors: { element: string; microgrid: string; state: "open" | "unknown" | "stale"; via: string }[] = [];
  const seen = new Set<number>();
  for (const s of region) {
    for (let p = ix.adjStart[s]!; p < ix.adjStart[s + 1]!; p++) {
      const j = ix.adjSwitch[p]!;
      if (j === sw || seen.has(j)) continue;
      seen.add(j);
      const owner = ix.owner[j]!;
      if (owner === "" || ix.lockedOpen[j]) continue;
      // Unknown (a command in flight, or a stale peer's): it may close at any instant, own or a peer's.
      // Open: a peer's that its owner may close this tick (not held); own open ones are judged by `admit`.
      const movable = movableStates();
      if (states[j] === CLOSED || (states[j] === OPEN && (owner === self || movable[j] !== UNKNOWN))) continue;
      const other = inRegion[ix.endA[j]!] ? ix.endB[j]! : ix.endA[j]!;
      if (inRegion[other]) continue; // both ends in the region: a loop inside it, not a second source
      // Live itself (the common case), else live through switches that may close, around the region
      // (walked only when it is within reach of a live section at all).
      const live = possiblyLive[other] === 1 ? other : reachOf()[other] ? walk(ix, movable, [other], true, j, inRegion).find((x) => possiblyLive[x] === 1) : undefined;
      if (live !== undefined) competitors.push({ element: ix.switchIds[j]!, microgrid: owner, state: states[j] === OPEN ? "open" : owner !== self && !fresh.has(owner) ? "stale" : "unknown", via: ix.sectionIds[live]! });
    }
  }
  return competitors.length ? { region, competitors } : undefined;
}

/** Every pool with a grid-forming section among these. */
function poolsOfSections(pools: PoolIndex, sections: readonly number[]): string[] {
  const out = new Set<string>();
  for (const s of sections) {
    const k = pools.poolOfSource[s]!;
    if (k >= 0) out.add(pools.pools[k]!.id);
  }
  return [...out].sort();
}

/**
 * The graph's switch states with every switch that may be closed in this same
 * tick counted unknown (passable): any open switch of a microgrid, own or a
 * peer's, except those held open by the outage, own switches the agent
 * cannot close (tripped, locked out, held) and those a peer publishes as held. Peers decide on states a tick old,
 * and this agent's own later closes of the same decision are not yet applied.
 */
function mayCloseThisTick(ix: GraphIndex, input: ShieldInput, own: Int32Array, states: Uint8Array): Uint8Array {
  const out = states.slice();
  const stuck = new Uint8Array(states.length);
  input.switches.forEach((r, k) => {
    if (r.tripped || r.locked_out || r.hold) stuck[own[k]!] = 1;
  });
  // A peer's switch it holds after an uncommanded change: it will not operate it.
  for (const p of input.peers) {
    for (const e of p.held ?? []) {
      const i = ix.switchOf.get(canonicalElement(e));
      if (i !== undefined && ix.owner[i] === p.microgrid) stuck[i] = 1;
    }
  }
  for (let i = 0; i < out.length; i++) {
    if (out[i] === OPEN && ix.owner[i] !== "" && !ix.lockedOpen[i] && !stuck[i]) out[i] = UNKNOWN;
  }
  return out;
}

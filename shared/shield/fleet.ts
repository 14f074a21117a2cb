// The whole fleet's switches on the section graph, from what each microgrid
// published: a fresh peer's states as published, a stale or unheard one's as
// unknown (closed for what could be energized). Used by the shield for one
// agent's view, and by the bus to count the load the fleet may be serving
// when it decides on a peer's generation reservation.
import { canonicalElement } from "../names.js";
import { CLOSED, OPEN, UNKNOWN, energized, liveSourceSections, walk, type GraphIndex } from "./graph.js";
import type { PeerSwitches } from "./types.js";

/** Three-valued state of every switch of the graph from the microgrids' published states. */
export function fleetStates(ix: GraphIndex, published: readonly PeerSwitches[]): Uint8Array {
  const states = new Uint8Array(ix.switchIds.length);
  ix.graph.switches.forEach((sw, i) => {
    if (ix.lockedOpen[i]) states[i] = OPEN;
    else if (!sw.microgrid) states[i] = sw.initial === "closed" ? CLOSED : OPEN;
    else states[i] = UNKNOWN;
  });
  for (const peer of published) {
    if (!peer.fresh) continue;
    for (const [element, st] of Object.entries(peer.switches)) {
      const i = ix.switchOf.get(canonicalElement(element));
      // Only what the peer owns: a peer cannot speak for another's switches.
      if (i === undefined || ix.owner[i] !== peer.microgrid || ix.lockedOpen[i]) continue;
      states[i] = st === "closed" ? CLOSED : st === "open" ? OPEN : UNKNOWN;
    }
  }
  return states;
}

/**
 * Load (kW, nominal) the fleet may be serving: every section possibly
 * energized, walking through closed and unknown switches from live sources.
 * An upper bound: a stale peer's switches count as closed.
 */
export function fleetLoadKw(ix: GraphIndex, published: readonly PeerSwitches[], sourcesDown: readonly string[] = []): number {
  const states = fleetStates(ix, published);
  const live = energized(ix, states, liveSourceSections(ix, new Set(sourcesDown)), true);
  let kw = 0;
  for (let s = 0; s < live.length; s++) if (live[s]) kw += ix.loadKw[s]!;
  return kw;
}

/**
 * Load (kW) this microgrid's closes could still pick up now: the sections
 * joined to any of its own switches through closed, unknown and its own
 * switches (as if it closed them all), short of what is surely energized
 * already; the same walk the shield counts a close's pick-up with. An upper
 * bound of what it may yet need; it grows only when peers close switches in
 * dead parts.
 */
export function reachableKw(ix: GraphIndex, microgrid: string, published: readonly PeerSwitches[], sourcesDown: readonly string[] = []): number {
  const states = fleetStates(ix, published);
  const surely = energized(ix, states, liveSourceSections(ix, new Set(sourcesDown)), false);
  const seeds: number[] = [];
  for (let i = 0; i < states.length; i++) {
    if (ix.owner[i] !== microgrid || ix.lockedOpen[i]) continue;
    states[i] = CLOSED;
    seeds.push(ix.endA[i]!, ix.endB[i]!);
  }
  let kw = 0;
  for (const s of walk(ix, states, seeds, true, -1, surely)) kw += ix.loadKw[s]!;
  return kw;
}

/** Load (kW) energized with every switch in its initial state (the scenario's reset): the fleet's base load. */
export function initialLoadKw(ix: GraphIndex, sourcesDown: readonly string[] = []): number {
  const states = Uint8Array.from(ix.graph.switches, (s, i) => (s.initial === "closed" && !ix.lockedOpen[i] ? CLOSED : OPEN));
  const live = energized(ix, states, liveSourceSections(ix, new Set(sourcesDown)), false);
  let kw = 0;
  for (let s = 0; s < live.length; s++) if (live[s]) kw += ix.loadKw[s]!;
  return kw;
}

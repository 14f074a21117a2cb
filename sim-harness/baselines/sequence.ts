// A switching sequence that reaches a target configuration from the
// scenario's reset, step by step as the environment allows (every agent may
// operate each of its switches once per step), such that every state on the
// way, after each single operation, meets the model's rules: opens first
// where they are safe, then closes outward from the energized islands, each
// only when the load it picks up stays within the cap, the islands' ratings
// and the shield's pick-up rule, and never with both sides live (the model
// has one grid-forming section per island). With every island of the target
// grown from one grid-forming section, any order of its closes is such a
// path; optimum.ts also passes each step through the agents' own shields.
import { BlackstartError } from "../../shared/errors.js";
import type { PlanOperation } from "../../shared/policy/plan.js";
import { ScenarioErrors } from "../scenarios/errors.js";
import { evaluateConfiguration } from "./brute.js";
import type { RestorationModel } from "./model.js";

export interface SequenceStep {
  operations: PlanOperation[];
}

export interface SwitchIdentity {
  /** Canonical element (`Line.l45`) and the microgrid that operates it, per model switch. */
  element: string;
  agent: string;
}

export interface Sequence {
  steps: SequenceStep[];
  /** False when more steps are needed than the episode has. */
  fitsEpisode: boolean;
}

export function buildSequence(
  m: RestorationModel,
  identity: readonly SwitchIdentity[],
  start: ArrayLike<number>,
  target: ArrayLike<number>,
  episodeLength: number,
): Sequence {
  const state = Uint8Array.from({ length: m.switches.length }, (_, k) => (start[k] ? 1 : 0));
  const steps: SequenceStep[] = [];
  const feasible = () => evaluateConfiguration(m, state).feasible;
  const startFeasible = feasible();
  const pending = () => m.switches.map((_, k) => k).filter((k) => state[k] !== (target[k] ? 1 : 0));

  let guard = 0;
  while (pending().length > 0) {
    if (++guard > 4 * m.switches.length + 4) break;
    const ops: PlanOperation[] = [];
    const touched = new Set<number>();
    // Opens first (they shed load), then closes; each kept only if the state stays valid
    // (or, from an invalid start, only opens until it is valid).
    for (const k of pending().filter((k) => state[k] === 1)) {
      state[k] = 0;
      if (startFeasible && !feasible()) {
        state[k] = 1;
        continue;
      }
      touched.add(k);
      ops.push({ agent: identity[k]!.agent, element: identity[k]!.element, action: "open" });
    }
    // Opens and closes go in separate steps: the environment applies a step's
    // operations agent by agent, so a close must not come before the open it relies on.
    if (ops.length > 0) {
      steps.push({ operations: ops });
      continue;
    }
    // Closes, one at a time while any is safe, each onto a section dead at the start of the
    // step, and each onto a different dead part: agents decide together on the state at the
    // start of a step, and each agent's shield counts (and its ledger commits) the load its
    // close picks up as it sees it then. A close between two dead sections waits for the step
    // in which one side is live (it would energize nothing, and the load energized through
    // it later would be committed by nobody). Live merges only where the model allows them
    // (first: they pool capacity); then the pick-up that leaves its island the most headroom.
    const live = evaluateConfiguration(m, state).energized;
    const part = components(m, state);
    const usedParts = new Set<number>();
    for (;;) {
      let best = -1;
      let bestScore = -Infinity;
      for (const k of pending()) {
        if (state[k] === 1 || touched.has(k)) continue;
        const sw = m.switches[k]!;
        const merge = live[sw.a] === 1 && live[sw.b] === 1;
        if (merge ? !m.liveMerges : live[sw.a] === live[sw.b]) continue;
        if (!merge && usedParts.has(part[live[sw.a] ? sw.b : sw.a]!)) continue;
        state[k] = 1;
        const ok = feasible();
        const score = ok ? (merge ? 1e12 : 0) + islandHeadroom(m, state, sw.a) : -Infinity;
        state[k] = 0;
        if (ok && score > bestScore) {
          best = k;
          bestScore = score;
        }
      }
      if (best < 0) break;
      const sw = m.switches[best]!;
      if (live[sw.a] !== live[sw.b]) usedParts.add(part[live[sw.a] ? sw.b : sw.a]!);
      state[best] = 1;
      touched.add(best);
      ops.push({ agent: identity[best]!.agent, element: identity[best]!.element, action: "close" });
    }
    if (ops.length === 0) break;
    steps.push({ operations: ops });
  }
  const left = pending();
  if (left.length > 0) {
    throw new BlackstartError(
      ScenarioErrors.OPTIMUM,
      `no safe switching sequence reaches the optimum: ${left.map((k) => identity[k]!.element).join(", ")} cannot be operated without breaching a limit on the way`,
    );
  }
  return { steps, fitsEpisode: steps.length <= episodeLength };
}

/** Island (root section) of every section under these switch states. */
function components(m: RestorationModel, closed: ArrayLike<number>): Int32Array {
  const parent = Int32Array.from({ length: m.sections.length }, (_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  m.switches.forEach((sw, k) => {
    if (closed[k]) parent[find(sw.a)] = find(sw.b);
  });
  return parent.map((_, i) => find(i));
}

/** Rating left in the island holding section `s` (units' maxima + grid-following - demand). */
function islandHeadroom(m: RestorationModel, closed: ArrayLike<number>, s: number): number {
  const part = components(m, closed);
  let room = 0;
  m.sections.forEach((sec, i) => {
    if (part[i] !== part[s]) return;
    room += sec.injectionKw - sec.kw * m.lossFactor;
    for (const u of sec.forming) room += Number.isFinite(u.maxKw) ? u.maxKw : 1e9;
  });
  return room;
}

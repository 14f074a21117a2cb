// Brute force over every switch combination of a small restoration model,
// evaluated directly (islands by union-find, limits checked by hand: one
// grid-forming section per island, the shield's pick-up rule, the cap, the
// units' ratings), to test the MILP against. Only for models with a handful
// of switches.
import { BlackstartError } from "../../shared/errors.js";
import { ScenarioErrors } from "../scenarios/errors.js";
import { formulate, readPlan, type Plan } from "./milp.js";
import { objectiveOf, pickupLimitKw, type RestorationModel } from "./model.js";

export const BRUTE_FORCE_MAX_SWITCHES = 16;

interface Evaluation {
  feasible: boolean;
  energized: Uint8Array;
  /** Needs an LP to decide (several units in one island with finite switch limits). */
  needsLp: boolean;
}

/** Energized sections of a configuration and whether it meets the model's rules (LP-free part). */
export function evaluateConfiguration(m: RestorationModel, closed: ArrayLike<number>): Evaluation {
  const n = m.sections.length;
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  let loop = false;
  m.switches.forEach((sw, k) => {
    if (!closed[k]) return;
    const a = find(sw.a);
    const b = find(sw.b);
    if (a === b) loop = true;
    else parent[a] = b;
  });
  const energized = new Uint8Array(n);
  const live = new Set<number>();
  m.sections.forEach((s, i) => {
    if (s.forming.length > 0 && !s.faulted) live.add(find(i));
  });
  m.sections.forEach((_, i) => (energized[i] = live.has(find(i)) ? 1 : 0));
  const fail = { feasible: false, energized, needsLp: false };
  if (loop && m.radial) return fail;
  for (let k = 0; k < m.switches.length; k++) {
    const sw = m.switches[k]!;
    if (!closed[k]) continue;
    if (sw.locked || !energized[sw.a] || !energized[sw.b]) return fail;
  }
  for (let i = 0; i < n; i++) if (energized[i] && m.sections[i]!.faulted) return fail;
  if (!m.liveMerges || m.pickupRule) {
    // Per island: its grid-forming sections (at most one without live merges) and its nominal load.
    const roots = new Map<number, number>();
    const nominal = new Map<number, number>();
    const limit = new Map<number, number>();
    m.sections.forEach((s, i) => {
      if (!energized[i]) return;
      const r = find(i);
      nominal.set(r, (nominal.get(r) ?? 0) + s.nominalKw);
      if (s.forming.length > 0 && !s.faulted) {
        roots.set(r, (roots.get(r) ?? 0) + 1);
        limit.set(r, (limit.get(r) ?? 0) + pickupLimitKw(s));
      }
    });
    for (const [r, count] of roots) {
      if (!m.liveMerges && count > 1) return fail;
      if (m.pickupRule && nominal.get(r)! > limit.get(r)! + 1e-9) return fail;
    }
  }
  if (m.capKw !== undefined) {
    let kw = 0;
    m.sections.forEach((s, i) => (kw += energized[i] ? s.kw : 0));
    if (kw > m.capKw + 1e-9) return fail;
  }
  if (!m.islandRatings) return { feasible: true, energized, needsLp: false };

  // Per island: can its units cover its demand with every switch flow within its limit?
  // On a tree this is exact by intervals: a subtree can export any kW in
  // [sum of its units' minimum - its demand, sum of maxima - demand], each
  // child's interval clipped to the limit of the switch that joins it.
  let needsLp = false;
  const adj = new Map<number, number[]>();
  m.switches.forEach((sw, k) => {
    if (!closed[k]) return;
    (adj.get(sw.a) ?? adj.set(sw.a, []).get(sw.a)!).push(k);
    (adj.get(sw.b) ?? adj.set(sw.b, []).get(sw.b)!).push(k);
  });
  const exportRange = (s: number, from: number): [number, number] => {
    const sec = m.sections[s]!;
    // Grid-following units deliver anything up to what they have.
    let lo = -sec.kw * m.lossFactor;
    let hi = -sec.kw * m.lossFactor + sec.injectionKw;
    for (const u of sec.forming) {
      lo += u.minKw;
      hi += u.maxKw;
    }
    for (const k of adj.get(s) ?? []) {
      if (k === from) continue;
      const sw = m.switches[k]!;
      const [clo, chi] = exportRange(sw.a === s ? sw.b : sw.a, k);
      const l = Math.max(clo, -sw.limitKw);
      const h = Math.min(chi, sw.limitKw);
      if (l > h + 1e-9) return [Infinity, -Infinity];
      lo += l;
      hi += h;
    }
    return [lo, hi];
  };
  for (const root of live) {
    if (loop) {
      // Meshed island (mesh allowed): flows are not fixed by the tree; an LP decides.
      needsLp = true;
      continue;
    }
    const start = m.sections.findIndex((_, i) => find(i) === root);
    const [lo, hi] = exportRange(start, -1);
    if (lo > 1e-9 || hi < -1e-9) return fail;
  }
  return { feasible: true, energized, needsLp };
}


/** The best configuration by enumeration. */
export async function bruteForce(m: RestorationModel): Promise<Plan & { configurations: number }> {
  const free = m.switches.map((sw, k) => (!sw.locked && sw.a !== sw.b ? k : -1)).filter((k) => k >= 0);
  if (free.length > BRUTE_FORCE_MAX_SWITCHES) {
    throw new BlackstartError(ScenarioErrors.OPTIMUM, `brute force over ${free.length} switches is too many (at most ${BRUTE_FORCE_MAX_SWITCHES})`);
  }
  let best: Plan | undefined;
  const closed = new Uint8Array(m.switches.length);
  const total = 2 ** free.length;
  for (let mask = 0; mask < total; mask++) {
    closed.fill(0);
    free.forEach((k, j) => (closed[k] = (mask >> j) & 1));
    const ev = evaluateConfiguration(m, closed);
    if (!ev.feasible) continue;
    let unitKw = new Map<string, number>();
    if (ev.needsLp) {
      const f = formulate(m, [], closed);
      const sol = await f.milp.solve();
      if (sol.status !== "Optimal") continue;
      unitKw = readPlan(m, f, sol.values, sol.objective).unitKw;
    }
    const objective = objectiveOf(m, ev.energized, closed);
    if (!best || objective > best.objective + 1e-12) {
      let kw = 0;
      let weighted = 0;
      m.sections.forEach((s, i) => {
        if (ev.energized[i]) {
          kw += s.kw;
          weighted += s.weighted;
        }
      });
      best = { energized: ev.energized.slice(), closed: closed.slice(), objective, kw, weighted, unitKw };
    }
  }
  if (!best) throw new BlackstartError(ScenarioErrors.OPTIMUM, "no configuration is feasible");
  return { ...best, configurations: total };
}

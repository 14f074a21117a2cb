// The exact optimum of a restoration model (model.ts) as a MILP, solved by
// HiGHS. Per section x (energized), per switch y (closed).
//   - sections with a grid-forming unit are energized (units run from the
//     start), faulted ones never; a closed switch joins two energized
//     sections (x_a = x_b = 1 when y = 1; pointless closes are excluded);
//   - connectivity: a unit commodity flows from island masters through closed
//     switches, one unit consumed per energized section, so every energized
//     section reaches a grid-forming unit;
//   - radial (no mesh allowed): one master per island and
//     sum(y) + sum(master) = sum(x), which makes each island a tree;
//   - no close with both sides live (the shield's dead-bus rule): each island
//     holds one grid-forming section (every such section a master);
//   - physics, the shield's pick-up rule: each island's nominal load within
//     its grid-forming units' ratings (grid-following units not counted);
//   - the cap: sum(kW x) <= cap;
//   - physics: kW flows through closed switches within their limits, each
//     grid-forming unit delivers between its minimum and its rating, and each
//     section's balance holds (demand = kW x lossFactor less what its
//     grid-following units deliver, up to what they have): each island's
//     load within its units' ratings;
//   - optional linear voltage rows (voltage.ts) added by the caller;
//   - no-good cuts excluding energized sets the power flow rejected.
// Objective: sum(weighted x) + epsKw sum(kW x) - epsSwitch sum(y).
import { BlackstartError } from "../../shared/errors.js";
import { ScenarioErrors } from "../scenarios/errors.js";
import { Milp, type Term } from "./lp.js";
import { pickupLimitKw, type RestorationModel } from "./model.js";

export interface Plan {
  energized: Uint8Array;
  closed: Uint8Array;
  objective: number;
  /** Estimated restored kW and weighted kW (the model's section values). */
  kw: number;
  weighted: number;
  /** kW delivered per grid-forming unit id (physics). */
  unitKw: Map<string, number>;
}

/** A no-good cut: exclude exactly this energized set, or exactly this set of closed switches. */
export interface Cut {
  on: "sections" | "switches";
  set: Uint8Array;
}

export interface Formulation {
  milp: Milp;
  x: number[];
  y: number[];
  /** kW flow variable per switch (physics), positive from a to b. */
  p: number[];
  /** kW variable per grid-forming unit, by id. */
  gen: Map<string, number>;
  /** Island-master binary of the section holding each grid-forming unit, by unit id (radial models). */
  master: Map<string, number>;
}

/** Build the MILP; `fixed` pins switch states (brute force's check of one configuration). */
export function formulate(m: RestorationModel, cuts: readonly Cut[] = [], fixed?: ArrayLike<number>): Formulation {
  const n = m.sections.length;
  const milp = new Milp("max");
  const x = m.sections.map((s) => milp.binary("x", s.weighted + m.epsKw * s.kw));
  const y = m.switches.map(() => milp.binary("y", -m.epsSwitch));
  const rootable = m.sections.map((s) => s.forming.length > 0 && !s.faulted);
  m.sections.forEach((s, i) => {
    if (s.faulted) milp.fix(x[i]!, 0);
    else if (rootable[i]) milp.fix(x[i]!, 1);
  });
  m.switches.forEach((sw, k) => {
    if (sw.locked || sw.a === sw.b) milp.fix(y[k]!, 0);
    if (fixed) milp.fix(y[k]!, fixed[k] ? 1 : 0);
    milp.row("ca", [{ v: y[k]!, c: 1 }, { v: x[sw.a]!, c: -1 }], "<=", 0);
    milp.row("cb", [{ v: y[k]!, c: 1 }, { v: x[sw.b]!, c: -1 }], "<=", 0);
    // A closed switch joins sections in the same state: with both ends energized when closed.
    milp.row("cs", [{ v: x[sw.a]!, c: 1 }, { v: x[sw.b]!, c: -1 }, { v: y[k]!, c: 1 }], "<=", 1);
    milp.row("cs", [{ v: x[sw.b]!, c: 1 }, { v: x[sw.a]!, c: -1 }, { v: y[k]!, c: 1 }], "<=", 1);
  });

  // Connectivity commodity.
  const c = m.switches.map(() => milp.continuous("c", -n, n));
  m.switches.forEach((_, k) => {
    milp.row("cu", [{ v: c[k]!, c: 1 }, { v: y[k]!, c: -n }], "<=", 0);
    milp.row("cl", [{ v: c[k]!, c: 1 }, { v: y[k]!, c: n }], ">=", 0);
  });
  const supply: (number | undefined)[] = m.sections.map((_, i) => (rootable[i] ? milp.continuous("r", 0, n) : undefined));
  const master: (number | undefined)[] = m.sections.map((_, i) => (rootable[i] && m.radial ? milp.binary("v") : undefined));
  m.sections.forEach((_, i) => {
    const terms: Term[] = [{ v: x[i]!, c: -1 }];
    if (supply[i] !== undefined) terms.push({ v: supply[i]!, c: 1 });
    m.switches.forEach((sw, k) => {
      if (sw.b === i) terms.push({ v: c[k]!, c: 1 });
      if (sw.a === i) terms.push({ v: c[k]!, c: -1 });
    });
    milp.row("bal", terms, "=", 0);
    if (master[i] !== undefined) milp.row("ms", [{ v: supply[i]!, c: 1 }, { v: master[i]!, c: -n }], "<=", 0);
  });
  if (m.radial) {
    const terms: Term[] = [...y.map((v) => ({ v, c: 1 })), ...master.filter((v): v is number => v !== undefined).map((v) => ({ v, c: 1 })), ...x.map((v) => ({ v, c: -1 }))];
    milp.row("tree", terms, "=", 0);
  }

  // No close with both sides live (no synchronism check): each island holds one
  // grid-forming section. Radial: every such section is its own island's master,
  // so the tree row leaves one per island. Meshed: each energized section takes
  // the label of one such section, equal across closed switches.
  if (!m.liveMerges) {
    const roots = m.sections.flatMap((_, i) => (rootable[i] ? [i] : []));
    if (m.radial) for (const i of roots) milp.fix(master[i]!, 1);
    else if (roots.length > 1) {
      const label = m.sections.map((s) => (s.faulted ? [] : roots.map(() => milp.binary("z"))));
      m.sections.forEach((s, i) => {
        if (!s.faulted) milp.row("zl", [...label[i]!.map((v) => ({ v, c: 1 })), { v: x[i]!, c: -1 }], "=", 0);
      });
      roots.forEach((r, j) => milp.fix(label[r]![j]!, 1));
      m.switches.forEach((sw, k) => {
        if (sw.locked || sw.a === sw.b || m.sections[sw.a]!.faulted || m.sections[sw.b]!.faulted) return;
        roots.forEach((_, j) => {
          const za = label[sw.a]![j]!;
          const zb = label[sw.b]![j]!;
          milp.row("zs", [{ v: za, c: 1 }, { v: zb, c: -1 }, { v: y[k]!, c: 1 }], "<=", 1);
          milp.row("zs", [{ v: zb, c: 1 }, { v: za, c: -1 }, { v: y[k]!, c: 1 }], "<=", 1);
        });
      });
    }
  }

  // The shield's pick-up rule: nominal kW flows from each grid-forming section
  // over closed switches; what a section sends out is at most its units'
  // rating (grid-following units not counted; a section already heavier than
  // its rating may stand alone but pick nothing up).
  if (m.pickupRule) {
    const bigN = m.sections.reduce((t, s) => t + Math.abs(s.nominalKw), 0) + 1;
    const q = m.switches.map((_, k) => {
      const v = milp.continuous("q", -bigN, bigN);
      milp.row("qu", [{ v, c: 1 }, { v: y[k]!, c: -bigN }], "<=", 0);
      milp.row("ql", [{ v, c: 1 }, { v: y[k]!, c: bigN }], ">=", 0);
      return v;
    });
    m.sections.forEach((s, i) => {
      const terms: Term[] = [{ v: x[i]!, c: -s.nominalKw }];
      if (rootable[i]) terms.push({ v: milp.continuous("u", 0, Math.min(bigN, pickupLimitKw(s))), c: 1 });
      m.switches.forEach((sw, k) => {
        if (sw.b === i) terms.push({ v: q[k]!, c: 1 });
        if (sw.a === i) terms.push({ v: q[k]!, c: -1 });
      });
      milp.row("qb", terms, "=", 0);
    });
  }

  if (m.capKw !== undefined) {
    milp.row("cap", m.sections.map((s, i) => ({ v: x[i]!, c: s.kw })), "<=", m.capKw);
  }

  const p: number[] = [];
  const gen = new Map<string, number>();
  if (m.islandRatings) {
    const bigM = m.sections.reduce((t, s) => t + Math.abs(s.kw) * m.lossFactor + Math.abs(s.injectionKw), 0) + 1;
    m.switches.forEach((sw, k) => {
      const lim = Math.min(sw.limitKw, bigM);
      const v = milp.continuous("p", -lim, lim);
      p.push(v);
      milp.row("pu", [{ v, c: 1 }, { v: y[k]!, c: -lim }], "<=", 0);
      milp.row("pl", [{ v, c: 1 }, { v: y[k]!, c: lim }], ">=", 0);
    });
    m.sections.forEach((s, i) => {
      const terms: Term[] = [{ v: x[i]!, c: -s.kw * m.lossFactor }];
      if (s.injectionKw > 0) {
        // Grid-following units deliver up to what they have (they curtail rather than push a unit backwards).
        const inj = milp.continuous("i", 0, s.injectionKw);
        milp.row("ix", [{ v: inj, c: 1 }, { v: x[i]!, c: -s.injectionKw }], "<=", 0);
        terms.push({ v: inj, c: 1 });
      }
      for (const u of s.forming) {
        const g = milp.continuous("g", Math.max(u.minKw, -bigM), Math.min(u.maxKw, bigM));
        gen.set(u.id, g);
        terms.push({ v: g, c: 1 });
      }
      m.switches.forEach((sw, k) => {
        if (sw.b === i) terms.push({ v: p[k]!, c: 1 });
        if (sw.a === i) terms.push({ v: p[k]!, c: -1 });
      });
      milp.row("pb", terms, "=", 0);
    });
  }

  // No-good cuts.
  for (const cut of cuts) {
    const terms: Term[] = [];
    let ones = 0;
    const vars = cut.on === "sections" ? x : y;
    cut.set.forEach((e, i) => {
      if (cut.on === "sections" && (m.sections[i]!.faulted || rootable[i])) return;
      if (e) {
        terms.push({ v: vars[i]!, c: -1 });
        ones++;
      } else terms.push({ v: vars[i]!, c: 1 });
    });
    milp.row("cut", terms, ">=", 1 - ones);
  }
  const masterOf = new Map<string, number>();
  m.sections.forEach((s, i) => {
    for (const u of s.forming) if (master[i] !== undefined) masterOf.set(u.id, master[i]!);
  });
  return { milp, x, y, p, gen, master: masterOf };
}

export function readPlan(m: RestorationModel, f: Formulation, values: Float64Array, objective: number): Plan {
  const energized = Uint8Array.from(f.x, (v) => (values[v]! > 0.5 ? 1 : 0));
  const closed = Uint8Array.from(f.y, (v) => (values[v]! > 0.5 ? 1 : 0));
  let kw = 0;
  let weighted = 0;
  m.sections.forEach((s, i) => {
    if (energized[i]) {
      kw += s.kw;
      weighted += s.weighted;
    }
  });
  const unitKw = new Map<string, number>();
  for (const [id, v] of f.gen) unitKw.set(id, values[v]!);
  return { energized, closed, objective, kw, weighted, unitKw };
}

export interface MilpResult {
  plan: Plan;
  /** Every variable's value (for models extended by the caller). */
  values: Float64Array;
  ms: number;
  size: { vars: number; rows: number; binaries: number };
}

export async function solveModel(
  m: RestorationModel,
  cuts: readonly Cut[] = [],
  extend?: (f: Formulation) => void,
): Promise<MilpResult> {
  const f = formulate(m, cuts);
  extend?.(f);
  const sol = await f.milp.solve();
  if (sol.status !== "Optimal") {
    throw new BlackstartError(ScenarioErrors.OPTIMUM, `HiGHS ended with status '${sol.status}' (${f.milp.size.binaries} binaries, ${cuts.length} cuts)`);
  }
  return { plan: readPlan(m, f, sol.values, sol.objective), values: sol.values, ms: sol.ms, size: f.milp.size };
}

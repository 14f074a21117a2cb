// Three-phase LinDistFlow voltage and line limits for the physics optimum
// (Gan & Low 2014; Arnold et al. 2016): per phase, squared voltages drop
// along a branch linearly in the branch's per-phase P and Q,
//   w_j = w_i + sum_psi (MP[phi][psi] P_psi + MQ[phi][psi] Q_psi) / Vbase^2,
//   MP = -2 (R c - X s), MQ = -2 (R s + X c), c + js = exp(j 2pi (phi - psi) / 3),
// which holds near balanced voltages and neglects losses. Built from the
// power flow's own network (line impedance matrices, transformer windings,
// taps as the last solve left them), on the primary: low-voltage service
// transformers and secondaries are folded onto the primary node that feeds
// them, and chains of plain lines are merged. What the linear model misses
// (losses, secondary drops, regulator moves) is learnt back from each power
// flow check as an offset per load node (optimum.ts).
import type { PowerFlow } from "../powerflow/index.js";
import type { LineSpec, TransformerSpec } from "../powerflow/network.js";
import type { BoundScenario } from "../scenarios/bind.js";
import type { Formulation } from "./milp.js";
import type { Term } from "./lp.js";
import type { RestorationModel } from "./model.js";

const LV_KV_LN = 0.6;
const W_MAX = 1.3;
/** Largest correction learnt per node, in squared pu (about 7 % of voltage). */
const MAX_OFFSET = 0.15;

interface Node {
  bus: string;
  phase: number;
  section: number;
  /** Line-to-neutral base kV. */
  vbase: number;
  /** Estimated load P/Q here (kW, kvar) when energized, before scaling by the section estimate. */
  loadP: number;
  loadQ: number;
  capQ: number;
  /** Loads whose voltage limits apply at this node, with the node the power flow reports them at. */
  loadRefs: { bus: string; node: number }[];
}

interface Branch {
  from: number[];
  to: number[];
  /** Phase labels (1-3) of the conductors, for the 120-degree coupling terms. */
  labels: number[];
  kind: "line" | "transformer" | "switch";
  /** Ohms, row-major over conductors (lines). */
  r?: Float64Array;
  x?: Float64Array;
  /** Squared pu voltage ratio to/from per conductor (transformers). */
  ratio2?: number[];
  /** Regulated (a RegControl moves its tap): the ratio is free within the tap range, [lo^2, hi^2]. */
  regulated?: [number, number];
  /** Agent switch index (switches). */
  k?: number;
  /** Per-conductor kVA limit (lines with a rating), else undefined. */
  limitKva?: number;
}

interface SourceAt {
  id: string;
  nodes: number[];
  forming: boolean;
  setpoint2: number;
  /** Grid-following: kW available (curtailable). */
  kw: number;
  kva: number;
  section: number;
}

export interface LdfStats {
  nodes: number;
  branches: number;
  loadNodes: number;
}

export class LinDistFlow {
  readonly nodes: Node[] = [];
  readonly branches: Branch[] = [];
  readonly sources: SourceAt[] = [];
  /** Squared-voltage correction per node, learnt from power flow checks (w_ldf - w_pf). */
  readonly offset: Float64Array;
  private readonly vmin2: number;
  private readonly vmax2: number;
  private readonly thermalFactor: number;
  private wVars: number[] = [];

  constructor(bound: BoundScenario, pf: PowerFlow) {
    const lim = bound.scenario.limits;
    this.vmin2 = lim.voltage_pu.min ** 2;
    this.vmax2 = lim.voltage_pu.max ** 2;
    this.thermalFactor = lim.thermal_pct / 100;
    build(this, bound, pf);
    this.offset = new Float64Array(this.nodes.length);
  }

  get stats(): LdfStats {
    return { nodes: this.nodes.length, branches: this.branches.length, loadNodes: this.nodes.filter((n) => n.loadRefs.length > 0).length };
  }

  /** Rows for the MILP: branch flows, voltages, limits, source set points (radial: the island master's). */
  extend(f: Formulation, m: RestorationModel, sectionScale: ArrayLike<number>): void {
    const milp = f.milp;
    const bigP = m.sections.reduce((t, s) => t + s.kw, 0) * 2 + 1000;
    const w = this.nodes.map(() => milp.continuous("w", 0, W_MAX));
    this.wVars = w;
    const P = this.branches.map((b) => b.from.map(() => milp.continuous("P", -bigP, bigP)));
    const Q = this.branches.map((b) => b.from.map(() => milp.continuous("Q", -bigP, bigP)));
    const inflowP: Term[][] = this.nodes.map(() => []);
    const inflowQ: Term[][] = this.nodes.map(() => []);

    this.branches.forEach((b, bi) => {
      const n = b.from.length;
      for (let c = 0; c < n; c++) {
        const p = P[bi]![c]!;
        const q = Q[bi]![c]!;
        inflowP[b.from[c]!]!.push({ v: p, c: -1 });
        inflowP[b.to[c]!]!.push({ v: p, c: 1 });
        inflowQ[b.from[c]!]!.push({ v: q, c: -1 });
        inflowQ[b.to[c]!]!.push({ v: q, c: 1 });
        const wi = w[b.from[c]!]!;
        const wj = w[b.to[c]!]!;
        if (b.kind === "line") {
          const vb2 = this.nodes[b.from[c]!]!.vbase ** 2 * 1000;
          const terms: Term[] = [{ v: wj, c: 1 }, { v: wi, c: -1 }];
          for (let d = 0; d < n; d++) {
            const ang = (2 * Math.PI * (b.labels[c]! - b.labels[d]!)) / 3;
            const cs = Math.cos(ang);
            const sn = Math.sin(ang);
            const R = b.r![c * n + d]!;
            const X = b.x![c * n + d]!;
            const mp = -2 * (R * cs - X * sn);
            const mq = -2 * (R * sn + X * cs);
            terms.push({ v: P[bi]![d]!, c: -mp / vb2 }, { v: Q[bi]![d]!, c: -mq / vb2 });
          }
          milp.row("ldf", terms, "=", 0);
          if (b.limitKva !== undefined) {
            milp.row("th", [{ v: p, c: 1 }], "<=", b.limitKva);
            milp.row("th", [{ v: p, c: 1 }], ">=", -b.limitKva);
          }
        } else if (b.kind === "transformer" && b.regulated) {
          // The regulator's control picks the tap: any ratio in its range.
          milp.row("rg", [{ v: wj, c: 1 }, { v: wi, c: -b.regulated[0] }], ">=", 0);
          milp.row("rg", [{ v: wj, c: 1 }, { v: wi, c: -b.regulated[1] }], "<=", 0);
        } else if (b.kind === "transformer") {
          milp.row("xf", [{ v: wj, c: 1 }, { v: wi, c: -b.ratio2![c]! }], "=", 0);
        } else {
          const y = f.y[b.k!]!;
          milp.row("su", [{ v: p, c: 1 }, { v: y, c: -bigP }], "<=", 0);
          milp.row("sl", [{ v: p, c: 1 }, { v: y, c: bigP }], ">=", 0);
          milp.row("su", [{ v: q, c: 1 }, { v: y, c: -bigP }], "<=", 0);
          milp.row("sl", [{ v: q, c: 1 }, { v: y, c: bigP }], ">=", 0);
          milp.row("sw", [{ v: wj, c: 1 }, { v: wi, c: -1 }, { v: y, c: W_MAX }], "<=", W_MAX);
          milp.row("sw", [{ v: wj, c: 1 }, { v: wi, c: -1 }, { v: y, c: -W_MAX }], ">=", -W_MAX);
        }
      }
    });

    // Sources: grid-forming units deliver their section-level kW (g) split over their phases and
    // any kvar within their kVA; grid-following ones up to what they have (curtailable).
    const genP: Term[][] = this.nodes.map(() => []);
    const genQ: Term[][] = this.nodes.map(() => []);
    for (const s of this.sources) {
      const share = 1 / s.nodes.length;
      if (s.forming) {
        // A voltage source delivers whatever each phase draws: per-phase outputs add up to its kW.
        const g = f.gen.get(s.id);
        const perP = s.nodes.map(() => milp.continuous("gp", -s.kva, s.kva));
        const perQ = s.nodes.map(() => milp.continuous("q", -s.kva, s.kva));
        if (g !== undefined) milp.row("gs", [...perP.map((v) => ({ v, c: 1 })), { v: g, c: -1 }], "=", 0);
        s.nodes.forEach((n, i) => {
          genP[n]!.push({ v: perP[i]!, c: 1 });
          genQ[n]!.push({ v: perQ[i]!, c: 1 });
        });
        // The island master holds its set point.
        const master = f.master.get(s.id);
        for (const n of s.nodes) {
          if (master === undefined) {
            milp.row("vs", [{ v: w[n]!, c: 1 }], "=", s.setpoint2);
          } else {
            milp.row("vs", [{ v: w[n]!, c: 1 }, { v: master, c: W_MAX }], "<=", s.setpoint2 + W_MAX);
            milp.row("vs", [{ v: w[n]!, c: 1 }, { v: master, c: -W_MAX }], ">=", s.setpoint2 - W_MAX);
          }
        }
      } else if (s.kw > 0) {
        const pv = milp.continuous("pv", 0, s.kw);
        milp.row("pvx", [{ v: pv, c: 1 }, { v: f.x[s.section]!, c: -s.kw }], "<=", 0);
        for (const n of s.nodes) genP[n]!.push({ v: pv, c: share });
      }
    }

    this.nodes.forEach((nd, i) => {
      const x = f.x[nd.section];
      const scale = sectionScale[nd.section] ?? 1;
      const lp = nd.loadP * scale * m.lossFactor;
      const lq = nd.loadQ * scale - nd.capQ;
      const pTerms: Term[] = [...inflowP[i]!, ...genP[i]!];
      const qTerms: Term[] = [...inflowQ[i]!, ...genQ[i]!];
      if (x !== undefined) {
        pTerms.push({ v: x, c: -lp });
        qTerms.push({ v: x, c: -lq });
      }
      milp.row("np", pTerms, "=", 0);
      milp.row("nq", qTerms, "=", 0);
      if (nd.loadRefs.length > 0 && x !== undefined) {
        const off = this.offset[i]!;
        milp.row("vmin", [{ v: w[i]!, c: 1 }, { v: x, c: -W_MAX }], ">=", this.vmin2 + off - W_MAX);
        milp.row("vmax", [{ v: w[i]!, c: 1 }, { v: x, c: W_MAX }], "<=", this.vmax2 + off + W_MAX);
      }
    });
  }

  /**
   * Learn the linear model's error at each load node from a power flow check of
   * the plan just solved: offset = w predicted - (v from the power flow)^2,
   * worst phase over the loads the node carries.
   */
  learn(values: Float64Array, energizedSection: ArrayLike<number>, voltagePu: (bus: string, node: number) => number | undefined): void {
    if (this.wVars.length === 0) return;
    this.nodes.forEach((nd, i) => {
      if (nd.loadRefs.length === 0 || !energizedSection[nd.section]) return;
      const predicted = values[this.wVars[i]!]!;
      let lo = Infinity;
      let hi = -Infinity;
      for (const ref of nd.loadRefs) {
        const v = voltagePu(ref.bus, ref.node);
        if (v === undefined || v <= 0) continue;
        lo = Math.min(lo, v * v);
        hi = Math.max(hi, v * v);
      }
      if (!Number.isFinite(lo)) return;
      // Keep the correction that matters for the nearer limit.
      const mid = (this.vmin2 + this.vmax2) / 2;
      // Bounded: a check far from the linear model's reach (a runaway regulator, a collapsed
      // island) must not make every later model infeasible; the cut excludes that plan anyway.
      const off = predicted < mid ? predicted - lo : predicted - hi;
      this.offset[i] = Math.max(-MAX_OFFSET, Math.min(MAX_OFFSET, off));
    });
  }

  /** Whether any correction has been learnt. */
  get corrected(): boolean {
    return this.offset.some((o) => o !== 0);
  }

  /** Drop every learnt correction (back to the plain linear model). */
  forget(): void {
    this.offset.fill(0);
  }

  /** Thermal limit factor (scenario thermal_pct / 100). */
  get thermal(): number {
    return this.thermalFactor;
  }
}

function build(ldf: LinDistFlow, bound: BoundScenario, pf: PowerFlow): void {
  const c = pf.circuit;
  const topo = c.topo;
  const kvBase = (bus: string) => {
    const bi = topo.busIndex.get(bus);
    return bi === undefined ? 0 : c.busKvBase[bi]!;
  };
  const sectionOfBus = new Map<string, number>();
  bound.sections.sections.forEach((s, i) => s.buses.forEach((b) => sectionOfBus.set(b, i)));
  const switchIndex = new Map(bound.switches.map((s, k) => [s.ref.toLowerCase(), k]));
  const closedAll = (name: string, terms: number) => {
    for (let t = 1; t <= terms; t++) if (!pf.isClosed(name, t)) return false;
    return true;
  };

  // 1. Fold low-voltage parts onto the primary node feeding them: bus -> (primary bus, node map).
  const fold = new Map<string, { bus: string; map: (node: number) => number }>();
  const lvLines: LineSpec[] = [];
  for (const e of topo.elements) {
    const s = e.spec;
    if (!c.enabled[e.index]) continue;
    if (s.kind === "transformer") {
      const t = s as TransformerSpec;
      const buses = t.terminals.map((x) => x.bus.toLowerCase());
      const mv = buses.findIndex((b) => kvBase(b) >= LV_KV_LN);
      if (mv < 0 || buses.every((b) => kvBase(b) >= LV_KV_LN)) continue;
      const primaryNodes = t.terminals[mv]!.nodes.filter((n) => n > 0);
      buses.forEach((b, i) => {
        if (i === mv || kvBase(b) >= LV_KV_LN) return;
        const map = primaryNodes.length === 1 ? () => primaryNodes[0]! : (n: number) => primaryNodes[n - 1] ?? primaryNodes[0]!;
        fold.set(b, { bus: buses[mv]!, map });
      });
    } else if (s.kind === "line" && s.terminals.every((x) => kvBase(x.bus.toLowerCase()) < LV_KV_LN && kvBase(x.bus.toLowerCase()) > 0)) {
      lvLines.push(s);
    }
  }
  // Secondary lines carry the fold further out (service drops to the load buses).
  for (let changed = true; changed; ) {
    changed = false;
    for (const s of lvLines) {
      const a = s.terminals[0]!.bus.toLowerCase();
      const b = s.terminals[1]!.bus.toLowerCase();
      const fa = fold.get(a);
      const fb = fold.get(b);
      if (fa && !fb) {
        fold.set(b, fa);
        changed = true;
      } else if (fb && !fa) {
        fold.set(a, fb);
        changed = true;
      }
    }
  }
  const place = (bus: string, node: number): [string, number] => {
    const f = fold.get(bus);
    return f ? [f.bus, f.map(node)] : [bus, node];
  };

  // 2. Primary branches (bus level, with conductor labels), before merging chains.
  interface RawBranch {
    a: string;
    b: string;
    na: number[];
    nb: number[];
    kind: Branch["kind"];
    r?: Float64Array;
    x?: Float64Array;
    ratio2?: number[];
    regulated?: [number, number];
    k?: number;
    limitKva?: number;
  }
  const raw: RawBranch[] = [];
  const regulated = new Set(topo.spec.regControls.filter((r) => r.enabled).map((r) => r.transformer.toLowerCase()));
  for (const e of topo.elements) {
    const s = e.spec;
    if (s.kind !== "line" && s.kind !== "transformer" && s.kind !== "reactor") continue;
    const name = s.name.toLowerCase();
    const k = switchIndex.get(name);
    const buses = s.terminals.map((x) => x.bus.toLowerCase());
    if (buses.some((b) => fold.has(b))) continue;
    if (k === undefined && (!c.enabled[e.index] || !closedAll(s.name, s.terminals.length))) continue;
    if (s.kind === "reactor" && !(s as { series?: boolean }).series) continue;
    const na = s.terminals[0]!.nodes.filter((n) => n > 0);
    const nb = (s.terminals[1] ?? s.terminals[0]!).nodes.filter((n) => n > 0);
    const n = Math.min(na.length, nb.length, s.kind === "line" ? (s as LineSpec).phases : 3);
    if (n === 0) continue;
    if (k !== undefined) {
      raw.push({ a: buses[0]!, b: buses[1]!, na: na.slice(0, n), nb: nb.slice(0, n), kind: "switch", k });
    } else if (s.kind === "line") {
      const l = s as LineSpec;
      const ord = l.z.order;
      const r = new Float64Array(n * n);
      const x = new Float64Array(n * n);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          r[i * n + j] = l.z.re[i * ord + j]!;
          x[i * n + j] = l.z.im[i * ord + j]!;
        }
      }
      const vb = kvBase(buses[0]!);
      const limitKva = l.normAmps > 0 && vb > 0 ? l.normAmps * vb : undefined;
      raw.push({ a: buses[0]!, b: buses[1]!, na: na.slice(0, n), nb: nb.slice(0, n), kind: "line", r, x, ...(limitKva !== undefined ? { limitKva } : {}) });
    } else if (s.kind === "transformer") {
      const t = s as TransformerSpec;
      const w1 = t.windings[0]!;
      const w2 = t.windings[1]!;
      const vb1 = kvBase(buses[0]!);
      const vb2 = kvBase(buses[1]!);
      const tap1 = pf.tap(s.name, 1);
      const tap2 = pf.tap(s.name, 2);
      // pu out / pu in for a wye winding (line-to-neutral kV) or a 1-phase one.
      const kv1 = t.phases > 1 ? w1.kV / Math.sqrt(3) : w1.kV;
      const kv2 = t.phases > 1 ? w2.kV / Math.sqrt(3) : w2.kV;
      const ratio = vb1 > 0 && vb2 > 0 ? ((tap2 * kv2) / vb2 / ((tap1 * kv1) / vb1)) : 1;
      const reg = regulated.has(name) ? ([(w2.minTap / tap2) * ratio, (w2.maxTap / tap2) * ratio] as const) : undefined;
      raw.push({
        a: buses[0]!,
        b: buses[1]!,
        na: na.slice(0, n),
        nb: nb.slice(0, n),
        kind: "transformer",
        ratio2: Array.from({ length: n }, () => ratio * ratio),
        ...(reg ? { regulated: [reg[0] ** 2, reg[1] ** 2] as [number, number] } : {}),
      });
    } else {
      // A series reactor: a plain connection at this level of detail.
      raw.push({ a: buses[0]!, b: buses[1]!, na: na.slice(0, n), nb: nb.slice(0, n), kind: "line", r: new Float64Array(n * n), x: new Float64Array(n * n) });
    }
  }

  // 3. Loads, capacitors, sources per (primary bus, node).
  const loadAt = new Map<string, { p: number; q: number; refs: { bus: string; node: number }[] }>();
  const key = (bus: string, node: number) => `${bus}.${node}`;
  const addLoad = (bus: string, node: number, p: number, q: number, ref?: { bus: string; node: number }) => {
    const [pb, pn] = place(bus, node);
    const kk = key(pb, pn);
    const cur = loadAt.get(kk) ?? { p: 0, q: 0, refs: [] };
    cur.p += p;
    cur.q += q;
    if (ref) cur.refs.push(ref);
    loadAt.set(kk, cur);
  };
  const loadByName = new Map(bound.loads.map((l) => [l.ref.toLowerCase(), l]));
  const capAt = new Map<string, number>();
  const srcNodes = new Map<string, { bus: string; nodes: number[] }>();
  for (const e of topo.elements) {
    const s = e.spec;
    if (!c.enabled[e.index]) continue;
    const bus = s.terminals[0]?.bus.toLowerCase() ?? "";
    const nodes = (s.terminals[0]?.nodes ?? []).filter((n) => n > 0);
    if (s.kind === "load") {
      const l = loadByName.get(s.name.toLowerCase());
      if (!l || nodes.length === 0) continue;
      const per = nodes.length;
      for (const n of nodes) addLoad(bus, n, l.kw / per, l.kvar / per, { bus, node: n });
    } else if (s.kind === "capacitor" && !(s as { series?: boolean }).series) {
      const cap = s as { kvarPerStep: number[] };
      const states = c.capStates[e.index];
      const kvar = cap.kvarPerStep.reduce((t, v, i) => t + (states?.[i] ? v : 0), 0);
      for (const n of nodes) {
        const [pb, pn] = place(bus, n);
        capAt.set(key(pb, pn), (capAt.get(key(pb, pn)) ?? 0) + kvar / nodes.length);
      }
    } else if (s.kind === "vsource" || s.kind === "pvsystem" || s.kind === "generator" || s.kind === "storage") {
      srcNodes.set(s.name.toLowerCase(), { bus, nodes: nodes.length ? nodes.slice(0, (s as { phases: number }).phases) : [1, 2, 3] });
    }
  }

  // 4. Merge chains of plain lines through buses that hold nothing (no load, source, capacitor, switch end).
  const busesWithStuff = new Set<string>();
  for (const kk of [...loadAt.keys(), ...capAt.keys()]) busesWithStuff.add(kk.slice(0, kk.lastIndexOf(".")));
  for (const v of srcNodes.values()) busesWithStuff.add(place(v.bus, 1)[0]);
  const incident = new Map<string, RawBranch[]>();
  for (const br of raw) {
    (incident.get(br.a) ?? incident.set(br.a, []).get(br.a)!).push(br);
    (incident.get(br.b) ?? incident.set(br.b, []).get(br.b)!).push(br);
  }
  const dropped = new Set<RawBranch>();
  for (const [bus, list] of incident) {
    if (busesWithStuff.has(bus)) continue;
    const live = list.filter((br) => !dropped.has(br));
    if (live.length !== 2) continue;
    const [p, q] = live as [RawBranch, RawBranch];
    if (p.kind !== "line" || q.kind !== "line" || p === q) continue;
    // Orient p as (far -> bus) and q as (bus -> far); conductors must line up by node.
    const pIn = p.b === bus ? { far: p.a, farN: p.na, n: p.nb, r: p.r!, x: p.x! } : { far: p.b, farN: p.nb, n: p.na, r: p.r!, x: p.x! };
    const qOut = q.a === bus ? { far: q.b, farN: q.nb, n: q.na, r: q.r!, x: q.x! } : { far: q.a, farN: q.na, n: q.nb, r: q.r!, x: q.x! };
    if (pIn.far === qOut.far || pIn.n.length !== qOut.n.length || pIn.n.some((v, i) => v !== qOut.n[i])) continue;
    const n = pIn.n.length;
    const r = new Float64Array(n * n);
    const x = new Float64Array(n * n);
    for (let i = 0; i < n * n; i++) {
      r[i] = pIn.r[i]! + qOut.r[i]!;
      x[i] = pIn.x[i]! + qOut.x[i]!;
    }
    const lims = [p.limitKva, q.limitKva].filter((v): v is number => v !== undefined);
    const merged: RawBranch = { a: pIn.far, b: qOut.far, na: pIn.farN, nb: qOut.farN, kind: "line", r, x, ...(lims.length ? { limitKva: Math.min(...lims) } : {}) };
    dropped.add(p);
    dropped.add(q);
    raw.push(merged);
    for (const end of [pIn.far, qOut.far]) {
      const l = incident.get(end)!;
      l.push(merged);
    }
    incident.set(bus, []);
  }
  const branchesRaw = raw.filter((br) => !dropped.has(br));

  // 5. Nodes.
  const nodeIndex = new Map<string, number>();
  const nodeOf = (bus: string, node: number): number => {
    const kk = key(bus, node);
    let i = nodeIndex.get(kk);
    if (i === undefined) {
      i = ldf.nodes.length;
      nodeIndex.set(kk, i);
      const lo = loadAt.get(kk);
      ldf.nodes.push({
        bus,
        phase: node,
        section: sectionOfBus.get(bus) ?? -1,
        vbase: kvBase(bus) || 1,
        loadP: lo?.p ?? 0,
        loadQ: lo?.q ?? 0,
        capQ: capAt.get(kk) ?? 0,
        loadRefs: lo?.refs ?? [],
      });
    }
    return i;
  };
  for (const kk of loadAt.keys()) {
    const dot = kk.lastIndexOf(".");
    nodeOf(kk.slice(0, dot), Number(kk.slice(dot + 1)));
  }
  const totalGen = bound.sections.sections.reduce((t, s) => t + s.sources.reduce((u, src) => u + (src.kw ?? 0), 0), 0);
  for (const br of branchesRaw) {
    const limitKva = br.limitKva !== undefined && br.limitKva * ldf.thermal < totalGen ? br.limitKva * ldf.thermal : undefined;
    ldf.branches.push({
      from: br.na.map((n) => nodeOf(br.a, n)),
      to: br.nb.map((n) => nodeOf(br.b, n)),
      labels: br.na.map((n) => ((n - 1) % 3) + 1),
      kind: br.kind,
      ...(br.r ? { r: br.r, x: br.x! } : {}),
      ...(br.ratio2 ? { ratio2: br.ratio2 } : {}),
      ...(br.regulated ? { regulated: br.regulated } : {}),
      ...(br.k !== undefined ? { k: br.k } : {}),
      ...(limitKva !== undefined ? { limitKva } : {}),
    });
  }

  // 6. Sources: the scenario's grid-forming units and every grid-following source.
  for (const sec of bound.sections.sections) {
    for (const src of sec.sources) {
      const at = srcNodes.get(src.element.toLowerCase());
      if (!at) continue;
      const [pb] = place(at.bus, 1);
      const unit = bound.units.find((u) => u.unit.id === src.id);
      const set = unit?.unit.voltage_pu ?? 1;
      ldf.sources.push({
        id: src.id,
        nodes: at.nodes.map((n) => nodeOf(pb, place(at.bus, n)[1])),
        forming: src.grid_forming,
        setpoint2: set * set,
        kw: src.kw ?? 0,
        kva: src.kva ?? (src.kw ?? 0) * 1.25,
        section: sectionOfBus.get(pb) ?? -1,
      });
    }
  }
  // Nodes of dead-end buses outside every section (dummy buses) stay unconstrained.
}

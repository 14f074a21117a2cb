// Derives a scenario's section graph (shared/scenario/sections.ts): the
// feeder cut at every agent switch into sections, each with its loads and
// sources. Faulted elements stay inside their section, which is then faulted:
// never energized, and every switch on its boundary locked open.
import { canonicalElement } from "../../shared/names.js";
import {
  SECTION_GRAPH_FORMAT,
  type Section,
  type SectionGraph,
  type SectionSource,
  type SectionSwitch,
  type SourceKind,
} from "../../shared/scenario/sections.js";
import { BlackstartError } from "../../shared/errors.js";
import type { BoundScenario } from "./bind.js";
import { ScenarioErrors } from "./errors.js";
import { BRANCH_CLASSES, conducts, num } from "./topology.js";

type Unbound = Omit<BoundScenario, "sections">;

class UnionFind {
  private readonly parent: Int32Array;
  constructor(n: number) {
    this.parent = Int32Array.from({ length: n }, (_, i) => i);
  }
  find(i: number): number {
    const p = this.parent;
    while (p[i] !== i) {
      p[i] = p[p[i]!]!;
      i = p[i]!;
    }
    return i;
  }
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent[ra] = rb;
  }
}

export function deriveSections(b: Unbound): SectionGraph {
  const s = b.scenario;
  const topo = b.topology;
  const busIndex = new Map(topo.buses.map((x, i) => [x, i]));
  const switchRefs = new Set(b.switches.map((x) => x.ref.toLowerCase()));
  const faulted = new Set(b.faulted.map((x) => x.toLowerCase()));
  const openByOutage = new Set(s.outage.open.map((x) => canonicalElement(x).toLowerCase()));

  // Buses joined by every conducting branch that is not an agent switch. A
  // faulted branch joins its buses too: its section is the faulted one.
  const uf = new UnionFind(topo.buses.length);
  for (const e of topo.elements) {
    if (!BRANCH_CLASSES.has(e.cls)) continue;
    const key = e.ref.toLowerCase();
    if (switchRefs.has(key)) continue;
    if (!faulted.has(key) && (!conducts(e) || openByOutage.has(key))) continue;
    const bs = e.terminals.map((t) => busIndex.get(t.bus)).filter((x): x is number => x !== undefined);
    for (let i = 1; i < bs.length; i++) uf.union(bs[0]!, bs[i]!);
  }

  // Sources: the feeder's own (minus the lost one), and the scenario's units.
  const unitByElement = new Map(b.units.map((u) => [u.element.toLowerCase(), u]));
  const sourcesAt = new Map<number, SectionSource[]>();
  const addSource = (bus: string, src: SectionSource) => {
    const i = busIndex.get(bus);
    if (i === undefined) return;
    const r = uf.find(i);
    (sourcesAt.get(r) ?? sourcesAt.set(r, []).get(r)!).push(src);
  };
  for (const e of topo.elements) {
    if (!e.enabled || !["vsource", "pvsystem", "generator", "storage"].includes(e.cls)) continue;
    if (b.lostSource && e.ref.toLowerCase() === b.lostSource.toLowerCase()) continue;
    const unit = unitByElement.get(e.ref.toLowerCase());
    const bus = e.terminals[0]!.bus;
    if (unit) {
      const kind: SourceKind = unit.unit.kind;
      addSource(bus, {
        id: unit.unit.id,
        element: e.ref,
        kind,
        microgrid: unit.microgrid,
        grid_forming: unit.gridForming,
        kw: unit.unit.kw,
        kva: unit.unit.kva,
      });
    } else if (e.cls === "vsource") {
      addSource(bus, { id: e.name, element: e.ref, kind: "substation", grid_forming: true });
    } else {
      const kind: SourceKind = e.cls === "pvsystem" ? "pv" : e.cls === "storage" ? "battery" : "diesel";
      const kw = e.cls === "pvsystem" ? num(e, "pmpp", 500) * num(e, "irradiance", num(e, "irrad", 1)) : num(e, "kw", 1000);
      const kva = num(e, "kva", NaN);
      addSource(bus, { id: e.name, element: e.ref, kind, grid_forming: false, kw, ...(Number.isFinite(kva) && kva > 0 ? { kva } : {}) });
    }
  }

  // Loads per component.
  const loadsAt = new Map<number, BoundScenario["loads"]>();
  for (const l of b.loads) {
    const i = busIndex.get(l.bus);
    if (i === undefined) continue;
    const r = uf.find(i);
    (loadsAt.get(r) ?? loadsAt.set(r, []).get(r)!).push(l);
  }

  // Switch endpoints; faulted components.
  const switchEnds = b.switches.map((sw) => {
    const e = topo.byRef.get(sw.ref.toLowerCase())!;
    const ends = e.terminals.filter((t) => t.bus).map((t) => uf.find(busIndex.get(t.bus)!));
    return [ends[0]!, ends[ends.length - 1]!] as const;
  });
  const faultedRoots = new Set<number>();
  for (const f of b.faulted) {
    if (switchRefs.has(f.toLowerCase())) continue; // a faulted switch is only locked open
    const e = topo.byRef.get(f.toLowerCase())!;
    faultedRoots.add(uf.find(busIndex.get(e.terminals[0]!.bus)!));
  }

  // A unit cannot run inside a faulted section.
  for (const r of faultedRoots) {
    const unit = (sourcesAt.get(r) ?? []).find((src) => src.microgrid !== undefined);
    if (unit) {
      throw new BlackstartError(
        ScenarioErrors.INCONSISTENT,
        `unit '${unit.id}' of microgrid ${unit.microgrid} sits in the section of faulted element ${b.faulted.join(", ")}: it cannot run there`,
        { file: b.file, field: "outage.faulted" },
      );
    }
  }

  // Components that matter: with loads, sources or a switch end. Numbered
  // breadth-first from the first grid-forming source over the switches in
  // scenario order, then in feeder order, so ids are stable for a scenario.
  const relevant = new Set<number>([...loadsAt.keys(), ...sourcesAt.keys(), ...switchEnds.flat()]);
  const adjacency = new Map<number, number[]>();
  switchEnds.forEach(([a, c], k) => {
    (adjacency.get(a) ?? adjacency.set(a, []).get(a)!).push(k);
    (adjacency.get(c) ?? adjacency.set(c, []).get(c)!).push(k);
  });
  const order: number[] = [];
  const seen = new Set<number>();
  const visit = (start: number) => {
    if (seen.has(start)) return;
    seen.add(start);
    const queue = [start];
    while (queue.length) {
      const r = queue.shift()!;
      order.push(r);
      for (const k of adjacency.get(r) ?? []) {
        const [a, c] = switchEnds[k]!;
        const next = a === r ? c : a;
        if (!seen.has(next)) {
          seen.add(next);
          queue.push(next);
        }
      }
    }
  };
  const formingRoots = [...sourcesAt.entries()].filter(([, v]) => v.some((x) => x.grid_forming)).map(([r]) => r);
  const firstForming = topo.elements.find((e) => e.cls === "vsource" && e.enabled && e.ref.toLowerCase() !== b.lostSource?.toLowerCase());
  if (firstForming) visit(uf.find(busIndex.get(firstForming.terminals[0]!.bus)!));
  formingRoots.forEach(visit);
  for (const bus of topo.buses) {
    const r = uf.find(busIndex.get(bus)!);
    if (relevant.has(r)) visit(r);
  }
  const idOf = new Map(order.map((r, i) => [r, `s${i}`]));

  const busesOf = new Map<number, string[]>();
  for (const bus of topo.buses) {
    const r = uf.find(busIndex.get(bus)!);
    if (idOf.has(r)) (busesOf.get(r) ?? busesOf.set(r, []).get(r)!).push(bus);
  }

  // Locked switches: faulted ones, and every switch bounding a faulted section.
  const switches: SectionSwitch[] = b.switches.map((sw, k) => {
    const [a, c] = switchEnds[k]!;
    const locked = faulted.has(sw.ref.toLowerCase()) || faultedRoots.has(a) || faultedRoots.has(c);
    const initial = locked || s.reset.kind === "open-agent-switches" ? "open" : sw.compiled;
    return {
      element: sw.ref,
      sections: [idOf.get(a)!, idOf.get(c)!],
      kind: locked ? "locked" : "agent",
      microgrid: s.microgrids[sw.agent]!.id,
      index: sw.index,
      initial,
      locked_open: locked,
    };
  });

  const sections: Section[] = order.map((r) => {
    const loads = loadsAt.get(r) ?? [];
    const sources = sourcesAt.get(r) ?? [];
    const bounding = switches.filter((_, k) => switchEnds[k]![0] === r || switchEnds[k]![1] === r);
    const owner =
      sources.find((x) => x.microgrid)?.microgrid ??
      majority(bounding.map((x) => x.microgrid!).filter(Boolean), s.microgrids.map((m) => m.id));
    return {
      id: idOf.get(r)!,
      buses: busesOf.get(r) ?? [],
      loads: loads.map((l) => ({ name: l.name, bus: l.bus, phases: l.phases, kw: l.kw, kvar: l.kvar, weight: l.weight })),
      load_kw: round(loads.reduce((t, l) => t + l.kw, 0)),
      load_kvar: round(loads.reduce((t, l) => t + l.kvar, 0)),
      weighted_kw: round(loads.reduce((t, l) => t + l.kw * l.weight, 0)),
      sources,
      switches: bounding.map((x) => x.element),
      faulted: faultedRoots.has(r),
      ...(owner ? { microgrid: owner } : {}),
    };
  });

  return {
    format: SECTION_GRAPH_FORMAT,
    scenario: s.name,
    scenario_hash: b.hash,
    mode: s.mode,
    ...(s.limits.generation_cap_kw !== undefined ? { cap_kw: s.limits.generation_cap_kw } : {}),
    total_load_kw: round(b.loads.reduce((t, l) => t + l.kw, 0)),
    sections,
    switches,
    microgrids: s.microgrids.map((mg) => {
      const ids = new Set(mg.units.map((u) => u.id));
      return {
        id: mg.id,
        switches: b.switches.filter((x) => s.microgrids[x.agent] === mg).map((x) => x.ref),
        sections: sections.filter((sec) => sec.sources.some((src) => src.microgrid === mg.id && ids.has(src.id))).map((sec) => sec.id),
        units: mg.units.map((u) => u.id),
        ...(mg.forming_unit ? { forming_unit: mg.forming_unit } : {}),
        quota_kw: mg.quota_kw,
      };
    }),
  };
}

function majority(values: string[], order: string[]): string | undefined {
  if (values.length === 0) return undefined;
  const count = new Map<string, number>();
  for (const v of values) count.set(v, (count.get(v) ?? 0) + 1);
  return [...count.entries()].sort((a, b) => b[1] - a[1] || order.indexOf(a[0]) - order.indexOf(b[0]))[0]![0];
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

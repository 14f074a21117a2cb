// The voltage profile as OpenDSS plots it ("plot profile"): every energized
// node's voltage (pu) against its distance from the source along the
// feeder's branches. Distances from the scenario's topology (line lengths in
// their units, km when every line says its unit).
import type { BoundScenario } from "../../scenarios/bind.js";
import { BRANCH_CLASSES, num } from "../../scenarios/topology.js";

const KM_PER: Record<string, number> = { km: 1, m: 0.001, cm: 1e-5, mi: 1.609344, kft: 0.3048, ft: 0.0003048, in: 0.0000254 };

export interface BusDistances {
  km: Map<string, number>;
  /** Every line gave its unit: distances are in km; else in the feeder's own length units. */
  unit: "km" | "length units";
}

/** Shortest distance of each bus from the sources (vsource buses), over branches whatever their state. */
export function busDistances(bound: BoundScenario): BusDistances {
  const adj = new Map<string, { to: string; len: number }[]>();
  let allUnits = true;
  const link = (a: string, b: string, len: number) => {
    if (!adj.has(a)) adj.set(a, []);
    if (!adj.has(b)) adj.set(b, []);
    adj.get(a)!.push({ to: b, len });
    adj.get(b)!.push({ to: a, len });
  };
  const sources: string[] = [];
  for (const e of bound.topology.elements) {
    if (e.cls === "vsource" && e.enabled && e.terminals[0]?.bus) sources.push(e.terminals[0].bus);
    if (!BRANCH_CLASSES.has(e.cls)) continue;
    const buses = e.terminals.map((t) => t.bus).filter(Boolean);
    if (buses.length < 2) continue;
    let len = 0;
    if (e.cls === "line") {
      const raw = num(e, "length", 1);
      const unit = String(e.el.get("units") ?? "none").toLowerCase();
      const f = KM_PER[unit];
      if (f === undefined) allUnits = false;
      len = raw * (f ?? 1);
    }
    for (let i = 1; i < buses.length; i++) link(buses[0]!, buses[i]!, len);
  }
  // Dijkstra (a feeder is nearly a tree: a simple sorted frontier is plenty).
  const dist = new Map<string, number>();
  const frontier: { bus: string; d: number }[] = sources.map((bus) => ({ bus, d: 0 }));
  while (frontier.length) {
    frontier.sort((a, b) => a.d - b.d);
    const { bus, d } = frontier.shift()!;
    if (dist.has(bus)) continue;
    dist.set(bus, d);
    for (const n of adj.get(bus) ?? []) if (!dist.has(n.to)) frontier.push({ bus: n.to, d: d + n.len });
  }
  return { km: dist, unit: allUnits ? "km" : "length units" };
}

export interface ProfilePoint {
  bus: string;
  node: number;
  distance: number;
  pu: number;
}

/** Energized nodes with a voltage base, with their distance (nodes 1-3 only: phases). */
export function voltageProfile(bound: BoundScenario, voltages: readonly { bus: string; node: number; vmag: number; vpu?: number }[]): { points: ProfilePoint[]; unit: BusDistances["unit"] } {
  const d = busDistances(bound);
  const points: ProfilePoint[] = [];
  for (const v of voltages) {
    if (v.vpu === undefined || !(v.vpu > 0.1) || v.node < 1 || v.node > 3) continue;
    const dist = d.km.get(v.bus);
    if (dist === undefined) continue;
    points.push({ bus: v.bus, node: v.node, distance: dist, pu: v.vpu });
  }
  return { points, unit: d.unit };
}

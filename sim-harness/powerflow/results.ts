// Results read from a solved circuit (pandapower's res_* idea: computed on
// demand from the state, never written back into the inputs): node
// voltages, element terminal currents and powers, source power, losses,
// energized and de-energized buses, islands, violations.
import type { Circuit } from "./circuit.js";
import type { CompiledElement } from "./compile.js";
import type { LineSpec, TransformerSpec } from "./network.js";
import { elementCurrents, terminalPower } from "./terminals.js";

export interface NodeVoltage {
  bus: string;
  node: number;
  /** Magnitude in volts (line to ground). */
  vmag: number;
  vangDeg: number;
  /** Per unit of the bus base; undefined when the bus has no base. */
  vpu: number | undefined;
}

export interface TerminalFlow {
  terminal: number;
  /** Current magnitude per conductor (A) and angle (deg). */
  amps: number[];
  angDeg: number[];
  /** Power into the element at this terminal. */
  kW: number;
  kvar: number;
}

export interface ElementFlow {
  element: string;
  kind: string;
  terminals: TerminalFlow[];
}

export interface Violation {
  kind: "voltage-low" | "voltage-high" | "thermal-line" | "thermal-transformer";
  /** Bus (`bus.node`) or element (`Line.l45`). */
  element: string;
  value: number;
  limit: number;
}

export interface Island {
  /** Sources (Vsources) feeding this island. */
  sources: string[];
  buses: string[];
  nodeCount: number;
  /** Power its sources deliver (kW), and what its loads draw (kW). */
  sourceKw: number;
  loadKw: number;
}

export interface ViolationLimits {
  vminpu: number;
  vmaxpu: number;
  /** Multiplier on normal ratings (1 = normamps / normhkva). */
  ratingFactor: number;
}

export const DEFAULT_LIMITS: ViolationLimits = { vminpu: 0.95, vmaxpu: 1.05, ratingFactor: 1 };

const DEG = 180 / Math.PI;

export function nodeVoltages(c: Circuit): NodeVoltage[] {
  const t = c.topo;
  const out: NodeVoltage[] = [];
  t.buses.forEach((bus, bi) => {
    const base = c.busKvBase[bi]! * 1000;
    for (const n of t.busNodes[bi]!) {
      if (!c.nodeUsed[n]) continue;
      const vr = c.vRe[n]!;
      const vi = c.vIm[n]!;
      const vmag = Math.hypot(vr, vi);
      out.push({ bus, node: t.nodeNumber[n]!, vmag, vangDeg: Math.atan2(vi, vr) * DEG, vpu: base > 0 ? vmag / base : undefined });
    }
  });
  return out;
}

/** Terminal flows of one element. */
export function elementFlow(c: Circuit, e: CompiledElement): ElementFlow {
  const o = e.nodes.length;
  const iRe = new Float64Array(o);
  const iIm = new Float64Array(o);
  elementCurrents(c, e, iRe, iIm);
  const terminals: TerminalFlow[] = [];
  for (let t = 1; t <= e.terminals; t++) {
    const amps: number[] = [];
    const angDeg: number[] = [];
    for (let k = (t - 1) * e.conductors; k < t * e.conductors; k++) {
      amps.push(Math.hypot(iRe[k]!, iIm[k]!));
      angDeg.push(Math.atan2(iIm[k]!, iRe[k]!) * DEG);
    }
    const [p, q] = terminalPower(c, e, t, iRe, iIm);
    terminals.push({ terminal: t, amps, angDeg, kW: p / 1000, kvar: q / 1000 });
  }
  return { element: e.spec.name, kind: e.spec.kind, terminals };
}

function totalInto(c: Circuit, e: CompiledElement, iRe: Float64Array, iIm: Float64Array): [number, number] {
  elementCurrents(c, e, iRe, iIm);
  let p = 0;
  let q = 0;
  for (let t = 1; t <= e.terminals; t++) {
    const [a, b] = terminalPower(c, e, t, iRe, iIm);
    p += a;
    q += b;
  }
  return [p, q];
}

/**
 * Power delivered by all enabled Vsources (kW, kvar). The current out of a
 * source is taken from what the other elements at its terminal draw (KCL):
 * a stiff source's own Yprim*(V - Vs) loses its digits to cancellation.
 */
export function sourcePower(c: Circuit): { kW: number; kvar: number } {
  let p = 0;
  let q = 0;
  const t = c.topo;
  const buf = new Float64Array(256);
  const buf2 = new Float64Array(256);
  const sources = t.elements.filter((e) => e.spec.kind === "vsource" && c.enabled[e.index]);
  const sourceNodes = new Map<number, number>();
  for (const e of sources) for (let k = 0; k < e.conductors; k++) if (e.nodes[k]! > 0) sourceNodes.set(e.nodes[k]!, (sourceNodes.get(e.nodes[k]!) ?? 0) + 1);
  for (const e of sources) {
    const shared = e.nodes.subarray(0, e.conductors).some((n) => n > 0 && sourceNodes.get(n)! > 1) || e.nodes.subarray(e.conductors).some((n) => n > 0);
    if (shared) {
      elementCurrents(c, e, buf, buf2);
      const [a, b] = terminalPower(c, e, 1, buf, buf2);
      p -= a;
      q -= b;
      continue;
    }
    for (let k = 0; k < e.conductors; k++) {
      const n = e.nodes[k]!;
      if (n === 0) continue;
      let ir = 0;
      let ii = 0;
      for (let qq = t.nodeElemPtr[n]!; qq < t.nodeElemPtr[n + 1]!; qq++) {
        const f = t.elements[t.nodeElem[qq]!]!;
        if (f === e || !c.yprim[f.index]) continue;
        elementCurrents(c, f, buf, buf2);
        for (let a = 0; a < f.nodes.length; a++)
          if (f.nodes[a] === n) {
            ir += buf[a]!;
            ii += buf2[a]!;
          }
      }
      const vr = c.vRe[n]!;
      const vi = c.vIm[n]!;
      p += vr * ir + vi * ii;
      q += vi * ir - vr * ii;
    }
  }
  return { kW: p / 1000, kvar: q / 1000 };
}

const PD_KINDS = new Set(["line", "transformer", "reactor", "capacitor"]);

/** Shunt capacitors and reactors are not losses (OpenDSS skips IsShunt elements). */
function isShunt(e: CompiledElement): boolean {
  return (e.spec.kind === "capacitor" || e.spec.kind === "reactor") && !e.spec.series;
}

/** Losses in power-delivery elements (lines, transformers, series reactors and capacitors), kW and kvar. */
export function losses(c: Circuit): { kW: number; kvar: number } {
  let p = 0;
  let q = 0;
  const iRe = new Float64Array(256);
  const iIm = new Float64Array(256);
  for (const e of c.topo.elements) {
    if (!PD_KINDS.has(e.spec.kind) || !c.enabled[e.index] || isShunt(e)) continue;
    const [a, b] = totalInto(c, e, iRe, iIm);
    p += a;
    q += b;
  }
  return { kW: p / 1000, kvar: q / 1000 };
}

/** Power consumed by each load (kW, kvar). */
export function loadPowers(c: Circuit): { name: string; kW: number; kvar: number }[] {
  const out: { name: string; kW: number; kvar: number }[] = [];
  const iRe = new Float64Array(16);
  const iIm = new Float64Array(16);
  for (const pc of c.pcs) {
    if (pc.kind !== "load") continue;
    const e = c.topo.elements[pc.element]!;
    if (!c.enabled[e.index]) {
      out.push({ name: e.spec.name, kW: 0, kvar: 0 });
      continue;
    }
    const [p, q] = totalInto(c, e, iRe, iIm);
    out.push({ name: e.spec.name, kW: p / 1000, kvar: q / 1000 });
  }
  return out;
}

export function busEnergized(c: Circuit, bi: number): boolean {
  for (const n of c.topo.busNodes[bi]!) if (c.energized[n]) return true;
  return false;
}

/** Buses an enabled element uses. */
export function busUsed(c: Circuit, bi: number): boolean {
  for (const n of c.topo.busNodes[bi]!) if (c.nodeUsed[n]) return true;
  return false;
}

export function deenergizedBuses(c: Circuit): string[] {
  return c.topo.buses.filter((_, bi) => busUsed(c, bi) && !busEnergized(c, bi));
}

export function energizedBuses(c: Circuit): string[] {
  return c.topo.buses.filter((_, bi) => busEnergized(c, bi));
}

export function islands(c: Circuit): Island[] {
  const byRoot = new Map<number, Island>();
  const t = c.topo;
  for (let n = 1; n <= t.nodeCount; n++) {
    if (!c.energized[n]) continue;
    const r = c.island[n]!;
    let isl = byRoot.get(r);
    if (!isl) {
      isl = { sources: [], buses: [], nodeCount: 0, sourceKw: 0, loadKw: 0 };
      byRoot.set(r, isl);
    }
    isl.nodeCount++;
  }
  const seenBus = new Set<string>();
  t.buses.forEach((bus, bi) => {
    for (const n of t.busNodes[bi]!) {
      if (!c.energized[n]) continue;
      const isl = byRoot.get(c.island[n]!)!;
      const key = `${c.island[n]}:${bus}`;
      if (!seenBus.has(key)) {
        seenBus.add(key);
        isl.buses.push(bus);
      }
    }
  });
  const iRe = new Float64Array(64);
  const iIm = new Float64Array(64);
  for (const e of t.elements) {
    if (!c.enabled[e.index]) continue;
    const kind = e.spec.kind;
    if (kind !== "vsource" && kind !== "load") continue;
    const n = e.nodes.find((x) => x > 0 && c.energized[x] === 1);
    if (n === undefined) continue;
    const isl = byRoot.get(c.island[n]!)!;
    elementCurrents(c, e, iRe, iIm);
    const [p] = terminalPower(c, e, 1, iRe, iIm);
    if (kind === "vsource") {
      if (!isl.sources.includes(e.spec.name)) isl.sources.push(e.spec.name);
      isl.sourceKw -= p / 1000;
    } else isl.loadKw += p / 1000;
  }
  return [...byRoot.values()];
}

/**
 * Voltages outside the band at energized load buses, lines above normal amps,
 * transformer windings above their kVA rating.
 */
export function violations(c: Circuit, limits: ViolationLimits = DEFAULT_LIMITS): Violation[] {
  const out: Violation[] = [];
  const t = c.topo;
  const loadNodes = new Set<number>();
  for (const pc of c.pcs) {
    if (pc.kind !== "load" || !c.enabled[pc.element]) continue;
    const e = t.elements[pc.element]!;
    for (let i = 0; i < pc.injector.layout.phases; i++) {
      const n = e.nodes[pc.injector.layout.pa[i]!]!;
      if (n > 0) loadNodes.add(n);
    }
  }
  for (const n of [...loadNodes].sort((a, b) => a - b)) {
    if (!c.energized[n]) continue;
    const base = c.nodeVbase[n]!;
    if (!(base > 0)) continue;
    const pu = Math.hypot(c.vRe[n]!, c.vIm[n]!) / base;
    const name = `${t.buses[t.nodeBus[n]!]}.${t.nodeNumber[n]}`;
    if (pu < limits.vminpu) out.push({ kind: "voltage-low", element: name, value: pu, limit: limits.vminpu });
    else if (pu > limits.vmaxpu) out.push({ kind: "voltage-high", element: name, value: pu, limit: limits.vmaxpu });
  }
  const iRe = new Float64Array(64);
  const iIm = new Float64Array(64);
  for (const e of t.elements) {
    if (!c.enabled[e.index] || !c.yprim[e.index]) continue;
    if (e.spec.kind === "line") {
      const s = e.spec as LineSpec;
      if (!(s.normAmps > 0)) continue;
      elementCurrents(c, e, iRe, iIm);
      let worst = 0;
      for (let k = 0; k < e.nodes.length; k++) worst = Math.max(worst, Math.hypot(iRe[k]!, iIm[k]!));
      const limit = s.normAmps * limits.ratingFactor;
      if (worst > limit) out.push({ kind: "thermal-line", element: s.name, value: worst, limit });
    } else if (e.spec.kind === "transformer") {
      const s = e.spec as TransformerSpec;
      elementCurrents(c, e, iRe, iIm);
      // The winding loaded furthest beyond its own kVA rating.
      let worst: { value: number; limit: number } | undefined;
      for (let w = 1; w <= e.terminals; w++) {
        const rating = s.windings[w - 1]!.kVA * limits.ratingFactor;
        if (!(rating > 0)) continue;
        const [p, q] = terminalPower(c, e, w, iRe, iIm);
        const kva = Math.hypot(p, q) / 1000;
        if (kva > rating && (!worst || kva / rating > worst.value / worst.limit)) worst = { value: kva, limit: rating };
      }
      if (worst) out.push({ kind: "thermal-transformer", element: s.name, value: worst.value, limit: worst.limit });
    }
  }
  return out;
}

// Observations and the global state, built from the environment's switch
// states, the energization graph and the last solve.
//
// `switch-states` (the paper's): per switch, 1 closed / 0 open.
// `measured` (what an edge controller reads): per switch 5 values
//   [closed, live at terminal 1, live at terminal 2, kW through it / norm,
//    lowest voltage pu of its live terminals (0 when both are dead)],
// then per agent 2 values [generation headroom / norm, step / episode length].
// norm = the cap if the scenario has one, else the total nominal load.
//
// Global state (centralized critic): every switch's state, per section
// [energized, served kW / norm], then [restored / norm, weighted restored /
// total weighted load, step / episode length].
import type { ObservationKind } from "../../shared/policy/manifest.js";
import type { EnergizationGraph } from "./energization.js";
import type { GridResult } from "./grid.js";

export const MEASURED_PER_SWITCH = 5;
export const MEASURED_PER_AGENT = 2;

export function observationSize(kind: ObservationKind, switches: number): number {
  return kind === "switch-states" ? switches : MEASURED_PER_SWITCH * switches + MEASURED_PER_AGENT;
}

export function stateSize(switches: number, sections: number): number {
  return switches + 2 * sections + 3;
}

export interface ObserveContext {
  energy: EnergizationGraph;
  result: GridResult;
  /** kW served per section from the last solve. */
  sectionKw: Float64Array;
  /** Per switch k: terminal buses (for voltages). */
  switchBuses: readonly (readonly [string, string])[];
  norm: number;
  /** Headroom (kW) per agent: what its island (or the cap) still allows. */
  headroomKw: Float64Array;
  step: number;
  episodeLength: number;
}

/** kW flowing through each closed switch, away from its island's grid-forming source (0 when open or dead). */
export function switchFlows(energy: EnergizationGraph, sectionKw: Float64Array): Float64Array {
  const flow = new Float64Array(energy.switchCount);
  const n = energy.sectionCount;
  // Adjacency of closed switches.
  const adj: number[][] = Array.from({ length: n }, () => []);
  for (let k = 0; k < energy.switchCount; k++) {
    if (!energy.closed[k]) continue;
    adj[energy.ends[2 * k]!]!.push(k);
    adj[energy.ends[2 * k + 1]!]!.push(k);
  }
  const seen = new Uint8Array(n);
  const parentSwitch = new Int32Array(n).fill(-1);
  for (const isl of energy.islands()) {
    if (!isl.energized) continue;
    const root = energy.forming[isl.forming[0]!]!.section;
    // BFS order from the root, then accumulate subtree kW backwards.
    const order = [root];
    seen[root] = 1;
    for (let q = 0; q < order.length; q++) {
      const s = order[q]!;
      for (const k of adj[s]!) {
        const t = energy.ends[2 * k] === s ? energy.ends[2 * k + 1]! : energy.ends[2 * k]!;
        if (seen[t]) continue;
        seen[t] = 1;
        parentSwitch[t] = k;
        order.push(t);
      }
    }
    const sub = new Map<number, number>();
    for (let q = order.length - 1; q >= 0; q--) {
      const s = order[q]!;
      const kw = (sub.get(s) ?? 0) + sectionKw[s]!;
      const k = parentSwitch[s]!;
      if (k >= 0) {
        flow[k] = kw;
        const up = energy.ends[2 * k] === s ? energy.ends[2 * k + 1]! : energy.ends[2 * k]!;
        sub.set(up, (sub.get(up) ?? 0) + kw);
      }
    }
  }
  return flow;
}

export function observe(kind: ObservationKind, agentSwitches: readonly number[], agent: number, ctx: ObserveContext, flows: Float64Array | undefined): Float32Array {
  const { energy } = ctx;
  if (kind === "switch-states") {
    const out = new Float32Array(agentSwitches.length);
    agentSwitches.forEach((k, i) => (out[i] = energy.closed[k]!));
    return out;
  }
  const out = new Float32Array(observationSize(kind, agentSwitches.length));
  agentSwitches.forEach((k, i) => {
    const o = MEASURED_PER_SWITCH * i;
    const a = energy.ends[2 * k]!;
    const b = energy.ends[2 * k + 1]!;
    out[o] = energy.closed[k]!;
    out[o + 1] = energy.energized(a) ? 1 : 0;
    out[o + 2] = energy.energized(b) ? 1 : 0;
    out[o + 3] = (flows?.[k] ?? 0) / ctx.norm;
    const [ba, bb] = ctx.switchBuses[k]!;
    const va = ctx.result.busVoltage(ba)?.min ?? 0;
    const vb = ctx.result.busVoltage(bb)?.min ?? 0;
    out[o + 4] = va > 0 && vb > 0 ? Math.min(va, vb) : Math.max(va, vb);
  });
  const o = MEASURED_PER_SWITCH * agentSwitches.length;
  out[o] = ctx.headroomKw[agent]! / ctx.norm;
  out[o + 1] = ctx.step / ctx.episodeLength;
  return out;
}

export function globalState(ctx: ObserveContext, restoredKw: number, weighted: number, totalWeighted: number): Float32Array {
  const { energy } = ctx;
  const out = new Float32Array(stateSize(energy.switchCount, energy.sectionCount));
  out.set(energy.closed);
  let o = energy.switchCount;
  for (let s = 0; s < energy.sectionCount; s++) {
    out[o++] = energy.energized(s) ? 1 : 0;
    out[o++] = ctx.sectionKw[s]! / ctx.norm;
  }
  out[o++] = restoredKw / ctx.norm;
  out[o++] = totalWeighted > 0 ? weighted / totalWeighted : 0;
  out[o] = ctx.step / ctx.episodeLength;
  return out;
}

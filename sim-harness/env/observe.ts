// Observations and the global state, built from the environment's switch
// states, the energization graph and the last solve. The observation
// encodings themselves (`switch-states`, `measured`) live in
// shared/encoding/observation.ts, which the edge agent fills from its
// devices' readings: this module supplies the environment's quantities.
//
// Global state (centralized critic): every switch's state, per section
// [energized, served kW / norm], then [restored / norm, weighted restored /
// total weighted load, step / episode length].
import { observationSize, writeMeasuredAgent, writeMeasuredSwitch } from "../../shared/encoding/observation.js";
import type { ObservationKind } from "../../shared/policy/manifest.js";
import type { EnergizationGraph } from "./energization.js";
import type { GridResult } from "./grid.js";

export { MEASURED_PER_AGENT, MEASURED_PER_SWITCH, observationSize } from "../../shared/encoding/observation.js";

export function stateSize(switches: number, sections: number): number {
  return switches + 2 * sections + 3;
}

/** One terminal of a switch: its bus and the phases (nodes 1-3) the switch has there. */
export interface SwitchTerminal {
  bus: string;
  nodes: readonly number[];
}

/**
 * Lowest and highest live phase voltage (pu) at a switch terminal, over the
 * switch's own phases: what its device's voltage transformers read (a
 * single-phase switch on a three-phase bus sees its one phase, not the
 * bus's lowest). Undefined when dead.
 */
export function terminalPu(result: GridResult, t: SwitchTerminal): { min: number; max: number } | undefined {
  let min = Infinity;
  let max = -Infinity;
  for (const node of t.nodes) {
    if (node < 1 || node > 3) continue;
    const v = result.nodeVoltagePu(t.bus, node);
    if (v === undefined || !(v > 0)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return max > 0 ? { min, max } : undefined;
}

export interface ObserveContext {
  energy: EnergizationGraph;
  result: GridResult;
  /** kW served per section from the last solve. */
  sectionKw: Float64Array;
  /** Per switch k: its two terminals (for voltages). */
  switchTerminals: readonly (readonly [SwitchTerminal, SwitchTerminal])[];
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
    const [ta, tb] = ctx.switchTerminals[k]!;
    writeMeasuredSwitch(
      out,
      i,
      energy.closed[k] === 1,
      energy.energized(energy.ends[2 * k]!),
      energy.energized(energy.ends[2 * k + 1]!),
      flows?.[k] ?? 0,
      terminalPu(ctx.result, ta)?.min ?? 0,
      terminalPu(ctx.result, tb)?.min ?? 0,
      ctx.norm,
    );
  });
  writeMeasuredAgent(out, agentSwitches.length, ctx.headroomKw[agent]!, ctx.step, ctx.episodeLength, ctx.norm);
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

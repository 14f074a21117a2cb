// Terminal layouts OpenDSS gives its elements (number of conductors per
// terminal, default second buses), shared by several classes.
import type { DssElement, Layout } from "../model.js";
import { busNameOf } from "../buses.js";

/**
 * Power-conversion elements (Load, Generator, PVSystem, Storage): one
 * terminal; wye has a neutral conductor (phases+1), delta has phases
 * conductors except 1- and 2-phase delta (phases+1), as OpenDSS
 * SetNcondsForConnection.
 */
export function pcLayout(el: DssElement, phasesIdx: number, busIdx: number, connIdx: number): Layout {
  const phases = el.values[phasesIdx] as number;
  const delta = el.values[connIdx] === "delta";
  const conductors = !delta ? phases + 1 : phases <= 2 ? phases + 1 : phases;
  return { phases, conductors, buses: [String(el.values[busIdx] ?? "")] };
}

/**
 * Two-terminal shunt-capable elements (Vsource, Capacitor, Reactor): bus2
 * defaults to bus1 with every conductor on node 0 (grounded wye) unless bus2
 * was given, as OpenDSS sets it when bus1 is assigned.
 */
export function defaultBus2(bus1: string, phases: number): string {
  return busNameOf(bus1) + ".0".repeat(Math.max(phases, 1));
}

/**
 * Two-terminal element whose bus2 defaults to bus1 grounded (Vsource,
 * Capacitor, Reactor in wye): both terminals have `phases` conductors.
 */
export function twoTerminalLayout(el: DssElement, bus1: number, bus2: number, phasesIdx: number): Layout {
  const phases = el.values[phasesIdx] as number;
  const b1 = String(el.values[bus1] ?? "");
  const b2 = el.values[bus2] !== undefined ? String(el.values[bus2]) : defaultBus2(b1, phases);
  return { phases, conductors: phases, buses: [b1, b2] };
}

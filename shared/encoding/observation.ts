// The policies' observation encodings (a policy manifest's `observation.kind`),
// written from measured quantities. The training environment fills them from
// its solved state (sim-harness/env/observe.ts); the edge agent from what its
// devices read in the field (agent/runtime/observe.ts). One encoding, two
// sources: a policy sees the same numbers in training and in the field.
//
// `switch-states` (the paper's): per switch, 1 closed / 0 open.
// `measured` (what an edge controller reads): per switch 5 values
//   [closed, live at terminal 1, live at terminal 2, kW through it / norm,
//    lowest voltage pu of its live terminals (0 when both are dead)],
// then per agent 2 values [generation headroom / norm, step / episode length].
// norm = the cap if the scenario has one, else the total nominal load.
import type { ObservationKind } from "../policy/manifest.js";

export const MEASURED_PER_SWITCH = 5;
export const MEASURED_PER_AGENT = 2;

/** Length of one agent's observation. */
export function observationSize(kind: ObservationKind, switches: number): number {
  return kind === "switch-states" ? switches : MEASURED_PER_SWITCH * switches + MEASURED_PER_AGENT;
}

/** The `measured` observation's normalisation (kW): the generation cap, else the total nominal load (at least 1). */
export function measuredNorm(capKw: number | undefined, totalLoadKw: number): number {
  return capKw ?? Math.max(1, totalLoadKw);
}

/**
 * Voltage feature of one switch: the lower of its two terminals' voltages
 * (pu; 0 = dead) when both are live, the live one's when one is.
 */
export function switchVoltageFeature(puTerminal1: number, puTerminal2: number): number {
  return puTerminal1 > 0 && puTerminal2 > 0 ? Math.min(puTerminal1, puTerminal2) : Math.max(puTerminal1, puTerminal2);
}

/**
 * Write switch `i` of a `measured` observation. Scalars, no allocation: the
 * environment calls it for every agent's switches at every step.
 *
 * @param flowKw   kW through the switch, as a magnitude (0 when open or dead)
 * @param puTerminal1, puTerminal2  lowest phase voltage (pu) at each terminal, 0 when dead
 */
export function writeMeasuredSwitch(out: Float32Array, i: number, closed: boolean, live1: boolean, live2: boolean, flowKw: number, puTerminal1: number, puTerminal2: number, norm: number): void {
  const o = MEASURED_PER_SWITCH * i;
  out[o] = closed ? 1 : 0;
  out[o + 1] = live1 ? 1 : 0;
  out[o + 2] = live2 ? 1 : 0;
  out[o + 3] = flowKw / norm;
  out[o + 4] = switchVoltageFeature(puTerminal1, puTerminal2);
}

/** Write the per-agent tail of a `measured` observation of `switches` switches. */
export function writeMeasuredAgent(out: Float32Array, switches: number, headroomKw: number, step: number, episodeLength: number, norm: number): void {
  const o = MEASURED_PER_SWITCH * switches;
  out[o] = headroomKw / norm;
  out[o + 1] = step / episodeLength;
}

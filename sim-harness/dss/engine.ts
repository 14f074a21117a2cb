// The hook between the OpenDSS interpreter and a power-flow engine.
//
// The interpreter owns the language: it builds and edits the DssCircuit and
// calls the engine when the script says `solve` or `calcvoltagebases` (in the
// script's order, with the options `set` so far already in circuit.options).
// The engine (sim-harness/powerflow) owns the physics. Without an engine the
// interpreter only records the requests in `circuit.requests`, so a script
// can be parsed, checked and inspected with no solver at all.
//
// Contract for implementers:
// - `solve` solves the circuit as it stands (elements, enabled flags, open
//   conductors, options). It may keep state between calls (factorization,
//   previous voltages) keyed on the circuit object; `circuit.revision` and
//   `element.revision` tell what changed since the last call.
// - `calcVoltageBases` does OpenDSS's zero-load solve and assigns each bus the
//   nearest legal base from circuit.options.voltageBases.
// - Throw a BlackstartError for problems the user must fix (the interpreter
//   adds nothing to it); return normally when the solve ran, converged or not
//   (non-convergence is a result, reported by the engine's own API).
import type { DssCircuit } from "./model.js";
import type { SourceLocation } from "./errors.js";

export interface SolveRequest {
  /** Where the script asked for it. */
  at: SourceLocation;
}

export interface DssEngine {
  solve(circuit: DssCircuit, request: SolveRequest): void;
  calcVoltageBases(circuit: DssCircuit, request: SolveRequest): void;
  /** Called on `clear` (and when a new circuit replaces the active one): drop state of old circuits. */
  reset?(): void;
}

/** The engine used when none is given: only records that a solve was requested. */
export const recordingEngine: DssEngine = {
  solve() {},
  calcVoltageBases() {},
};

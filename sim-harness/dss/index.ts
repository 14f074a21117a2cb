// The OpenDSS language front end: parse a feeder into a DssCircuit model.
//
//   import { loadDss } from "sim-harness/dss/index.js";
//   const { circuit, interpreter } = loadDss("feeders/ieee123/IEEE123Master.dss", { engine });
//
// See model.ts for the model, engine.ts for the solver hook, docs/dss.md for
// the language as supported.
import { DssInterpreter, type InterpreterOptions } from "./interpreter.js";
import type { DssCircuit } from "./model.js";

export { DssInterpreter } from "./interpreter.js";
export type { InterpreterOptions } from "./interpreter.js";
export * from "./model.js";
export type { DssEngine, SolveRequest } from "./engine.js";
export { DssErrors, type SourceLocation } from "./errors.js";
export { lineImpedance, lineDataOf } from "./classes/line.js";
export { transformerOf } from "./classes/transformer.js";
export { loadSpec } from "./classes/load.js";
export { curveY } from "./classes/xycurve.js";

export interface LoadedDss {
  interpreter: DssInterpreter;
  circuit: DssCircuit;
}

/** Compiles a master file (its `solve`s run on the engine, if one is given) and returns the active circuit. */
export function loadDss(master: string, opts: InterpreterOptions = {}): LoadedDss {
  const interpreter = new DssInterpreter(opts);
  interpreter.compile(master);
  interpreter.validate();
  return { interpreter, circuit: interpreter.activeCircuit() };
}

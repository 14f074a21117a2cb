// The safety shield (docs/shield.md): pure functions, one module per rule.
export * from "./types.js";
export { indexGraph, type GraphIndex } from "./graph.js";
export { fleetStates, fleetLoadKw, reachableKw, initialLoadKw } from "./fleet.js";
export { evaluate, admit, type Admission, type AdmittedOperation, type AdmitOptions } from "./shield.js";
export { checkOperate, type OperateGateInput } from "./rules/select-before-operate.js";
export { readPosition } from "./rules/data-quality.js";
export { deenergizedBy, pickedUpBy } from "./trip.js";
export { ShieldErrors } from "./errors.js";
export type { Objection } from "./rules/rule.js";

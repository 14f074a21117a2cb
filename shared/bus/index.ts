// The peer bus's contract (docs/bus.md): topics, messages, the membership
// view, the fleet's generation ledger and the reservation protocol. Pure.
export * from "./topics.js";
export * from "./messages.js";
export * from "./parse.js";
export * from "./view.js";
export * from "./ledger.js";
export * from "./states.js";
export * from "./reservation.js";
export * from "./claims.js";
export * from "./answer-time.js";

// The shape of a rule: one module per rule, each a pure check of one operation
// on one of the agent's switches against the evaluation context. A rule that
// objects returns its id, a one-line reason and the values it compared.
import type { ShieldContext } from "../context.js";
import type { Operation, RuleId, VerdictValue } from "../types.js";

export interface Objection {
  rule: RuleId;
  detail: string;
  values: Record<string, VerdictValue>;
}

export interface ShieldRule {
  /** The id(s) its objections carry. */
  ids: readonly RuleId[];
  /** Operations it checks. */
  applies: readonly Operation[];
  /** Needs a known position (skipped when the data rules already hold the switch). */
  needsPosition: boolean;
  /** Check operation `action` on own switch k (action order). */
  check(ctx: ShieldContext, k: number, action: Operation): Objection | null;
}

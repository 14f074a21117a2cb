// Rules missing-data, stale-data, inconsistent-data as a shield rule: the
// objection computed once per switch by readPosition (data-quality.ts).
import type { ShieldRule } from "./rule.js";

export const positionRule: ShieldRule = {
  ids: ["missing-data", "stale-data", "inconsistent-data"],
  applies: ["close", "open"],
  needsPosition: false,
  check(ctx, k) {
    return ctx.positions[k]!.problem;
  },
};

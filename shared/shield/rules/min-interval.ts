// Rule min-interval: a switch is not operated again before the minimum interval
// since its last operation (anti-pumping; lets protection and the read-back settle).
import type { ShieldRule } from "./rule.js";

export const minIntervalRule: ShieldRule = {
  ids: ["min-interval"],
  applies: ["close", "open"],
  needsPosition: false,
  check(ctx, k) {
    const r = ctx.input.switches[k]!;
    const last = r.last_operation_ms ?? null;
    if (last === null) return null;
    const since = ctx.input.now_ms - last;
    const min = ctx.input.limits.min_operation_interval_ms;
    if (since >= min) return null;
    return {
      rule: "min-interval",
      detail: `${r.element}: last operated ${since} ms ago (minimum ${min} ms)`,
      values: { since_ms: since, min_operation_interval_ms: min, last_operation_ms: last },
    };
  },
};

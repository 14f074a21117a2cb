// Rule dead-bus: close only onto a dead bus. With no synchronism check in this
// version, a close with both sides (possibly) live would parallel two sources
// or mesh the feeder: refused. A side is live when its terminal voltage is at
// or above dead_below_pu; without a measurement, when the graph says it may be
// energized (walking through closed and unknown switches from live sources).
import type { ShieldRule } from "./rule.js";

export const deadBusRule: ShieldRule = {
  ids: ["dead-bus"],
  applies: ["close"],
  needsPosition: true,
  check(ctx, k) {
    const r = ctx.input.switches[k]!;
    const a = ctx.close(k);
    if (!a.live[0] || !a.live[1]) return null;
    return {
      rule: "dead-bus",
      detail: `${r.element}: both sides live (${a.evidence[0]} / ${a.evidence[1]}); no synchronism check`,
      values: {
        terminal1_pu: r.terminal_pu?.[0] ?? null,
        terminal2_pu: r.terminal_pu?.[1] ?? null,
        evidence1: a.evidence[0],
        evidence2: a.evidence[1],
        dead_below_pu: ctx.input.limits.dead_below_pu,
      },
    };
  },
};

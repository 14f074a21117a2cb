// Rule held: a switch the agent holds until an operator releases it takes no
// operation at all. The agent holds a switch that closed without its command
// (a crew operating it by hand, a reclose it did not ask for): it does not
// fight whoever did it. (A switch that opened by itself counts as tripped: the
// faulted rule refuses its close.)
import type { ShieldRule } from "./rule.js";

export const heldRule: ShieldRule = {
  ids: ["held"],
  applies: ["close", "open"],
  needsPosition: false,
  check(ctx, k) {
    const r = ctx.input.switches[k]!;
    const h = r.hold ?? null;
    if (h === null) return null;
    return { rule: "held", detail: `${r.element}: held (${h.kind}): ${h.detail}`, values: { hold: h.kind, since_ms: h.since_ms } };
  },
};

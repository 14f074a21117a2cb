// Rule one-operation: a switch with a command not yet in a final state (written
// but not confirmed, or unknown after a crash) takes no other command until that
// one is resolved by reading the device back.
import type { ShieldRule } from "./rule.js";

export const oneOperationRule: ShieldRule = {
  ids: ["one-operation"],
  applies: ["close", "open"],
  needsPosition: false,
  check(ctx, k) {
    const r = ctx.input.switches[k]!;
    if (!r.pending) return null;
    return {
      rule: "one-operation",
      detail: `${r.element}: command ${r.pending.command_id} is still ${r.pending.state}`,
      values: { command_id: r.pending.command_id, state: r.pending.state },
    };
  },
};

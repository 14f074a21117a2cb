// Rule dead-to-dead: a close between two dead sides picks up nothing by
// itself, but peers decide on the states they last heard, a tick or more old,
// and this agent's own later closes of the same decision are not applied yet:
// if a live source can reach either side through switches that may close in
// this same tick (any open switch of a microgrid, not held open by the outage;
// own switches not tripped, locked out or held), the close may pick up the
// other side at that same instant with nobody counting it (bench: closes
// judged 0 kW picked up 320 kW on ieee123-merge and ~2390 kW on
// ieee123-voltage). Refused; the same close is counted as an ordinary pick-up
// once a side is live. A dead region no switch can connect to a source this
// tick may still be joined (nothing can reach it). Independent of how old the
// peers' states are: it asks what may close, not what did.
import type { ShieldRule } from "./rule.js";

export const deadToDeadRule: ShieldRule = {
  ids: ["dead-to-dead"],
  applies: ["close"],
  needsPosition: true,
  check(ctx, k) {
    const r = ctx.input.switches[k]!;
    const dd = ctx.close(k).deadToDead;
    if (!dd || (!dd.reachable[0] && !dd.reachable[1])) return null;
    const from = `${dd.via.slice(0, 3).join(", ")}${dd.via.length > 3 ? ", ..." : ""}`;
    return {
      rule: "dead-to-dead",
      detail: `${r.element}: both sides dead, but side ${dd.reachable[0] ? (dd.reachable[1] ? "1 and 2" : "1") : "2"} may be energized from ${from} by a close in this same tick: it would pick up ${round(dd.reachable[0] && dd.reachable[1] ? Math.max(dd.sideKw[0], dd.sideKw[1]) : dd.reachable[0] ? dd.sideKw[1] : dd.sideKw[0])} kW uncounted; close once a side is live`,
      values: {
        side1_kw: round(dd.sideKw[0]),
        side2_kw: round(dd.sideKw[1]),
        side1_reachable: dd.reachable[0],
        side2_reachable: dd.reachable[1],
        reachable_from: dd.via.slice(0, 8),
        pools: dd.pools,
      },
    };
  },
};

function round(kw: number): number {
  return Math.round(kw * 1000) / 1000;
}

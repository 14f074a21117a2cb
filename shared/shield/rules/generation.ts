// Rule generation: never let served load exceed the generation granted. The
// load a close picks up (the dead side's sections, walked through closed and
// unknown switches, so a stale peer's switches count as closed) must fit in
// what is left of the agent's allocation: its static quota, plus the leases
// every live peer granted while the bus is up, minus the load its own closes
// already committed. In physics mode the live side's island must also carry
// the pick-up on the grid-forming units surely connected to it, and, given
// per-pool commitments, the pick-up draws on that island's pool only: the
// quota counts in its own island, a lease in the pool it was granted from.
import type { ShieldRule } from "./rule.js";

/** Rounding slack (kW): loads are sums of floats. */
const EPS_KW = 1e-6;

export const generationRule: ShieldRule = {
  ids: ["generation"],
  applies: ["close"],
  needsPosition: true,
  check(ctx, k) {
    const r = ctx.input.switches[k]!;
    const a = ctx.close(k);
    if (a.pickupKw <= 0) return null;
    const g = ctx.input.generation;
    const values = {
      pickup_kw: round(a.pickupKw),
      available_kw: round(ctx.availableKw),
      quota_kw: g.quota_kw,
      leases_kw: round(ctx.leasesCountedKw),
      committed_kw: round(g.committed_kw),
      bus_up: g.bus_up,
    };
    // Physics mode, per pool: the pick-up draws on the island it joins (docs/bus.md, generation pools).
    const pool = a.pool !== null ? ctx.poolBudget(a.pool) : null;
    if (pool) {
      if (a.pickupKw > pool.available_kw + EPS_KW) {
        return {
          rule: "generation",
          detail: `${r.element}: would pick up ${round(a.pickupKw)} kW in island '${a.pool}', ${round(pool.available_kw)} kW left there (quota ${round(pool.quota_kw)} + leases ${round(pool.leases_kw)} - committed ${round(pool.committed_kw)})`,
          values: { ...values, available_kw: round(pool.available_kw), quota_kw: round(pool.quota_kw), leases_kw: round(pool.leases_kw), committed_kw: round(pool.committed_kw), pool: a.pool, shortfall_kw: shortfall(a.pickupKw, pool.available_kw) },
        };
      }
    } else if (a.pickupKw > ctx.availableKw + EPS_KW) {
      return {
        rule: "generation",
        detail: `${r.element}: would pick up ${round(a.pickupKw)} kW, ${round(ctx.availableKw)} kW left (quota ${g.quota_kw} + leases ${round(ctx.leasesCountedKw)} - committed ${round(g.committed_kw)})`,
        values: { ...values, shortfall_kw: shortfall(a.pickupKw, ctx.availableKw) },
      };
    }
    if (ctx.ix.graph.mode === "physics" && a.islandLoadKw + a.pickupKw > a.islandRatingKw + EPS_KW) {
      return {
        rule: "generation",
        detail: `${r.element}: island would carry ${round(a.islandLoadKw + a.pickupKw)} kW on ${round(a.islandRatingKw)} kW of grid-forming units`,
        values: { ...values, island_load_kw: round(a.islandLoadKw), island_rating_kw: round(a.islandRatingKw) },
      };
    }
    return null;
  },
};

/**
 * What a lease must add for the pick-up to fit (kW), from the exact figures and
 * rounded up to the watt: the rounded `pickup_kw - available_kw` of the values
 * can fall short by up to a watt, and a lease that short leaves the same veto
 * standing (ieee8500-10mg's bench: 227.82 kW granted for 227.8203 kW missing,
 * the pick-up refused for the rest of the session).
 */
function shortfall(pickupKw: number, availableKw: number): number {
  return Math.ceil((pickupKw - availableKw) * 1000) / 1000;
}

function round(kw: number): number {
  return Number.isFinite(kw) ? Math.round(kw * 1000) / 1000 : kw;
}

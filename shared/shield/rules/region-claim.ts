// Rule region-claim: two closes into one dead region from different sides in
// the same tick. Each alone is a close onto a dead bus, but together they
// energize the region from two live sides at once: two islands paralleled (or
// one meshed) with no synchronism check. Peers decide on states a tick old,
// so neither sees the other's close coming. A close into a dead region that
// another microgrid's switch may also energize this tick goes through only
// under a claim on the region, granted by every live peer over the bus
// (shared/bus/claims.ts); a peer that acknowledged a claim closes nothing onto
// its sections until it ends. Without the bus no claim can be held: such a
// close is refused (docs/shield.md, "Two closes into one dead region").
import type { ShieldContext } from "../context.js";
import type { Objection, ShieldRule } from "./rule.js";

export const regionClaimRule: ShieldRule = {
  ids: ["region-claim"],
  applies: ["close"],
  needsPosition: true,
  check(ctx, k): Objection | null {
    const r = ctx.input.switches[k]!;
    const a = ctx.close(k);
    const claims = ctx.input.claims;
    // A peer's claim on a section this close would join or touch: it may be closing into it now.
    const sw = ctx.own[k]!;
    const touched = new Set([...a.joined, ctx.ix.endA[sw]!, ctx.ix.endB[sw]!].map((s) => ctx.ix.sectionIds[s]!));
    for (const c of claims?.peers ?? []) {
      const overlap = c.sections.filter((s) => touched.has(s));
      if (!overlap.length) continue;
      return {
        rule: "region-claim",
        detail: `${r.element}: ${c.microgrid} holds claim ${c.id} on ${list(overlap)}, which this close would join; wait until its close is seen`,
        values: { claimed_by: c.microgrid, claim: c.id, sections: overlap.slice(0, 16) },
      };
    }
    const cont = a.contested;
    if (!cont) return null;
    const region = cont.region.map((s) => ctx.ix.sectionIds[s]!);
    const margin = ctx.input.limits.lease_margin_ms;
    const held = claims?.bus_up ? claims.own.find((c) => covers(c.sections, region) && c.remaining_ms >= margin) : undefined;
    const self = cont.competitors.filter((c) => c.microgrid === ctx.input.microgrid);
    const stale = cont.competitors.filter((c) => c.state === "stale");
    // No claim helps against its own command in flight on another switch of the region, nor against a
    // switch a peer it cannot hear may be closing (the region is dead as measured; the graph alone would say live).
    const why = self.length
      ? "own-close-in-flight"
      : stale.length
        ? "competitor-stale"
        : !claims
        ? "no-claims"
        : !claims.bus_up
          ? "bus-down"
          : claims.own.some((c) => covers(c.sections, region))
            ? "claim-expiring"
            : "no-claim";
    if (held && !self.length && !stale.length) return null;
    const competitors = cont.competitors.map((c) => `${c.element}@${c.microgrid}`);
    const kw = round(regionKw(ctx, cont.region));
    return {
      rule: "region-claim",
      detail: `${r.element}: the dead region ${list(region)} (${kw} kW) may also be energized this tick by ${competitors.slice(0, 3).join(", ")}${competitors.length > 3 ? ", ..." : ""}: two live sides at once; ${WHY_TEXT[why]}`,
      values: {
        reason: why,
        // Whole (a claim asks for exactly these), up to a bound; region_sections says how many there are.
        region: region.slice(0, MAX_LISTED),
        region_sections: region.length,
        region_kw: kw,
        competitors: competitors.slice(0, MAX_LISTED),
        competitor_states: cont.competitors.slice(0, MAX_LISTED).map((c) => c.state),
        competitor_via: cont.competitors.slice(0, MAX_LISTED).map((c) => c.via),
        lease_margin_ms: margin,
      },
    };
  },
};

/** What a veto's detail says for each reason. */
const WHY_TEXT = {
  "own-close-in-flight": "its own command there is still in flight",
  "competitor-stale": "its owner cannot be heard",
  "no-claims": "no claim without the bus",
  "bus-down": "no claim without the bus",
  "claim-expiring": "its claim is about to end",
  "no-claim": "close under a claim",
} as const;

/** Sections and competitors a verdict lists at most (a claim request carries at most 2048 sections). */
const MAX_LISTED = 512;

function covers(claimed: readonly string[], region: readonly string[]): boolean {
  const s = new Set(claimed);
  return region.every((x) => s.has(x));
}

function regionKw(ctx: ShieldContext, region: readonly number[]): number {
  let kw = 0;
  for (const s of region) kw += ctx.ix.loadKw[s]!;
  return kw;
}

function list(ids: readonly string[]): string {
  return ids.length > 4 ? `${ids.slice(0, 4).join(", ")}, ... (${ids.length})` : ids.join(", ");
}

function round(kw: number): number {
  return Math.round(kw * 1000) / 1000;
}

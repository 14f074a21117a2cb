// Rule faulted: never close onto a faulted, tripped or locked-out section. A
// close is refused when the switch is held open by the outage, when its
// protection tripped it or locked it out, or when anything the close would
// join (walking through closed and unknown switches, up to what is surely
// energized already) holds a faulted section: faulted in the outage, left
// dead by this agent's own trip, or by a trip a peer holds (its published
// `holds`, docs/bus.md).
import type { Objection, ShieldRule } from "./rule.js";

export const faultedRule: ShieldRule = {
  ids: ["faulted"],
  applies: ["close"],
  needsPosition: true,
  check(ctx, k): Objection | null {
    const r = ctx.input.switches[k]!;
    const sw = ctx.own[k]!;
    if (r.locked_out) return { rule: "faulted", detail: `${r.element}: locked out`, values: { locked_out: true } };
    if (r.tripped) {
      return { rule: "faulted", detail: `${r.element}: ${r.tripped_detail ?? "tripped by its protection"}`, values: { tripped: true, ...(r.tripped_detail ? { tripped_detail: r.tripped_detail } : {}) } };
    }
    if (ctx.ix.lockedOpen[sw]) {
      return { rule: "faulted", detail: `${r.element}: held open by the outage (bounds a faulted section)`, values: { locked_open: true } };
    }
    const hit = ctx.close(k).joined.filter((s) => ctx.faulted[s]);
    if (hit.length === 0) return null;
    const sections = hit.map((s) => ctx.ix.sectionIds[s]!);
    const peers = [...new Set(hit.flatMap((s) => (ctx.faultedBy.has(s) ? [ctx.faultedBy.get(s)!] : [])))];
    const by = peers.length ? ` (held by ${peers.join(", ")} after a trip, until an operator releases it)` : "";
    return {
      rule: "faulted",
      detail: `${r.element}: would close onto faulted section ${sections.join(", ")}${by}`,
      values: { faulted_sections: sections, ...(peers.length ? { declared_by: peers } : {}) },
    };
  },
};

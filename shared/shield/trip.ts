// What an uncommanded change of position means on the section graph, for the
// agent that sees one (docs/agent.md, "Uncommanded changes"): the sections a
// switch that opened by itself left without supply (suspect until an operator
// releases it: the agent passes them as `faulted_sections`), and the load a
// switch that closed by itself picked up (committed to the ledger, so later
// closes still fit the generation). Pure.
import { buildContext } from "./context.js";
import { walk, type GraphIndex } from "./graph.js";
import type { ShieldInput } from "./types.js";

/**
 * Sections that open switch `k` (action order) leaves without supply: reached
 * from either terminal through switches known closed, and not surely
 * energized from a live source. Empty when both sides are still fed.
 */
export function deenergizedBy(ix: GraphIndex, input: ShieldInput, k: number): string[] {
  const ctx = buildContext(ix, input);
  const sw = ctx.own[k]!;
  return walk(ix, ctx.states, [ix.endA[sw]!, ix.endB[sw]!], false, sw, ctx.surelyLive).map((s) => ix.sectionIds[s]!);
}

/**
 * Load (kW) switch `k` picked up by closing: what the shield counts for its
 * close from the same input with `k` open (its measurements dropped, they
 * describe the feeder after the close).
 */
export function pickedUpBy(ix: GraphIndex, input: ShieldInput, k: number): number {
  const switches = input.switches.map((r, i) => {
    if (i !== k) return r;
    const { terminal_pu: _v, current_a: _i, ...rest } = r;
    return { ...rest, closed: false, ...(r.open !== undefined ? { open: true } : {}) };
  });
  return buildContext(ix, { ...input, switches }).close(k).pickupKw;
}

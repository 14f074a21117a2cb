// Physics mode, per-island generation pools: a pick-up draws on the pool of
// the island it joins. The static quota counts only in the agent's own
// island, a lease only in the pool it was granted from; two closes into one
// island are judged together (docs/bus.md, generation pools).
import { describe, expect, it } from "vitest";
import { generationPools, poolOfSection } from "../../bus/pools.js";
import { CLOSED, OPEN, indexGraph } from "../graph.js";
import { admit, evaluate } from "../shield.js";
import { DEFAULT_LIMITS, type ShieldInput } from "../types.js";
import { makeGraph, NOW, reading } from "./fixtures.js";

/**
 *   sa (mg1's diesel, 500 kW; 100 kW load) --a(mg1)-- s1 150 kW --x(mg2)-- s2 120 kW
 *   sb (mg2's battery, 300 kW; 50 kW load) --b(mg2)-- s3 80 kW
 *
 * mg2's switch x joins s2 to s1: once mg1 has closed a, closing x picks s2 up into mg1's island.
 */
const graph = makeGraph(
  "physics",
  [
    { id: "sa", kw: 100, sources: [{ id: "d1", kind: "diesel", kw: 500, microgrid: "mg1" }] },
    { id: "s1", kw: 150 },
    { id: "s2", kw: 120 },
    { id: "sb", kw: 50, sources: [{ id: "b2", kind: "battery", kw: 300, microgrid: "mg2" }] },
    { id: "s3", kw: 80 },
  ],
  [
    { element: "Line.a", between: ["sa", "s1"], mg: "mg1" },
    { element: "Line.x", between: ["s1", "s2"], mg: "mg2" },
    { element: "Line.b", between: ["sb", "s3"], mg: "mg2" },
  ],
  { mg1: 300, mg2: 200 },
);
const ix = indexGraph(graph);

function mg2Input(over: Partial<ShieldInput["generation"]> = {}): ShieldInput {
  return {
    now_ms: NOW,
    microgrid: "mg2",
    switches: [reading("Line.x", "open"), reading("Line.b", "open")],
    peers: [{ microgrid: "mg1", fresh: true, switches: { "Line.a": "closed" } }],
    generation: { quota_kw: 200, committed_kw: 0, leases: [], bus_up: true, quota_pool: "b2", committed_by_pool: {}, ...over },
    limits: { ...DEFAULT_LIMITS },
  };
}

describe("generation pools (physics)", () => {
  it("one pool per island of grid-forming units at reset, each with its owners, capacity and reset load", () => {
    const p = generationPools(ix);
    expect(p.fleet).toBe(false);
    expect(p.pools.map((x) => ({ id: x.id, capacity_kw: x.capacity_kw, base_kw: x.base_kw, owners: x.owners }))).toEqual([
      { id: "d1", capacity_kw: 500, base_kw: 100, owners: ["mg1"] },
      { id: "b2", capacity_kw: 300, base_kw: 50, owners: ["mg2"] },
    ]);
    expect(Object.fromEntries(p.quotaPool)).toEqual({ mg1: "d1", mg2: "b2" });
    // s1 belongs to d1's island once Line.a is closed, to none while it is open.
    const states = Uint8Array.from([CLOSED, OPEN, OPEN]);
    expect(poolOfSection(ix, p, states, ix.sectionOf.get("s1")!)).toBe("d1");
    expect(poolOfSection(ix, p, Uint8Array.from([OPEN, OPEN, OPEN]), ix.sectionOf.get("s1")!)).toBeNull();
  });

  it("a pick-up into another microgrid's island needs a lease from that island's pool: the own quota does not count there", () => {
    const r = evaluate(ix, mg2Input());
    const x = r.switches[0]!;
    expect(x.pickup_kw).toBe(120);
    expect(x.pickup_pool).toBe("d1");
    expect(x.allowed.close).toBe(false);
    expect(r.verdicts.find((v) => v.element === "Line.x")).toMatchObject({
      rule: "generation",
      values: { pickup_kw: 120, available_kw: 0, quota_kw: 0, leases_kw: 0, pool: "d1" },
    });
    // Its own island's pick-up draws on its own quota.
    expect(r.switches[1]).toMatchObject({ pickup_kw: 80, pickup_pool: "b2", allowed: { close: true } });
    // A lease granted from b2's pool does not help in d1's island; one from d1's does.
    expect(evaluate(ix, mg2Input({ leases: [{ id: "l1", kw: 150, remaining_ms: 60_000, pool: "b2" }] })).switches[0]!.allowed.close).toBe(false);
    expect(evaluate(ix, mg2Input({ leases: [{ id: "l2", kw: 150, remaining_ms: 60_000, pool: "d1" }] })).switches[0]!.allowed.close).toBe(true);
    // With the bus down a lease counts nowhere: only the quota, in its own island.
    const down = evaluate(ix, mg2Input({ bus_up: false, leases: [{ id: "l2", kw: 150, remaining_ms: 60_000, pool: "d1" }] }));
    expect(down.switches[0]!.allowed.close).toBe(false);
    expect(down.switches[1]!.allowed.close).toBe(true);
  });

  it("commitments count in the pool they were made in, and two closes are judged together per pool", () => {
    // 150 of its quota already committed in its own island: 50 left there, the 80 kW close is vetoed.
    expect(evaluate(ix, mg2Input({ committed_kw: 150, committed_by_pool: { b2: 150 } })).switches[1]!.allowed.close).toBe(false);
    // The same 150 committed in d1's island (by lease) leaves its own quota whole.
    const lease = { id: "l3", kw: 300, remaining_ms: 60_000, pool: "d1" };
    expect(evaluate(ix, mg2Input({ committed_kw: 150, committed_by_pool: { d1: 150 }, leases: [lease] })).switches[1]!.allowed.close).toBe(true);
    // Both closes at once on a 130 kW lease in d1 and its 200 kW quota: each within its own pool, both admitted.
    const both = admit(ix, mg2Input({ leases: [{ ...lease, kw: 130 }] }), [
      { index: 0, action: "close" },
      { index: 1, action: "close" },
    ]);
    expect(both.admitted.map((o) => [o.element, o.pickup_kw, o.pool])).toEqual([
      ["Line.x", 120, "d1"],
      ["Line.b", 80, "b2"],
    ]);
  });

  it("without per-pool commitments (paper mode, or a budget that gives none) the single budget applies as before", () => {
    const r = evaluate(ix, { ...mg2Input(), generation: { quota_kw: 200, committed_kw: 0, leases: [], bus_up: true } });
    expect(r.switches[0]!.allowed.close).toBe(true);
  });
});

// Rule region-claim: a close into a dead region that another microgrid's
// switch may also energize in this same tick needs a claim; a peer's claim
// this agent acked forbids closing onto its sections.
import { describe, expect, it } from "vitest";
import { admit, evaluate, indexGraph } from "../index.js";
import type { PeerSwitches, RegionClaims, ShieldInput } from "../types.js";
import { DEFAULT_LIMITS } from "../types.js";
import { makeGraph, NOW, reading } from "./fixtures.js";

/**
 * A tie: two live islands and a dead section between them, each side's switch
 * owned by a different microgrid.
 *
 *   s0 (substation A) --a(mg1)-- s1 100 kW --t(mg2)-- s2 (substation B)
 *                                 |
 *                                 u(mg3)-- s3 40 kW (dead, no source beyond: u is no competitor)
 */
const g = makeGraph(
  "paper",
  [
    { id: "s0", kw: 0, sources: [{ id: "gridA", kind: "substation" }] },
    { id: "s1", kw: 100 },
    { id: "s2", kw: 0, sources: [{ id: "gridB", kind: "substation" }] },
    { id: "s3", kw: 40 },
  ],
  [
    { element: "Line.a", between: ["s0", "s1"], mg: "mg1" },
    { element: "Line.t", between: ["s1", "s2"], mg: "mg2" },
    { element: "Line.u", between: ["s1", "s3"], mg: "mg3" },
  ],
  { mg1: 480, mg2: 480, mg3: 0 },
);
const ix = indexGraph(g);

const claimOn = (sections: string[], remaining_ms = 60_000): RegionClaims => ({ own: [{ id: "mg1-x-c1", sections, remaining_ms }], peers: [], bus_up: true });

function mg1(over: Partial<ShieldInput> = {}, mg2: Partial<PeerSwitches> = {}): ShieldInput {
  return {
    now_ms: NOW,
    microgrid: "mg1",
    switches: [reading("Line.a", "open")],
    peers: [
      { microgrid: "mg2", fresh: true, switches: { "Line.t": "open" }, ...mg2 },
      { microgrid: "mg3", fresh: true, switches: { "Line.u": "open" } },
    ],
    generation: { quota_kw: 480, committed_kw: 0, leases: [], bus_up: true },
    limits: { ...DEFAULT_LIMITS },
    ...over,
  };
}

describe("rule region-claim", () => {
  it("refuses a close into a dead region another microgrid's switch may also energize, without a claim, naming region, load and competitor", () => {
    const r = evaluate(ix, mg1({ claims: { own: [], peers: [], bus_up: true } }));
    expect(r.switches[0]!.allowed.close).toBe(false);
    const v = r.verdicts.find((x) => x.rule === "region-claim")!;
    expect(v.values).toMatchObject({ reason: "no-claim", region: ["s1"], region_sections: 1, region_kw: 100, competitors: ["Line.t@mg2"], competitor_via: ["s2"] });
    expect(v.detail).toContain("may also be energized this tick by Line.t@mg2");
    // The only rule against it: an ordinary pick-up otherwise.
    expect(r.verdicts.map((x) => x.rule)).toEqual(["region-claim"]);
    expect(r.switches[0]!.pickup_kw).toBe(100);
  });

  it("lets it through under a claim covering the region, with time to spare, while the bus is up", () => {
    expect(evaluate(ix, mg1({ claims: claimOn(["s1", "s3"]) })).switches[0]!.allowed.close).toBe(true);
    const reasons = (claims: RegionClaims | undefined) => evaluate(ix, mg1(claims ? { claims } : {})).verdicts.find((x) => x.rule === "region-claim")?.values.reason;
    expect(reasons(claimOn(["s1"]))).toBeUndefined(); // exactly the region
    expect(reasons(claimOn(["s3"]))).toBe("no-claim"); // does not cover s1
    expect(reasons(claimOn(["s1", "s3"], 4000))).toBe("claim-expiring"); // < lease_margin_ms
    expect(reasons({ ...claimOn(["s1", "s3"]), bus_up: false })).toBe("bus-down");
    expect(reasons(undefined)).toBe("no-claims"); // static: no claim protocol at all
  });

  it("does not ask when nobody else can energize the region this tick", () => {
    const none: RegionClaims = { own: [], peers: [], bus_up: false };
    // mg2 holds t after an uncommanded change: it will not close it.
    expect(evaluate(ix, mg1({ claims: none }, { held: ["Line.t"] })).switches[0]!.allowed.close).toBe(true);
    // t's far side has no source (gridB down): nothing to race with.
    expect(evaluate(ix, mg1({ claims: none, sources_down: ["gridB"] })).switches[0]!.allowed.close).toBe(true);
    // mg3's u is no competitor: s3 has no way to a source but through s1.
    const r = evaluate(ix, mg1({ claims: none, sources_down: ["gridB"] }));
    expect(r.verdicts).toEqual([]);
  });

  it("a peer's switch it may have closed already: dead-bus on the graph; measured dead, a competitor no claim gets past while unheard", () => {
    const claims: RegionClaims = { own: [], peers: [], bus_up: true };
    for (const peer of [{ switches: { "Line.t": "unknown" as const } }, { fresh: false }]) {
      expect(evaluate(ix, mg1({ claims }, peer)).verdicts.map((x) => x.rule)).toEqual(["dead-bus"]);
    }
    const measured = { switches: [reading("Line.a", "open", { terminal_pu: [1, 0] as const })] };
    // Published unknown (its close written, not yet seen): claimable; the owner refuses while its close is in flight.
    let v = evaluate(ix, mg1({ claims, ...measured }, { switches: { "Line.t": "unknown" } })).verdicts;
    expect(v.map((x) => x.rule)).toEqual(["region-claim"]);
    expect(v[0]!.values).toMatchObject({ reason: "no-claim", competitors: ["Line.t@mg2"], competitor_states: ["unknown"] });
    // A stale peer cannot answer a claim: refused, claim or not.
    v = evaluate(ix, mg1({ claims: claimOn(["s1", "s3"]), ...measured }, { fresh: false })).verdicts;
    expect(v.map((x) => [x.rule, x.values.reason])).toEqual([["region-claim", "competitor-stale"]]);
  });

  it("its own command in flight on another switch of the region: refused, no claim helps", () => {
    const two = makeGraph(
      "paper",
      [
        { id: "s0", kw: 0, sources: [{ id: "gridA", kind: "substation" }] },
        { id: "s1", kw: 100 },
        { id: "s2", kw: 0, sources: [{ id: "gridB", kind: "substation" }] },
      ],
      [
        { element: "Line.a", between: ["s0", "s1"], mg: "mg1" },
        { element: "Line.b", between: ["s1", "s2"], mg: "mg1" },
      ],
      { mg1: 480 },
    );
    const input: ShieldInput = {
      now_ms: NOW,
      microgrid: "mg1",
      switches: [reading("Line.a", "open", { terminal_pu: [1, 0] }), reading("Line.b", "open", { pending: { command_id: "c9", state: "written" } })],
      peers: [],
      generation: { quota_kw: 480, committed_kw: 0, leases: [], bus_up: true },
      limits: { ...DEFAULT_LIMITS },
      claims: { own: [{ id: "c", sections: ["s1"], remaining_ms: 60_000 }], peers: [], bus_up: true },
    };
    const v = evaluate(indexGraph(two), input).verdicts.filter((x) => x.element === "Line.a");
    expect(v.map((x) => [x.rule, x.values.reason])).toEqual([["region-claim", "own-close-in-flight"]]);
  });

  it("never closes onto a section of a peer's claim it acknowledged, claim of its own or not", () => {
    const claims: RegionClaims = { own: [{ id: "mine", sections: ["s1", "s3"], remaining_ms: 60_000 }], peers: [{ id: "mg2-y-c4", microgrid: "mg2", sections: ["s1"] }], bus_up: true };
    const r = evaluate(ix, mg1({ claims }));
    expect(r.switches[0]!.allowed.close).toBe(false);
    const v = r.verdicts.find((x) => x.rule === "region-claim")!;
    expect(v.values).toEqual({ claimed_by: "mg2", claim: "mg2-y-c4", sections: ["s1"] });
    // Even bus down: a promise made stands until the claim ends.
    expect(evaluate(ix, mg1({ claims: { ...claims, bus_up: false } })).verdicts.some((x) => x.values.claimed_by === "mg2")).toBe(true);
  });

  it("once the winner's close is seen the loser's close is a two-live-sides close (dead-bus), claim or not", () => {
    const r = evaluate(ix, mg1({ claims: claimOn(["s1", "s3"]) }, { switches: { "Line.t": "closed" } }));
    expect(r.verdicts.map((x) => x.rule)).toEqual(["dead-bus"]);
  });

  it("two agents deciding on one view in the same tick: with one claim between them, one close; without any, none", () => {
    const mg2Input = (claims: RegionClaims): ShieldInput => ({
      now_ms: NOW,
      microgrid: "mg2",
      switches: [reading("Line.t", "open", { terminal_pu: [0, 1] })],
      peers: [
        { microgrid: "mg1", fresh: true, switches: { "Line.a": "open" } },
        { microgrid: "mg3", fresh: true, switches: { "Line.u": "open" } },
      ],
      generation: { quota_kw: 480, committed_kw: 0, leases: [], bus_up: true },
      limits: { ...DEFAULT_LIMITS },
      claims,
    });
    const closes = (c1: RegionClaims, c2: RegionClaims) =>
      admit(ix, mg1({ claims: c1 }), [{ index: 0, action: "close" }]).admitted.length + admit(ix, mg2Input(c2), [{ index: 0, action: "close" }]).admitted.length;
    const none: RegionClaims = { own: [], peers: [], bus_up: true };
    expect(closes(none, none)).toBe(0);
    // mg1 won: it holds the claim, mg2 acked it.
    expect(closes(claimOn(["s1", "s3"]), { own: [], peers: [{ id: "mg1-x-c1", microgrid: "mg1", sections: ["s1", "s3"] }], bus_up: true })).toBe(1);
    // Bus down everywhere: nobody closes (safe; the region waits for the bus).
    expect(closes({ ...none, bus_up: false }, { ...none, bus_up: false })).toBe(0);
  });
});

// What trip handling needs from the shield: the held rule, the tripped
// switch's reason in its veto, the sections an open switch left without
// supply, and the load a close picked up.
import { describe, expect, it } from "vitest";
import { deenergizedBy, evaluate, indexGraph, pickedUpBy, type ShieldInput, type Verdict } from "../index.js";
import { makeGraph, mg1Input, paperGraph, reading } from "./fixtures.js";

const ix = indexGraph(paperGraph);
const vetoes = (input: ShieldInput, element: string, action: "close" | "open"): Verdict[] => evaluate(ix, input).verdicts.filter((v) => v.element === element && v.action === action);

describe("rule held", () => {
  it("refuses any operation of a switch the agent holds, with why and since when", () => {
    const input = mg1Input({ switches: [reading("Line.a", "closed", { hold: { kind: "uncommanded-close", detail: "closed without a command at tick 4", since_ms: 1234 } }), reading("Line.b", "open")] });
    const open = vetoes(input, "Line.a", "open");
    expect(open.map((v) => v.rule)).toEqual(["held"]);
    expect(open[0]).toMatchObject({ detail: "Line.a: held (uncommanded-close): closed without a command at tick 4", values: { hold: "uncommanded-close", since_ms: 1234 } });
    expect(evaluate(ix, input).mask.slice(0, 3)).toEqual(Uint8Array.from([1, 0, 1])); // close (no change) and no-op stay allowed
    expect(vetoes(input, "Line.b", "close")).toEqual([]);
  });
});

describe("tripped switch", () => {
  it("says why it counts as tripped when the agent knows", () => {
    const input = mg1Input({ switches: [reading("Line.a", "open", { tripped: true, tripped_detail: "opened without a command at tick 3" }), reading("Line.b", "open")] });
    expect(vetoes(input, "Line.a", "close")).toEqual([expect.objectContaining({ rule: "faulted", detail: "Line.a: opened without a command at tick 3", values: { tripped: true, tripped_detail: "opened without a command at tick 3" } })]);
  });
});

describe("deenergizedBy", () => {
  it("the sections an open switch left without supply, through closed switches only", () => {
    // a open (tripped), b closed, mg2's c closed, d open: s1, s2 and s3 are left dead.
    const input = mg1Input({
      switches: [reading("Line.a", "open"), reading("Line.b", "closed")],
      peers: [{ microgrid: "mg2", fresh: true, switches: { "Line.c": "closed", "Line.d": "open" } }],
    });
    expect(deenergizedBy(ix, input, 0).sort()).toEqual(["s1", "s2", "s3"]);
    // b opened by itself with a closed: s2 and s3 behind it, s1 still fed.
    const b = mg1Input({
      switches: [reading("Line.a", "closed"), reading("Line.b", "open")],
      peers: [{ microgrid: "mg2", fresh: true, switches: { "Line.c": "closed", "Line.d": "open" } }],
    });
    expect(deenergizedBy(ix, b, 1).sort()).toEqual(["s2", "s3"]);
  });

  it("nothing when both sides are still fed; a stale peer's switches stop the dead side", () => {
    // s0 and s2 each have a source: Line.b open between two live sides leaves nothing dead.
    const g = indexGraph(makeGraph("paper", [{ id: "s0", kw: 0, sources: [{}] }, { id: "s1", kw: 10 }, { id: "s2", kw: 20, sources: [{ id: "g2" }] }], [{ element: "Line.a", between: ["s0", "s1"], mg: "mg1" }, { element: "Line.b", between: ["s1", "s2"], mg: "mg1" }]));
    const both = mg1Input({ switches: [reading("Line.a", "closed"), reading("Line.b", "open")], peers: [] });
    expect(deenergizedBy(g, both, 1)).toEqual([]);
    // A stale peer's switches are unknown, not known closed: what lies behind them is not counted.
    const stale = mg1Input({ switches: [reading("Line.a", "closed"), reading("Line.b", "open")], peers: [{ microgrid: "mg2", fresh: false, switches: {} }] });
    expect(deenergizedBy(ix, stale, 1)).toEqual(["s2"]);
  });
});

describe("pickedUpBy", () => {
  it("the load a close picked up: what the shield counts for it from the same state with it open", () => {
    const input = mg1Input({
      switches: [reading("Line.a", "closed"), reading("Line.b", "closed", { terminal_pu: [1, 1], current_a: 12 })],
      peers: [{ microgrid: "mg2", fresh: true, switches: { "Line.c": "closed", "Line.d": "open" } }],
    });
    expect(pickedUpBy(ix, input, 1)).toBe(500); // s2 200 + s3 300
    expect(pickedUpBy(ix, input, 0)).toBe(600); // s1 100 + s2 + s3
  });
});

import { describe, expect, it } from "vitest";
import { islands, pickupKw, SectionGraph, SECTION_GRAPH_FORMAT } from "../sections.js";

// A source section s0, two dead sections behind switches a (s0-s1) and b (s1-s2),
// and a grid-forming battery in s2.
const graph = SectionGraph.parse({
  format: SECTION_GRAPH_FORMAT,
  scenario: "tiny",
  scenario_hash: "0".repeat(64),
  mode: "physics",
  total_load_kw: 60,
  sections: [
    { id: "s0", buses: ["1"], loads: [], load_kw: 0, load_kvar: 0, weighted_kw: 0, switches: ["Line.a"], faulted: false,
      sources: [{ id: "source", element: "Vsource.source", kind: "substation", grid_forming: true }] },
    { id: "s1", buses: ["2"], loads: [{ name: "l2", bus: "2", phases: 3, kw: 10, kvar: 5, weight: 2 }], load_kw: 10, load_kvar: 5,
      weighted_kw: 20, switches: ["Line.a", "Line.b"], faulted: false, sources: [] },
    { id: "s2", buses: ["3"], loads: [{ name: "l3", bus: "3", phases: 3, kw: 50, kvar: 5, weight: 1 }], load_kw: 50, load_kvar: 5,
      weighted_kw: 50, switches: ["Line.b"], faulted: false, microgrid: "mg1",
      sources: [{ id: "bat", element: "Vsource.bat", kind: "battery", microgrid: "mg1", grid_forming: true, kw: 80, kva: 100 }] },
  ],
  switches: [
    { element: "Line.a", sections: ["s0", "s1"], kind: "agent", microgrid: "mg1", index: 0, initial: "open", locked_open: false },
    { element: "Line.b", sections: ["s1", "s2"], kind: "agent", microgrid: "mg1", index: 1, initial: "open", locked_open: false },
  ],
  microgrids: [{ id: "mg1", switches: ["Line.a", "Line.b"], sections: ["s2"], units: ["bat"], forming_unit: "bat", quota_kw: 80 }],
});

describe("section graph helpers", () => {
  it("joins sections through closed switches", () => {
    const open = islands(graph, {});
    expect(open.map((i) => i.sections)).toEqual([["s0"], ["s1"], ["s2"]]);
    const closed = islands(graph, { "Line.b": "closed" });
    expect(closed).toHaveLength(2);
    const isl = closed.find((i) => i.sections.includes("s2"))!;
    expect(isl.sections).toEqual(["s1", "s2"]);
    expect(isl.load_kw).toBe(60);
    expect(isl.rating_kw).toBe(80);
    expect(closed.find((i) => i.sections.includes("s0"))!.rating_kw).toBe(Infinity);
  });

  it("computes the load a close would pick up", () => {
    expect(pickupKw(graph, {}, "Line.a")).toBe(10);
    expect(pickupKw(graph, {}, "Line.b")).toBe(10);
    expect(pickupKw(graph, { "Line.b": "closed" }, "Line.a")).toBe(0); // both sides live: a merge, no pick-up
    expect(pickupKw(graph, { "Line.a": "closed" }, "Line.b")).toBe(0);
    expect(() => pickupKw(graph, {}, "Line.zz")).toThrow(/not a switch/);
  });

  it("rejects a malformed graph", () => {
    expect(SectionGraph.safeParse({ ...graph, format: "other" }).success).toBe(false);
  });
});

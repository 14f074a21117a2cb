import { describe, expect, it } from "vitest";
import { fleetLoadKw, indexGraph, initialLoadKw, reachableKw, type PeerSwitches } from "../index.js";
import { paperGraph } from "./fixtures.js";

// s0 (substation) --a(mg1)-- s1 100 --b(mg1)-- s2 200 --c(mg2)-- s3 300 ; s1 --d(mg2)-- s4 50 --f(locked)-- s5 80 (faulted)
const ix = indexGraph(paperGraph);

describe("fleet helpers", () => {
  it("counts the load the fleet may be serving, a stale peer's switches closed", () => {
    const mg1 = { microgrid: "mg1", fresh: true, switches: { "Line.a": "closed" as const, "Line.b": "open" as const } };
    expect(fleetLoadKw(ix, [mg1, { microgrid: "mg2", fresh: true, switches: { "Line.c": "open", "Line.d": "open" } }])).toBe(100);
    // mg2 stale: d counts closed (s4), c too but s2 is dead behind b.
    expect(fleetLoadKw(ix, [mg1, { microgrid: "mg2", fresh: false, switches: {} }])).toBe(150);
    // Nobody heard: every agent switch counts closed; the locked one stays open.
    expect(fleetLoadKw(ix, [])).toBe(650);
  });

  it("bounds what a microgrid's closes could still pick up", () => {
    const fresh: PeerSwitches[] = [
      { microgrid: "mg1", fresh: true, switches: { "Line.a": "open" as const, "Line.b": "open" as const } },
      { microgrid: "mg2", fresh: true, switches: { "Line.c": "open" as const, "Line.d": "open" as const } },
    ];
    expect(reachableKw(ix, "mg1", fresh)).toBe(300); // s1 + s2 through a and b
    // mg2's switches join dead sections only (s2-s3, s1-s4): what they would join counts, as the shield would count it.
    expect(reachableKw(ix, "mg2", fresh)).toBe(650);
    // Once mg1 closed a, s1 is served: mg1 can reach s2 only.
    expect(reachableKw(ix, "mg1", [{ ...fresh[0]!, switches: { "Line.a": "closed", "Line.b": "open" } }, fresh[1]!])).toBe(200);
  });

  it("gives the base load at the scenario's reset", () => {
    expect(initialLoadKw(ix)).toBe(0);
  });
});

import { describe, expect, it } from "vitest";
import { isBlackstartError } from "../../errors.js";
import { admit, checkOperate, evaluate, indexGraph, type ShieldInput, type Verdict } from "../index.js";
import { makeGraph, mg1Input, NOW, paperGraph, reading } from "./fixtures.js";

const ix = indexGraph(paperGraph);
const CLOSE = 0;
const OPEN = 1;
const NOOP = 2;

function vetoes(input: ShieldInput, element: string, action: "close" | "open"): Verdict[] {
  return evaluate(ix, input).verdicts.filter((v) => v.element === element && v.action === action);
}

describe("shield mask", () => {
  it("allows a close onto a dead section that fits, and lays the mask out as the logits", () => {
    const r = evaluate(ix, mg1Input());
    // Line.a: close allowed (picks up s1 only: b is open), open is a no-op on an open switch.
    // Line.b: both sides dead, but Line.a may close in the same tick and energize s1 (rule dead-to-dead).
    expect([...r.mask]).toEqual([1, 1, 1, 0, 1, 1]);
    expect(r.switches[0]!.pickup_kw).toBe(100);
    expect(r.switches[1]!.pickup_kw).toBe(0);
    expect(r.verdicts.map((v) => [v.element, v.rule])).toEqual([["Line.b", "dead-to-dead"]]);
    expect(r.available_kw).toBe(480);
    // Once s1 is live, Line.b is an ordinary pick-up of s2.
    const after = evaluate(ix, mg1Input({ switches: [reading("Line.a", "closed"), reading("Line.b", "open")] }));
    expect(after.switches[1]!).toMatchObject({ pickup_kw: 200, allowed: { close: true } });
  });

  it("keeps no-op allowed whatever else is vetoed", () => {
    const r = evaluate(ix, mg1Input({ switches: [reading("Line.a", "open", { read_at_ms: null }), reading("Line.b", "open", { read_at_ms: null })] }));
    expect([...r.mask]).toEqual([0, 0, 1, 0, 0, 1]);
    expect(r.switches[0]!.allowed.noop).toBe(true);
  });

  it("gives the same answer for an input that went through JSON (journal and replay)", () => {
    const input = mg1Input({ peers: [{ microgrid: "mg2", fresh: false, switches: {} }] });
    const again = JSON.parse(JSON.stringify(input)) as ShieldInput;
    const a = evaluate(ix, input);
    const b = evaluate(ix, again);
    expect([...b.mask]).toEqual([...a.mask]);
    expect(b.verdicts).toEqual(a.verdicts);
  });

  it("matches element names as OpenDSS does, without regard to case", () => {
    const r = evaluate(ix, mg1Input({ switches: [reading("line.A", "open"), reading("LINE.b", "open")], peers: [{ microgrid: "mg2", fresh: true, switches: { "line.C": "open", "Line.D": "open" } }] }));
    expect(r.switches[0]!.pickup_kw).toBe(100);
    expect(r.verdicts.map((v) => [v.element, v.rule])).toEqual([["LINE.b", "dead-to-dead"]]);
  });

  it("names an unknown or foreign switch with a coded error", () => {
    const bad = mg1Input({ switches: [reading("Line.x", "open")] });
    try {
      evaluate(ix, bad);
      expect.unreachable();
    } catch (e) {
      expect(isBlackstartError(e) && e.code).toBe("BLACKSTART_ERR_SHIELD_INPUT");
      expect(String(e)).toMatch(/field 'switches\[0\]\.element'.*unknown switch 'Line\.x'/);
    }
    expect(() => evaluate(ix, mg1Input({ switches: [reading("Line.c", "open")] }))).toThrow(/belongs to 'mg2', not to 'mg1'/);
  });
});

describe("rule missing-data / stale-data / inconsistent-data: hold", () => {
  it("holds a switch never read", () => {
    const v = vetoes(mg1Input({ switches: [reading("Line.a", "open", { read_at_ms: null }), reading("Line.b", "open")] }), "Line.a", "close");
    expect(v.map((x) => x.rule)).toEqual(["missing-data"]);
  });

  it("holds a switch whose position point could not be read", () => {
    const v = vetoes(mg1Input({ switches: [reading("Line.a", "open", { closed: null }), reading("Line.b", "open")] }), "Line.a", "open");
    expect(v[0]!.rule).toBe("missing-data");
    expect(v[0]!.values).toMatchObject({ closed: null });
  });

  it("holds a switch read too long ago, with the age and the limit", () => {
    const input = mg1Input({ switches: [reading("Line.a", "closed", { read_at_ms: NOW - 3500 }), reading("Line.b", "open")] });
    const r = evaluate(ix, input);
    expect(r.switches[0]!.allowed).toEqual({ close: false, open: false, noop: true });
    expect(r.verdicts.filter((v) => v.element === "Line.a").map((v) => [v.action, v.rule, v.values])).toEqual([
      ["close", "stale-data", { age_ms: 3500, stale_after_ms: 3000 }],
      ["open", "stale-data", { age_ms: 3500, stale_after_ms: 3000 }],
    ]);
  });

  it("holds a switch that reads both open and closed, or neither", () => {
    for (const [closed, open] of [[true, true], [false, false]] as const) {
      const v = vetoes(mg1Input({ switches: [reading("Line.a", "open", { closed, open }), reading("Line.b", "open")] }), "Line.a", "close");
      expect(v.map((x) => x.rule)).toEqual(["inconsistent-data"]);
    }
  });

  it("holds a switch that reads open but carries current", () => {
    const v = vetoes(mg1Input({ switches: [reading("Line.a", "open", { current_a: 12.5 }), reading("Line.b", "open")] }), "Line.a", "close");
    expect(v[0]).toMatchObject({ rule: "inconsistent-data", values: { current_a: 12.5, open_current_max_a: 1 } });
    // A small measurement offset is not a current.
    expect(vetoes(mg1Input({ switches: [reading("Line.a", "open", { current_a: 0.4 }), reading("Line.b", "open")] }), "Line.a", "close")).toEqual([]);
  });

  it("counts an own switch it cannot read as closed for what a neighbour's close picks up", () => {
    // Line.b unreadable: closing Line.a may also pick up s2 behind it (100 + 200).
    const r = evaluate(ix, mg1Input({ switches: [reading("Line.a", "open"), reading("Line.b", "open", { read_at_ms: null })] }));
    expect(r.switches[0]!.pickup_kw).toBe(300);
  });
});

describe("rule one-operation", () => {
  it("refuses a second command while one is not resolved", () => {
    const v = vetoes(
      mg1Input({ switches: [reading("Line.a", "open", { pending: { command_id: "d7/Line.a", state: "written" } }), reading("Line.b", "open")] }),
      "Line.a",
      "close",
    );
    expect(v).toEqual([expect.objectContaining({ rule: "one-operation", values: { command_id: "d7/Line.a", state: "written" } })]);
  });
});

describe("rule min-interval", () => {
  it("refuses to operate a switch again too soon, and allows it after the interval", () => {
    const soon = mg1Input({ switches: [reading("Line.a", "closed", { last_operation_ms: NOW - 1200 }), reading("Line.b", "open")] });
    expect(vetoes(soon, "Line.a", "open")[0]).toMatchObject({ rule: "min-interval", values: { since_ms: 1200, min_operation_interval_ms: 5000 } });
    const later = mg1Input({ switches: [reading("Line.a", "closed", { last_operation_ms: NOW - 5000 }), reading("Line.b", "open")] });
    expect(vetoes(later, "Line.a", "open")).toEqual([]);
  });
});

describe("rule select-before-operate", () => {
  const sel = { action: "open" as const, armed_at_ms: NOW - 200, command_id: "d3/Line.a" };

  it("refuses another operation while a selection for a different one is armed", () => {
    const input = mg1Input({ switches: [reading("Line.a", "open", { select_before_operate: true, selection: sel }), reading("Line.b", "open")] });
    expect(vetoes(input, "Line.a", "close")[0]).toMatchObject({ rule: "select-before-operate", values: { selected_action: "open" } });
    expect(evaluate(ix, input).switches[0]!.select_required).toBe(true);
  });

  it("gates the operate write on a matching, fresh selection", () => {
    const base = { element: "Line.a", select_before_operate: true, action: "close" as const, command_id: "d9/Line.a", now_ms: NOW, select_timeout_ms: 1000 };
    expect(checkOperate({ ...base, selection: null })?.detail).toMatch(/operate without a select/);
    expect(checkOperate({ ...base, selection: { action: "close", armed_at_ms: NOW - 300, command_id: "d8/Line.a" } })?.rule).toBe("select-before-operate");
    expect(checkOperate({ ...base, selection: { action: "close", armed_at_ms: NOW - 1500, command_id: "d9/Line.a" } })?.detail).toMatch(/expired/);
    expect(checkOperate({ ...base, selection: { action: "close", armed_at_ms: NOW - 300, command_id: "d9/Line.a" } })).toBeNull();
    expect(checkOperate({ ...base, select_before_operate: false, selection: null })).toBeNull();
  });
});

describe("rule faulted", () => {
  it("refuses to reclose a tripped or locked-out switch", () => {
    const tripped = mg1Input({ switches: [reading("Line.a", "open", { tripped: true }), reading("Line.b", "open")] });
    expect(vetoes(tripped, "Line.a", "close").map((v) => v.rule)).toEqual(["faulted"]);
    const locked = mg1Input({ switches: [reading("Line.a", "open", { locked_out: true }), reading("Line.b", "open")] });
    expect(vetoes(locked, "Line.a", "close")[0]!.values).toEqual({ locked_out: true });
    // Opening a tripped switch is fine.
    expect(vetoes(tripped, "Line.a", "open")).toEqual([]);
  });

  it("refuses a close that would join a faulted section through closed or unknown switches", () => {
    // s3 faulted now; mg2 is stale, so its Line.c counts as closed: closing Line.b could reach s3.
    const input = mg1Input({
      switches: [reading("Line.a", "closed"), reading("Line.b", "open")],
      peers: [{ microgrid: "mg2", fresh: false, switches: { "Line.c": "open", "Line.d": "open" } }],
      faulted_sections: ["s3"],
    });
    expect(vetoes(input, "Line.b", "close")[0]).toMatchObject({ rule: "faulted", values: { faulted_sections: ["s3"] } });
    // With mg2 fresh and Line.c open, s3 is not reached.
    const fresh: ShieldInput = { ...input, peers: [{ microgrid: "mg2", fresh: true, switches: { "Line.c": "open", "Line.d": "open" } }] };
    expect(vetoes(fresh, "Line.b", "close")).toEqual([]);
  });

  it("refuses a switch the outage holds open", () => {
    const g = makeGraph("paper", [{ id: "s0", kw: 0, sources: [{}] }, { id: "s1", kw: 10, faulted: true }], [{ element: "Line.x", between: ["s0", "s1"], mg: "mg1", locked: true }]);
    const r = evaluate(indexGraph(g), mg1Input({ switches: [reading("Line.x", "open")], peers: [] }));
    expect(r.verdicts.map((v) => v.rule)).toContain("faulted");
  });
});

describe("rule dead-bus", () => {
  // Physics graph: a substation at s0 and mg2's grid-forming battery at s2.
  const g = makeGraph(
    "physics",
    [
      { id: "s0", kw: 0, sources: [{ id: "grid", kind: "substation" }] },
      { id: "s1", kw: 40 },
      { id: "s2", kw: 30, sources: [{ id: "bat2", kind: "battery", kw: 100, microgrid: "mg2" }] },
    ],
    [
      { element: "Line.a", between: ["s0", "s1"], mg: "mg1" },
      { element: "Line.b", between: ["s1", "s2"], mg: "mg1" },
    ],
  );
  const gx = indexGraph(g);
  const input = (a: "open" | "closed", extra: Partial<import("../types.js").SwitchReading> = {}) =>
    mg1Input({ switches: [reading("Line.a", a), reading("Line.b", "open", extra)], peers: [] });

  it("refuses to parallel two live sides (no synchronism check)", () => {
    const r = evaluate(gx, input("closed"));
    expect(r.verdicts.filter((v) => v.element === "Line.b").map((v) => v.rule)).toEqual(["dead-bus"]);
    expect(r.mask[3 + CLOSE]).toBe(0);
  });

  it("believes a measured dead terminal over the graph, and a measured live one too", () => {
    // Graph says s2 is live (battery), but the device measures it dead: the battery is not running.
    expect(evaluate(gx, input("closed", { terminal_pu: [1.0, 0.02] })).switches[1]!.allowed.close).toBe(true);
    // Graph says s1 dead (Line.a open) but the device measures voltage there: both sides live.
    const r = evaluate(gx, input("open", { terminal_pu: [0.98, 1.01] }));
    expect(r.verdicts[0]).toMatchObject({ rule: "dead-bus", values: { terminal1_pu: 0.98, terminal2_pu: 1.01, evidence1: "measured" } });
  });

  it("takes a source reported down as dead", () => {
    const r = evaluate(gx, { ...input("closed"), sources_down: ["bat2"] });
    expect(r.switches[1]!.allowed.close).toBe(true);
    expect(r.switches[1]!.pickup_kw).toBe(30);
  });
});

describe("rule generation", () => {
  it("refuses a pick-up larger than the generation left, with the numbers", () => {
    const input = mg1Input({ generation: { quota_kw: 480, committed_kw: 420, leases: [], bus_up: true } });
    expect(vetoes(input, "Line.a", "close")[0]).toMatchObject({
      rule: "generation",
      values: { pickup_kw: 100, available_kw: 60, quota_kw: 480, committed_kw: 420, leases_kw: 0 },
    });
  });

  it("says what a lease must add, from the exact figures rounded up to the watt, and a lease of that much admits the close", () => {
    // The values show 3 decimals: 100 - 39.70971 would read 60.29 while 60.29029 is missing.
    const generation = { quota_kw: 139.70970555555556, committed_kw: 100, leases: [], bus_up: true };
    const v = vetoes(mg1Input({ generation }), "Line.a", "close")[0]!;
    expect(v.values).toMatchObject({ pickup_kw: 100, available_kw: 39.71, shortfall_kw: 60.291 });
    expect(Number(v.values.pickup_kw) - Number(v.values.available_kw)).toBeLessThan(100 - (139.70970555555556 - 100));
    const leased = { ...generation, leases: [{ id: "mg1-1", kw: Number(v.values.shortfall_kw), remaining_ms: 60_000 }] };
    expect(vetoes(mg1Input({ generation: leased }), "Line.a", "close")).toEqual([]);
    // A lease of the rounded difference of the values (the agent's ask before) left the veto standing.
    const short = { ...generation, leases: [{ id: "mg1-1", kw: Math.ceil((Number(v.values.pickup_kw) - Number(v.values.available_kw)) * 1000) / 1000, remaining_ms: 60_000 }] };
    expect(vetoes(mg1Input({ generation: short }), "Line.a", "close")[0]!.rule).toBe("generation");
  });

  it("counts a stale peer's switches as closed", () => {
    // Line.a with b closed: s1 + s2 = 300 kW if mg2's Line.c is open; with mg2 stale, s3 and s4 count too: 650 kW.
    const sw = [reading("Line.a", "open"), reading("Line.b", "closed")];
    const fresh = evaluate(ix, mg1Input({ switches: sw }));
    expect(fresh.switches[0]!.pickup_kw).toBe(300);
    expect(fresh.switches[0]!.allowed.close).toBe(true);
    const stale = evaluate(ix, mg1Input({ switches: sw, peers: [{ microgrid: "mg2", fresh: false, switches: { "Line.c": "open", "Line.d": "open" } }] }));
    expect(stale.switches[0]!.pickup_kw).toBe(650);
    expect(stale.verdicts[0]).toMatchObject({ rule: "generation", values: { pickup_kw: 650, available_kw: 480 } });
    // A peer never heard from is the same as a stale one.
    expect(evaluate(ix, mg1Input({ switches: sw, peers: [] })).switches[0]!.pickup_kw).toBe(650);
  });

  it("counts leases only while the bus is up and while enough of the lease is left", () => {
    const lease = { id: "mg1-1", kw: 300, remaining_ms: 30_000 };
    const base = { quota_kw: 100, committed_kw: 50, leases: [lease] };
    const sw = [reading("Line.a", "open"), reading("Line.b", "closed")]; // pick-up 300
    expect(evaluate(ix, mg1Input({ switches: sw, generation: { ...base, bus_up: true } })).switches[0]!.allowed.close).toBe(true);
    expect(vetoes(mg1Input({ switches: sw, generation: { ...base, bus_up: false } }), "Line.a", "close")[0]!.values).toMatchObject({ available_kw: 50, leases_kw: 0 });
    const short = { ...base, leases: [{ ...lease, remaining_ms: 2000 }], bus_up: true };
    expect(vetoes(mg1Input({ switches: sw, generation: short }), "Line.a", "close")[0]!.rule).toBe("generation");
  });

  it("checks the island against its grid-forming units in physics mode", () => {
    const g = makeGraph(
      "physics",
      [
        { id: "s1", kw: 60, sources: [{ id: "bat1", kind: "battery", kw: 100, microgrid: "mg1" }] },
        { id: "s2", kw: 50 },
      ],
      [{ element: "Line.a", between: ["s1", "s2"], mg: "mg1" }],
    );
    const r = evaluate(indexGraph(g), mg1Input({ switches: [reading("Line.a", "open")], peers: [] }));
    expect(r.verdicts[0]).toMatchObject({ rule: "generation", values: { island_load_kw: 60, island_rating_kw: 100, pickup_kw: 50 } });
  });
});

describe("admit: the chosen operations together", () => {
  it("refuses the second of two closes that fit alone but not together", () => {
    // mg2 closes c then d onto mg1's live s1/s2 ... here: mg1 closes a (100) and, with a closed, b (200): quota 250.
    const input = mg1Input({ generation: { quota_kw: 250, committed_kw: 0, leases: [], bus_up: true } });
    const first = evaluate(ix, input);
    expect(first.switches[0]!.allowed.close).toBe(true);
    const adm = admit(ix, input, [
      { index: 0, action: "close" },
      { index: 1, action: "close" },
    ]);
    expect(adm.admitted.map((o) => [o.element, o.pickup_kw])).toEqual([["Line.a", 100]]);
    expect([...adm.actions]).toEqual([CLOSE, NOOP]);
    expect(adm.verdicts).toEqual([expect.objectContaining({ element: "Line.b", rule: "generation", values: expect.objectContaining({ pickup_kw: 200, available_kw: 150, after: ["close Line.a"] }) })]);
  });

  it("admits both when they fit, in order, and skips operations that change nothing", () => {
    const adm = admit(ix, mg1Input(), [
      { index: 0, action: "close" },
      { index: 1, action: "close" },
      { index: 1, action: "open" },
    ]);
    expect(adm.admitted.map((o) => `${o.action} ${o.element} ${o.pickup_kw}`)).toEqual(["close Line.a 100", "close Line.b 200"]);
    const noop = admit(ix, mg1Input(), [{ index: 0, action: "open" }]);
    expect(noop.admitted).toEqual([]);
    expect([...noop.actions]).toEqual([NOOP, NOOP]);
  });

  it("forgets measured voltages once an earlier operation changed the feeder", () => {
    // Both a and d bound s1. mg2 ... from mg1's side: close a energizes s1; b's s1 terminal was measured dead before.
    const input = mg1Input({ switches: [reading("Line.a", "open"), reading("Line.b", "open", { terminal_pu: [0, 0] })] });
    const adm = admit(ix, input, [
      { index: 0, action: "close" },
      { index: 1, action: "close" },
    ]);
    // After a closes, b's s1 side is live by the graph and s2 dead: b picks up s2 (200 kW), not "dead onto dead".
    expect(adm.admitted.map((o) => o.pickup_kw)).toEqual([100, 200]);
  });

  it("limits the operations per decision when asked", () => {
    const adm = admit(ix, mg1Input(), [{ index: 0, action: "close" }, { index: 1, action: "close" }], { maxOperations: 1 });
    expect(adm.admitted).toHaveLength(1);
    expect(OPEN).toBe(1);
  });
});

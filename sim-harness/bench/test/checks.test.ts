// The pass/fail checks of a bench run, on records made by hand: an instant
// above the cap fails the run even if the end is fine; a switch operated twice
// in one tick fails; expectations of a fault file are each checked.
import { describe, expect, it } from "vitest";
import { bindScenarioFile } from "../../scenarios/bind.js";
import { evaluateChecks, passed } from "../checks.js";
import type { Reading } from "../meter.js";
import { RunRecord } from "../record.js";

const bound = bindScenarioFile("ieee123-5mg");

function reading(kw: number, patch: Partial<Reading> = {}): Reading {
  return {
    restored_kw: kw,
    weighted: kw,
    served_by_microgrid: {},
    islands: [],
    switches: { "Line.l35": "closed", "Line.l57": "open" },
    violations: [],
    cap_exceeded: kw > 2400,
    islands_exceeded: [],
    reverse_power: [],
    locked_closed: [],
    converged: true,
    ...patch,
  };
}

function base(record: RunRecord, final: Reading, extra: Partial<Parameters<typeof evaluateChecks>[0]> = {}) {
  return evaluateChecks({ bound, record, final, journals: [], expect: undefined, targetPct: 95, optimumKw: 2395, fixedOptimumKw: undefined, liveAtEnd: ["mg1", "mg2", "mg3", "mg4", "mg5"], availabilityLog: [], perTick: true, ...extra });
}

describe("bench checks", () => {
  it("passes a run that ends above 95 % of the cap and never exceeds it", () => {
    const r = new RunRecord(bound);
    r.instant(0, [], reading(505));
    r.tick = 1;
    r.instant(60, ["close Line.l35"], reading(2300));
    const c = base(r, reading(2300));
    expect(passed(c)).toBe(true);
    expect(c.find((x) => x.name === "cap never exceeded")?.ok).toBe(true);
  });

  it("fails a run that was above the cap at one instant, even if it ends below", () => {
    const r = new RunRecord(bound);
    r.instant(0, [], reading(505));
    r.instant(60, ["close Line.l35"], reading(2450));
    r.instant(120, ["open Line.l35"], reading(2300));
    const c = base(r, reading(2300));
    expect(passed(c)).toBe(false);
    expect(c.find((x) => x.name === "cap never exceeded")).toMatchObject({ ok: false, detail: expect.stringContaining("2450.0 kW") });
  });

  it("fails a run in which a close joined two live islands (their units paralleled), and not one whose island only grew", () => {
    const island = (source: string, load_kw: number) => ({ source, load_kw, generation_kw: load_kw, rating_kw: 900, floor_kw: 0, curtailed_kw: 0 });
    const r = new RunRecord(bound);
    r.instant(0, [], reading(505, { islands: [island("d1", 300), island("d3", 205)] }));
    // d1's island grows: not a paralleling.
    r.instant(60, ["close Line.l35"], reading(605, { islands: [island("d1", 400), island("d3", 205)] }));
    expect(base(r, reading(605)).find((x) => x.name === "no two live islands paralleled")?.ok).toBe(true);
    // A tie closed between them: one island now holds both units.
    r.instant(120, ["close Line.l57"], reading(605, { islands: [island("d1+d3", 605)] }));
    const c = base(r, reading(605));
    expect(passed(c)).toBe(false);
    expect(c.find((x) => x.name === "no two live islands paralleled")).toMatchObject({ ok: false, detail: expect.stringContaining("d1+d3 joined") });
    // Once joined, staying joined is not a new paralleling.
    const r2 = new RunRecord(bound);
    r2.instant(0, [], reading(605, { islands: [island("d1+d3", 605)] }));
    r2.instant(60, [], reading(605, { islands: [island("d1+d3", 605)] }));
    expect(base(r2, reading(605)).find((x) => x.name === "no two live islands paralleled")?.ok).toBe(true);
  });

  it("fails a run in which a grid-forming unit was driven below its floor (reverse power) at one instant", () => {
    const r = new RunRecord(bound);
    r.instant(0, [], reading(505));
    r.instant(60, ["close Line.l35"], reading(2300, { reverse_power: [{ kind: "reverse-power", element: "d1", value: -42, limit: 0 }] }));
    r.instant(120, [], reading(2300));
    const c = base(r, reading(2300));
    expect(passed(c)).toBe(false);
    expect(c.find((x) => x.name === "island generation never exceeded")).toMatchObject({ ok: false, detail: expect.stringContaining("d1 -42.0 kW < 0.0 kW (reverse power)") });
  });

  it("fails below the target and when a switch is operated twice in one tick", () => {
    const r = new RunRecord(bound);
    r.instant(0, [], reading(505));
    r.tick = 1;
    r.instant(60, ["close Line.l35"], reading(600));
    r.instant(120, ["open Line.l35"], reading(505));
    r.instant(180, ["close Line.l35"], reading(600));
    const c = base(r, reading(600));
    expect(c.find((x) => x.name.startsWith("restored >= 95"))?.ok).toBe(false);
    expect(c.find((x) => x.name === "no switch operated twice for one decision")).toMatchObject({ ok: false, detail: expect.stringContaining("Line.l35 operated 3x") });
  });

  it("records a change no command made as an uncommanded operation (a trip)", () => {
    const r = new RunRecord(bound);
    r.instant(0, [], reading(2300));
    r.instant(5000, [], reading(1900, { switches: { "Line.l35": "open", "Line.l57": "open" } }));
    expect(r.operations).toEqual([expect.objectContaining({ element: "Line.l35", action: "open", uncommanded: true, microgrid: "mg2" })]);
  });

  it("checks a fault file's expected end state", () => {
    const r = new RunRecord(bound);
    r.instant(0, [], reading(2300));
    const expectation = {
      switch_states: { "Line.L57": "closed" as const },
      alarms: [{ kind: "command-failed", microgrid: "mg3" }],
      quota_fallback: [],
      dropped: ["mg4"],
      all_live_at_end: true,
      pct_of_optimum_min: 95,
      optimum_fixed: { "Line.L57": "open" as const },
    };
    const c = base(r, reading(2300), { expect: expectation, fixedOptimumKw: 2355, liveAtEnd: ["mg1", "mg2", "mg3", "mg5"] });
    const by = (prefix: string) => c.find((x) => x.name.startsWith(prefix))!;
    expect(by("Line.l57 closed at the end").ok).toBe(false);
    expect(by("alarm command-failed").ok).toBe(false);
    expect(by("mg4 seen offline").ok).toBe(false);
    expect(by("every agent alive").detail).toContain("mg4");
    expect(by("restored >= 95 % of the optimum with Line.L57 open")).toMatchObject({ ok: true, detail: expect.stringContaining("2355.0 kW") });
  });
});

// The meter reads the plant, never the agents: served load and islands follow
// the switches the plant holds, a cap excess is flagged at the instant it
// happens, and on the power flow the figure is the environment's own measure.
import { describe, expect, it } from "vitest";
import { canonicalElement } from "../../../shared/names.js";
import { createEnvFromBound } from "../../env/create.js";
import { openPlant } from "../../devices/scenario.js";
import { bindScenarioFile } from "../../scenarios/bind.js";
import { Meter } from "../meter.js";

const bound = bindScenarioFile("ieee123-5mg");

describe("bench meter", () => {
  it("nominal plant: served load is the energized sections' load, per owning microgrid", () => {
    const plant = openPlant(bound, "nominal");
    const m = new Meter(bound, plant);
    const base = m.read();
    const s0 = bound.sections.sections[0]!;
    expect(base.restored_kw).toBeCloseTo(s0.load_kw, 6);
    expect(base.served_by_microgrid.mg1).toBeCloseTo(s0.load_kw, 6);
    plant.setClosed("Line.L35", true);
    plant.solve();
    const after = m.read();
    const s11 = bound.sections.sections.find((s) => s.switches.some((e) => canonicalElement(e) === "Line.l35") && s.id !== "s0")!;
    expect(after.restored_kw).toBeCloseTo(s0.load_kw + s11.load_kw, 6);
    expect(after.switches["Line.l35"]).toBe("closed");
    expect(after.served_by_microgrid.mg2).toBeCloseTo(s11.load_kw, 6);
    expect(after.cap_exceeded).toBe(false);
  });

  it("flags the cap at the instant every switch is closed (3490 kW of load on a 2400 kW cap)", () => {
    const plant = openPlant(bound, "nominal");
    const m = new Meter(bound, plant);
    for (const sw of bound.switches) plant.setClosed(sw.ref, true);
    plant.solve();
    const r = m.read();
    expect(r.restored_kw).toBeCloseTo(bound.sections.total_load_kw, 6);
    expect(r.cap_exceeded).toBe(true);
  });

  it("power flow plant: the environment's measure for the same switch states", () => {
    const plant = openPlant(bound, "powerflow");
    const m = new Meter(bound, plant);
    const env = createEnvFromBound(bound);
    env.reset(0);
    const close = ["Line.L2", "Line.L57", "Line.L100"];
    for (const el of close) plant.setClosed(el, true);
    plant.solve();
    const r = m.read();
    const actions = env.agents.map((a) => a.elements.map((e) => (close.some((c) => canonicalElement(c) === canonicalElement(e)) ? 0 : 2)));
    const step = env.step(actions);
    // Regulator taps carry over from each circuit's own solve history (the plant solved its reset state
    // first): voltage-dependent loads then differ by a little, never by a section.
    expect(Math.abs(r.restored_kw - step.info.restored_kw) / step.info.restored_kw).toBeLessThan(0.005);
    expect(m.physical).toBe(true);
    expect(m.tapCommands().length).toBeGreaterThan(0);
  });

  it("power flow plant, physics: the meter settles frequency-watt on the plant (PV curtailed, no diesel driven backwards) and reports reverse power as a violation", () => {
    const fl = bindScenarioFile("ieee123-fault-lateral");
    const plant = openPlant(fl, "powerflow");
    plant.solve();
    // The plant alone runs PV at full output: d5's island has no load beside PV5.
    expect(plant.measure("Vsource.d5").pKw).toBeLessThan(-100);
    const m = new Meter(fl, plant);
    const r = m.read();
    expect(r.reverse_power).toEqual([]);
    const d5 = r.islands.find((i) => i.source === "d5")!;
    expect(d5.generation_kw).toBeGreaterThanOrEqual(0);
    expect(d5.curtailed_kw).toBeGreaterThan(150);
    // The plant's devices read the settled solution at its next solve.
    plant.solve();
    expect(plant.measure("PVSystem.pv5").pKw).toBeLessThan(1);
    expect(plant.measure("Vsource.d5").pKw).toBeGreaterThan(-1);
    // Commands that reproduce the state carry the curtailed outputs.
    expect(m.tapCommands().some((c) => /^edit PVSystem\.pv5 %Pmpp=/i.test(c))).toBe(true);
  });
});

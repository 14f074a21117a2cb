// Frequency-watt curtailment on a small island (IEEE 13's bus 632 islanded
// with a diesel or a battery forming it and two PV units beside it): PV gives
// up what would drive the grid-forming unit below its floor, each inverter by
// the same droop of its rating, the curtailment is released when load comes
// back, a battery absorbs within its charge rating and SoC headroom, and
// without curtailment the environment reports the reverse power.
import { describe, expect, it } from "vitest";
import { loadFeeder } from "../../powerflow/opendss/feeder.js";
import { bindScenarioFile } from "../../scenarios/bind.js";
import { writeScenario } from "../../scenarios/test/helpers.js";
import { createEnvFromBound } from "../create.js";
import { droopShare } from "../frequency-watt.js";
import { PowerFlowGrid } from "../powerflow-grid.js";
import { unitMinKw } from "../units.js";

// 632's section at the reset holds no load: 600 kW of PV available (pva 600 kW at half
// irradiance, pvb 300 kW at full), a 400 kW pick-up behind each of 632633 and 632645.
function island(former: string): string {
  return writeScenario(`version: 1
name: ieee13-curtailment-test
description: IEEE 13 bus 632 islanded with PV beside its grid-forming unit (test)
mode: physics
feeder:
  master: feeders/ieee13/IEEE13Nodeckt.dss
microgrids:
  - id: mg
    switches: [Line.632633, Line.632645, Line.632670]
    units:
      - ${former}
      - {id: pva, kind: pv, bus: "632", kv: 4.16, kw: 600, kva: 650, irradiance: 0.5}
      - {id: pvb, kind: pv, bus: "632", kv: 4.16, kw: 300, kva: 330, irradiance: 1.0}
    forming_unit: g
    quota_kw: 500
weights:
  generator: {kind: uniform-int, seed: 11, min: 1, max: 10}
outage:
  lost_source: Vsource.source
limits:
  allow_mesh: false
episode: {length: 10}
`);
}

const DIESEL = `{id: g, kind: diesel, bus: "632", kv: 4.16, kw: 600, kva: 750}`;
const battery = (soc: number) => `{id: g, kind: battery, grid_forming: true, bus: "632", kv: 4.16, kw: 600, kva: 750, kwh: 1200, soc: {initial: ${soc}, min: 0.2, max: 0.95}, charge_kw: 250}`;

const kwOf = (info: { islands: { source: string; generation_kw: number; curtailed_kw: number; floor_kw: number }[] }) => info.islands.find((i) => i.source === "g")!;

describe("droop share", () => {
  it("reduces every unit by the same droop of its rating, never below zero, to the total asked", () => {
    // 100 + 100 kW available, ratings 200 and 100: 100 kW in all takes k = 1/3.
    const out = droopShare([100, 100], [200, 100], 100);
    expect(out[0]).toBeCloseTo(100 / 3, 6);
    expect(out[1]).toBeCloseTo(200 / 3, 6);
    // A small unit reaches zero first; the others carry the rest.
    const b = droopShare([10, 100], [100, 100], 50);
    expect(b[0]).toBe(0);
    expect(b[1]).toBeCloseTo(50, 6);
    expect(droopShare([30, 40], [1, 1], 100)).toEqual([30, 40]);
    expect(droopShare([30, 40], [1, 1], -5)).toEqual([0, 0]);
  });

  it("a battery's floor is its charge rating while it has room, zero when full; a diesel's is zero", () => {
    expect(unitMinKw({ kind: "diesel", kw: 600 })).toBe(0);
    expect(unitMinKw({ kind: "battery", kw: 600, charge_kw: 250, soc: { initial: 0.5, min: 0.2, max: 0.95 } })).toBe(-250);
    expect(unitMinKw({ kind: "battery", kw: 600, charge_kw: 250, soc: { initial: 0.95, min: 0.2, max: 0.95 } })).toBe(0);
    expect(unitMinKw({ kind: "battery", kw: 600 })).toBe(-600);
  });
});

describe("frequency-watt curtailment on a small island", () => {
  const dieselBound = bindScenarioFile(island(DIESEL));

  it("diesel: PV gives up what the island cannot take, by droop of rating; released when load is picked up; back when it is dropped", () => {
    const env = createEnvFromBound(dieselBound);
    const r = env.reset(0);
    expect(r.info.restored_kw).toBe(0);
    const g = kwOf(r.info);
    expect(g.floor_kw).toBe(0);
    // No load: both PV units curtailed to (almost) nothing, the diesel at its floor, not below it.
    expect(g.generation_kw).toBeGreaterThanOrEqual(0);
    expect(g.generation_kw).toBeLessThan(1.5);
    expect(g.curtailed_kw).toBeGreaterThan(590);
    expect(r.info.violations).toEqual([]);

    // Pick up 632645 (645 + 646, about 400 kW): PV carries it, the diesel stays at its floor.
    const close = (el: string) => env.agents.map((a) => a.elements.map((e) => (e === el ? 0 : 2)));
    const open = (el: string) => env.agents.map((a) => a.elements.map((e) => (e === el ? 1 : 2)));
    const s1 = env.step(close("Line.632645"));
    const g1 = kwOf(s1.info);
    expect(s1.info.restored_kw).toBeGreaterThan(350);
    expect(g1.generation_kw).toBeGreaterThanOrEqual(0);
    expect(g1.generation_kw).toBeLessThan(1.5);
    const pva = env.lastResult.sourceKw.get("Generator.pva")!;
    const pvb = env.lastResult.sourceKw.get("Generator.pvb")!;
    // Same droop of rating: pva (600 kW rating) gave up twice what pvb (300 kW) did.
    expect((300 - pva) / (300 - pvb)).toBeCloseTo(2, 2);
    // What they deliver is the island's load and losses.
    expect(pva + pvb + g1.generation_kw).toBeGreaterThan(s1.info.restored_kw);
    expect(pva + pvb + g1.generation_kw).toBeLessThan(1.05 * s1.info.restored_kw);
    expect(g1.curtailed_kw).toBeCloseTo(600 - pva - pvb, 6);

    // Pick up 632633 too (another 400 kW): more load than PV, nothing curtailed, the diesel delivers the rest.
    const s2 = env.step(close("Line.632633"));
    const g2 = kwOf(s2.info);
    expect(g2.curtailed_kw).toBe(0);
    expect(env.lastResult.sourceKw.get("Generator.pva")).toBeCloseTo(300, 3);
    expect(g2.generation_kw).toBeGreaterThan(150);
    // (800 kW on IEEE 13's 632 pulls 634-646 below 0.95 pu: voltage violations, not the units'.)
    expect(s2.info.violations.filter((v) => v.kind === "reverse-power" || v.kind === "island-generation")).toEqual([]);

    // Drop both: curtailed again (it carries over from step to step and follows the island).
    env.step(open("Line.632633"));
    const s4 = env.step(open("Line.632645"));
    expect(kwOf(s4.info).curtailed_kw).toBeGreaterThan(590);
    expect(s4.info.violations).toEqual([]);
  });

  it("the nominal grid curtails the same way (each load at nominal kW)", () => {
    const env = createEnvFromBound(dieselBound, { grid: "nominal" });
    const g = kwOf(env.reset(0).info);
    expect(g.generation_kw).toBe(0);
    expect(g.curtailed_kw).toBeCloseTo(600, 6);
    const s = env.step(env.agents.map((a) => a.elements.map((e) => (e === "Line.632645" ? 0 : 2))));
    expect(kwOf(s.info).generation_kw).toBe(0);
    expect(kwOf(s.info).curtailed_kw).toBeCloseTo(200, 6);
    expect(env.lastResult.sourceKw.get("Generator.pva")! + env.lastResult.sourceKw.get("Generator.pvb")!).toBeCloseTo(400, 6);
  });

  it("without curtailment (PV at fixed output) the diesel runs backwards: a reverse-power violation, penalised", () => {
    const env = createEnvFromBound(dieselBound, { curtailment: "none" });
    const r = env.reset(0);
    const v = r.info.violations.find((x) => x.kind === "reverse-power")!;
    expect(v).toMatchObject({ element: "g", limit: 0 });
    expect(v.value).toBeLessThan(-590);
    expect(kwOf(r.info).curtailed_kw).toBe(0);
    // A step that leaves it backwards pays island_penalty (default 0 here) x kW: the kind is scored like an island's excess.
    const s = env.step(env.agents.map((a) => a.elements.map(() => 2)));
    expect(s.info.violations.some((x) => x.kind === "reverse-power")).toBe(true);
  });

  it("battery with room: absorbs up to its charge rating, PV curtailed only beyond it; full battery: absorbs nothing", () => {
    const env = createEnvFromBound(bindScenarioFile(island(battery(0.5))));
    const g = kwOf(env.reset(0).info);
    expect(g.floor_kw).toBe(-250);
    expect(g.generation_kw).toBeGreaterThanOrEqual(-250);
    expect(g.generation_kw).toBeLessThan(-248);
    expect(g.curtailed_kw).toBeGreaterThan(340);
    expect(g.curtailed_kw).toBeLessThan(352);
    const full = createEnvFromBound(bindScenarioFile(island(battery(0.95))));
    const f = kwOf(full.reset(0).info);
    expect(f.floor_kw).toBe(0);
    expect(f.generation_kw).toBeGreaterThanOrEqual(0);
    expect(f.curtailed_kw).toBeGreaterThan(590);
  });

  it("the curtailed outputs replay through OpenDSS commands (a Generator's kW, a PVSystem's %Pmpp)", () => {
    for (const bound of [dieselBound, bindScenarioFile("ieee123-fault-lateral")]) {
      const env = createEnvFromBound(bound);
      env.reset(0);
      const grid = env.grid as PowerFlowGrid;
      const cmds = grid.outputCommands();
      expect(cmds.length).toBeGreaterThan(0);
      const states = env.switchStates();
      const { pf } = loadFeeder(bound.master, {
        commands: [...bound.commands, ...Object.entries(states).map(([el, st]) => `${st === "open" ? "open" : "close"} ${el} term=2`), ...grid.tapCommands(), ...cmds, "solve"],
      });
      for (const [el, c] of env.lastResult.curtailedKw) {
        const delivered = -pf.flow(el).terminals[0]!.kW;
        expect(Math.abs(delivered - env.lastResult.sourceKw.get(el)!), `${el} (${c.toFixed(1)} kW curtailed)`).toBeLessThan(0.05);
      }
    }
  });
});

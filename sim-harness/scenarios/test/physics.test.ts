// The shipped physics scenarios on the power flow: each starts from a clean
// islanded state, and on 123 the optimum and greedy end without a violation,
// one grid-forming unit per island, the merge scenario picks the south up
// through its tie, and the voltage band binds before the generation does. (The 8500 optimum runs in the bench, not here: ~10 s.)
import { describe, expect, it } from "vitest";
import { findOptimum } from "../../baselines/optimum.js";
import { runEpisode } from "../../baselines/evaluate.js";
import { GreedyPolicy } from "../../baselines/policies.js";
import { ShieldAudit } from "../../baselines/shield-audit.js";
import { createEnv, createEnvFromBound } from "../../env/create.js";
import { bindScenario } from "../bind.js";
import { listScenarios, loadScenario } from "../load.js";

const physics = listScenarios().filter((s) => s.mode === "physics").map((s) => s.name);

describe("shipped physics scenarios", () => {
  it("there are at least six, on both feeders", () => {
    expect(physics.length).toBeGreaterThanOrEqual(6);
    expect(physics.filter((n) => n.startsWith("ieee123")).length).toBeGreaterThanOrEqual(2);
    expect(physics.filter((n) => n.startsWith("ieee8500")).length).toBeGreaterThanOrEqual(2);
  });

  it.each(physics)("%s resets to a clean islanded state: units within ratings, no violation", (name) => {
    const env = createEnv(name);
    const r = env.reset(0);
    expect(r.info.nonconverged).toBe(false);
    expect(r.info.violations).toEqual([]);
    const { scenario } = loadScenario(name);
    expect(scenario.outage.lost_source).toBeDefined();
    // Every microgrid with units has one island, formed by its unit, and the faulted sections are dead.
    const forming = scenario.microgrids.filter((m) => m.forming_unit).map((m) => m.forming_unit);
    expect(r.info.islands.map((i) => i.source).sort()).toEqual([...forming].sort());
    for (const isl of r.info.islands) expect(isl.generation_kw).toBeLessThanOrEqual(isl.rating_kw);
    const kinds = new Set(scenario.microgrids.flatMap((m) => m.units.map((u) => u.kind)));
    expect(kinds.has("pv") && kinds.has("diesel") || name === "ieee123-voltage").toBe(true);
  });

  it("ieee123-fault-lateral: optimum and greedy end without a violation, optimum above greedy", async () => {
    const env = createEnv("ieee123-fault-lateral");
    const o = await findOptimum(env);
    expect(o.replay.final.violations).toEqual([]);
    expect(o.breachesOnTheWay).toBe(0);
    // What the field can execute: one grid-forming unit per island (no tie closed between live islands).
    expect(o.replay.final.islands.map((i) => i.source).sort()).toEqual(["b2", "b4", "d1", "d3", "d5"]);
    for (const tie of ["Line.sw2", "Line.sw3", "Line.sw4", "Line.sw5"]) expect(o.replay.switchStates[tie]).toBe("open");
    // Greedy, with every step passed through the agents' own shields: none vetoes.
    const audit = new ShieldAudit(new GreedyPolicy());
    const g = await runEpisode(env, audit, 0);
    expect(audit.vetoes).toEqual([]);
    expect([...audit.pickupKw.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(1000);
    expect(g.final.violations).toEqual([]);
    expect(g.violationSteps).toBe(0);
    expect(o.iterations.some((it) => /shield vetoes/.test(it.reason))).toBe(false);
    expect(o.replay.final.weighted_restored).toBeGreaterThanOrEqual(g.final.weighted_restored);
    // The faulted lateral stays dead: its switch never closes.
    expect(o.replay.switchStates["Line.l25"]).toBe("open");
  });

  it("ieee123-fault-lateral: at the reset PV is curtailed (frequency-watt) so no grid-forming unit is below its floor; at fixed PV output three diesels would run backwards", async () => {
    const env = createEnv("ieee123-fault-lateral");
    const r = env.reset(0);
    const floors: Record<string, number> = { d1: 0, d3: 0, d5: 0, b2: -225, b4: -250 };
    for (const isl of r.info.islands) {
      expect(isl.floor_kw).toBe(floors[isl.source]);
      expect(isl.generation_kw).toBeGreaterThanOrEqual(isl.floor_kw);
      expect(isl.generation_kw).toBeLessThanOrEqual(isl.rating_kw);
    }
    expect(r.info.violations).toEqual([]);
    // d1's section: 60 kW of load beside PV1's 163 kW; d5's: no load beside PV5. Their PV gives up the
    // difference and the diesels idle just above zero; the batteries absorb within their charge rating.
    const by = new Map(r.info.islands.map((i) => [i.source, i]));
    for (const d of ["d1", "d3", "d5"]) {
      expect(by.get(d)!.generation_kw).toBeLessThan(1.5);
      expect(by.get(d)!.curtailed_kw).toBeGreaterThan(20);
    }
    expect(by.get("d5")!.curtailed_kw).toBeGreaterThan(150);
    expect(by.get("b2")!.generation_kw).toBeLessThan(-50);
    expect(by.get("b2")!.curtailed_kw).toBe(0);
    // The earlier model (fixed PV output): the environment reports the reverse power it causes.
    const fixed = createEnv("ieee123-fault-lateral", { curtailment: "none" }).reset(0);
    expect(fixed.info.violations.map((v) => [v.kind, v.element])).toEqual([
      ["reverse-power", "d1"],
      ["reverse-power", "d3"],
      ["reverse-power", "d5"],
    ]);
    for (const v of fixed.info.violations) expect(v.value).toBeLessThan(-20);
    // Curtailment changes what the units deliver, not the load served.
    expect(Math.abs(fixed.info.restored_kw - r.info.restored_kw)).toBeLessThan(0.5);
    const o = await findOptimum(env);
    expect(o.replay.final.violations).toEqual([]);
    for (const isl of o.replay.final.islands) expect(isl.generation_kw).toBeGreaterThanOrEqual(isl.floor_kw - 1);
  });

  it("ieee123-merge: the south, without a grid-forming unit, is served from the west's battery through the tie", async () => {
    const env = createEnv("ieee123-merge");
    const o = await findOptimum(env);
    expect(o.replay.final.violations).toEqual([]);
    // West picks up its 151 lateral, the south closes the tie onto its own dead bus and picks up its laterals.
    for (const el of ["Line.l45", "Line.sw7", "Line.l100", "Line.l104", "Line.l107"]) expect(o.replay.switchStates[el]).toBe("closed");
    expect(o.replay.final.islands.map((i) => i.source).sort()).toEqual(["b2", "b4", "d1", "d3"]);
    const west = o.replay.final.islands.find((i) => i.source === "b2")!;
    expect(west.load_kw).toBeGreaterThan(800);
    // The tie is closed by the south onto a dead section, after the west's pick-up made its other side live.
    const step = (el: string) => o.sequence.findIndex((st) => st.operations.some((op) => op.element === el));
    expect(step("Line.sw7")).toBeGreaterThan(step("Line.l45"));
    expect(step("Line.l100")).toBeGreaterThan(step("Line.sw7"));
    expect(o.pickupKw.get("south")).toBeCloseTo(320, 6);
  });

  it("ieee123-voltage: the voltage band binds before the rating", async () => {
    const env = createEnv("ieee123-voltage");
    const o = await findOptimum(env);
    expect(o.replay.final.violations).toEqual([]);
    const isl = o.replay.final.islands[0]!;
    expect(isl.generation_kw).toBeLessThan(0.95 * isl.rating_kw);
    // With the band relaxed, more load is restored from the same unit.
    const loaded = loadScenario("ieee123-voltage");
    loaded.scenario.limits.voltage_pu = { min: 0.8, max: 1.1 };
    const relaxed = await findOptimum(createEnvFromBound(bindScenario(loaded)));
    expect(relaxed.replay.final.restored_kw).toBeGreaterThan(o.replay.final.restored_kw + 50);
  });
});

// The shipped physics scenarios on the power flow: each starts from a clean
// islanded state, and on 123 the optimum and greedy end without a violation,
// the merge scenario merges through its tie, and the voltage band binds before
// the generation does. (The 8500 optimum runs in the bench, not here: ~10 s.)
import { describe, expect, it } from "vitest";
import { findOptimum } from "../../baselines/optimum.js";
import { runEpisode } from "../../baselines/evaluate.js";
import { GreedyPolicy } from "../../baselines/policies.js";
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
    const g = await runEpisode(env, new GreedyPolicy(), 0);
    expect(g.final.violations).toEqual([]);
    expect(g.violationSteps).toBe(0);
    expect(o.replay.final.weighted_restored).toBeGreaterThanOrEqual(g.final.weighted_restored);
    // The faulted lateral stays dead: its switch never closes.
    expect(o.replay.switchStates["Line.l25"]).toBe("open");
  });

  it("ieee123-merge: the optimum serves the south through the tie, merged with the west", async () => {
    const env = createEnv("ieee123-merge");
    const o = await findOptimum(env);
    expect(o.replay.final.violations).toEqual([]);
    expect(o.replay.switchStates["Line.sw7"]).toBe("closed");
    const merged = o.replay.final.islands.find((i) => i.source.split("+").includes("d5"));
    expect(merged?.source.split("+")).toEqual(expect.arrayContaining(["b2", "d5"]));
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

// The MILP against brute force on small cases where every switch combination
// can be enumerated, in both modes, on the same model (section kW fixed);
// then the optimum search, its switching sequence and the baseline policies.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { Scenario } from "../../../shared/scenario/schema.js";
import { createEnv, createEnvFromBound } from "../../env/create.js";
import { bindScenario, bindScenarioFile } from "../../scenarios/bind.js";
import { loadScenario } from "../../scenarios/load.js";
import { shippedText, writeScenario } from "../../scenarios/test/helpers.js";
import { bruteForce, evaluateConfiguration } from "../brute.js";
import { runEpisode, summarise } from "../evaluate.js";
import { formulate, solveModel } from "../milp.js";
import { buildModel, type RestorationModel } from "../model.js";
import { findOptimum } from "../optimum.js";
import { GreedyPolicy, RandomPolicy, SequencePolicy } from "../policies.js";
import { buildSequence } from "../sequence.js";
import { ShieldAudit } from "../shield-audit.js";

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "fixtures");

/** A reduced 123: the paper's first two agents only (15 switches), under a cap that binds. */
function reduced123Paper(): string {
  const text = shippedText("ieee123-5mg");
  const start = text.indexOf("  - id: mg3");
  const end = text.indexOf("weights:");
  // 2095 kW stay served at the reset (the other agents' lines as compiled): quotas that fit what is left of the cap.
  const head = text.slice(0, start).replace(/quota_kw: \d+.*$/gm, "quota_kw: 230");
  return writeScenario(head + text.slice(end).replace("generation_cap_kw: 2400", "generation_cap_kw: 2600"), "reduced123.yaml");
}

/** A reduced 123 islanded: substation lost, a diesel at bus 1, a battery at bus 35 behind Sw3, a PV, 14 switches. */
function reduced123Physics(): string {
  return writeScenario(
    `version: 1
name: ieee123-reduced-physics
description: reduced 123 islanded, two grid-forming units (test)
mode: physics
feeder:
  master: feeders/ieee123-paper/IEEE123Master.dss
microgrids:
  - id: mg1
    switches: [Line.L1, Line.L2, Line.L8, Line.L9, Line.L12, Line.L18, Line.L21, Line.L23]
    units:
      - {id: d1, kind: diesel, bus: "13", kv: 4.16, kw: 700, kva: 875}
    forming_unit: d1
    quota_kw: 627
  - id: mg2
    switches: [Line.Sw3, Line.L35, Line.L40, Line.L42, Line.L44, Line.L45]
    units:
      - {id: b2, kind: battery, grid_forming: true, bus: "40", kv: 4.16, kw: 500, kva: 600, kwh: 1000, soc: {initial: 0.9}, charge_kw: 250}
    forming_unit: b2
    quota_kw: 431
weights:
  generator: {kind: uniform-int, seed: 3, min: 0, max: 10}
outage:
  lost_source: Vsource.source
  open: [Line.L26, Line.L25, Line.L116, Line.Sw2]
limits:
  allow_mesh: false
episode: {length: 15}
`,
    "reduced123-physics.yaml",
  );
}

async function milpEqualsBruteForce(m: RestorationModel): Promise<{ milp: number; brute: number; configurations: number }> {
  const r = await solveModel(m);
  const b = await bruteForce(m);
  // The MILP's plan is itself feasible by direct evaluation, with the objective it claims.
  const ev = evaluateConfiguration(m, r.plan.closed);
  expect(ev.feasible).toBe(true);
  expect(Array.from(ev.energized)).toEqual(Array.from(r.plan.energized));
  expect(r.plan.objective).toBeCloseTo(b.objective, 6);
  expect(r.plan.weighted).toBeCloseTo(b.weighted, 6);
  return { milp: r.plan.objective, brute: b.objective, configurations: b.configurations };
}

function model(file: string, tweak?: (s: Scenario) => void, options: Parameters<typeof buildModel>[2] = {}): RestorationModel {
  const loaded = loadScenario(file);
  tweak?.(loaded.scenario);
  const bound = bindScenario(loaded);
  return buildModel(bound.scenario, bound.sections, { lossFactor: loaded.scenario.mode === "physics" ? 1.03 : 1, ...options });
}

describe("optimum == brute force on enumerable cases", () => {
  it("ieee13 with ten switchable lines, paper mode (cap binds; mesh allowed)", async () => {
    const m = model(join(FIXTURES, "ieee13-paper.yaml"));
    const r = await milpEqualsBruteForce(m);
    expect(r.configurations).toBe(2 ** 10);
    // Tighter caps move the optimum; it still matches.
    for (const cap of [300, 900, 1500, 2600]) await milpEqualsBruteForce({ ...m, capKw: cap });
  });

  it("ieee13 islanded, physics mode: ratings, radiality through the tie, switch limits", async () => {
    const m = model(join(FIXTURES, "ieee13-physics.yaml"));
    const r = await milpEqualsBruteForce(m);
    // The field's rules bind here: without them (live merges, PV counted for pick-ups) both agree on more.
    const relaxed = await milpEqualsBruteForce({ ...m, liveMerges: true, pickupRule: false });
    expect(relaxed.milp).toBeGreaterThan(r.milp + 1000);
    await milpEqualsBruteForce({ ...m, liveMerges: true });
    await milpEqualsBruteForce({ ...m, pickupRule: false });
    // Limits on the switches that let the islands share (the interval check on trees vs the MILP's flows).
    const limited = { ...m, switches: m.switches.map((sw, k) => (k === 4 || k === 8 ? { ...sw, limitKw: 400 } : sw)) };
    await milpEqualsBruteForce(limited);
    // Smaller units: the merge through the tie becomes necessary or impossible.
    const small = { ...m, sections: m.sections.map((s) => ({ ...s, forming: s.forming.map((u) => ({ ...u, maxKw: u.maxKw * 0.85 })) })) };
    await milpEqualsBruteForce(small);
  });

  it("two grid-forming sections under a cap (paper terms): no live merge, radial and meshed", async () => {
    // The ieee13 islanded case scored the paper's way (cap only): each island still needs its own source.
    const m = model(join(FIXTURES, "ieee13-physics.yaml"));
    const paper: RestorationModel = { ...m, mode: "paper", islandRatings: false, pickupRule: false, capKw: 2600 };
    const bound = bindScenarioFile(join(FIXTURES, "ieee13-physics.yaml"));
    const fix = (...refs: string[]) => Uint8Array.from(bound.switches, (sw) => (refs.includes(sw.ref) ? 1 : 0));
    for (const radial of [true, false]) {
      const mm = { ...paper, radial };
      await milpEqualsBruteForce(mm);
      // Without ratings a merge gains nothing, so the optimum is the same with merges allowed;
      // a merged configuration is what the rows forbid (the MILP with it pinned is infeasible).
      await milpEqualsBruteForce({ ...mm, liveMerges: true });
      const merged = radial ? fix("Line.632670", "Line.670671", "Line.671692") : fix("Line.632670", "Line.670671", "Line.671692", "Line.tie680675");
      expect(evaluateConfiguration(mm, merged).feasible).toBe(false);
      expect(evaluateConfiguration({ ...mm, liveMerges: true }, merged).feasible).toBe(true);
      expect((await formulate(mm, [], merged).milp.solve()).status).toBe("Infeasible");
      expect((await formulate({ ...mm, liveMerges: true }, [], merged).milp.solve()).status).toBe("Optimal");
    }
  });

  it("a reduced 123 in paper mode (15 switches)", async () => {
    const m = model(reduced123Paper());
    const r = await milpEqualsBruteForce(m);
    expect(r.configurations).toBe(2 ** 15);
  });

  it("a reduced 123 islanded, physics mode (14 switches, two units that can merge)", async () => {
    const m = model(reduced123Physics());
    const r = await milpEqualsBruteForce(m);
    expect(r.configurations).toBe(2 ** 14);
    await milpEqualsBruteForce({ ...m, switches: m.switches.map((sw, k) => (k === 8 ? { ...sw, limitKw: 150 } : sw)) });
    const relaxed = await milpEqualsBruteForce({ ...m, liveMerges: true, pickupRule: false });
    expect(relaxed.milp).toBeGreaterThan(r.milp);
  });
});

describe("optimum search, switching sequence and baselines", () => {
  it("finds the paper 123 optimum, reaches it by a safe sequence within the episode, and replays it", async () => {
    const env = createEnv("ieee123-5mg", { grid: "nominal" });
    const o = await findOptimum(env);
    expect(o.replay.final.restored_kw).toBeCloseTo(2395, 6);
    expect(o.replay.final.restored_kw).toBeLessThanOrEqual(2400);
    expect(o.fitsEpisode).toBe(true);
    expect(o.breachesOnTheWay).toBe(0);
    expect(o.replay.final.weighted_restored).toBeCloseTo(o.plan.weighted, 6);
    // Brute force is out of reach here (2^26); the MILP's plan is checked directly instead.
    expect(evaluateConfiguration(o.model, o.plan.closed).feasible).toBe(true);
    // The replay of the sequence through the plan policy gives the same state.
    const again = await runEpisode(env, new SequencePolicy(o.sequence), 5);
    expect(again.final.restored_kw).toBeCloseTo(o.replay.final.restored_kw, 9);
  });

  it("keeps every intermediate state within limits, closes only onto dead sections, and passes the agents' shields", async () => {
    const bound = bindScenarioFile(reduced123Physics());
    const env = createEnvFromBound(bound, { grid: "nominal" });
    const o = await findOptimum(env);
    const m = o.model;
    const state = env.initialStates();
    for (const step of o.sequence) {
      for (const op of step.operations) {
        const k = bound.switches.findIndex((s) => s.ref === op.element);
        state[k] = op.action === "close" ? 1 : 0;
        expect(evaluateConfiguration(m, state).feasible).toBe(true);
      }
    }
    expect(o.replay.violationSteps).toBe(0);
    // One grid-forming unit per island at the end.
    expect(o.replay.final.islands.map((i) => i.source).sort()).toEqual(["b2", "d1"]);
    const audit = new ShieldAudit(new SequencePolicy(o.sequence));
    await runEpisode(env, audit, 0);
    expect(audit.vetoes).toEqual([]);
    // Every kW the sequence energizes is counted by the shield of the agent whose close picked it
    // up (no close between two dead sections: what they join would be committed by nobody).
    const nominal = (closed: ArrayLike<number>) => {
      const e = evaluateConfiguration(m, closed).energized;
      return m.sections.reduce((t, sec, i) => t + (e[i] ? sec.nominalKw : 0), 0);
    };
    const counted = [...audit.pickupKw.values()].reduce((a, b) => a + b, 0);
    expect(counted).toBeGreaterThan(0);
    expect(counted).toBeCloseTo(nominal(o.plan.closed) - nominal(env.initialStates()), 6);
  });

  it("the shield audit reports what the deployed shield vetoes", async () => {
    const env = createEnv("ieee123-merge", { grid: "nominal" });
    // North closes Sw2 onto the center's live island: both sides live.
    const audit = new ShieldAudit(
      new SequencePolicy([
        {
          operations: [
            { agent: "north", element: "Line.sw2", action: "close" },
            { agent: "north", element: "Line.l1", action: "close" },
          ],
        },
      ]),
    );
    await runEpisode(env, audit, 0);
    expect(audit.vetoes).toEqual([expect.objectContaining({ step: 1, agent: "north", element: "Line.sw2", action: "close", rule: "dead-bus" })]);
    expect(audit.pickupKw.get("north")).toBeCloseTo(20, 6);
  });

  it("refuses a target only reachable through a close with both sides live, and plans one source per island", async () => {
    // ieee13 islanded: with live merges the two units would share one island through
    // 670671 (the optimum of the relaxed model); the field cannot close onto a live island.
    const bound = bindScenarioFile(join(FIXTURES, "ieee13-physics.yaml"));
    const env = createEnvFromBound(bound, { grid: "nominal" });
    const m = buildModel(bound.scenario, bound.sections, { lossFactor: 1.03 });
    const target = (await solveModel({ ...m, liveMerges: true, pickupRule: false })).plan.closed;
    expect(target[bound.switches.findIndex((s) => s.ref === "Line.670671")]).toBe(1);
    expect(evaluateConfiguration(m, target).feasible).toBe(false);
    expect(() => buildSequence(m, bound.switches.map((s) => ({ element: s.ref, agent: "x" })), env.initialStates(), target, 10)).toThrow(
      /no safe switching sequence reaches the optimum: .*Line\.670671.* cannot be operated/,
    );
    const o = await findOptimum(env);
    expect(o.iterations.every((it) => !/no safe switching sequence|shield vetoes/.test(it.reason))).toBe(true);
    expect(o.breachesOnTheWay).toBe(0);
    expect(o.replay.final.islands.map((i) => i.source).sort()).toEqual(["ge", "gw"]);
    expect(o.replay.final.restored_kw).toBeLessThan(2368);
  });

  it("greedy stays within the cap; random breaches it; both are deterministic per seed", async () => {
    const env = createEnv("ieee123-5mg", { grid: "nominal" });
    const greedy = [];
    const random = [];
    for (let seed = 0; seed < 5; seed++) {
      greedy.push(await runEpisode(env, new GreedyPolicy(), seed));
      random.push(await runEpisode(env, new RandomPolicy(), seed));
    }
    const g = summarise(greedy);
    expect(g.cap_breaches).toBe(0);
    expect(g.restored_kw_mean).toBeGreaterThan(2000);
    expect(g.restored_kw_mean).toBeLessThanOrEqual(2400);
    const r = summarise(random);
    expect(r.cap_breaches).toBeGreaterThan(0);
    const again = await runEpisode(env, new RandomPolicy(), 3);
    expect(again.final.restored_kw).toBe(random[3]!.final.restored_kw);
    expect(again.sequence).toEqual(random[3]!.sequence);
  });
});

// The agent against the simulated field devices of ieee123-5mg (sim-harness
// DeviceHarness: reclosers on real Modbus TCP ports, bound to the power flow),
// lockstep: each tick the agent reads, decides and writes, then the harness
// steps and the switches move. What was restored is checked on the
// simulator's side (the plant's switch states on the section graph), not from
// the agent's claims.
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import Database from "better-sqlite3";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalElement } from "../../shared/names.js";
import { DeviceHarness } from "../../sim-harness/devices/harness.js";
import { openPlant, planFromScenario } from "../../sim-harness/devices/scenario.js";
import type { Plant } from "../../sim-harness/devices/plant.js";
import { bindScenarioFile, type BoundScenario } from "../../sim-harness/scenarios/bind.js";
import { siteFor } from "../config/generate.js";
import { energizedKw } from "./support/energized.js";
import { startAgent, type RunningAgent } from "../main.js";

let bound: BoundScenario;
let plant: Plant;
let harness: DeviceHarness;

beforeAll(async () => {
  bound = bindScenarioFile("ieee123-5mg");
  plant = openPlant(bound);
  harness = await DeviceHarness.start(planFromScenario(bound), plant, { clock: "lockstep" });
}, 120_000);

afterAll(async () => {
  await harness?.stop();
});

/** Nominal load energized now, as the simulator shows it. */
function restoredKw(): number {
  return energizedKw(bound.sections, plant);
}

/** A plan directory for the whole scenario in which only `mg` acts: close its switches, one per step. */
function planDir(dir: string, mg: string): string {
  const s = bound.scenario;
  const p = join(dir, "policy");
  mkdirSync(p, { recursive: true });
  const hash = bound.sections.scenario_hash;
  writeFileSync(
    join(p, "manifest.json"),
    JSON.stringify({
      format: "blackstart-policy/1",
      kind: "plan",
      scenario: s.name,
      scenario_hash: hash,
      algorithm: "plan",
      observation: { kind: "switch-states" },
      actions_per_element: 3,
      agents: s.microgrids.map((m) => ({ id: m.id, elements: m.switches, observation_size: m.switches.length })),
      created: "2026-11-25T00:00:00Z",
    }),
  );
  const own = s.microgrids.find((m) => m.id === mg)!.switches;
  writeFileSync(
    join(p, "plan.json"),
    JSON.stringify({
      format: "blackstart-plan/1",
      label: "plan: close every switch of one microgrid in order (test), not a learned policy",
      scenario: s.name,
      scenario_hash: hash,
      source: "agent/test/e2e.test.ts",
      retry_limit: 1,
      steps: own.map((element) => ({ operations: [{ agent: mg, element, action: "close" }] })),
    }),
  );
  return "policy";
}

const silent = () => new Writable({ write: (_c, _e, cb) => cb() });

describe("one agent on the simulated ieee123-5mg feeder", () => {
  it("restores its own sections within its static quota, every operation verified and journaled", async () => {
    const mg = "mg2";
    const dir = mkdtempSync(join(tmpdir(), "blackstart-e2e-"));
    const policy = planDir(dir, mg);
    const site = siteFor({
      scenario: bound.scenario,
      graph: bound.sections,
      microgrid: mg,
      endpoints: harness.endpoints(),
      policyDir: policy,
      journalPath: "journal.db",
      clock: "external",
      http: { port: 0 },
      limits: { min_operation_interval_ms: 0 },
    });
    writeFileSync(join(dir, "site.yaml"), stringify(site));
    const before = restoredKw();
    let agent: RunningAgent | undefined;
    try {
      agent = await startAgent(join(dir, "site.yaml"), { logDestination: silent() });
      agent.restorer.request({ command: "restore", by: "test" });
      const quota = agent.site.quotaKw;
      let maxPicked = 0;
      for (let t = 0; t < bound.scenario.episode.length + 2; t++) {
        await agent.tick();
        harness.step(1000);
        maxPicked = Math.max(maxPicked, restoredKw() - before);
        // Never above its quota at any instant, on the simulator's side.
        expect(restoredKw() - before).toBeLessThanOrEqual(quota + 1e-6);
      }
      const picked = restoredKw() - before;
      expect(picked).toBeGreaterThan(0);
      expect(picked).toBeCloseTo(agent.restorer.servedKw(), 3);
      const own = bound.scenario.microgrids.find((m) => m.id === mg)!.switches.map(canonicalElement);
      const closedBySim = own.filter((e) => plant.isClosed(e));
      await agent.stop("test");
      agent = undefined;
      const db = new Database(join(dir, "journal.db"), { readonly: true });
      const confirmed = db.prepare("SELECT element FROM commands WHERE id IN (SELECT command_id FROM command_states WHERE state = 'confirmed')").all() as { element: string }[];
      const unresolved = db.prepare("SELECT count(*) AS n FROM commands WHERE state <> 'resolved'").get() as { n: number };
      const vetoes = db.prepare("SELECT element, rule FROM verdicts").all() as { element: string; rule: string }[];
      const decisions = db.prepare("SELECT count(*) AS n FROM decisions").get() as { n: number };
      const observations = db.prepare("SELECT count(*) AS n FROM observations").get() as { n: number };
      db.close();
      // Every switch the simulator shows closed was closed by a confirmed command, and vice versa.
      expect(confirmed.map((c) => canonicalElement(c.element)).sort()).toEqual(closedBySim.sort());
      expect(unresolved.n).toBe(0);
      expect(decisions.n).toBe(bound.scenario.episode.length);
      expect(observations.n).toBeGreaterThanOrEqual(bound.scenario.episode.length);
      // What did not fit was vetoed for generation, and journaled.
      if (closedBySim.length < own.length) expect(vetoes.some((v) => v.rule === "generation")).toBe(true);
      expect(maxPicked).toBeLessThanOrEqual(quota);
    } finally {
      await agent?.stop("test");
    }
  }, 120_000);
});

// Five agents together on one host (embedded MQTT broker) restore
// ieee123-5mg with the `plan` policy (the optimum's switching sequence) on the
// simulated devices, lockstep; the cap is checked at every step on the
// simulator's side; every decision and verified command is in the journals.
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import Database from "better-sqlite3";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findOptimum, planDocument } from "../../sim-harness/baselines/optimum.js";
import { DeviceHarness } from "../../sim-harness/devices/harness.js";
import type { Plant } from "../../sim-harness/devices/plant.js";
import { openPlant, planFromScenario } from "../../sim-harness/devices/scenario.js";
import { createEnvFromBound } from "../../sim-harness/env/create.js";
import { bindScenarioFile, type BoundScenario } from "../../sim-harness/scenarios/bind.js";
import { startBroker, type EmbeddedBroker } from "../bus/index.js";
import { siteFor } from "../config/generate.js";
import { energizedKw } from "./support/energized.js";
import { startAgent, type RunningAgent } from "../main.js";

let bound: BoundScenario;
let plant: Plant;
let harness: DeviceHarness;
let broker: EmbeddedBroker;
let planned: Set<string>;
const dir = mkdtempSync(join(tmpdir(), "blackstart-fleet-"));

beforeAll(async () => {
  bound = bindScenarioFile("ieee123-5mg");
  const env = createEnvFromBound(bound, { grid: "nominal" });
  const opt = await findOptimum(env);
  const plan = planDocument(env, opt);
  planned = new Set(plan.steps.flatMap((s) => s.operations.filter((o) => o.action === "close").map((o) => o.element.toLowerCase())));
  mkdirSync(join(dir, "policy"), { recursive: true });
  writeFileSync(join(dir, "policy", "plan.json"), JSON.stringify(plan));
  writeFileSync(
    join(dir, "policy", "manifest.json"),
    JSON.stringify({
      format: "blackstart-policy/1",
      kind: "plan",
      scenario: bound.scenario.name,
      scenario_hash: bound.sections.scenario_hash,
      algorithm: "plan",
      observation: { kind: "switch-states" },
      actions_per_element: 3,
      agents: bound.scenario.microgrids.map((m) => ({ id: m.id, elements: m.switches, observation_size: m.switches.length })),
      created: "2026-11-25T00:00:00Z",
    }),
  );
  plant = openPlant(bound);
  harness = await DeviceHarness.start(planFromScenario(bound), plant, { clock: "lockstep" });
  broker = await startBroker({ port: 0, baseTopic: "fleet-test" });
}, 180_000);

afterAll(async () => {
  await harness?.stop();
  await broker?.close();
});

/** Nominal load energized now, as the simulator shows it. */
function restoredKw(): number {
  return energizedKw(bound.sections, plant);
}

/** Nominal load the optimum's configuration energizes. */
function optimumNominalKw(): number {
  const initial = new Map(bound.sections.switches.map((sw) => [sw.element, sw.initial]));
  return energizedKw(bound.sections, plant, (e) => planned.has(e.toLowerCase()) || initial.get(e) === "closed");
}

const silent = () => new Writable({ write: (_c, _e, cb) => cb() });

describe("five agents on one host", () => {
  it("restore ieee123-5mg with the plan policy as far as quotas and the bus allow, never above the cap, every command verified and journaled", async () => {
    const agents: RunningAgent[] = [];
    const cap = bound.sections.cap_kw!;
    const reservations: { kw: number; granted: boolean; reason?: string }[] = [];
    try {
      for (const m of bound.scenario.microgrids) {
        const site = siteFor({
          scenario: bound.scenario,
          graph: bound.sections,
          microgrid: m.id,
          endpoints: harness.endpoints(),
          policyDir: "policy",
          journalPath: `${m.id}.db`,
          sectionsFile: "sections.json",
          clock: "external",
          http: { port: 0 },
          bus: { url: broker.url, base_topic: "fleet-test" },
          limits: { min_operation_interval_ms: 0 },
        });
        writeFileSync(join(dir, "sections.json"), JSON.stringify(bound.sections));
        writeFileSync(join(dir, `${m.id}.yaml`), stringify(site));
      }
      for (const m of bound.scenario.microgrids) agents.push(await startAgent(join(dir, `${m.id}.yaml`), { logDestination: silent() }));
      // One watching tick publishes every agent's state; then every agent hears every other.
      await Promise.all(agents.map((a) => a.tick()));
      const end = Date.now() + 15000;
      while (!agents.every((a) => a.bus!.peers().every((p) => p.fresh))) {
        if (Date.now() > end) throw new Error("agents did not all see each other on the bus");
        await new Promise((r) => setTimeout(r, 50));
      }
      for (const a of agents) a.restorer.request({ command: "restore", by: "test" });
      const before = restoredKw();
      for (let t = 0; t < bound.scenario.episode.length + 2; t++) {
        const reports = await Promise.all(agents.map((a) => a.tick()));
        for (const r of reports) if (r.decision?.reservation) reservations.push(r.decision.reservation);
        harness.step(1000);
        expect(restoredKw()).toBeLessThanOrEqual(cap + 1e-6);
      }
      const restored = restoredKw();
      expect(restored).toBeGreaterThan(before);
      expect(restored).toBeLessThanOrEqual(cap);
      // What the simulator shows restored is exactly what the agents' ledgers say their closes picked up,
      // and no agent went past its static quota plus what the bus granted it.
      const served = agents.map((a) => a.restorer.servedKw());
      expect(served.reduce((a, b) => a + b, 0)).toBeCloseTo(restored - before, 3);
      const granted = reservations.filter((r) => r.granted).reduce((kw, r) => kw + r.kw, 0);
      agents.forEach((a, i) => expect(served[i]!).toBeLessThanOrEqual(a.site.quotaKw + granted + 1e-6));
      // Known gap (reported): the bus grants only headroom beyond every live agent's unused static quota,
      // and ieee123-5mg's quotas (5 x 480 kW + 505 kW energized at the start) already cover the 2400 kW cap,
      // so every reservation is refused ('no-headroom') and the fleet stops short of the optimum.
      expect(restored).toBeLessThan(optimumNominalKw());
    } finally {
      for (const a of agents) await a.stop("test");
    }
    let confirmed = 0;
    for (const m of bound.scenario.microgrids) {
      const db = new Database(join(dir, `${m.id}.db`), { readonly: true });
      const un = db.prepare("SELECT count(*) AS n FROM commands WHERE state <> 'resolved'").get() as { n: number };
      const dec = db.prepare("SELECT count(*) AS n FROM decisions").get() as { n: number };
      const obs = db.prepare("SELECT count(*) AS n FROM observations").get() as { n: number };
      confirmed += (db.prepare("SELECT count(*) AS n FROM command_states WHERE state = 'confirmed'").get() as { n: number }).n;
      db.close();
      expect(un.n).toBe(0);
      expect(dec.n).toBe(bound.scenario.episode.length);
      expect(obs.n).toBeGreaterThanOrEqual(bound.scenario.episode.length);
    }
    // Every close that happened was confirmed by reading the device back.
    expect(confirmed).toBe(bound.sections.switches.filter((sw) => plant.isClosed(sw.element) && sw.initial === "open").length);
  }, 300_000);

  it.todo("reaches the optimum's restored load (2395 kW nominal) once the bus can lend a peer's unused static quota");
});

// A spontaneous trip on the simulated ieee123-5mg devices (sim-harness fault
// `spontaneous-trip`: the recloser opens by itself, no lockout, no fault
// indicator), lockstep: mg3's agent closes Line.L61, the recloser opens by
// itself later, and on the simulator's side the section stays open to the end
// (nobody recloses onto what may be a fault) while the agent's journal holds
// the uncommanded-open alarm.
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import Database from "better-sqlite3";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planManifest, type PlanDocument } from "../../shared/policy/plan.js";
import { DeviceHarness } from "../../sim-harness/devices/harness.js";
import type { Plant } from "../../sim-harness/devices/plant.js";
import { openPlant, planFromScenario } from "../../sim-harness/devices/scenario.js";
import { bindScenarioFile, type BoundScenario } from "../../sim-harness/scenarios/bind.js";
import { siteFor } from "../config/generate.js";
import { startAgent, type RunningAgent } from "../main.js";

const TRIP_AT_MS = 3000;
const l61 = "Line.l61";
let bound: BoundScenario;
let plant: Plant;
let harness: DeviceHarness;

beforeAll(async () => {
  bound = bindScenarioFile("ieee123-5mg");
  plant = openPlant(bound, "nominal");
  harness = await DeviceHarness.start(planFromScenario(bound), plant, { clock: "lockstep", faults: [{ device: "sw-l61", kind: "spontaneous-trip", after_ms: TRIP_AT_MS }] });
}, 120_000);

afterAll(async () => {
  await harness?.stop();
});

const silent = () => new Writable({ write: (_c, _e, cb) => cb() });

describe("spontaneous trip on the simulated feeder", () => {
  it("the tripped section stays open on the simulator's side, the agent journals uncommanded-open and never writes to it again", async () => {
    const dir = mkdtempSync(join(tmpdir(), "blackstart-trip-"));
    const s = bound.scenario;
    const hash = bound.sections.scenario_hash;
    mkdirSync(join(dir, "policy"), { recursive: true });
    // mg3 closes L61 first (370 kW), then L57: the plan keeps proposing L61 closed after the trip.
    const plan: PlanDocument = {
      format: "blackstart-plan/1",
      label: "plan: close L61 then L57 (test), not a learned policy",
      scenario: s.name,
      scenario_hash: hash,
      source: "agent/test/trip-sim.test.ts",
      retry_limit: 3,
      steps: [{ operations: [{ agent: "mg3", element: "Line.L61", action: "close" }] }, { operations: [{ agent: "mg3", element: "Line.L57", action: "close" }] }],
    };
    writeFileSync(join(dir, "policy", "plan.json"), JSON.stringify(plan));
    writeFileSync(join(dir, "policy", "manifest.json"), JSON.stringify(planManifest(plan, s.microgrids.map((m) => ({ id: m.id, elements: m.switches })))));
    const site = siteFor({
      scenario: s,
      graph: bound.sections,
      microgrid: "mg3",
      endpoints: harness.endpoints(),
      policyDir: "policy",
      journalPath: "journal.db",
      clock: "external",
      http: { port: 0 },
      limits: { min_operation_interval_ms: 0 },
    });
    // One agent, no bus: room on its own quota for both closes (370 + 40 kW; the scenario's quotas are sized for five agents).
    writeFileSync(join(dir, "site.yaml"), stringify({ ...site, quota_kw: 600 }));
    let agent: RunningAgent | undefined;
    try {
      agent = await startAgent(join(dir, "site.yaml"), { logDestination: silent() });
      agent.restorer.request({ command: "restore", by: "test" });
      let closedBeforeTrip = false;
      let heldAt: number | undefined;
      for (let t = 0; t < s.episode.length; t++) {
        const r = await agent.tick();
        // The agent names elements as the section graph spells them (Line.l61).
        if (r.held?.[l61] === "uncommanded-open" && heldAt === undefined) heldAt = r.tick;
        harness.step(1000);
        const now = harness.clock.now();
        if (now < TRIP_AT_MS && plant.isClosed(l61)) closedBeforeTrip = true;
        // From the trip on, the simulator never shows L61 closed again.
        if (now >= TRIP_AT_MS) expect(plant.isClosed(l61)).toBe(false);
      }
      expect(closedBeforeTrip).toBe(true);
      expect(heldAt).toBeDefined();
      // The rest of the restoration went on: L57 was closed.
      expect(plant.isClosed("Line.l57")).toBe(true);
      await agent.stop("test");
      agent = undefined;
      const db = new Database(join(dir, "journal.db"), { readonly: true });
      const alarms = db.prepare("SELECT kind, detail FROM alarms").all() as { kind: string; detail: string }[];
      const l61Commands = db.prepare("SELECT action FROM commands WHERE lower(element) = 'line.l61'").all() as { action: string }[];
      const vetoes = db.prepare("SELECT rule, detail FROM verdicts WHERE lower(element) = 'line.l61' AND action = 'close'").all() as { rule: string; detail: string }[];
      db.close();
      expect(alarms.map((a) => a.kind)).toEqual(["uncommanded-open"]);
      expect(JSON.parse(alarms[0]!.detail)).toMatchObject({ element: l61, microgrid: "mg3", from: "closed", to: "open", fault_indicator: false, lockout: false, sections: ["s18"] });
      // One close, never a second: after the trip every proposed close of L61 was vetoed as tripped.
      expect(l61Commands).toEqual([{ action: "close" }]);
      const faulted = vetoes.filter((v) => v.rule === "faulted");
      expect(faulted.length).toBeGreaterThan(0);
      expect(faulted.every((v) => /opened without a command/.test(v.detail))).toBe(true);
    } finally {
      await agent?.stop("test");
    }
  }, 120_000);
});

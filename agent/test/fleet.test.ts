// Five agents together on one host (embedded MQTT broker) restore
// ieee123-5mg with the `plan` policy (the optimum's switching sequence) on the
// simulated devices, lockstep; the cap is checked at every step on the
// simulator's side; every decision and verified command is in the journals.
// The optimum lies beyond the static quotas: the agents reach it only by
// reservations from quota their peers lend on demand. With the broker gone
// they fall back to their quotas, which keep the worst case under the cap.
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import Database from "better-sqlite3";
import { stringify } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_LOAD_MARGIN_PCT } from "../../shared/bus/ledger.js";
import { islands } from "../../shared/scenario/sections.js";
import { findOptimum, planDocument } from "../../sim-harness/baselines/optimum.js";
import { DeviceHarness } from "../../sim-harness/devices/harness.js";
import type { Plant } from "../../sim-harness/devices/plant.js";
import { openPlant, planFromScenario, type PlantKind } from "../../sim-harness/devices/scenario.js";
import { createEnvFromBound } from "../../sim-harness/env/create.js";
import { bindScenarioFile, type BoundScenario } from "../../sim-harness/scenarios/bind.js";
import { startBroker, type EmbeddedBroker } from "../bus/index.js";
import { siteFor } from "../config/generate.js";
import { energizedKw } from "./support/energized.js";
import { startAgent, type RunningAgent } from "../main.js";

interface Setup {
  bound: BoundScenario;
  /** Switches the optimum's plan closes (lower case). */
  planned: Set<string>;
  dir: string;
}

/** The scenario, its optimum (nominal loads) as a plan policy, and the section graph, in a fresh folder. */
async function prepare(name: string): Promise<Setup> {
  const dir = mkdtempSync(join(tmpdir(), "blackstart-fleet-"));
  const bound = bindScenarioFile(name);
  const env = createEnvFromBound(bound, { grid: "nominal" });
  const opt = await findOptimum(env);
  const plan = planDocument(env, opt);
  const planned = new Set(plan.steps.flatMap((s) => s.operations.filter((o) => o.action === "close").map((o) => o.element.toLowerCase())));
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
  writeFileSync(join(dir, "sections.json"), JSON.stringify(bound.sections));
  return { bound, planned, dir };
}

let paper: Setup;
let physics: Setup;
beforeAll(async () => {
  paper = await prepare("ieee123-5mg");
  physics = await prepare("ieee123-voltage");
}, 180_000);

/** A fresh plant, devices and broker, and the agents on them (each run its own journals). */
async function fleet({ bound, dir }: Setup, run: string, plantKind: PlantKind = "powerflow") {
  const plant = openPlant(bound, plantKind);
  const harness = await DeviceHarness.start(planFromScenario(bound), plant, { clock: "lockstep" });
  const broker = await startBroker({ port: 0, baseTopic: "fleet-test" });
  const agents: RunningAgent[] = [];
  for (const m of bound.scenario.microgrids) {
    const site = siteFor({
      scenario: bound.scenario,
      graph: bound.sections,
      microgrid: m.id,
      endpoints: harness.endpoints(),
      policyDir: "policy",
      journalPath: `${run}-${m.id}.db`,
      sectionsFile: "sections.json",
      clock: "external",
      http: { port: 0 },
      bus: { url: broker.url, base_topic: "fleet-test" },
      limits: { min_operation_interval_ms: 0 },
    });
    writeFileSync(join(dir, `${run}-${m.id}.yaml`), stringify(site));
  }
  for (const m of bound.scenario.microgrids) agents.push(await startAgent(join(dir, `${run}-${m.id}.yaml`), { logDestination: silent() }));
  // One watching tick publishes every agent's state; then every agent hears every other.
  await Promise.all(agents.map((a) => a.tick()));
  const end = Date.now() + 15000;
  while (!agents.every((a) => a.bus!.peers().every((p) => p.fresh))) {
    if (Date.now() > end) throw new Error("agents did not all see each other on the bus");
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    plant,
    harness,
    broker,
    agents,
    /** Nominal load energized now, as the simulator shows it. */
    restoredKw: () => energizedKw(bound.sections, plant),
    /** The simulator's islands now (nominal loads against their grid-forming units' ratings). */
    islands: () => islands(bound.sections, Object.fromEntries(bound.sections.switches.map((sw) => [sw.element, plant.isClosed(sw.element) ? "closed" : "open"]))),
    async close() {
      for (const a of agents) await a.stop("test");
      await harness.stop();
      await broker.close().catch(() => undefined);
    },
  };
}

/** Nominal load the optimum's configuration energizes (2395 kW on ieee123-5mg). */
function optimumNominalKw({ bound, planned }: Setup, plant: Plant): number {
  const initial = new Map(bound.sections.switches.map((sw) => [sw.element, sw.initial]));
  return energizedKw(bound.sections, plant, (e) => planned.has(e.toLowerCase()) || initial.get(e) === "closed");
}

const silent = () => new Writable({ write: (_c, _e, cb) => cb() });

function journalRows<T>({ dir }: Setup, run: string, mg: string, sql: string): T[] {
  const db = new Database(join(dir, `${run}-${mg}.db`), { readonly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

describe("five agents on one host (ieee123-5mg, paper: one pool, the cap)", () => {
  it("restore ieee123-5mg with the plan policy to the optimum's restored load (2395 kW), peers lending their unused quota on demand, never above the cap, every command verified and journaled", async () => {
    const { bound } = paper;
    const f = await fleet(paper, "optimum");
    const cap = bound.sections.cap_kw!;
    const reservations: { kw: number; granted: boolean; reason?: string }[] = [];
    try {
      for (const a of f.agents) a.restorer.request({ command: "restore", by: "test" });
      const before = f.restoredKw();
      for (let t = 0; t < bound.scenario.episode.length + 2; t++) {
        const reports = await Promise.all(f.agents.map((a) => a.tick()));
        for (const r of reports) if (r.decision?.reservation) reservations.push(r.decision.reservation);
        f.harness.step(1000);
        expect(f.restoredKw()).toBeLessThanOrEqual(cap + 1e-6);
      }
      const restored = f.restoredKw();
      expect(restored).toBeCloseTo(optimumNominalKw(paper, f.plant), 6);
      expect(restored).toBeCloseTo(2395, 0);
      // What the simulator shows restored is exactly what the agents' ledgers say their closes picked up,
      // and no agent serves more than its allocation: its static quota less what it lent, plus its leases.
      const served = f.agents.map((a) => a.restorer.servedKw());
      expect(served.reduce((a, b) => a + b, 0)).toBeCloseTo(restored - before, 3);
      f.agents.forEach((a, i) => expect(served[i]!).toBeLessThanOrEqual(a.bus!.quota() + a.bus!.leases().reduce((kw, l) => kw + l.kw, 0) + 1e-6));
      // The optimum is beyond the static quotas: it took reservations, granted from quota the peers lent.
      expect(reservations.some((r) => r.granted)).toBe(true);
      const lent = f.agents.reduce((kw, a) => kw + (a.site.quotaKw - a.bus!.quota()), 0);
      expect(lent).toBeGreaterThan(0);
      // The worst case without the bus from here: what is served plus every agent's unused quota, under the cap.
      const unused = f.agents.reduce((kw, a, i) => kw + Math.max(0, a.bus!.quota() - served[i]!), 0);
      expect(restored + unused).toBeLessThanOrEqual(cap + 1e-6);
    } finally {
      await f.close();
    }
    let confirmed = 0;
    for (const m of bound.scenario.microgrids) {
      const [un] = journalRows<{ n: number }>(paper, "optimum", m.id, "SELECT count(*) AS n FROM commands WHERE state <> 'resolved'");
      const [dec] = journalRows<{ n: number }>(paper, "optimum", m.id, "SELECT count(*) AS n FROM decisions");
      const [obs] = journalRows<{ n: number }>(paper, "optimum", m.id, "SELECT count(*) AS n FROM observations");
      confirmed += journalRows<{ n: number }>(paper, "optimum", m.id, "SELECT count(*) AS n FROM command_states WHERE state = 'confirmed'")[0]!.n;
      expect(un!.n).toBe(0);
      expect(dec!.n).toBe(bound.scenario.episode.length);
      expect(obs!.n).toBeGreaterThanOrEqual(bound.scenario.episode.length);
    }
    // Every close that happened was confirmed by reading the device back (the plant's switches are gone with it: count the journals').
    expect(confirmed).toBeGreaterThan(0);
    // Lending is journaled where it happened.
    const lentEvents = bound.scenario.microgrids.flatMap((m) => journalRows<{ detail: string }>(paper, "optimum", m.id, "SELECT detail FROM events WHERE kind = 'quota-lent'"));
    expect(lentEvents.length).toBeGreaterThan(0);
  }, 300_000);

  it("with the broker gone, fall back to their static quotas: never above the cap, nothing reserved, each within its quota", async () => {
    const { bound } = paper;
    const f = await fleet(paper, "broker-down");
    const cap = bound.sections.cap_kw!;
    try {
      await f.broker.close();
      const end = Date.now() + 15000;
      while (f.agents.some((a) => a.bus!.up())) {
        if (Date.now() > end) throw new Error("the agents did not see the broker go");
        await new Promise((r) => setTimeout(r, 50));
      }
      for (const a of f.agents) a.restorer.request({ command: "restore", by: "test" });
      const before = f.restoredKw();
      for (let t = 0; t < bound.scenario.episode.length + 2; t++) {
        const reports = await Promise.all(f.agents.map((a) => a.tick()));
        for (const r of reports) expect(r.decision?.reservation?.granted ?? false).toBe(false);
        f.harness.step(1000);
        expect(f.restoredKw()).toBeLessThanOrEqual(cap + 1e-6);
      }
      const served = f.agents.map((a) => a.restorer.servedKw());
      f.agents.forEach((a, i) => expect(served[i]!).toBeLessThanOrEqual(a.site.quotaKw + 1e-6));
      const restored = f.restoredKw();
      expect(restored - before).toBeCloseTo(served.reduce((a, b) => a + b, 0), 3);
      expect(restored).toBeGreaterThan(before);
      // The quotas were sized for exactly this: even all spent, with the power-flow margin, under the cap.
      const worst = (before + f.agents.reduce((kw, a) => kw + a.site.quotaKw, 0)) * (1 + DEFAULT_LOAD_MARGIN_PCT / 100);
      expect(worst).toBeLessThanOrEqual(cap);
    } finally {
      await f.close();
    }
    // Every generation veto says the bus was down: the static quota alone was counted.
    const figures = bound.scenario.microgrids.flatMap((m) => journalRows<{ figures: string }>(paper, "broker-down", m.id, "SELECT figures FROM verdicts WHERE rule = 'generation'"));
    for (const v of figures) expect(JSON.parse(v.figures)).toMatchObject({ bus_up: false, leases_kw: 0 });
  }, 300_000);
});

describe("five agents on one host (ieee123-voltage, physics: one pool per island)", () => {
  it("the four microgrids without a unit pick up into north's island only on leases from its pool, north lending its unused quota; at least 95 % of the plan's 3490 kW, no island ever above its units", async () => {
    const { bound } = physics;
    const f = await fleet(physics, "physics", "nominal");
    const north = f.agents.find((a) => a.site.config.microgrid === "north")!;
    try {
      for (const a of f.agents) a.restorer.request({ command: "restore", by: "test" });
      const reservations: { microgrid: string; kw: number; granted: boolean }[] = [];
      for (let t = 0; t < bound.scenario.episode.length + 2; t++) {
        const reports = await Promise.all(f.agents.map((a) => a.tick()));
        reports.forEach((r, i) => r.decision?.reservation && reservations.push({ microgrid: f.agents[i]!.site.config.microgrid, ...r.decision.reservation }));
        f.harness.step(1000);
        for (const isl of f.islands()) if (isl.forming.length) expect(isl.load_kw).toBeLessThanOrEqual(isl.rating_kw + 1e-6);
      }
      // At least 95 % of the plan's 3490 kW (the bench's target), never more. Not all of it: since the
      // shield's dead-to-dead rule the agents' pick-ups wait for their region to be live, one lease per
      // tick each, and the last one (south's L107, 140 kW) fits in d1's 3600 kW only in some orders of
      // the agents' requests (north's unused quota and the 1.75 % load margin leave ~110 kW): whether it
      // is granted within the 15-decision session depends on the bus's timing (seen both ways).
      const planned = optimumNominalKw(physics, f.plant);
      expect(planned).toBeCloseTo(3490, 0);
      expect(f.restoredKw()).toBeLessThanOrEqual(planned + 1e-6);
      expect(f.restoredKw()).toBeGreaterThanOrEqual(0.95 * planned);
      // Every lease is in d1's pool and belongs to a microgrid with no unit of its own; north needed none.
      const others = f.agents.filter((a) => a !== north);
      expect(others.reduce((kw, a) => kw + a.restorer.servedKw(), 0)).toBeGreaterThan(0);
      for (const a of others) {
        for (const l of a.bus!.leases()) expect(l.pool).toBe("d1");
        expect(a.restorer.servedKw()).toBeLessThanOrEqual(a.bus!.leases().reduce((kw, l) => kw + l.kw, 0) + 1e-6);
      }
      expect(reservations.filter((r) => r.granted).every((r) => r.microgrid !== "north")).toBe(true);
      expect(north.bus!.quota()).toBeLessThan(north.site.quotaKw);
    } finally {
      await f.close();
    }
    // The peers' states carried their commitments per pool, and the reservations their pool.
    const requests = ["west", "center", "east", "south"].flatMap((m) => journalRows<{ body: string }>(physics, "physics", m, "SELECT body FROM peer_messages WHERE direction = 'out' AND type = 'reservation-request'"));
    expect(requests.length).toBeGreaterThan(0);
    for (const r of requests) expect(JSON.parse(r.body)).toMatchObject({ pool: "d1" });
  }, 300_000);
});

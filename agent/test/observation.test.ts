// One observation, two sources: the environment's `measured` observation of a
// state, and the edge agent's, computed from the simulated devices' readings
// of the same state (real Modbus TCP, the agents' own transports, views and
// FieldObserver; each peer's switches as it reads them), are equal. On the
// nominal plant and the nominal-load environment they agree to the
// registers' resolution (0.1 kW, 1 V). Also: the agent refuses a policy whose
// observation size is not the one it builds.
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { observationSize } from "../../shared/encoding/observation.js";
import { canonicalElement } from "../../shared/names.js";
import { DeviceHarness } from "../../sim-harness/devices/harness.js";
import type { Plant } from "../../sim-harness/devices/plant.js";
import { openPlant, planFromScenario } from "../../sim-harness/devices/scenario.js";
import { createEnvFromBound } from "../../sim-harness/env/create.js";
import type { RestorationEnv } from "../../sim-harness/env/env.js";
import { bindScenarioFile, type BoundScenario } from "../../sim-harness/scenarios/bind.js";
import { mlpToOnnx } from "../../trainer/export/onnx-mlp.js";
import { initMlp } from "../../trainer/model/init.js";
import { Rng } from "../../trainer/util/rng.js";
import { siteFor } from "../config/generate.js";
import { startAgent, type RunningAgent } from "../main.js";
import { buildShieldInput } from "../runtime/shield-input.js";
import { switchView, type SwitchView } from "../runtime/views.js";

const silent = () => new Writable({ write: (_c, _e, cb) => cb() });
let bound: BoundScenario;
let plant: Plant;
let harness: DeviceHarness;
let env: RestorationEnv;
const agents: RunningAgent[] = [];
const dir = mkdtempSync(join(tmpdir(), "blackstart-observation-"));

/** A policy directory of random ONNX actors reading the `measured` observation (values do not matter here, sizes do). */
function measuredPolicy(sizeOf: (switches: number) => number): string {
  const p = join(dir, `policy-${sizeOf(1)}`);
  mkdirSync(p, { recursive: true });
  const rng = new Rng(3);
  const s = bound.scenario;
  for (const m of s.microgrids) {
    const params = initMlp({ inputSize: sizeOf(m.switches.length), hidden: [8], outputSize: 3 * m.switches.length, activation: "relu", hiddenLayerNorm: false, headGain: 0.01 }, rng);
    writeFileSync(join(p, `${m.id}.onnx`), mlpToOnnx(params, { name: m.id }));
  }
  writeFileSync(
    join(p, "manifest.json"),
    JSON.stringify({
      format: "blackstart-policy/1",
      kind: "onnx",
      scenario: s.name,
      scenario_hash: bound.sections.scenario_hash,
      algorithm: "happo",
      observation: { kind: "measured" },
      actions_per_element: 3,
      agents: s.microgrids.map((m) => ({ id: m.id, onnx: `${m.id}.onnx`, elements: m.switches, observation_size: sizeOf(m.switches.length) })),
      created: "2026-11-25T00:00:00Z",
    }),
  );
  return p;
}

function writeSiteFor(mg: string, policyDir: string): string {
  const site = siteFor({ scenario: bound.scenario, graph: bound.sections, microgrid: mg, endpoints: harness.endpoints(), policyDir, journalPath: join(dir, `${mg}-${Math.random().toString(36).slice(2)}.db`), clock: "external", http: { port: 0 } });
  const file = join(dir, `${mg}.yaml`);
  writeFileSync(file, stringify(site));
  return file;
}

beforeAll(async () => {
  bound = bindScenarioFile("ieee123-5mg");
  env = createEnvFromBound(bound, { grid: "nominal", observation: "measured", randomPartialProbability: 1 });
  plant = openPlant(bound, "nominal");
  harness = await DeviceHarness.start(planFromScenario(bound), plant, { clock: "lockstep" });
  const policy = measuredPolicy((n) => observationSize("measured", n));
  for (const m of bound.scenario.microgrids) agents.push(await startAgent(writeSiteFor(m.id, policy), { logDestination: silent(), loop: false }));
}, 180_000);

afterAll(async () => {
  for (const a of agents) await a.stop("test end");
  await harness?.stop();
});

/** Every agent's views of its switches, read from its devices now (its own poller and transports), named as the section graph spells them. */
async function readViews(): Promise<SwitchView[][]> {
  const spelled = new Map(bound.sections.switches.map((s) => [canonicalElement(s.element), s.element]));
  return Promise.all(
    agents.map(async (a) => {
      const states = await a.restorer.poller.poll();
      const now = performance.now();
      const deviceOf = new Map(Object.entries(a.site.config.bindings).map(([e, b]) => [canonicalElement(e), b.device]));
      return a.site.elements.map((e) => switchView(spelled.get(e)!, deviceOf.get(e)!, states.get(deviceOf.get(e)!), now, 1e9));
    }),
  );
}

describe("the measured observation, environment and field", () => {
  it("equal on the simulated devices' readings of the same state, for random partially restored states", async () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const reset = env.reset(seed);
      // The same switch states on the simulator's plant, then one step so every device shows the solve.
      for (const [el, st] of Object.entries(env.switchStates())) plant.setClosed(el, st === "closed");
      harness.step(100);
      const views = await readViews();
      agents.forEach((a, i) => {
        const peers = agents.flatMap((p, j) => (j === i ? [] : [{ microgrid: p.site.config.microgrid, fresh: true, switches: Object.fromEntries(views[j]!.map((v) => [v.element, v.position === "closed" ? ("closed" as const) : ("open" as const)])) }]));
        const input = buildShieldInput({
          now: performance.now(),
          microgrid: a.site.config.microgrid,
          switches: views[i]!,
          context: views[i]!.map(() => ({ pending: null, lastOperationMs: null, selectBeforeOperate: false })),
          peers,
          generation: { quota_kw: 0, committed_kw: 0, leases: [], bus_up: false },
          limits: { stale_after_ms: 1e9, min_operation_interval_ms: 0, dead_below_pu: 0.1, open_current_max_a: 1e9, select_timeout_ms: 1000, lease_margin_ms: 0 },
        });
        const field = a.restorer.observer.observe({ switches: views[i]!, lastKnown: () => undefined, input: () => input, step: 0, episodeLength: env.episodeLength });
        const mine = reset.obs[env.agents.findIndex((x) => x.id === a.site.config.microgrid)]!;
        // Same elements in the same order, so the same layout.
        expect(env.agents[i]!.elements.map(canonicalElement)).toEqual(a.site.elements);
        expect(field.length).toBe(mine.length);
        for (let x = 0; x < field.length; x++) {
          const where = `seed ${seed}, ${a.site.config.microgrid}, value ${x} (switch ${Math.floor(x / 5)}, feature ${x % 5})`;
          expect(Math.abs(field[x]! - mine[x]!), `${where}: field ${field[x]} vs environment ${mine[x]}`).toBeLessThan(1e-4);
        }
      });
    }
  });

  it("the agent refuses a policy whose observation size is not the one it builds", async () => {
    const wrong = measuredPolicy((n) => n); // switch-states' size with the measured kind
    const err = await startAgent(writeSiteFor("mg2", wrong), { logDestination: silent(), loop: false, connectWaitMs: 0 }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/observation size is 5 in the policy but 27/);
  });
});

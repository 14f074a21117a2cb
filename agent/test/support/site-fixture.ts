// A small, self-contained site for tests: a three-section feeder with two
// switches owned by microgrid `mg1`, a plan-kind policy manifest for it, and a
// site file binding both switches. Written into a fresh temporary directory.
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import type { SectionGraph } from "../../../shared/scenario/sections.js";
import { startAgent, type RunningAgent } from "../../main.js";
import { Writable } from "node:stream";

export const HASH = "a".repeat(64);

export function sectionGraph(): SectionGraph {
  const load = (name: string, kw: number) => ({ name, bus: name, phases: 3, kw, kvar: kw / 4, weight: 1 });
  return {
    format: "blackstart-sections/1",
    scenario: "tiny",
    scenario_hash: HASH,
    mode: "paper",
    cap_kw: 500,
    total_load_kw: 600,
    sections: [
      {
        id: "s0",
        buses: ["1"],
        loads: [load("l0", 100)],
        load_kw: 100,
        load_kvar: 25,
        weighted_kw: 100,
        sources: [{ id: "pv1", element: "PVSystem.pv1", kind: "grid-forming", microgrid: "mg1", grid_forming: true, kw: 400 }],
        switches: ["Line.L1"],
        faulted: false,
        microgrid: "mg1",
      },
      { id: "s1", buses: ["2"], loads: [load("l1", 200)], load_kw: 200, load_kvar: 50, weighted_kw: 200, sources: [], switches: ["Line.L1", "Line.L2"], faulted: false },
      { id: "s2", buses: ["3"], loads: [load("l2", 300)], load_kw: 300, load_kvar: 75, weighted_kw: 300, sources: [], switches: ["Line.L2"], faulted: false },
    ],
    switches: [
      { element: "Line.L1", sections: ["s0", "s1"], kind: "agent", microgrid: "mg1", index: 0, initial: "open", locked_open: false },
      { element: "Line.L2", sections: ["s1", "s2"], kind: "agent", microgrid: "mg1", index: 1, initial: "open", locked_open: false },
    ],
    microgrids: [{ id: "mg1", switches: ["Line.L1", "Line.L2"], sections: ["s0"], units: ["pv1"], forming_unit: "pv1", quota_kw: 250 }],
  };
}

export function manifest(elements = ["Line.L1", "Line.L2"]) {
  return {
    format: "blackstart-policy/1",
    kind: "plan",
    scenario: "tiny",
    scenario_hash: HASH,
    algorithm: "plan",
    observation: { kind: "switch-states" },
    actions_per_element: 3,
    agents: [{ id: "mg1", elements, observation_size: elements.length }],
    created: "2026-11-25T00:00:00Z",
  };
}

export function siteObject(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: 1,
    microgrid: "mg1",
    scenario: "tiny",
    policy: { dir: "policy" },
    devices: [
      { id: "sw-l1", profile: "recloser-modbus", transport: { kind: "modbus-tcp", host: "127.0.0.1", port: 5020, unit_id: 1 } },
      { id: "sw-l2", profile: "recloser-modbus", transport: { kind: "modbus-tcp", host: "127.0.0.1", port: 5020, unit_id: 2 } },
    ],
    bindings: { "Line.L1": "sw-l1", "Line.L2": { device: "sw-l2" } },
    sections: { file: "sections.json" },
    session: { episode_length: 4 },
    journal: { path: "journal.db" },
    ...overrides,
  };
}

/** A plan for mg1: close L1, then close L2 (which the quota of 250 kW cannot carry). */
export function plan(steps: { element: string; action: "close" | "open" }[][] = [[{ element: "Line.L1", action: "close" }], [{ element: "Line.L2", action: "close" }]]) {
  return {
    format: "blackstart-plan/1",
    label: "plan: test sequence, not a learned policy",
    scenario: "tiny",
    scenario_hash: HASH,
    source: "agent/test/support/site-fixture.ts",
    steps: steps.map((ops) => ({ operations: ops.map((o) => ({ agent: "mg1", ...o })) })),
  };
}

/** Write a site directory; returns the site file's path. */
export function writeSite(
  site: Record<string, unknown> = siteObject(),
  opts: { manifest?: unknown; sections?: unknown; plan?: unknown; dir?: string } = {},
): string {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), "blackstart-site-"));
  mkdirSync(join(dir, "policy"), { recursive: true });
  writeFileSync(join(dir, "policy", "manifest.json"), JSON.stringify(opts.manifest ?? manifest(), null, 1));
  writeFileSync(join(dir, "policy", "plan.json"), JSON.stringify(opts.plan ?? plan(), null, 1));
  writeFileSync(join(dir, "sections.json"), JSON.stringify(opts.sections ?? sectionGraph(), null, 1));
  const file = join(dir, "site.yaml");
  writeFileSync(file, stringify(site));
  return file;
}

/** One switch per agent, bound to a recloser at Modbus unit `unit` (the two-agent race rigs). */
export interface RigAgent {
  id: string;
  element: string;
  unit: number;
}

/**
 * A fresh directory holding a section graph and a plan policy in which every agent closes
 * its one switch at each of `steps` steps (the race, trip and tie rigs of the agent tests).
 */
export function writePlanRig(o: { prefix: string; graph: SectionGraph; agents: readonly RigAgent[]; label: string; source: string; steps?: number }): string {
  const dir = mkdtempSync(join(tmpdir(), o.prefix));
  mkdirSync(join(dir, "policy"));
  writeFileSync(join(dir, "sections.json"), JSON.stringify(o.graph));
  const agentsOf = o.agents.map((a) => ({ id: a.id, elements: [a.element], observation_size: 1 }));
  writeFileSync(join(dir, "policy", "manifest.json"), JSON.stringify({ ...manifest(), agents: agentsOf }));
  const step = { operations: o.agents.map((a) => ({ agent: a.id, element: a.element, action: "close" })) };
  writeFileSync(
    join(dir, "policy", "plan.json"),
    JSON.stringify({
      format: "blackstart-plan/1",
      label: o.label,
      scenario: "tiny",
      scenario_hash: HASH,
      source: o.source,
      steps: Array.from({ length: o.steps ?? 1 }, () => step),
    }),
  );
  return dir;
}

/**
 * Write agent `a`'s site file in a rig directory (its one recloser on the Modbus bank at `port`,
 * the bus at `busUrl` under `baseTopic`, or none) and start the agent (external clock, silent log).
 */
export async function startRigAgent(dir: string, a: RigAgent, o: { port: number; busUrl?: string; baseTopic: string; episodeLength: number }): Promise<RunningAgent> {
  const file = join(dir, `${a.id}.yaml`);
  writeFileSync(
    file,
    stringify({
      version: 1,
      microgrid: a.id,
      scenario: "tiny",
      clock: "external",
      policy: { dir: "policy" },
      devices: [{ id: `sw-${a.unit}`, profile: "recloser-modbus", transport: { kind: "modbus-tcp", host: "127.0.0.1", port: o.port, unit_id: a.unit } }],
      bindings: { [a.element]: `sw-${a.unit}` },
      sections: { file: "sections.json" },
      session: { episode_length: o.episodeLength },
      limits: { min_operation_interval_ms: 0 },
      ...(o.busUrl ? { bus: { url: o.busUrl, base_topic: o.baseTopic, peer_stale_ms: 3000 } } : {}),
      journal: { path: `${a.id}.db` },
      http: { port: 0 },
    }),
  );
  // Not rig.ts's silent(): rig.ts imports this module.
  return startAgent(file, { logDestination: new Writable({ write: (_c, _e, cb) => cb() }) });
}

// Small policy directories for the runner's tests: a two-microgrid scenario,
// random actor MLPs written as ONNX, and a plan.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { scenarioHash } from "../../scenario/hash.js";
import { Scenario, type ScenarioInput } from "../../scenario/schema.js";
import type { PolicyManifest } from "../manifest.js";
import type { PlanDocument } from "../plan.js";
import { mlpToOnnx } from "../../../trainer/export/onnx-mlp.js";
import { initMlp } from "../../../trainer/model/init.js";
import type { MlpParams } from "../../../trainer/model/mlp.js";
import { Rng } from "../../../trainer/util/rng.js";
import { sha256File } from "../onnx.js";

export const scenarioInput: ScenarioInput = {
  name: "toy-2mg",
  description: "two microgrids for runner tests",
  mode: "paper",
  feeder: { master: "master.dss" },
  microgrids: [
    { id: "mg1", switches: ["Line.L1", "Line.L2", "Line.L3"], quota_kw: 100 },
    { id: "mg2", switches: ["Line.L10", "Line.L11"], quota_kw: 100 },
  ],
  episode: { length: 5 },
};

export function scenario(patch: Partial<ScenarioInput> = {}): Scenario {
  return Scenario.parse({ ...scenarioInput, ...patch });
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `blackstart-${prefix}-`));
}

export interface OnnxFixture {
  dir: string;
  manifest: PolicyManifest;
  params: MlpParams[];
}

/** A learned-policy directory with random weights (hidden 16x16 to keep tests fast). */
export function writeOnnxPolicy(s: Scenario, seed = 1, edit?: (m: PolicyManifest) => void): OnnxFixture {
  const dir = tempDir("policy");
  const rng = new Rng(seed);
  const params: MlpParams[] = [];
  const manifest: PolicyManifest = {
    format: "blackstart-policy/1",
    kind: "onnx",
    scenario: s.name,
    scenario_hash: scenarioHash(s),
    algorithm: "happo",
    observation: { kind: "switch-states" },
    actions_per_element: 3,
    agents: s.microgrids.map((m) => {
      // Output gain 1 (not 0.01) so logits differ clearly between actions.
      const p = initMlp({ inputSize: m.switches.length, hidden: [16, 16], outputSize: m.switches.length * 3, activation: "relu", hiddenLayerNorm: true, headGain: 1 }, rng);
      // Give the biases and norm shifts some values, so the test exercises them.
      for (const l of p.hidden) {
        l.dense.b.forEach((_, i) => (l.dense.b[i] = rng.normal() * 0.1));
        l.norm!.beta.forEach((_, i) => (l.norm!.beta[i] = rng.normal() * 0.1));
        l.norm!.gamma.forEach((_, i) => (l.norm!.gamma[i] = 1 + rng.normal() * 0.1));
      }
      params.push(p);
      const bytes = mlpToOnnx(p, { name: m.id });
      writeFileSync(join(dir, `${m.id}.onnx`), bytes);
      return { id: m.id, onnx: `${m.id}.onnx`, elements: m.switches, observation_size: m.switches.length, input_name: "obs", output_name: "logits", sha256: sha256File(bytes) };
    }),
    created: new Date(0).toISOString(),
    training: {},
  };
  edit?.(manifest);
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest, null, 2));
  return { dir, manifest, params };
}

export function writePlanPolicy(s: Scenario, steps: PlanDocument["steps"], planPatch: Partial<PlanDocument> = {}): string {
  const dir = tempDir("plan");
  const manifest: PolicyManifest = {
    format: "blackstart-policy/1",
    kind: "plan",
    scenario: s.name,
    scenario_hash: scenarioHash(s),
    algorithm: "plan",
    observation: { kind: "switch-states" },
    actions_per_element: 3,
    agents: s.microgrids.map((m) => ({ id: m.id, elements: m.switches, observation_size: m.switches.length, input_name: "obs", output_name: "logits" })),
    created: new Date(0).toISOString(),
    training: {},
  };
  const plan: PlanDocument = {
    format: "blackstart-plan/1",
    label: "plan: optimum switching sequence, not a learned policy",
    scenario: s.name,
    scenario_hash: scenarioHash(s),
    source: "test",
    retry_limit: 3,
    steps,
    ...planPatch,
  };
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest, null, 2));
  writeFileSync(join(dir, "plan.json"), JSON.stringify(plan, null, 2));
  return dir;
}

export async function errorOf(fn: () => unknown): Promise<Error & { code?: string; location?: unknown }> {
  try {
    await fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected an error");
}

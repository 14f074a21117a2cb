// Re-stamping a policy directory with a scenario's hash, weights untouched:
// for when the scope of the hash changes (shared/scenario/hash.ts) while the
// decision problem a policy was made for does not. Refuses unless the policy's
// agents, elements and observation sizes are exactly the scenario's; the
// caller vouches that nothing else of the problem changed (docs/policy.md).
// Rewrites manifest.json (`scenario_hash`, each actor's `sha256`), each ONNX
// actor's `scenario_hash` metadata, plan.json and model_card.json.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import onnxProto from "onnx-proto";
import { loadDocument } from "../documents.js";
import { scenarioHash } from "../scenario/hash.js";
import type { Scenario } from "../scenario/schema.js";
import { checkScenarioAgents } from "./check.js";
import { PolicyManifest } from "./manifest.js";
import { sha256File } from "./onnx.js";

const { onnx } = onnxProto;

export interface Restamped {
  dir: string;
  from: string;
  to: string;
  /** Files rewritten. */
  files: string[];
}

/** Set one metadata entry of an ONNX model, leaving the graph (and its weights) byte for byte as it was. */
export function setOnnxMetadata(bytes: Uint8Array, key: string, value: string): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  const graphBefore = onnx.GraphProto.encode(model.graph!).finish();
  const props = (model.metadataProps ?? []).filter((p) => p.key !== key);
  props.push(onnx.StringStringEntryProto.create({ key, value }));
  model.metadataProps = props;
  const out = onnx.ModelProto.encode(model).finish();
  const graphAfter = onnx.GraphProto.encode(onnx.ModelProto.decode(out).graph!).finish();
  if (Buffer.compare(Buffer.from(graphBefore), Buffer.from(graphAfter)) !== 0) throw new Error("re-stamping changed the ONNX graph");
  return out;
}

/** The metadata of an ONNX model (key -> value). */
export function onnxMetadata(bytes: Uint8Array): Record<string, string> {
  const model = onnx.ModelProto.decode(bytes);
  return Object.fromEntries((model.metadataProps ?? []).map((p) => [p.key ?? "", p.value ?? ""]));
}

export function restampPolicy(dir: string, scenario: Scenario): Restamped {
  const manifestFile = join(dir, "manifest.json");
  const manifest = loadDocument(manifestFile, PolicyManifest).value;
  checkScenarioAgents(manifest, dir, scenario);
  const to = scenarioHash(scenario);
  const from = manifest.scenario_hash;
  const files: string[] = [];
  if (from === to) return { dir, from, to, files };
  const raw = JSON.parse(readFileSync(manifestFile, "utf8")) as Record<string, unknown> & { agents: Record<string, unknown>[] };
  raw.scenario_hash = to;
  for (const a of raw.agents) {
    if (typeof a.onnx !== "string") continue;
    const file = join(dir, a.onnx);
    const bytes = setOnnxMetadata(readFileSync(file), "scenario_hash", to);
    writeFileSync(file, bytes);
    a.sha256 = sha256File(bytes);
    files.push(file);
  }
  writeFileSync(manifestFile, `${JSON.stringify(raw, null, 2)}\n`);
  files.push(manifestFile);
  const plan = join(dir, "plan.json");
  if (existsSync(plan)) {
    const p = JSON.parse(readFileSync(plan, "utf8")) as Record<string, unknown>;
    p.scenario_hash = to;
    writeFileSync(plan, `${JSON.stringify(p, null, 2)}\n`);
    files.push(plan);
  }
  const card = join(dir, "model_card.json");
  if (existsSync(card)) {
    const c = JSON.parse(readFileSync(card, "utf8")) as { scenario?: { hash?: string } };
    if (c.scenario?.hash) {
      c.scenario.hash = to;
      writeFileSync(card, `${JSON.stringify(c, null, 2)}\n`);
      files.push(card);
    }
  }
  return { dir, from, to, files };
}

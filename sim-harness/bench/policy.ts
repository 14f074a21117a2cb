// Which policy a bench run uses: the one given, else the policy shipped for
// the scenario in policies/ (a trained one first), else — until a trained
// policy ships — the `plan` policy made from the scenario's optimum, written
// into the run's folder and labelled as a plan everywhere it appears.
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { loadDocument } from "../../shared/documents.js";
import { BlackstartError } from "../../shared/errors.js";
import { PolicyManifest } from "../../shared/policy/manifest.js";
import { planManifest, type PlanDocument } from "../../shared/policy/plan.js";
import type { BoundScenario } from "../scenarios/bind.js";
import { BenchErrors } from "./errors.js";

export const POLICIES_DIR = resolve(import.meta.dirname, "../../policies");

export interface ResolvedPolicy {
  dir: string;
  kind: "onnx" | "plan";
  label: string;
  /** Where it came from: `given`, `shipped`, or `plan from the optimum`. */
  origin: "given" | "shipped" | "optimum-plan";
}

function manifestOf(dir: string): PolicyManifest | undefined {
  const f = join(dir, "manifest.json");
  if (!existsSync(f)) return undefined;
  try {
    return loadDocument(f, PolicyManifest).value;
  } catch {
    return undefined;
  }
}

/** Policy directories shipped for a scenario (same name and hash), learned ones first. */
export function shippedPolicies(bound: BoundScenario, root = POLICIES_DIR): { dir: string; manifest: PolicyManifest }[] {
  if (!existsSync(root)) return [];
  const out: { dir: string; manifest: PolicyManifest }[] = [];
  for (const name of readdirSync(root).sort()) {
    const dir = join(root, name);
    if (!statSync(dir).isDirectory()) continue;
    const m = manifestOf(dir);
    if (m && m.scenario === bound.scenario.name && m.scenario_hash === bound.hash) out.push({ dir, manifest: m });
  }
  return out.sort((a, b) => Number(a.manifest.kind === "plan") - Number(b.manifest.kind === "plan"));
}

export function describe(m: PolicyManifest): string {
  return m.kind === "plan" ? `plan (replay of the optimum's switching sequence, not a learned policy)` : `${m.algorithm} policy (onnx)`;
}

/** The given directory, checked to exist and hold a manifest. */
export function givenPolicy(dir: string): ResolvedPolicy {
  const abs = resolve(dir);
  const m = manifestOf(abs);
  if (!m) throw new BlackstartError(BenchErrors.POLICY, `${abs} is not a policy directory (no valid manifest.json; docs/policy.md)`, { field: "--policy" });
  return { dir: abs, kind: m.kind, label: describe(m), origin: "given" };
}

/** Write a `plan` policy directory for the scenario from a plan document (the optimum's sequence), as export-onnx --plan does. */
export function writePlanPolicy(dir: string, bound: BoundScenario, plan: PlanDocument, training: Record<string, unknown> = {}): ResolvedPolicy {
  mkdirSync(dir, { recursive: true });
  const base = planManifest(plan, bound.scenario.microgrids.map((m) => ({ id: m.id, elements: m.switches })));
  const manifest: PolicyManifest = { ...base, training: { ...base.training, note: "not trained: made by the bench from the optimum, no policy ships for this scenario", ...training } };
  writeFileSync(join(dir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(dir, "plan.json"), `${JSON.stringify(plan, null, 2)}\n`);
  return { dir, kind: "plan", label: describe(manifest), origin: "optimum-plan" };
}

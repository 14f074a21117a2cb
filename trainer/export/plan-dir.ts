// A plan policy directory (docs/policy.md, "Plans"): the optimum's switching
// sequence from the sim-harness baselines, replayed by the runner's `plan`
// kind. Labelled a plan everywhere; it is not a learned policy.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { findOptimum, planDocument } from "../../sim-harness/baselines/optimum.js";
import { createEnv, type GridKind } from "../../sim-harness/env/create.js";
import { planManifest, type PlanDocument } from "../../shared/policy/plan.js";
import { loadPolicy } from "../../shared/policy/runner.js";

export async function exportPlan(scenario: string, outDir: string, o: { grid?: GridKind; progress?: (line: string) => void } = {}): Promise<{ plan: PlanDocument; restoredKw: number; weighted: number }> {
  const env = createEnv(scenario, { grid: o.grid ?? "powerflow" });
  const result = await findOptimum(env, o.progress ? { progress: o.progress } : {});
  const plan = planDocument(env, result);
  const manifest = planManifest(plan, env.agents);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, "plan.json"), JSON.stringify(plan, null, 2) + "\n");
  writeFileSync(join(outDir, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
  const final = result.replay.final;
  writeFileSync(
    join(outDir, "MODEL_CARD.md"),
    `# Plan for ${plan.scenario} (not a learned policy)

${plan.label}.

- Source: ${plan.source}
- Replayed through the ${o.grid ?? "powerflow"} environment: ${final.restored_kw.toFixed(1)} kW restored, weighted ${final.weighted_restored.toFixed(1)}, in ${plan.steps.length} step(s)
- The runner proposes, at each decision, the earliest planned operations the observed switch states do not show yet; a vetoed or failed operation is retried (docs/policy.md, "Plans").

## Sequence

${plan.steps.map((s, i) => `${i + 1}. ${s.operations.map((op) => `${op.agent} ${op.action} ${op.element}`).join(", ")}`).join("\n")}

## Limits

- It knows one outage of one scenario: any change of the scenario changes its hash and the runner refuses it.
- It is open-loop apart from the retries: it does not react to what the power flow or the field shows.
`,
  );
  // Load it back: a plan that does not fit its own manifest never ships.
  const policy = await loadPolicy(outDir);
  await policy.agents();
  await policy.close();
  return { plan, restoredKw: final.restored_kw, weighted: final.weighted_restored };
}

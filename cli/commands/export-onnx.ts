// `blackstart export-onnx <checkpoint-dir> --out policies/<scenario>/`: write
// a training checkpoint's actors as a policy directory (docs/policy.md), with
// its manifest and model card, and check it by loading it back.
import { resolve } from "node:path";
import type { Command } from "commander";

export function register(program: Command): void {
  program
    .command("export-onnx [checkpoint-dir]")
    .description("Write a training checkpoint (or run directory) as a policy directory: one ONNX actor per agent, manifest.json, model card. With --plan, write the scenario's optimum as a plan policy directory instead.")
    .option("-o, --out <dir>", "policy directory (default policies/<scenario>, or policies/<scenario>-plan with --plan)")
    .option("--plan <scenario>", "write the optimum's switching sequence (sim-harness baselines) as a `plan` policy, labelled as such")
    .option("--grid <kind>", "with --plan: powerflow (default) or nominal", "powerflow")
    .option("--note <text>", "a sentence for the model card and manifest (e.g. how this run was chosen among seeds)")
    .action(async (dir: string | undefined, o: { out?: string; plan?: string; grid: string; note?: string }) => {
      if (o.plan) {
        const { exportPlan } = await import("../../trainer/export/plan-dir.js");
        const out = resolve(o.out ?? `policies/${o.plan}-plan`);
        const r = await exportPlan(o.plan, out, { grid: o.grid === "nominal" ? "nominal" : "powerflow", progress: (l) => process.stderr.write(`  ${l}\n`) });
        process.stderr.write(`export-onnx --plan: ${r.plan.steps.length} step(s), ${r.restoredKw.toFixed(1)} kW restored, written to ${out} (kind "plan", not a learned policy)\n`);
        return;
      }
      if (!dir) {
        const { BlackstartError } = await import("../../shared/errors.js");
        const { TrainerErrors } = await import("../../trainer/errors.js");
        throw new BlackstartError(TrainerErrors.OPTIONS, "give a checkpoint or run directory, or --plan <scenario>");
      }
      // Loaded on use: the exporter pulls in the trainer.
      const { exportPolicy, resolveCheckpointDir } = await import("../../trainer/export/policy-dir.js");
      const { readCheckpoint } = await import("../../trainer/checkpoint.js");
      const ckDir = resolveCheckpointDir(resolve(dir));
      const meta = readCheckpoint(ckDir).meta;
      const out = resolve(o.out ?? `policies/${meta.scenario.name}`);
      const r = await exportPolicy(ckDir, out, o.note ? { note: o.note } : {});
      process.stderr.write(
        `export-onnx: ${r.manifest.agents.length} actors (${r.manifest.algorithm}, scenario ${r.manifest.scenario}) written to ${out}; ` +
          `loaded back through the runner, largest logit difference to the checkpoint ${r.maxLogitError.toExponential(1)}\n`,
      );
    });
}

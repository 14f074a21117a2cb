// `blackstart export-onnx <checkpoint-dir> --out policies/<scenario>/`: write
// a training checkpoint's actors as a policy directory (docs/policy.md), with
// its manifest and model card, and check it by loading it back.
import { resolve } from "node:path";
import type { Command } from "commander";

export function register(program: Command): void {
  program
    .command("export-onnx <checkpoint-dir>")
    .description("Write a training checkpoint (or run directory) as a policy directory: one ONNX actor per agent, manifest.json, model card.")
    .option("-o, --out <dir>", "policy directory (default policies/<scenario>)")
    .action(async (dir: string, o: { out?: string }) => {
      // Loaded on use: the exporter pulls in the trainer.
      const { exportPolicy, resolveCheckpointDir } = await import("../../trainer/export/policy-dir.js");
      const { readCheckpoint } = await import("../../trainer/checkpoint.js");
      const ckDir = resolveCheckpointDir(resolve(dir));
      const meta = readCheckpoint(ckDir).meta;
      const out = resolve(o.out ?? `policies/${meta.scenario.name}`);
      const r = await exportPolicy(ckDir, out);
      process.stderr.write(
        `export-onnx: ${r.manifest.agents.length} actors (${r.manifest.algorithm}, scenario ${r.manifest.scenario}) written to ${out}; ` +
          `loaded back through the runner, largest logit difference to the checkpoint ${r.maxLogitError.toExponential(1)}\n`,
      );
    });
}

// export-onnx: a training checkpoint -> a policy directory (docs/policy.md):
// one ONNX actor per agent, manifest.json, model_card.json and MODEL_CARD.md.
// Before it finishes, the directory is loaded back through the runner and its
// logits compared with the checkpoint's actors: a bad export never ships.
import { existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BlackstartError } from "../../shared/errors.js";
import type { PolicyManifest } from "../../shared/policy/manifest.js";
import { sha256File } from "../../shared/policy/onnx.js";
import { loadPolicy } from "../../shared/policy/runner.js";
import type { CheckpointMeta } from "../checkpoint.js";
import { TrainerErrors } from "../errors.js";
import type { EvalResult } from "../eval.js";
import { mlpForward, type MlpParams } from "../model/mlp.js";
import { checkpointActors } from "../train.js";
import { Rng } from "../util/rng.js";
import { mlpToOnnx } from "./onnx-mlp.js";

export interface ExportResult {
  dir: string;
  manifest: PolicyManifest;
  /** Largest |logit difference| between the ONNX files and the checkpoint over the self-check. */
  maxLogitError: number;
}

/** Accept the run directory (holding checkpoint/) or the checkpoint directory itself. */
export function resolveCheckpointDir(dir: string): string {
  if (existsSync(join(dir, "checkpoint.json"))) return dir;
  if (existsSync(join(dir, "checkpoint", "checkpoint.json"))) return join(dir, "checkpoint");
  throw new BlackstartError(TrainerErrors.CHECKPOINT, `no checkpoint in ${dir} (expected checkpoint.json, or checkpoint/checkpoint.json in a run directory written by 'blackstart train')`, { file: dir });
}

function fmt(x: number | undefined | null, digits = 1): string {
  return x === undefined || x === null || !Number.isFinite(x) ? "n/a" : x.toFixed(digits);
}

function evalLine(name: string, e: EvalResult | undefined): string {
  if (!e) return `| ${name} | n/a | n/a | n/a | n/a | n/a |`;
  return `| ${name} | ${fmt(e.restoredKw)} | ${fmt(e.pctCap, 2)} | ${fmt(e.pctOptimum, 2)} | ${e.capBreaches} of ${e.episodes} (peak ${fmt(e.peakKw)} kW) | ${fmt(e.operations)} (${fmt(e.reversals ?? NaN)} undone) |`;
}

export function modelCard(meta: CheckpointMeta, manifest: PolicyManifest, note?: string): { json: Record<string, unknown>; markdown: string } {
  const finals = (meta.final_eval ?? {}) as { shield?: EvalResult; no_shield?: EvalResult; random_starts?: EvalResult };
  const p = meta.progress;
  const c = meta.config;
  const json = {
    policy: `${c.algo} actors for ${meta.scenario.name}`,
    algorithm: c.algo,
    scenario: meta.scenario,
    agents: manifest.agents.map((a) => ({ id: a.id, elements: a.elements.length, observation_size: a.observation_size })),
    training: {
      command: meta.command ?? null,
      seed: c.seed,
      iterations: p.iteration,
      env_steps: p.env_steps,
      wall_seconds: +p.wall_seconds.toFixed(1),
      sittings: p.sittings,
      time_to_95_pct_cap: p.time_to_95 ?? null,
      shield_mask: c.shield_mask,
      random_reset_probability: c.random_reset_probability ?? null,
      config: c,
    },
    ...(note ? { note } : {}),
    evaluation: { deterministic: true, with_shield: finals.shield ?? null, without_shield: finals.no_shield ?? null, random_partial_starts: finals.random_starts ?? null, optimum: meta.optimum ?? null },
    limits: [
      "Decides from the agent's own switch states only; it does not see faults, voltages or the other microgrids.",
      "Trained on one outage scenario and its load weights: a changed feeder or scenario changes the hash and the runner refuses the policy.",
      "The safety shield stays in charge at run time: the policy proposes, the shield disposes.",
    ],
  };
  const shieldTrace = finals.shield?.trace.map((ops, t) => `${t + 1}. ${ops.length ? ops.join(", ") : "(nothing)"}`).join("\n") ?? "";
  const markdown = `# ${c.algo.toUpperCase()} policy for ${meta.scenario.name}

A learned, decentralized policy: one ONNX actor per microgrid agent
(${manifest.agents.map((a) => `${a.id}: ${a.elements.length} switches`).join("; ")}), trained with
${c.algo.toUpperCase()} in blackstart's environment. Load it with \`shared/policy/runner.ts\`
(docs/policy.md); \`blackstart scenario eval ${meta.scenario.name} --policy <this directory>\` evaluates it.
${note ? `\n${note}\n` : ""}
## Training

- Command: \`${meta.command ?? "(not recorded)"}\`
- Seed ${c.seed}; ${p.iteration} iterations, ${p.env_steps} environment steps, ${fmt(p.wall_seconds)} s wall time over ${p.sittings} sitting(s)
- First reached 95 % of the cap without a breach: ${!meta.scenario.cap_kw ? "n/a (physics mode: no cap; islands are limited by their units)" : p.time_to_95 ? `${p.time_to_95.wall_seconds} s, ${p.time_to_95.env_steps} steps` : "not reached"}
- Action mask during training: ${c.shield_mask ? ((c as { mask_rules?: string }).mask_rules === "limits" ? "on (the limits mask: cap, island ratings, radiality)" : "on (the edge agent's shield rules, as deployed)") : "off (the paper's penalties only)"}; random partial resets: ${c.random_reset_probability ?? "scenario default"}; operation cost: ${c.operation_cost ?? 0}; breach cost: ${c.breach_cost ?? 0}
- Network: hidden ${c.model.hidden.join("x")} ${c.model.activation}${c.model.hidden_layer_norm ? " with LayerNorm after each hidden layer" : ""}; lr ${c.lr}, ${c.ppo_epochs} PPO epochs, clip ${c.clip}, entropy ${c.entropy_coef}, gamma ${c.gamma ?? meta.scenario.gamma}, GAE lambda ${c.gae_lambda}

## Evaluation (deterministic, from the scenario's reset, restored load from the environment's solve)

| run | restored kW | % of cap${meta.scenario.cap_kw ? ` (${meta.scenario.cap_kw} kW)` : ""} | % of optimum (weighted) | cap breaches | operations per episode |
|---|---|---|---|---|---|
${evalLine("with the shield's mask", finals.shield)}
${evalLine("without the shield", finals.no_shield)}
${finals.random_starts ? `${evalLine(`with the shield, from ${finals.random_starts.episodes} random partially-restored starts (means)`, finals.random_starts)}\n` : ""}
Optimum: ${meta.optimum ? `${fmt(meta.optimum.weightedRestored)} weighted, ${fmt(meta.optimum.restoredKw)} kW (${meta.optimum.source})` : "not given"}.

Operations per step with the shield:
${shieldTrace}

## Limits

${json.limits.map((l) => `- ${l}`).join("\n")}
`;
  return { json, markdown };
}

/** Write the policy directory for a checkpoint, then load it back and check it. */
export async function exportPolicy(checkpointDir: string, outDir: string, o: { created?: string; note?: string } = {}): Promise<ExportResult> {
  const dir = resolveCheckpointDir(checkpointDir);
  const { meta, actors } = checkpointActors(dir);
  mkdirSync(outDir, { recursive: true });
  // Stale actors of another export must not sit beside the new ones.
  for (const f of readdirSync(outDir)) if (f.endsWith(".onnx") && !meta.agents.some((a) => `${a.id}.onnx` === f)) renameSync(join(outDir, f), join(outDir, `${f}.stale`));
  const agents = meta.agents.map((a, i) => {
    const bytes = mlpToOnnx(actors[i]!, {
      name: a.id,
      docString: `blackstart ${meta.config.algo} actor for agent ${a.id} of scenario ${meta.scenario.name}`,
      metadata: { scenario: meta.scenario.name, scenario_hash: meta.scenario.hash, agent: a.id, elements: JSON.stringify(a.elements), algorithm: meta.config.algo, seed: String(meta.config.seed) },
    });
    writeFileSync(join(outDir, `${a.id}.onnx`), bytes);
    return { id: a.id, onnx: `${a.id}.onnx`, sha256: sha256File(bytes), elements: a.elements, observation_size: a.observationSize, input_name: "obs", output_name: "logits" };
  });
  const manifest: PolicyManifest = {
    format: "blackstart-policy/1",
    kind: "onnx",
    scenario: meta.scenario.name,
    scenario_hash: meta.scenario.hash,
    algorithm: meta.config.algo,
    observation: { kind: meta.observation ?? "switch-states" },
    actions_per_element: 3,
    agents,
    created: o.created ?? new Date().toISOString(),
    training: {
      command: meta.command ?? null,
      seed: meta.config.seed,
      iterations: meta.progress.iteration,
      env_steps: meta.progress.env_steps,
      wall_seconds: +meta.progress.wall_seconds.toFixed(1),
      time_to_95_pct_cap: meta.progress.time_to_95 ?? null,
      shield_mask: meta.config.shield_mask,
      ...(o.note ? { note: o.note } : {}),
    },
  };
  const card = modelCard(meta, manifest, o.note);
  writeFileSync(join(outDir, "model_card.json"), JSON.stringify(card.json, null, 2) + "\n");
  writeFileSync(join(outDir, "MODEL_CARD.md"), card.markdown);
  writeFileSync(join(outDir, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
  const maxLogitError = await selfCheck(outDir, meta, actors);
  return { dir: outDir, manifest, maxLogitError };
}

/** Load the directory through the runner; compare its logits with the checkpoint's on random observations. */
async function selfCheck(outDir: string, meta: CheckpointMeta, actors: MlpParams[]): Promise<number> {
  const policy = await loadPolicy(outDir);
  let worst = 0;
  try {
    const rng = new Rng(meta.config.seed, 4242);
    for (const [i, actor] of (await policy.agents()).entries()) {
      for (let t = 0; t < 50; t++) {
        const obs = Float32Array.from({ length: actor.observationSize }, () => (rng.next() < 0.5 ? 0 : 1));
        const d = await actor.decide(obs);
        const ref = mlpForward(actors[i]!, obs, 1);
        for (let j = 0; j < ref.length; j++) worst = Math.max(worst, Math.abs(ref[j]! - d.logits[j]!));
      }
    }
  } finally {
    await policy.close();
  }
  if (!(worst <= 1e-4)) {
    throw new BlackstartError(TrainerErrors.CHECKPOINT, `exported ONNX actors disagree with the checkpoint (largest logit difference ${worst}); the directory must not be used`, { file: outDir });
  }
  return worst;
}

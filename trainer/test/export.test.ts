// export-onnx end to end: a trained checkpoint becomes a policy directory the
// runner loads, whose ONNX log-probabilities equal the trainer's tfjs actors on
// 1000 random observations (1e-5 absolute + 1e-5 relative, argmax equal except
// near-ties), whose greedy decisions replay the trainer's evaluation, and which
// refuses an environment it was not trained for.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { headLogSoftmax } from "../../shared/policy/decision.js";
import { PolicyManifest } from "../../shared/policy/manifest.js";
import { loadPolicy } from "../../shared/policy/runner.js";
import { exportPolicy } from "../export/policy-dir.js";
import { initTf, tf } from "../model/tf.js";
import { TfMlp } from "../model/tf-mlp.js";
import { checkpointActors, Trainer } from "../train.js";
import { Rng } from "../util/rng.js";
import { ToyEnv, type ToyOptions } from "./support/toy-env.js";

const toy: ToyOptions = { sizes: [3, 2, 4], capKw: 700, episodeLength: 6 };
let runDir = "";

beforeAll(async () => {
  await initTf();
  runDir = mkdtempSync(join(tmpdir(), "blackstart-export-"));
  const opt = new ToyEnv(toy).optimum();
  await new Trainer().run({
    config: { seed: 3, envs: 8, total_steps: 8 * 6 * 30, eval_every: 0, checkpoint_every: 0, model: { hidden: [64, 64], activation: "relu", hidden_layer_norm: true, actor_gain: 0.01 } },
    envSource: { module: resolve(import.meta.dirname, "support/toy-env.ts"), export: "createToyEnv", options: toy },
    scenario: { name: "toy", hash: "a".repeat(64), gamma: 0.95, capKw: toy.capKw },
    optimum: { weightedRestored: opt.weighted, restoredKw: opt.kw, source: "exhaustive search" },
    outDir: runDir,
    command: "blackstart train --scenario toy",
  });
});

describe("export-onnx", () => {
  it("writes a policy directory whose ONNX log-probabilities equal the trainer's on 1000 observations", async () => {
    const out = mkdtempSync(join(tmpdir(), "blackstart-policy-"));
    const r = await exportPolicy(runDir, out);
    expect(r.maxLogitError).toBeLessThan(1e-5);
    const manifest = PolicyManifest.parse(JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")));
    expect(manifest.agents.map((a) => [a.id, a.elements.length])).toEqual([["mg1", 3], ["mg2", 2], ["mg3", 4]]);
    expect(manifest.training).toMatchObject({ seed: 3, command: "blackstart train --scenario toy" });
    expect(readFileSync(join(out, "MODEL_CARD.md"), "utf8")).toMatch(/# HAPPO policy for toy[\s\S]*Seed 3[\s\S]*% of optimum/);

    const { actors } = checkpointActors(join(runDir, "checkpoint"));
    const policy = await loadPolicy(out);
    const rng = new Rng(17);
    let ties = 0;
    for (const [i, actor] of (await policy.agents()).entries()) {
      const net = new TfMlp(actors[i]!, "check");
      const n = 1000;
      const size = actor.observationSize;
      const obs = Float32Array.from({ length: n * size }, () => (rng.next() < 0.5 ? 0 : 1));
      const ref = headLogSoftmax(tf.tidy(() => net.apply(tf.tensor2d(obs, [n, size])).dataSync() as Float32Array));
      for (let r = 0; r < n; r++) {
        const d = await actor.decide(obs.subarray(r * size, (r + 1) * size));
        const w = actor.elements.length * 3;
        for (let j = 0; j < w; j++) {
          const want = ref[r * w + j]!;
          expect(Math.abs(d.logProbs[j]! - want)).toBeLessThanOrEqual(1e-5 + 1e-5 * Math.abs(want));
        }
        for (let k = 0; k < actor.elements.length; k++) {
          const l = [0, 1, 2].map((a) => ref[r * w + 3 * k + a]!);
          const best = l.indexOf(Math.max(...l));
          if (d.actions[k] !== best) {
            const sorted = [...l].sort((x, y) => y - x);
            expect(sorted[0]! - sorted[1]!).toBeLessThan(1e-4);
            ties++;
          }
        }
      }
      net.dispose();
    }
    expect(ties).toBeLessThan(10);
    await policy.close();
  });

  it("the exported policy refuses an environment with other switches", async () => {
    const out = mkdtempSync(join(tmpdir(), "blackstart-policy-"));
    await exportPolicy(runDir, out);
    const policy = await loadPolicy(out);
    const other = new ToyEnv({ ...toy, sizes: [3, 3, 4] });
    expect(() => policy.checkAgents(other.agents)).toThrow(/BLACKSTART_ERR_POLICY_MISMATCH.*environment agent 'mg2': the policy has 2 elements, the environment has 3/);
    expect(() => policy.checkAgents(new ToyEnv(toy).agents)).not.toThrow();
    await policy.close();
  });
});

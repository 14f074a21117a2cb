// Training options from files: validated with the file, line and field of a
// bad value, and only the keys a file sets (its defaults never override flags).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ALGORITHMS, TrainConfig } from "../config.js";
import { loadConfigFile, loadPreset } from "../presets.js";

function file(text: string): string {
  const f = join(mkdtempSync(join(tmpdir(), "blackstart-cfg-")), "train.yaml");
  writeFileSync(f, text);
  return f;
}

describe("training options", () => {
  it("HARL's HAPPO defaults, the paper's gamma left to the scenario", () => {
    const c = TrainConfig.parse({});
    expect(c).toMatchObject({ algo: "happo", lr: 5e-4, critic_lr: 5e-4, ppo_epochs: 5, clip: 0.2, entropy_coef: 0.01, max_grad_norm: 10, gae_lambda: 0.95, huber_delta: 10, use_value_norm: true });
    expect(c.model).toEqual({ hidden: [128, 128], activation: "relu", hidden_layer_norm: true, actor_gain: 0.01 });
    expect(c.gamma).toBeUndefined();
    expect(ALGORITHMS).toEqual({ happo: { sequential: true, critic: "centralized" }, mappo: { sequential: false, critic: "centralized" }, ippo: { sequential: false, critic: "local" } });
  });

  it("a file sets only its own keys", () => {
    expect(loadConfigFile(file("entropy_coef: 0.05\nenvs: 32\n"))).toEqual({ entropy_coef: 0.05, envs: 32 });
  });

  it("a bad value names file, line and field", () => {
    const f = file("envs: 32\nclip: -1\n");
    expect(() => loadConfigFile(f)).toThrow(new RegExp(`${f.replace(/[.]/g, "\\.")}:2: field 'clip': BLACKSTART_ERR_INVALID_DOCUMENT`));
    expect(() => loadConfigFile(file("entropy: 0.05\n"))).toThrow(/BLACKSTART_ERR_INVALID_DOCUMENT/);
  });

  it("the ieee123-5mg preset is valid and says what it changes", () => {
    const p = loadPreset("ieee123-5mg");
    expect(p?.config).toEqual({ entropy_coef: 0.05, envs: 32, total_steps: 160000, operation_cost: 10, random_reset_probability: 0.3 });
    expect(loadPreset("no-such-scenario")).toBeUndefined();
  });
});

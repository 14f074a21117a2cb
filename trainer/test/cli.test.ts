// `blackstart train` and `blackstart export-onnx` as a user runs them: a short
// training on the real ieee123-5mg environment (nominal grid to keep the test
// short; the power flow is the default), its run directory, the export, and
// clear one-line errors with exit code 2 for bad options.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../test/support/paths.js";

function blackstart(...args: string[]) {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, "bin/blackstart.mjs"), ...args], { cwd: REPO_ROOT, encoding: "utf8", timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("blackstart train / export-onnx", () => {
  it("trains, writes a run directory, and exports a policy directory the scenario accepts", () => {
    const dir = mkdtempSync(join(tmpdir(), "blackstart-cli-train-"));
    const run = join(dir, "run");
    const t = blackstart("train", "--scenario", "ieee123-5mg", "--grid", "nominal", "--steps", "480", "--envs", "8", "--workers", "0", "--seed", "4", "--out", run);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stderr).toMatch(/train: preset .*ieee123-5mg\.yaml/);
    expect(t.stdout).toMatch(/evaluation \(deterministic, from the scenario's reset, cap 2400 kW\)/);
    expect(t.stdout).toMatch(/optimum +2395\.0 kW/);
    for (const f of ["checkpoint/checkpoint.json", "checkpoint/tensors.bin", "curves.csv", "curves.html", "references.json", "report.json"]) expect(existsSync(join(run, f)), f).toBe(true);
    const report = JSON.parse(readFileSync(join(run, "report.json"), "utf8"));
    expect(report.result.envSteps).toBe(480);
    expect(report.result.evalRandomStarts.episodes).toBe(20);

    const out = join(dir, "policy");
    const e = blackstart("export-onnx", run, "--out", out);
    expect(e.code, e.stderr).toBe(0);
    expect(e.stderr).toMatch(/5 actors \(happo, scenario ieee123-5mg\)/);
    const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
    expect(manifest.agents.map((a: { id: string }) => a.id)).toEqual(["mg1", "mg2", "mg3", "mg4", "mg5"]);
    expect(manifest.training.seed).toBe(4);
  });

  it("bad options fail with one line naming the option, exit code 2", () => {
    const a = blackstart("train", "--scenario", "ieee123-5mg", "--algo", "ppo");
    expect(a.code).toBe(2);
    expect(a.stderr.trim()).toBe("blackstart: field '--algo': BLACKSTART_ERR_TRAIN_OPTIONS: --algo must be happo, mappo or ippo, got 'ppo'");
    const b = blackstart("train", "--scenario", "ieee123-5mg", "--random-resets", "2");
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/--random-resets must be a number in \[0, 1\], got '2'/);
    const c = blackstart("export-onnx", mkdtempSync(join(tmpdir(), "blackstart-empty-")));
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/BLACKSTART_ERR_TRAIN_CHECKPOINT: no checkpoint in/);
  });
});

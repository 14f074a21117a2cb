// Every policy shipped in policies/ matches the scenario it names: agents,
// elements, the scenario hash in its manifest, its plan and its model card,
// and in every ONNX actor's metadata; each actor's sha256 as the manifest says.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../../test/support/paths.js";
import { loadScenario } from "../../../sim-harness/scenarios/load.js";
import { PolicyManifest } from "../manifest.js";
import { sha256File } from "../onnx.js";
import { onnxMetadata } from "../restamp.js";
import { loadPolicy, type Policy } from "../runner.js";
import { SWITCH_ACTIONS } from "../../encoding/actions.js";

const POLICIES = join(REPO_ROOT, "policies");
const dirs = readdirSync(POLICIES, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(POLICIES, d.name, "manifest.json")))
  .map((d) => join(POLICIES, d.name));

const opened: Policy[] = [];
afterAll(async () => {
  for (const p of opened) await p.close();
});

describe("shipped policies", () => {
  it("there are some", () => {
    expect(dirs.length).toBeGreaterThan(0);
  });

  it.each(dirs)("%s matches its scenario", async (dir) => {
    const manifest = PolicyManifest.parse(JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")));
    const { scenario, hash } = loadScenario(manifest.scenario);
    expect(manifest.scenario_hash).toBe(hash);
    // The runner's own checks: agents, elements, sizes, hash, files' sha256, the models' shapes.
    const policy = await loadPolicy(dir, { scenario });
    opened.push(policy);
    for (const a of manifest.agents) {
      if (!a.onnx) continue;
      const bytes = readFileSync(join(dir, a.onnx));
      expect(sha256File(bytes), a.onnx).toBe(a.sha256);
      expect(onnxMetadata(bytes), a.onnx).toMatchObject({ scenario: manifest.scenario, scenario_hash: hash, agent: a.id });
    }
    if (existsSync(join(dir, "plan.json"))) expect(JSON.parse(readFileSync(join(dir, "plan.json"), "utf8")).scenario_hash).toBe(hash);
    if (existsSync(join(dir, "model_card.json"))) expect(JSON.parse(readFileSync(join(dir, "model_card.json"), "utf8")).scenario.hash).toBe(hash);
  });
});

describe("a shipped policy refuses a scenario it was not made for, naming the mismatch", () => {
  it.each(dirs)("%s: another shipped scenario, and its own with one load weight changed", async (dir) => {
    const manifest = PolicyManifest.parse(JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")));
    const others = [...new Set(dirs.map((d) => PolicyManifest.parse(JSON.parse(readFileSync(join(d, "manifest.json"), "utf8"))).scenario))].filter((s) => s !== manifest.scenario);
    for (const name of others) {
      const { scenario } = loadScenario(name);
      const e = await loadPolicy(dir, { scenario }).then(
        () => undefined,
        (err: unknown) => err as Error & { code?: string },
      );
      expect(e?.code, `${dir} against ${name}`).toBe("BLACKSTART_ERR_POLICY_MISMATCH");
      expect(e?.message).toMatch(/the policy has \d+ agents|agent \d+ is .* in the policy but|element \d+ is .* in the policy but/);
      expect(e?.message).toContain("manifest.json");
    }
    // Same agents and switches, one weight changed: only the scenario hash tells them apart.
    const { scenario } = loadScenario(manifest.scenario);
    const w = scenario.weights;
    const reweighted = { ...scenario, weights: "explicit" in w ? { ...w, default: w.default + 1 } : { generator: { ...w.generator, seed: w.generator.seed + 1 } } };
    const e = await loadPolicy(dir, { scenario: reweighted }).then(
      () => undefined,
      (err: unknown) => err as Error & { code?: string },
    );
    expect(e?.code).toBe("BLACKSTART_ERR_POLICY_MISMATCH");
    expect(e?.message).toMatch(/scenario hash is [0-9a-f]{12}… in the policy but [0-9a-f]{12}…/);
  });
});

// On the bench under packet loss, a pick-up refused for generation (a reservation lost or refused)
// leaves an agent with some of its first closes made and the others not: a state the all-open
// reset of training never shows. The ieee123-5mg policy shipped before wished nothing more in 3 of
// 280 such states (mg3 with L57 closed and L61 open among them: the bench ended at 85 % of the
// optimum); trained with random partial resets (trainer/presets/ieee123-5mg.yaml), it asks again.
describe("the shipped ieee123-5mg policy after a partly refused first step", () => {
  it("asks again for a refused close in every state its first step's closes can leave (each subset admitted)", async () => {
    const { scenario } = loadScenario("ieee123-5mg");
    const policy = await loadPolicy(join(POLICIES, "ieee123-5mg"), { scenario });
    opened.push(policy);
    let states = 0;
    const stuck: string[] = [];
    for (const a of await policy.agents()) {
      const n = a.elements.length;
      const first = await a.decide(new Float32Array(n));
      const closes = [...first.actions].flatMap((x, k) => (SWITCH_ACTIONS[x] === "close" ? [k] : []));
      expect(closes.length, a.id).toBeGreaterThan(0);
      for (let admitted = 1; admitted < (1 << closes.length) - 1; admitted++) {
        const obs = new Float32Array(n);
        closes.forEach((k, i) => admitted & (1 << i) && (obs[k] = 1));
        const refused = closes.filter((_, i) => !(admitted & (1 << i)));
        const d = await a.decide(obs);
        states++;
        if (!refused.some((k) => SWITCH_ACTIONS[d.actions[k]!] === "close")) stuck.push(`${a.id} at ${[...obs].join("")}`);
      }
    }
    expect(states).toBeGreaterThan(50);
    expect(stuck).toEqual([]);
  });
});

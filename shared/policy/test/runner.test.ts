import { writeFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { mlpForward } from "../../../trainer/model/mlp.js";
import { mlpToOnnx } from "../../../trainer/export/onnx-mlp.js";
import { initMlp } from "../../../trainer/model/init.js";
import { Rng } from "../../../trainer/util/rng.js";
import { loadPolicy, type Policy } from "../runner.js";
import { errorOf, scenario, writeOnnxPolicy } from "./fixtures.js";

const opened: Policy[] = [];
afterAll(async () => {
  for (const p of opened) await p.close();
});
async function load(dir: string, opts: Parameters<typeof loadPolicy>[1] = {}) {
  const p = await loadPolicy(dir, opts);
  opened.push(p);
  return p;
}

describe("ONNX policy runner", () => {
  const s = scenario();
  const fx = writeOnnxPolicy(s);

  it("loads a directory checked against its scenario and returns the trainer's logits", async () => {
    const policy = await load(fx.dir, { scenario: s });
    expect(policy.kind).toBe("onnx");
    expect(policy.label).toMatch(/happo policy \(onnx\) for toy-2mg/);
    const actors = await policy.agents();
    const rng = new Rng(7);
    for (const [i, actor] of actors.entries()) {
      for (let t = 0; t < 20; t++) {
        const obs = Float32Array.from({ length: actor.observationSize }, () => (rng.next() < 0.5 ? 0 : 1));
        const d = await actor.decide(obs);
        const ref = mlpForward(fx.params[i]!, obs, 1);
        expect(d.kind).toBe("onnx");
        expect(d.logits.length).toBe(actor.elements.length * 3);
        for (let j = 0; j < ref.length; j++) expect(Math.abs(d.logits[j]! - ref[j]!)).toBeLessThan(1e-5);
        // Per element: the action is the argmax of its three logits; log-probs normalise.
        for (let k = 0; k < actor.elements.length; k++) {
          const l = [...ref.slice(3 * k, 3 * k + 3)];
          expect(d.actions[k]).toBe(l.indexOf(Math.max(...l)));
          const p = [0, 1, 2].reduce((acc, a) => acc + Math.exp(d.logProbs[3 * k + a]!), 0);
          expect(p).toBeCloseTo(1, 5);
        }
        // Operations are the non-no-op actions, most probable first; best is the first.
        const ops = d.operations;
        expect(ops.length).toBe([...d.actions].filter((a) => a !== 2).length);
        for (let j = 1; j < ops.length; j++) expect(ops[j - 1]!.logProb).toBeGreaterThanOrEqual(ops[j]!.logProb);
        expect(d.best).toEqual(ops[0] ?? null);
      }
    }
  });

  it("chooses only among the actions the caller allows, and holds when nothing is allowed", async () => {
    const policy = await load(fx.dir);
    const actor = await policy.agent({ id: "mg1", elements: ["Line.L1", "Line.L2", "Line.L3"], observationSize: 3 });
    const obs = [0, 1, 0];
    const free = await actor.decide(obs);
    // Forbid each element's preferred operation: the choice moves to the next best allowed one.
    const mask = new Uint8Array(9).fill(1);
    for (let k = 0; k < 3; k++) if (free.actions[k] !== 2) mask[3 * k + free.actions[k]!] = 0;
    const masked = await actor.decide(obs, { mask });
    for (let k = 0; k < 3; k++) {
      expect(mask[3 * k + masked.actions[k]!] || masked.actions[k] === 2).toBeTruthy();
      const allowed = [0, 1, 2].filter((a) => a === 2 || mask[3 * k + a]);
      const best = allowed.reduce((x, y) => (free.logits[3 * k + y]! > free.logits[3 * k + x]! ? y : x));
      expect(masked.actions[k]).toBe(best);
    }
    const none = await actor.decide(obs, { mask: new Uint8Array(9) });
    expect([...none.actions]).toEqual([2, 2, 2]);
    expect(none.best).toBeNull();
  });

  it("accepts element names in any case (OpenDSS names are case-insensitive)", async () => {
    const policy = await load(fx.dir);
    const actor = await policy.agent({ id: "mg2", elements: ["line.l10", "LINE.L11"] });
    expect(actor.elements).toEqual(["Line.L10", "Line.L11"]);
  });

  it("refuses an observation or a mask of the wrong size", async () => {
    const policy = await load(fx.dir);
    const actor = await policy.agent({ id: "mg2", elements: ["Line.L10", "Line.L11"] });
    const e1 = await errorOf(() => actor.decide([0, 1, 0]));
    expect(e1.code).toBe("BLACKSTART_ERR_POLICY_INPUT");
    expect(e1.message).toMatch(/agent 'mg2' has 3 values, the policy expects 2/);
    const e2 = await errorOf(() => actor.decide([0, 1], { mask: [1, 1, 1] }));
    expect(e2.message).toMatch(/3 entries, expected 6/);
    const e3 = await errorOf(() => actor.decide([0, NaN]));
    expect(e3.message).toMatch(/non-finite value at index 1/);
  });
});

describe("a policy that does not match is refused, naming the mismatch", () => {
  const s = scenario();
  const fx = writeOnnxPolicy(s);

  it("element order differs from the scenario", async () => {
    const other = scenario({ microgrids: [{ id: "mg1", switches: ["Line.L2", "Line.L1", "Line.L3"], quota_kw: 100 }, { id: "mg2", switches: ["Line.L10", "Line.L11"], quota_kw: 100 }] });
    const e = await errorOf(() => load(fx.dir, { scenario: other }));
    expect(e.code).toBe("BLACKSTART_ERR_POLICY_MISMATCH");
    expect(e.message).toMatch(/element 0 is 'Line.L1' in the policy but 'Line.L2' in the scenario \(it is element 1 there: same switches, different order\)/);
    expect(e.message).toContain("manifest.json");
  });

  it("agent count differs", async () => {
    const other = scenario({ microgrids: [{ id: "mg1", switches: ["Line.L1", "Line.L2", "Line.L3"], quota_kw: 100 }] });
    const e = await errorOf(() => load(fx.dir, { scenario: other }));
    expect(e.message).toMatch(/the policy has 2 agents \(mg1, mg2\), the scenario has 1 \(mg1\)/);
  });

  it("an element is missing", async () => {
    const other = scenario({ microgrids: [{ id: "mg1", switches: ["Line.L1", "Line.L2", "Line.L3"], quota_kw: 100 }, { id: "mg2", switches: ["Line.L10"], quota_kw: 100 }] });
    const e = await errorOf(() => load(fx.dir, { scenario: other }));
    expect(e.message).toMatch(/scenario agent 'mg2': the policy has 2 elements, the scenario has 1/);
    expect(e.message).toMatch(/only in the policy: Line.L11/);
  });

  it("same switches but another scenario (weights changed): the hash says so", async () => {
    const other = scenario({ weights: { explicit: { s1a: 5 }, default: 1 } });
    const e = await errorOf(() => load(fx.dir, { scenario: other }));
    expect(e.message).toMatch(/scenario hash is [0-9a-f]{12}… in the policy but [0-9a-f]{12}… for scenario 'toy-2mg'/);
  });

  it("a site binding names an unknown agent, other switches or another observation size", async () => {
    const policy = await load(fx.dir);
    const e1 = await errorOf(() => policy.agent({ id: "mg3", elements: ["Line.L1"] }));
    expect(e1.message).toMatch(/unknown agent 'mg3' \(closest: mg1, mg2\)/);
    const e2 = await errorOf(() => policy.agent({ id: "mg2", elements: ["Line.L10", "Line.L12"] }));
    expect(e2.message).toMatch(/element 1 is 'Line.L11' in the policy but 'Line.L12' in the site binding/);
    const e3 = await errorOf(() => policy.agent({ id: "mg2", elements: ["Line.L10", "Line.L11"], observationSize: 7 }));
    expect(e3.message).toMatch(/observation size is 2 in the policy but 7 in the site binding/);
  });

  it("an environment's agents differ", async () => {
    const policy = await load(fx.dir);
    expect(() => policy.checkAgents([{ id: "mg1", elements: ["Line.L1", "Line.L2", "Line.L3"], observationSize: 3 }, { id: "mg2", elements: ["Line.L10", "Line.L11"], observationSize: 2 }])).not.toThrow();
    expect(() => policy.checkAgents([{ id: "mg2", elements: ["Line.L10", "Line.L11"] }, { id: "mg1", elements: ["Line.L1", "Line.L2", "Line.L3"] }])).toThrow(/agent 0 is 'mg1' in the policy but 'mg2' in the environment/);
  });

  it("a damaged or replaced ONNX file", async () => {
    const fx2 = writeOnnxPolicy(s, 3);
    const bytes = readFileSync(join(fx2.dir, "mg1.onnx"));
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    writeFileSync(join(fx2.dir, "mg1.onnx"), bytes);
    const policy = await load(fx2.dir);
    const e = await errorOf(() => policy.agent({ id: "mg1", elements: ["Line.L1", "Line.L2", "Line.L3"] }));
    expect(e.code).toBe("BLACKSTART_ERR_POLICY_INVALID");
    expect(e.message).toMatch(/mg1\.onnx: .*sha256 is .* \(damaged or replaced file\)/);
  });

  it("a model whose sizes contradict the manifest", async () => {
    const fx3 = writeOnnxPolicy(s, 4, (m) => {
      delete m.agents[1]!.sha256;
    });
    // mg2's file replaced by a model with 3 outputs per 3 elements: 9 logits where 6 are needed.
    const p = initMlp({ inputSize: 2, hidden: [8], outputSize: 9, activation: "relu", hiddenLayerNorm: false, headGain: 1 }, new Rng(1));
    writeFileSync(join(fx3.dir, "mg2.onnx"), mlpToOnnx(p));
    const policy = await load(fx3.dir);
    const e = await errorOf(() => policy.agent({ id: "mg2", elements: ["Line.L10", "Line.L11"] }));
    expect(e.message).toMatch(/the model outputs 9 logits, the manifest's 2 elements need 6/);
    const q = initMlp({ inputSize: 5, hidden: [8], outputSize: 6, activation: "relu", hiddenLayerNorm: false, headGain: 1 }, new Rng(1));
    writeFileSync(join(fx3.dir, "mg2.onnx"), mlpToOnnx(q));
    const e2 = await errorOf(() => policy.agent({ id: "mg2", elements: ["Line.L10", "Line.L11"] }));
    expect(e2.message).toMatch(/takes 5 values, the manifest says observation_size 2/);
  });

  it("a bad manifest names file, line and field", async () => {
    const fx4 = writeOnnxPolicy(s, 5, (m) => {
      (m as { actions_per_element: number }).actions_per_element = 2;
    });
    const e = await errorOf(() => load(fx4.dir));
    expect(e.code).toBe("BLACKSTART_ERR_INVALID_DOCUMENT");
    expect(e.message).toMatch(/manifest\.json:\d+: field 'actions_per_element'/);
    const e2 = await errorOf(() => load("/nonexistent/policy"));
    expect(e2.message).toMatch(/policy directory not found/);
  });
});

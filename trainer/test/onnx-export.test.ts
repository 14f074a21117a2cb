// The exported ONNX actor computes what the trainer's tfjs actor computes:
// for 1000 random observations the log-probabilities agree within 1e-5
// absolute + 1e-5 relative, and the argmax is the same except where the top
// two are within 1e-4.
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { headLogSoftmax } from "../../shared/policy/decision.js";
import { mlpToOnnx } from "../export/onnx-mlp.js";
import { initMlp } from "../model/init.js";
import { mlpForward } from "../model/mlp.js";
import { initTf, tf } from "../model/tf.js";
import { TfMlp } from "../model/tf-mlp.js";
import { Rng } from "../util/rng.js";

function compare(a: Float32Array, b: Float32Array, what: string) {
  for (let i = 0; i < a.length; i++) {
    const tol = 1e-5 + 1e-5 * Math.abs(b[i]!);
    if (!(Math.abs(a[i]! - b[i]!) <= tol)) throw new Error(`${what}: index ${i}: ${a[i]} vs ${b[i]}`);
  }
}

function argmaxAgrees(onnxLp: Float32Array, refLp: Float32Array): number {
  let ties = 0;
  for (let k = 0; k < refLp.length; k += 3) {
    const r = [...refLp.slice(k, k + 3)];
    const o = [...onnxLp.slice(k, k + 3)];
    const ra = r.indexOf(Math.max(...r));
    const oa = o.indexOf(Math.max(...o));
    if (ra === oa) continue;
    const sorted = [...r].sort((x, y) => y - x);
    if (sorted[0]! - sorted[1]! < 1e-4) ties++;
    else throw new Error(`argmax differs at element ${k / 3}: ${r} vs ${o}`);
  }
  return ties;
}

describe("ONNX export of an actor", () => {
  it("onnxruntime-node equals the tfjs forward pass on 1000 random observations", async () => {
    await initTf();
    const rng = new Rng(11);
    const obsSize = 10;
    const elements = 10;
    const p = initMlp({ inputSize: obsSize, hidden: [128, 128], outputSize: elements * 3, activation: "relu", hiddenLayerNorm: true, headGain: 1 }, rng);
    // Trained networks have non-trivial norms and biases: perturb them.
    for (const l of p.hidden) {
      for (const arr of [l.dense.b, l.norm!.beta]) arr.forEach((_, i) => (arr[i] = rng.normal() * 0.2));
      l.norm!.gamma.forEach((_, i) => (l.norm!.gamma[i] = 1 + rng.normal() * 0.2));
    }
    p.head.b.forEach((_, i) => (p.head.b[i] = rng.normal()));
    const net = new TfMlp(p, "actor");
    const session = await ort.InferenceSession.create(mlpToOnnx(p), { intraOpNumThreads: 1, interOpNumThreads: 1 });
    const n = 1000;
    // Half switch-state vectors (0/1), half arbitrary reals (a "measured" observation).
    const obs = new Float32Array(n * obsSize);
    for (let r = 0; r < n; r++) for (let i = 0; i < obsSize; i++) obs[r * obsSize + i] = r < n / 2 ? (rng.next() < 0.5 ? 0 : 1) : rng.normal() * 2;
    const tfLogits = tf.tidy(() => net.apply(tf.tensor2d(obs, [n, obsSize])).dataSync() as Float32Array);
    const jsLogits = mlpForward(p, obs, n);
    const out = await session.run({ obs: new ort.Tensor("float32", obs, [n, obsSize]) });
    const onnxLogits = out.logits!.data as Float32Array;
    expect(onnxLogits.length).toBe(n * elements * 3);
    const tfLp = headLogSoftmax(tfLogits);
    compare(headLogSoftmax(onnxLogits), tfLp, "onnx vs tfjs log-probs");
    compare(headLogSoftmax(jsLogits), tfLp, "plain JS vs tfjs log-probs");
    const ties = argmaxAgrees(headLogSoftmax(onnxLogits), tfLp);
    expect(ties).toBeLessThan(5);
    // A batch of one (what the edge agent runs) gives the same numbers.
    const one = await session.run({ obs: new ort.Tensor("float32", obs.slice(0, obsSize), [1, obsSize]) });
    compare(one.logits!.data as Float32Array, onnxLogits.slice(0, elements * 3), "batch of one");
    await session.release();
    net.dispose();
  });
});

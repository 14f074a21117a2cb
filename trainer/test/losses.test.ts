// HAPPO's loss terms on small batches whose values were worked out by hand
// (the arithmetic is in the comments), independently of the code under test.
import { beforeAll, describe, expect, it } from "vitest";
import { Adam, clipGradNorm } from "../algo/adam.js";
import { gaeReturns, standardize } from "../algo/gae.js";
import { clippedSurrogate, huber, maskLogits, multiCategorical, valueLoss } from "../algo/losses.js";
import { ValueNorm } from "../algo/valuenorm.js";
import { initTf, tf } from "../model/tf.js";

beforeAll(async () => {
  await initTf();
});

const num = (t: { dataSync(): ArrayLike<number> }) => Array.from(t.dataSync());

describe("multi-categorical heads (one close/open/no-op head per switch)", () => {
  it("joint log-probability is the sum over heads; entropy the mean over heads", () => {
    const logits = tf.tensor2d([
      [1, 0, 0, 0, 2, 0],
      [0, 0, 0, 1, 1, -1],
    ]);
    const actions = tf.tensor2d([[0, 1], [2, 0]], [2, 2], "int32");
    const { logp, entropy } = multiCategorical(logits, actions);
    // row 0: (1 - ln(e + 2)) + (2 - ln(e^2 + 2)) = -0.790989
    // row 1: ln(1/3) + (1 - ln(2e + 1/e)) = -1.857236
    expect(num(logp)[0]).toBeCloseTo(-0.790989, 5);
    expect(num(logp)[1]).toBeCloseTo(-1.857236, 5);
    // mean of H(1,0,0), H(0,2,0), H(0,0,0) = ln 3, H(1,1,-1) = 0.906224
    expect(num(entropy)[0]).toBeCloseTo(0.906224, 5);
  });

  it("masked actions get -1e10: zero probability, no NaN in the entropy", () => {
    const logits = tf.tensor2d([[0, 0, 0]]);
    const masked = maskLogits(logits, tf.tensor2d([[0, 1, 1]]));
    const { logp, entropy } = multiCategorical(masked, tf.tensor2d([[1]], [1, 1], "int32"));
    expect(num(logp)[0]).toBeCloseTo(Math.log(0.5), 6);
    expect(num(entropy)[0]).toBeCloseTo(Math.log(2), 6);
  });
});

describe("HAPPO clipped surrogate with the previous agents' ratio factor", () => {
  it("matches the hand computation", () => {
    // ratio = exp(logp - old) = [e^0.2, e^-0.3, e^-1] = [1.2214, 0.7408, 0.3679]
    // surr1 = ratio * A = [1.2214, -0.7408, 0.7358]; surr2 = clip(ratio, 0.8, 1.2) * A = [1.2, -0.8, 1.6]
    // min = [1.2, -0.8, 0.7358]; factor * min = [1.2, -1.6, 0.3679]; loss = -mean = 0.010707
    const { loss, ratio } = clippedSurrogate(tf.tensor1d([-0.5, -1.0, -2.0]), tf.tensor1d([-0.7, -0.7, -1.0]), tf.tensor1d([1, -1, 2]), tf.tensor1d([1, 2, 0.5]), 0.2);
    expect(num(loss)[0]).toBeCloseTo(0.0107069, 6);
    expect(num(ratio)[1]).toBeCloseTo(Math.exp(-0.3), 6);
  });

  it("with factor 1 and ratio 1 the loss is -mean(A) and the gradient pushes logp up where A > 0", () => {
    const logp = tf.variable(tf.tensor1d([-1, -1]));
    const g = tf.grad((x) => clippedSurrogate(x as ReturnType<typeof tf.tensor1d>, tf.tensor1d([-1, -1]), tf.tensor1d([2, -1]), tf.tensor1d([1, 1]), 0.2).loss)(logp);
    // d(-mean(r A))/d logp = -A r / 2 = [-1, 0.5]
    expect(num(g)).toEqual([-1, 0.5].map((v) => expect.closeTo(v, 6)));
  });
});

describe("clipped Huber value loss", () => {
  it("matches the hand computation", () => {
    // clippedV = old + clip(V - old, -0.2, 0.2) = [0.2, 1.2]
    // errors: original [0.5, 18.0], clipped [0.8, 18.8]
    // huber(10): 0.5 -> 0.125, 18 -> 10(18 - 5) = 130, 0.8 -> 0.32, 18.8 -> 138
    // max per row [0.32, 138] -> mean 69.16
    const l = valueLoss(tf.tensor1d([0.5, 2.0]), tf.tensor1d([0.0, 1.0]), tf.tensor1d([1.0, 20.0]), { clip: 0.2, huberDelta: 10, clipped: true, useHuber: true });
    expect(num(l)[0]).toBeCloseTo(69.16, 4);
    const u = valueLoss(tf.tensor1d([0.5, 2.0]), tf.tensor1d([0.0, 1.0]), tf.tensor1d([1.0, 20.0]), { clip: 0.2, huberDelta: 10, clipped: false, useHuber: true });
    expect(num(u)[0]).toBeCloseTo((0.125 + 130) / 2, 4);
    expect(num(huber(tf.tensor1d([-3, 1]), 2))).toEqual([4, 0.5]);
  });
});

describe("GAE, advantage standardisation, ValueNorm", () => {
  it("GAE with termination and with a cut rollout (bootstrap)", () => {
    // gamma 0.9, lambda 0.8, r = 1, V = 0.5; terminated after step 2:
    // t2: delta 0.5, R 1.0; t1: delta 0.95, gae 0.95 + 0.72*0.5 = 1.31, R 1.81; t0: gae 0.95 + 0.72*1.31 = 1.8932, R 2.3932
    const base = { T: 3, E: 1, rewards: [1, 1, 1], values: [0.5, 0.5, 0.5, 0.5], gamma: 0.9, lambda: 0.8 };
    expect([...gaeReturns({ ...base, dones: [0, 0, 1] })].map((v) => +v.toFixed(4))).toEqual([2.3932, 1.81, 1]);
    // cut (no done): every delta 0.95: R2 = 1.45, R1 = 0.5 + 0.95 + 0.72*0.95 = 2.134, R0 = 0.5 + 0.95 + 0.72*1.634 = 2.62648
    expect([...gaeReturns({ ...base, dones: [0, 0, 0] })].map((v) => +v.toFixed(4))).toEqual([2.6265, 2.134, 1.45]);
  });

  it("GAE keeps environments apart (rows t*E + e)", () => {
    const r = gaeReturns({ T: 2, E: 2, rewards: [1, 0, 1, 0], values: [0, 0, 0, 0, 0, 0], dones: [0, 0, 1, 1], gamma: 0.5, lambda: 1 });
    expect([...r]).toEqual([1.5, 0, 1, 0]);
  });

  it("standardises to mean 0, std 1 (with HARL's +1e-5)", () => {
    const s = standardize([1, 2, 3, 4]);
    // mean 2.5, std sqrt(1.25) = 1.118034
    expect(s[0]).toBeCloseTo(-1.5 / (1.118034 + 1e-5), 5);
  });

  it("ValueNorm: debiased running mean and variance, variance clamped at 1e-2", () => {
    const n = new ValueNorm();
    n.update([1, 2, 3]);
    // mean 2, mean square 14/3, variance 2/3
    expect(n.normalize([2, 3])[1]).toBeCloseTo(1 / Math.sqrt(2 / 3), 4);
    expect(n.denormalize([0])[0]).toBeCloseTo(2, 4);
    const c = new ValueNorm();
    c.update([5, 5]);
    expect(c.normalize([5.1])[0]).toBeCloseTo(1, 4);
  });
});

describe("Adam and gradient clipping as torch does them", () => {
  it("first Adam step: p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps)", () => {
    // g = 0.5: m = 0.05, v = 0.00025, bc1 = 0.1, bc2 = 0.001 -> denom = 0.5 + 1e-5 -> p = 1 - 0.05/0.50001 = 0.900002
    const p = tf.variable(tf.tensor1d([1]));
    const adam = new Adam([p], 0.1, 1e-5);
    adam.apply([Float32Array.of(0.5)]);
    expect(num(p)[0]).toBeCloseTo(0.900002, 5);
    expect(adam.state.step).toBe(1);
    // Second step, g = 0.5 again: m = 0.095, v = 0.00049975, bc1 = 0.19, bc2 = 0.001999
    // denom = sqrt(0.00049975 / 0.001999) + 1e-5 = 0.50001 -> p = 0.900002 - 0.1/0.19 * 0.095 / 0.50001 = 0.800004
    adam.apply([Float32Array.of(0.5)]);
    expect(num(p)[0]).toBeCloseTo(0.800004, 5);
  });

  it("clips the global norm", () => {
    const grads = [Float32Array.of(3), Float32Array.of(4)];
    expect(clipGradNorm(grads, 1)).toBeCloseTo(5, 6);
    expect(grads.map((g) => +g[0]!.toFixed(5))).toEqual([0.6, 0.8]);
    const same = [Float32Array.of(0.3)];
    clipGradNorm(same, 1);
    expect(same[0]![0]).toBeCloseTo(0.3, 6);
  });
});

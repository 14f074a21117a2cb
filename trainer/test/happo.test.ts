// HAPPO's sequential scheme on a synthetic rollout: agents are updated one
// after another in a random order, and each agent's surrogate is weighted by
// the product of the new/old probability ratios of the agents updated before
// it. MAPPO and IPPO use the same code with the factor fixed at 1.
import { beforeAll, describe, expect, it } from "vitest";
import { headLogSoftmax } from "../../shared/policy/decision.js";
import { Actor, Critic, type ActorMinibatch } from "../algo/networks.js";
import { trainIteration } from "../algo/update.js";
import { TrainConfig, type Algorithm } from "../config.js";
import { initMlp } from "../model/init.js";
import { mlpForward, type MlpParams } from "../model/mlp.js";
import { initTf } from "../model/tf.js";
import type { Rollout } from "../rollout/types.js";
import { Rng } from "../util/rng.js";

beforeAll(async () => {
  await initTf();
});

const sizes = [3, 2];
const T = 6;
const E = 4;
const N = T * E;

function syntheticRollout(rng: Rng): Rollout {
  const obs = sizes.map((n) => Float32Array.from({ length: (T + 1) * E * n }, () => (rng.next() < 0.5 ? 0 : 1)));
  const actions = sizes.map((n) => Int32Array.from({ length: N * n }, () => rng.int(3)));
  const logp = sizes.map(() => Float32Array.from({ length: N }, () => -1 - rng.next()));
  const rewards = Float32Array.from({ length: N }, () => rng.normal());
  const dones = Uint8Array.from({ length: N }, (_, i) => (Math.floor(i / E) === T - 1 ? 1 : 0));
  const state = Float32Array.from({ length: (T + 1) * E * 5 }, () => rng.next());
  return { T, E, obs, actions, logp, avail: undefined, state, rewards: [rewards, rewards], teamRewards: rewards, dones, episodes: [] };
}

function jointLogp(p: MlpParams, obs: Float32Array, actions: Int32Array, n: number): Float64Array {
  const lp = headLogSoftmax(mlpForward(p, obs, N));
  const out = new Float64Array(N);
  for (let r = 0; r < N; r++) for (let k = 0; k < n; k++) out[r] = out[r]! + lp[(r * n + k) * 3 + actions[r * n + k]!]!;
  return out;
}

function setup(algo: Algorithm) {
  const cfg = TrainConfig.parse({ algo, ppo_epochs: 2, critic_epochs: 1, lr: 1e-2, model: { hidden: [16, 16] } });
  const rng = new Rng(3);
  const actors = sizes.map((n, i) => new Actor(initMlp({ inputSize: n, hidden: [16, 16], outputSize: 3 * n, activation: "relu", hiddenLayerNorm: true, headGain: 0.5 }, rng), cfg.lr, cfg.adam_eps, `mg${i + 1}`));
  const critics =
    algo === "ippo"
      ? sizes.map((n, i) => new Critic(initMlp({ inputSize: n, hidden: [16], outputSize: 1, activation: "relu", hiddenLayerNorm: false, headGain: 1 }, rng), 1e-3, 1e-5, true, `mg${i + 1}`))
      : [new Critic(initMlp({ inputSize: 5, hidden: [16], outputSize: 1, activation: "relu", hiddenLayerNorm: false, headGain: 1 }, rng), 1e-3, 1e-5, true, "central")];
  const factors: { agent: string; factor: Float32Array }[] = [];
  for (const a of actors) {
    const orig = a.update.bind(a);
    a.update = (mb: ActorMinibatch, ...rest: [number, number, number]) => {
      factors.push({ agent: a.id, factor: mb.factor });
      return orig(mb, ...rest);
    };
  }
  return { cfg, rng, actors, critics, factors };
}

describe("HAPPO update order and ratio factor", () => {
  it("weights the second agent's surrogate by the first agent's new/old ratio, computed independently", () => {
    const { cfg, rng, actors, critics, factors } = setup("happo");
    const rollout = syntheticRollout(new Rng(9));
    const before = actors.map((a) => a.net.params());
    const stats = trainIteration(cfg, 0.95, rollout, actors, critics, rng);
    expect([...stats.order].sort()).toEqual([0, 1]);
    const first = stats.order[0]!;
    const second = stats.order[1]!;
    const after = actors[first]!.net.params();
    const n = sizes[first]!;
    const obs = rollout.obs[first]!.subarray(0, N * n);
    const lb = jointLogp(before[first]!, obs, rollout.actions[first]!, n);
    const la = jointLogp(after, obs, rollout.actions[first]!, n);
    const expected = Array.from(lb, (b, r) => Math.exp(la[r]! - b)).sort((x, y) => x - y);
    // Two epochs, one minibatch each: two calls per agent; the first agent sees factor 1.
    const firstCalls = factors.filter((f) => f.agent === actors[first]!.id);
    const secondCalls = factors.filter((f) => f.agent === actors[second]!.id);
    expect(firstCalls).toHaveLength(2);
    for (const c of firstCalls) expect([...c.factor].every((v) => v === 1)).toBe(true);
    for (const c of secondCalls) {
      const got = [...c.factor].sort((x, y) => x - y);
      got.forEach((v, r) => expect(v).toBeCloseTo(expected[r]!, 4));
    }
    // The update moved the first agent's policy, so the factor is not trivially 1.
    expect(expected.some((v) => Math.abs(v - 1) > 1e-3)).toBe(true);
  });

  it("draws a fresh random order each iteration", () => {
    const { cfg, rng, actors, critics } = setup("happo");
    const orders = new Set<string>();
    for (let i = 0; i < 8; i++) orders.add(trainIteration(cfg, 0.95, syntheticRollout(new Rng(i)), actors, critics, rng).order.join());
    expect(orders.size).toBe(2);
  });

  it("MAPPO: simultaneous updates, factor 1 for every agent, fixed order", () => {
    const { cfg, rng, actors, critics, factors } = setup("mappo");
    const stats = trainIteration(cfg, 0.95, syntheticRollout(new Rng(9)), actors, critics, rng);
    expect(stats.order).toEqual([0, 1]);
    expect(factors.every((f) => [...f.factor].every((v) => v === 1))).toBe(true);
    expect(stats.factorMean).toBe(1);
  });

  it("IPPO: one critic per agent on its own observation, factor 1", () => {
    const { cfg, rng, actors, critics, factors } = setup("ippo");
    expect(critics.map((c) => c.inputSize)).toEqual(sizes);
    trainIteration(cfg, 0.95, syntheticRollout(new Rng(9)), actors, critics, rng);
    expect(factors.every((f) => [...f.factor].every((v) => v === 1))).toBe(true);
    // Each critic learned from its agent's stream: both normalisers saw returns.
    expect(critics.every((c) => c.norm.debias > 0)).toBe(true);
  });
});

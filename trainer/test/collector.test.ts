// Rollout collection and evaluation details: the per-operation cost comes off
// the reward of exactly the steps that operated switches, and evaluation
// counts operations that undo earlier ones (toggling).
import { describe, expect, it } from "vitest";
import { evaluate, type ActionSource } from "../eval.js";
import { initMlp } from "../model/init.js";
import { Collector } from "../rollout/collector.js";
import { Rng } from "../util/rng.js";
import { ToyEnv, type ToyOptions } from "./support/toy-env.js";

const toy: ToyOptions = { sizes: [3, 2], capKw: 400, episodeLength: 4 };

describe("rollout collection", () => {
  it("takes the operation cost off each step's reward, per operation applied", () => {
    const rng = new Rng(1);
    const actors = toy.sizes.map((n) => initMlp({ inputSize: n, hidden: [8], outputSize: 3 * n, activation: "relu", hiddenLayerNorm: false, headGain: 1 }, rng));
    const collect = (operationCost: number) => {
      const envs = [new ToyEnv(toy), new ToyEnv(toy)];
      return new Collector(envs, [0, 1], 9, { shieldMask: false, operationCost }).collect(actors, 4);
    };
    const free = collect(0);
    const costly = collect(7);
    // Same seed, same actions; only the rewards differ.
    expect(costly.actions).toEqual(free.actions);
    let sawOps = false;
    for (let row = 0; row < 8; row++) {
      // The difference is 7 x (operations applied in that step): a whole multiple of 7.
      const diff = free.teamRewards[row]! - costly.teamRewards[row]!;
      expect(Math.abs(diff / 7 - Math.round(diff / 7))).toBeLessThan(1e-4);
      if (diff > 0) sawOps = true;
      expect(costly.rewards[0]![row]).toBeCloseTo(costly.teamRewards[row]!, 4);
    }
    expect(sawOps).toBe(true);
  });
});

describe("breach cost", () => {
  it("takes the breach cost off exactly the steps that exceed the cap", () => {
    const rng = new Rng(2);
    const actors = toy.sizes.map((n) => initMlp({ inputSize: n, hidden: [8], outputSize: 3 * n, activation: "relu", hiddenLayerNorm: false, headGain: 1 }, rng));
    const collect = (breachCost: number) => new Collector([new ToyEnv(toy), new ToyEnv(toy)], [0, 1], 3, { shieldMask: false, operationCost: 0, breachCost }).collect(actors, 4);
    const a = collect(0);
    const b = collect(1000);
    const diffs = [...a.teamRewards].map((r, i) => Math.round(r - b.teamRewards[i]!));
    expect(diffs.every((d) => d === 0 || d === 1000)).toBe(true);
    // Breaches end episodes in the toy environment: every costed step is a done step.
    diffs.forEach((d, i) => d === 1000 && expect(b.dones[i]).toBe(1));
    expect(diffs).toContain(1000);
  });
});

describe("evaluation", () => {
  it("counts operations that undo earlier ones", () => {
    const env = new ToyEnv(toy);
    let t = 0;
    // Close switch 1 of agent 1, open it, close it again, then hold: 3 operations, 2 of them reversals.
    const act: ActionSource = () => {
      const a = [Int32Array.from([2, 2, 2]), Int32Array.from([2, 2])];
      a[0]![0] = t === 0 || t === 2 ? 0 : t === 1 ? 1 : 2;
      t++;
      return a;
    };
    const r = evaluate(env, act, { episodes: 1, shield: false, seed: 1 });
    expect(r.operations).toBe(3);
    expect(r.reversals).toBe(2);
    expect(r.trace.map((ops) => ops.length)).toEqual([1, 1, 1, 0]);
  });
});

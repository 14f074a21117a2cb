// The environment's mechanics on the nominal-load grid (fast, exact numbers);
// the power flow grid is exercised in powerflow-env.test.ts.
import { describe, expect, it } from "vitest";
import { createEnv, createVectorEnv } from "../create.js";
import { actionsToPaperFlags, paperFlagsToOperations, PaperParityEnv } from "../parity.js";

const CLOSE = 0;
const OPEN = 1;
const NOOP = 2;

function all(env: { agents: readonly { elements: readonly string[] }[] }, a: number): number[][] {
  return env.agents.map((ag) => ag.elements.map(() => a));
}

describe("restoration environment (nominal grid)", () => {
  const env = createEnv("ieee123-5mg", { grid: "nominal" });

  it("exposes heterogeneous agents without padding", () => {
    expect(env.agents.map((a) => a.elements.length)).toEqual([10, 5, 3, 5, 3]);
    expect(env.agents.map((a) => a.observationSize)).toEqual([10, 5, 3, 5, 3]);
    expect(env.agents[1]!.elements[0]).toBe("Line.l35");
    expect(env.stateSize).toBe(26 + 2 * 27 + 3);
    expect(env.episodeLength).toBe(15);
  });

  it("resets to the outage: every agent switch open, the source's section served", () => {
    const r = env.reset(1);
    expect(r.info.restored_kw).toBeCloseTo(505, 9);
    expect(r.obs.every((o) => o.every((v) => v === 0))).toBe(true);
    expect(r.state.length).toBe(env.stateSize);
    // One island, fed by the substation (reported against the cap); its five PV units cover part of its load.
    expect(r.info.islands).toEqual([{ source: "source", load_kw: 505, generation_kw: expect.closeTo(505 - 5 * 223 * 0.8, 6), rating_kw: 2400, floor_kw: -Infinity, curtailed_kw: 0 }]);
  });

  it("rewards the change of weighted restored kW and ends on a cap breach with -M (P - cap)^2", () => {
    env.reset(1);
    const w0 = env.lastWeightedKw;
    const acts = all(env, NOOP);
    acts[0]![1] = CLOSE; // Line.l2: 100 kW
    const s = env.step(acts);
    expect(s.info.operations).toEqual(["close Line.l2"]);
    expect(s.info.restored_kw).toBeCloseTo(605, 9);
    expect(s.teamReward).toBeCloseTo(s.info.weighted_restored - w0, 9);
    expect(s.rewards).toEqual(env.agents.map(() => s.teamReward));
    expect(s.done).toBe(false);
    expect(s.obs[0]![1]).toBe(1);
    const b = env.step(all(env, CLOSE));
    expect(b.info.restored_kw).toBeCloseTo(3490, 9);
    expect(b.info.cap_breached).toBe(true);
    expect(b.teamReward).toBeCloseTo(-1 * (3490 - 2400) ** 2, 6);
    expect(b.done).toBe(true);
    expect(b.info.violations).toContainEqual({ kind: "generation-cap", element: "total", value: 3490, limit: 2400 });
    expect(() => env.step(all(env, NOOP))).toThrow(/episode is over/);
  });

  it("ends after the episode length and rejects malformed actions", () => {
    env.reset(2);
    let done = false;
    let steps = 0;
    while (!done) {
      done = env.step(all(env, NOOP)).done;
      steps++;
    }
    expect(steps).toBe(15);
    env.reset(2);
    expect(() => env.step(all(env, NOOP).slice(1))).toThrow(/expected actions for 5 agents/);
    expect(() => env.step([[2], ...all(env, NOOP).slice(1)])).toThrow(/has 10 switches, got 1/);
    const bad = all(env, NOOP);
    bad[0]![0] = 7;
    expect(() => env.step(bad)).toThrow(/action 7 is not/);
  });

  it("opens what it closed, and masks closes that would breach the cap", () => {
    env.reset(3);
    const acts = all(env, NOOP);
    acts[1]![4] = CLOSE; // Line.l45 picks up 515 kW
    env.step(acts);
    const opened = all(env, NOOP);
    opened[1]![4] = OPEN;
    const s = env.step(opened);
    expect(s.info.operations).toEqual(["open Line.l45"]);
    expect(s.info.restored_kw).toBeCloseTo(505, 9);
    const mask = env.actionMask();
    expect(mask.map((m) => m.length)).toEqual([30, 15, 9, 15, 9]);
    // From 505 kW every single close fits the 2400 kW cap; no-op always allowed, open only when closed.
    for (const m of mask) for (let j = 0; j < m.length; j += 3) expect([m[j], m[j + 1], m[j + 2]]).toEqual([1, 0, 1]);
  });

  it("is deterministic for a seed, also from random partially-restored starts", () => {
    const a = createEnv("ieee123-5mg", { grid: "nominal", randomPartialProbability: 1 });
    const b = createEnv("ieee123-5mg", { grid: "nominal", randomPartialProbability: 1 });
    const starts = new Set<number>();
    for (let seed = 0; seed < 20; seed++) {
      const ra = a.reset(seed);
      const rb = b.reset(seed);
      expect(ra.info.restored_kw).toBe(rb.info.restored_kw);
      expect(a.switchStates()).toEqual(b.switchStates());
      // Feasible: within the cap, radial.
      expect(ra.info.restored_kw).toBeLessThanOrEqual(2400);
      expect(ra.info.violations).toEqual([]);
      starts.add(ra.info.restored_kw);
    }
    expect(starts.size).toBeGreaterThan(10);
  });

  it("gives measured observations: switch, live ends, kW through, voltage, headroom, time", () => {
    const m = createEnv("ieee123-5mg", { grid: "nominal", observation: "measured" });
    expect(m.agents.map((a) => a.observationSize)).toEqual([52, 27, 17, 27, 17]);
    m.reset(0);
    const acts = all(m, NOOP);
    acts[1]![4] = CLOSE; // Line.l45: 515 kW behind it
    const s = m.step(acts);
    const o = s.obs[1]!;
    expect(Array.from(o.slice(20, 25))).toEqual([1, 1, 1, expect.closeTo(515 / 2400, 6), 1]);
    expect(o[25]).toBeCloseTo((2400 - 1020) / 2400, 6); // headroom against the cap
    expect(o[26]).toBeCloseTo(1 / 15, 6);
    expect(Array.from(o.slice(0, 5))).toEqual([0, 1, 0, 0, 1]); // Line.l35 open: live on the source side only, at 1 pu there
  });
});

describe("per-agent rewards", () => {
  it("own-sections: each agent is rewarded for the weighted kW its own sections gain", () => {
    const env = createEnv("ieee123-5mg", { grid: "nominal", rewardSplit: "own-sections" });
    env.reset(0);
    const acts = all(env, NOOP);
    acts[1]![4] = CLOSE; // mg2's Line.l45 energizes an mg2 section
    const s = env.step(acts);
    expect(s.rewards[1]).toBeGreaterThan(0);
    expect(s.rewards[0]).toBe(0);
    expect(s.rewards.reduce((a, b) => a + b, 0)).toBeCloseTo(s.teamReward, 6);
  });
});

describe("action masks", () => {
  it("neither mask closes with both sides live (no synchronism check); both allow a pick-up onto a dead section", () => {
    const limits = createEnv("ieee123-merge", { grid: "nominal" });
    const shield = createEnv("ieee123-merge", { grid: "nominal", mask: "shield" });
    limits.reset(0);
    shield.reset(0);
    const k = limits.agents[0]!.elements.indexOf("Line.sw2"); // north (d1) to center (d3): both live
    expect(limits.actionMask()[0]![3 * k]).toBe(0);
    expect(shield.actionMask()[0]![3 * k]).toBe(0);
    const j = limits.agents[0]!.elements.indexOf("Line.l1");
    expect(limits.actionMask()[0]![3 * j]).toBe(1);
    expect(shield.actionMask()[0]![3 * j]).toBe(1);

    // Dead to dead (the south's laterals beyond its dead bus, reachable once the tie or a neighbour closes): both refuse.
    const lm = limits.actionMask();
    const sm = shield.actionMask();
    let deadToDead = 0;
    limits.agentSwitches.forEach((sw, i) =>
      sw.forEach((k, jj) => {
        const g = limits.energy;
        if (g.closed[k] || g.locked[k] || g.energized(g.ends[2 * k]!) || g.energized(g.ends[2 * k + 1]!)) return;
        deadToDead++;
        expect(limits.deadSideReachable(g, k)).toBe(true);
        expect(lm[i]![3 * jj], limits.agents[i]!.elements[jj]).toBe(0);
        expect(sm[i]![3 * jj], limits.agents[i]!.elements[jj]).toBe(0);
      }),
    );
    expect(deadToDead).toBeGreaterThan(0);
  });

  it.each(["ieee123-fault-lateral", "ieee123-merge", "ieee123-5mg"])("%s: the limits mask allows no close the deployed shield refuses, and the same pick-ups", (name) => {
    // From random partially-restored starts (themselves built by the limits rule), on nominal kW.
    const env = createEnv(name, { grid: "nominal", randomPartialProbability: 1 });
    let pickups = 0;
    for (let seed = 0; seed < 30; seed++) {
      env.reset(seed);
      const limits = env.actionMask();
      const shield = env.shieldActionMask();
      env.agentSwitches.forEach((sw, i) =>
        sw.forEach((k, j) => {
          if (limits[i]![3 * j]) expect(shield[i]![3 * j], `${name} seed ${seed} close ${env.agents[i]!.elements[j]}`).toBe(1);
          // A real pick-up (one side live): both masks decide the same.
          if (env.energy.pickupKw(k) > 0) {
            pickups++;
            expect(limits[i]![3 * j], `${name} seed ${seed} close ${env.agents[i]!.elements[j]}`).toBe(shield[i]![3 * j]);
          }
        }),
      );
    }
    expect(pickups).toBeGreaterThan(30);
  });
});

describe("vectorised environments", () => {
  it("steps N copies independently and deterministically", () => {
    const v = createVectorEnv("ieee123-5mg", 4, { grid: "nominal", randomPartialProbability: 1, baseSeed: 10 });
    const r1 = v.reset();
    const w = createVectorEnv("ieee123-5mg", 4, { grid: "nominal", randomPartialProbability: 1, baseSeed: 10 });
    const r2 = w.reset();
    expect(r1.map((r) => r.info.restored_kw)).toEqual(r2.map((r) => r.info.restored_kw));
    const acts = v.envs.map((e, i) => all(e, i % 2 === 0 ? NOOP : CLOSE));
    const s = v.step(acts);
    expect(s[1]!.done).toBe(true);
    expect(s[0]!.done).toBe(false);
    expect(v.actionMask()).toHaveLength(4);
  });

  it("auto-resets an environment the step after it ended", () => {
    const v = createVectorEnv("ieee123-5mg", 2, { grid: "nominal", autoReset: true });
    v.reset();
    const first = v.step([all(v.envs[0]!, CLOSE), all(v.envs[1]!, NOOP)]);
    expect(first[0]!.done).toBe(true);
    const second = v.step([all(v.envs[0]!, NOOP), all(v.envs[1]!, NOOP)]);
    expect(second[0]).toMatchObject({ done: false, teamReward: 0 });
    expect(second[0]!.info.restored_kw).toBeCloseTo(505, 9);
    expect(v.envs[1]!.stepIndex).toBe(2);
  });
});

describe("paper flag encoding (parity adapter)", () => {
  const env = createEnv("ieee123-5mg", { grid: "nominal" });

  it("any no-op flag idles the agent; close before open; both flags end open", () => {
    const flags = env.agents.map((a) => new Uint8Array(3 * a.elements.length));
    flags[0]![0] = 1; // close l1
    flags[0]![10 + 0] = 1; // and open l1: ends open
    flags[0]![1] = 1; // close l2
    flags[1]![0] = 1; // close l35 ...
    flags[1]![2 * 5 + 3] = 1; // ... but a no-op flag idles agent 2
    const ops = paperFlagsToOperations(env, flags);
    expect(ops).toEqual([
      { k: 0, closed: true },
      { k: 0, closed: false },
      { k: 1, closed: true },
    ]);
    expect(() => paperFlagsToOperations(env, flags.slice(1))).toThrow(/expected flags for 5 agents/);
  });

  it("round-trips our actions, and takes the first reward from the compiled all-closed feeder", () => {
    const acts = all(env, NOOP);
    acts[2]![1] = CLOSE;
    acts[3]![0] = OPEN;
    expect(paperFlagsToOperations(env, actionsToPaperFlags(acts))).toEqual([
      { k: 16, closed: true },
      { k: 18, closed: false },
    ]);
    const parity = new PaperParityEnv(env);
    const r = parity.reset(0);
    const s = parity.step(actionsToPaperFlags(all(env, NOOP)));
    // Nothing changed, yet the reward is the drop from the all-closed weighted load (the paper's offset).
    const allClosedWeighted = env.bound.loads.reduce((t, l) => t + l.kw * l.weight, 0);
    expect(s.teamReward).toBeCloseTo(r.info.weighted_restored - allClosedWeighted, 6);
  });
});

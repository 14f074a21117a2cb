// The environment on the full power flow: parity with the paper's public
// environment (restored kW as OpenDSS measured it, ../shared/paper/README.md),
// taps carried over, and the replay commands of a report reproducing it.
import { describe, expect, it } from "vitest";
import { loadFeeder } from "../../powerflow/opendss/feeder.js";
import { findOptimum } from "../../baselines/optimum.js";
import { optimumReport } from "../../baselines/report.js";
import { createEnv } from "../create.js";
import { actionsToPaperFlags, PaperParityEnv } from "../parity.js";

const CLOSE = 0;
const NOOP = 2;
const within = (value: number, reference: number, pct: number) => expect(Math.abs(value - reference) / reference).toBeLessThanOrEqual(pct / 100);

function all(env: { agents: readonly { elements: readonly string[] }[] }, a: number): number[][] {
  return env.agents.map((ag) => ag.elements.map(() => a));
}

describe("parity with the paper's environment (power flow)", () => {
  it("ieee123-5mg: 513.6 kW at reset, 3468.5 kW with every agent switch closed, within 0.1 %", () => {
    const env = createEnv("ieee123-5mg");
    const r = env.reset(0);
    within(r.info.restored_kw, 513.6, 0.1);
    expect(r.info.nonconverged).toBe(false);
    const s = env.step(all(env, CLOSE));
    within(s.info.restored_kw, 3468.5, 0.1);
    expect(s.info.cap_breached).toBe(true);
    expect(s.teamReward).toBeCloseTo(-((s.info.restored_kw - 2400) ** 2), 3);
    // The paper's own semantics: flags, a solve after every single operation, taps moving in between.
    const parity = new PaperParityEnv(env);
    const p0 = parity.reset(0);
    within(p0.info.restored_kw, 513.6, 0.1);
    const p1 = parity.step(actionsToPaperFlags(all(env, CLOSE)));
    within(p1.info.restored_kw, 3468.5, 0.1);
    // Taps are part of the state: they moved from the reset's to the all-closed circuit's.
    expect(p1.info.tap_positions).not.toEqual(p0.info.tap_positions);
  });

  it("ieee8500-10mg: 4.1 kW at reset, 10773.0 kW with every agent switch closed", () => {
    const env = createEnv("ieee8500-10mg", { violations: "never" });
    const r = env.reset(0);
    // The README gives 4.1 (two digits): agree to half its last digit.
    expect(Math.abs(r.info.restored_kw - 4.1)).toBeLessThanOrEqual(0.05);
    const s = env.step(all(env, CLOSE));
    within(s.info.restored_kw, 10773.0, 0.1);
    expect(s.info.nonconverged).toBe(false);
  });
});

describe("environment state on the power flow", () => {
  it("carries taps over from step to step and re-solves only when a switch changed", () => {
    const env = createEnv("ieee123-5mg");
    env.reset(0);
    const acts = all(env, NOOP);
    acts[0]![0] = CLOSE;
    const a = env.step(acts);
    const b = env.step(all(env, NOOP));
    expect(b.info.tap_positions).toEqual(a.info.tap_positions);
    expect(b.info.restored_kw).toBe(a.info.restored_kw);
    expect(b.teamReward).toBe(0);
    // Deterministic for a seed: a second run gives the same numbers.
    const again = createEnv("ieee123-5mg");
    again.reset(0);
    expect(again.step(acts).info.restored_kw).toBe(a.info.restored_kw);
  });

  it("the report's power flow commands reproduce its restored kW within 0.1 %", async () => {
    const env = createEnv("ieee123-5mg");
    const o = await findOptimum(env);
    const report = optimumReport(env, o);
    expect(report.restored_kw).toBeLessThanOrEqual(2400);
    expect(report.violations).toEqual([]);
    const { pf } = loadFeeder(env.bound.master, { commands: report.powerflow_commands });
    const kw = pf.loadPowers().reduce((t, l) => t + l.kW, 0);
    within(kw, report.restored_kw, 0.1);
  });
});

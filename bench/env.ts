// Restoration environment benchmark (sim-harness/env) and the results of the
// baselines per shipped scenario (sim-harness/baselines):
// - step time of one environment on the full power flow, paper mode on
//   ieee123-5mg and ieee8500-10mg (voltage/thermal violations, which paper mode
//   only reports, at resets and episode ends, or every step), physics mode on
//   ieee123-fault-lateral and ieee8500-fault-trunk; actions as a training run
//   early on makes them (each switch closes with p 0.1, opens with p 0.05);
//   the episode's reset is timed apart;
// - steps per second with 8 environments stepped together (RestorationVectorEnv);
// - the nominal-load fast mode: its step time and its gap to the power flow
//   (restored kW on the same action sequences);
// - optimum, greedy and random on every shipped scenario, checked by the power flow.
// BENCH_ENV_PARTS=steps,vector,nominal,scenarios selects parts (default all);
// BENCH_ENV_STEPS scales the number of steps (default 1).
import { runEpisode, summarise, type EpisodeResult } from "../sim-harness/baselines/evaluate.js";
import { findOptimum } from "../sim-harness/baselines/optimum.js";
import { GreedyPolicy, RandomPolicy } from "../sim-harness/baselines/policies.js";
import { createEnv, createVectorEnv, type CreateEnvOptions } from "../sim-harness/env/create.js";
import type { RestorationEnv } from "../sim-harness/env/env.js";
import { Rng } from "../sim-harness/scenarios/rng.js";
import { listScenarios } from "../sim-harness/scenarios/load.js";
import { median, percentile } from "./machine.js";
import type { BenchSuite } from "./suites.js";

const PARTS = new Set((process.env.BENCH_ENV_PARTS ?? "steps,vector,nominal,scenarios").split(","));
const SCALE = Number(process.env.BENCH_ENV_STEPS ?? 1);

/** OpenDSS's own re-solve after one switch on ieee8500-paper, and the paper's reported step time. */
const ANCHORS = { opendss8500ResolveMs: 14, paper8500StepMs: 35 };
const TARGETS: Record<string, number> = {
  "ieee123-5mg": 1,
  "ieee8500-10mg": 15,
  "ieee123-fault-lateral": 5,
  "ieee8500-fault-trunk": 20,
};

function trainingActions(env: RestorationEnv, rng: Rng): Int32Array[] {
  return env.agentSwitches.map((sw) =>
    Int32Array.from(sw, () => {
      const u = rng.next();
      return u < 0.1 ? 0 : u < 0.15 ? 1 : 2;
    }),
  );
}

interface StepTiming {
  steps: number[];
  resets: number[];
  kw: number[];
}

/** Step an environment for `n` steps with training-like actions, resetting when an episode ends. */
function drive(env: RestorationEnv, n: number, seed: number): StepTiming {
  const rng = new Rng(seed);
  const steps: number[] = [];
  const resets: number[] = [];
  const kw: number[] = [];
  let t0 = performance.now();
  env.reset(seed);
  resets.push(performance.now() - t0);
  let episode = 0;
  while (steps.length < n) {
    const a = trainingActions(env, rng);
    t0 = performance.now();
    const r = env.step(a);
    steps.push(performance.now() - t0);
    kw.push(r.info.restored_kw);
    if (r.done) {
      t0 = performance.now();
      env.reset(seed + ++episode);
      resets.push(performance.now() - t0);
    }
  }
  return { steps, resets, kw };
}

const f = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : "-");

async function stepTimes(): Promise<void> {
  console.log("\n### Step time, one environment (power flow)\n");
  console.log("| scenario | mode | violations computed | steps | step ms median | mean | p90 | reset ms median | target | anchor |");
  console.log("|---|---|---|---|---|---|---|---|---|---|");
  const cases: [string, CreateEnvOptions, number][] = [
    ["ieee123-5mg", {}, 600],
    ["ieee123-5mg", { violations: "every-step" }, 600],
    ["ieee8500-10mg", {}, 150],
    ["ieee8500-10mg", { violations: "every-step" }, 150],
    ["ieee123-fault-lateral", {}, 400],
    ["ieee8500-fault-trunk", {}, 120],
  ];
  for (const [name, options, n] of cases) {
    const env = createEnv(name, options);
    drive(env, 10, 99); // warm-up
    const t = drive(env, Math.round(n * SCALE), 1);
    const target = TARGETS[name]!;
    const med = median(t.steps);
    const anchor = name === "ieee8500-10mg" ? `OpenDSS re-solve ${ANCHORS.opendss8500ResolveMs} ms (ratio ${f(med / ANCHORS.opendss8500ResolveMs)}); paper < ${ANCHORS.paper8500StepMs} ms` : name === "ieee8500-fault-trunk" ? `paper < ${ANCHORS.paper8500StepMs} ms` : "-";
    console.log(
      `| ${name} | ${env.bound.scenario.mode} | ${options.violations === "every-step" || env.bound.scenario.mode === "physics" ? "every step" : "at reset and episode end"} | ${t.steps.length} | ${f(med, 3)} | ${f(t.steps.reduce((a, b) => a + b, 0) / t.steps.length, 3)} | ${f(percentile(t.steps, 90), 3)} | ${f(median(t.resets), 2)} | <= ${target} ms: ${med <= target ? "met" : "**missed**"} | ${anchor} |`,
    );
  }
}

async function vector(): Promise<void> {
  console.log("\n### Steps per second with 8 environments stepped together (power flow)\n");
  console.log("| scenario | envs | vector steps | env steps/s | ms per vector step (median) |");
  console.log("|---|---|---|---|---|");
  for (const [name, n, options] of [
    ["ieee123-5mg", 200, { violations: "never" }],
    ["ieee8500-10mg", 40, { violations: "never" }],
    ["ieee123-fault-lateral", 100, {}],
    ["ieee8500-fault-trunk", 30, {}],
  ] as [string, number, CreateEnvOptions][]) {
    const v = createVectorEnv(name, 8, { ...options, autoReset: true, baseSeed: 1 });
    v.reset();
    const rngs = v.envs.map((_, e) => new Rng(100 + e));
    const times: number[] = [];
    const steps = Math.round(n * SCALE);
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) {
      const acts = v.envs.map((env, e) => trainingActions(env, rngs[e]!));
      const s = performance.now();
      v.step(acts);
      times.push(performance.now() - s);
    }
    const wall = (performance.now() - t0) / 1000;
    console.log(`| ${name} | 8 | ${steps} | ${f((8 * steps) / wall, 0)} | ${f(median(times), 1)} |`);
  }
}

async function nominal(): Promise<void> {
  console.log("\n### Nominal-load fast mode: speed and gap to the power flow\n");
  console.log("| scenario | nominal step ms (median) | power flow step ms (median) | speed-up | restored kW gap, mean | max |");
  console.log("|---|---|---|---|---|---|");
  for (const [name, n] of [
    ["ieee123-5mg", 400],
    ["ieee8500-10mg", 100],
    ["ieee123-fault-lateral", 300],
    ["ieee8500-fault-trunk", 80],
  ] as [string, number][]) {
    const steps = Math.round(n * SCALE);
    const nom = drive(createEnv(name, { grid: "nominal" }), steps, 5);
    const pf = drive(createEnv(name, { violations: "never" }), steps, 5);
    const gaps = nom.kw.map((k, i) => Math.abs(k - pf.kw[i]!) / Math.max(1, pf.kw[i]!));
    console.log(
      `| ${name} | ${f(median(nom.steps), 4)} | ${f(median(pf.steps), 3)} | ${f(median(pf.steps) / median(nom.steps), 0)}x | ${f(100 * (gaps.reduce((a, b) => a + b, 0) / gaps.length), 2)} % | ${f(100 * Math.max(...gaps), 2)} % |`,
    );
  }
}

async function scenarios(): Promise<void> {
  console.log("\n### Optimum, greedy and random per shipped scenario (power flow)\n");
  console.log("Optimum: restored kW, % of cap, % of total load, weighted, MILP solves, solve time (ms, MILP + power flow checks).");
  console.log("Greedy: mean of 3 episodes (deterministic); random: mean of 20 episodes (seeds 0-19). Violations: episodes ending with one (cap breach included).\n");
  console.log("| scenario | mode | optimum kW | % cap | % load | weighted | solves | solve ms | greedy kW | greedy weighted (% opt) | greedy viol. | random kW | random weighted (% opt) | random viol. / cap breaches |");
  console.log("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const s of listScenarios()) {
    const env = createEnv(s.name);
    const o = await findOptimum(env);
    const opt = o.replay.final;
    const greedy: EpisodeResult[] = [];
    for (let e = 0; e < 3; e++) greedy.push(await runEpisode(env, new GreedyPolicy(), e));
    const random: EpisodeResult[] = [];
    for (let e = 0; e < 20; e++) random.push(await runEpisode(env, new RandomPolicy(), e));
    const g = summarise(greedy);
    const r = summarise(random);
    const cap = env.bound.scenario.limits.generation_cap_kw;
    const total = env.bound.sections.total_load_kw;
    console.log(
      `| ${s.name} | ${s.mode} | ${f(opt.restored_kw, 1)}${opt.violations.length ? ` (**${opt.violations.length} viol.**)` : ""} | ${cap ? f((100 * opt.restored_kw) / cap, 1) : "-"} | ${f((100 * opt.restored_kw) / total, 1)} | ${f(opt.weighted_restored, 0)} | ${o.iterations.length} | ${f(o.solveMs, 0)} | ${f(g.restored_kw_mean, 1)} | ${f(g.weighted_restored_mean, 0)} (${f((100 * g.weighted_restored_mean) / opt.weighted_restored, 1)} %) | ${g.episodes_with_violations} | ${f(r.restored_kw_mean, 1)} | ${f(r.weighted_restored_mean, 0)} (${f((100 * r.weighted_restored_mean) / opt.weighted_restored, 1)} %) | ${r.episodes_with_violations} / ${r.cap_breaches} |`,
    );
  }
}

export const envBench: BenchSuite = {
  name: "env",
  description: "restoration environment step time (paper/physics, 123/8500), 8 environments together, nominal fast mode and its gap, optimum/greedy/random per shipped scenario",
  async run() {
    if (PARTS.has("steps")) await stepTimes();
    if (PARTS.has("vector")) await vector();
    if (PARTS.has("nominal")) await nominal();
    if (PARTS.has("scenarios")) await scenarios();
  },
};

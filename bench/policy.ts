// Inference latency of the shipped policies: one decision (observation in,
// per-switch actions, logits and the best allowed operation out) through the
// policy runner and onnxruntime-node with one intra-op and one inter-op
// thread, as the edge agent runs it. Target: p99 <= 1 ms on ieee123-5mg.
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadPolicy } from "../shared/policy/runner.js";
import { median, percentile } from "./machine.js";
import type { BenchSuite } from "./suites.js";

const POLICIES = resolve(fileURLToPath(new URL("../policies", import.meta.url)));
const WARMUP = 500;
const SAMPLES = 5000;

export interface LatencyFigure {
  policy: string;
  agent: string;
  elements: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Time `SAMPLES` decisions per agent of one policy directory, with random switch states and a full mask. */
export async function policyLatency(dir: string): Promise<LatencyFigure[]> {
  const policy = await loadPolicy(dir, { intraOpThreads: 1, interOpThreads: 1 });
  const out: LatencyFigure[] = [];
  try {
    for (const actor of await policy.agents()) {
      const obs = new Float32Array(actor.observationSize);
      const mask = new Uint8Array(actor.elements.length * 3).fill(1);
      const times: number[] = [];
      for (let i = 0; i < WARMUP + SAMPLES; i++) {
        for (let k = 0; k < obs.length; k++) obs[k] = Math.random() < 0.5 ? 0 : 1;
        const t0 = performance.now();
        await actor.decide(obs, { mask });
        const dt = performance.now() - t0;
        if (i >= WARMUP) times.push(dt);
        actor.reset();
      }
      out.push({ policy: dir, agent: actor.id, elements: actor.elements.length, p50Ms: median(times), p99Ms: percentile(times, 99), maxMs: Math.max(...times) });
    }
  } finally {
    await policy.close();
  }
  return out;
}

export const policyBench: BenchSuite = {
  name: "policy",
  description: "Decision latency of each shipped policy through the runner (onnxruntime-node, 1 thread), p50/p99 per agent; target p99 <= 1 ms on ieee123-5mg",
  async run() {
    const dirs = existsSync(POLICIES) ? readdirSync(POLICIES).filter((d) => existsSync(join(POLICIES, d, "manifest.json"))) : [];
    if (dirs.length === 0) {
      console.log("no shipped policies in policies/");
      return;
    }
    console.log("| policy | agent | switches | p50 (ms) | p99 (ms) | max (ms) |");
    console.log("|---|---|---|---|---|---|");
    for (const d of dirs.sort()) {
      for (const f of await policyLatency(join(POLICIES, d))) {
        console.log(`| ${d} | ${f.agent} | ${f.elements} | ${f.p50Ms.toFixed(3)} | ${f.p99Ms.toFixed(3)} | ${f.maxMs.toFixed(3)} |`);
      }
    }
  },
};

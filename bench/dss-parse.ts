// DSS parser benchmark: time to compile a feeder master into the model (no
// solve, no line constants, no network), median of repeated runs after
// warm-up, beside OpenDSS-C's own compile time (compile_ms_median in the
// references' summary.json), which covers more: its objects, the master's
// calcvoltagebases and buscoords. Like with like is the power flow's load
// (bench/powerflow.ts).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { FEEDERS_DIR } from "../test/support/paths.js";
import { DssInterpreter } from "../sim-harness/dss/index.js";
import { median, percentile } from "./machine.js";
import type { BenchSuite } from "./suites.js";

const FEEDERS: { name: string; master: string; summary: string }[] = [
  { name: "ieee123", master: "ieee123/IEEE123Master.dss", summary: "ieee123/reference/summary.json" },
  { name: "ieee8500", master: "ieee8500/Master.dss", summary: "ieee8500/reference/Master/summary.json" },
  { name: "ieee8500-paper", master: "ieee8500-paper/Master.dss", summary: "ieee8500-paper/reference/summary.json" },
  { name: "ckt7 (8760-point load shapes, kept unparsed)", master: "ckt7/Master_ckt7.dss", summary: "ckt7/reference/summary.json" },
  { name: "ckt24", master: "ckt24/master_ckt24.dss", summary: "" },
];

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const WARMUP = 5;

/** Wall time and process CPU time (user + system, all threads) of one compile, ms. */
function parseOnce(master: string): { wall: number; cpu: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const dss = new DssInterpreter();
  dss.compile(master);
  dss.validate();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1000 };
}

export const dssParse: BenchSuite = {
  name: "dss-parse",
  description: `compile feeder masters into the model (no solve), median of ${RUNS} runs after at least ${WARMUP} warm-up runs and 1 s`,
  async run() {
    if (!existsSync(FEEDERS_DIR)) {
      console.log(`skipped: ${FEEDERS_DIR} not found`);
      return;
    }
    // On a shared machine the wall-clock median mostly measures the other
    // processes; the minimum and the CPU-time median show the parser's own cost.
    console.log("| feeder | median ms | p90 ms | min ms | CPU median ms | OpenDSS compile_ms_median | ratio (median/OpenDSS) |");
    console.log("|---|---|---|---|---|---|---|");
    for (const f of FEEDERS) {
      const master = join(FEEDERS_DIR, f.master);
      // Warm-up: at least WARMUP runs and one second (the JavaScript engine optimizes code that has run a while).
      for (let i = 0, w0 = performance.now(); i < WARMUP || performance.now() - w0 < 1000; i++) parseOnce(master);
      const times: number[] = [];
      const cpu: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const r = parseOnce(master);
        times.push(r.wall);
        cpu.push(r.cpu);
      }
      const med = median(times);
      let anchor = "n/a";
      let ratio = "n/a";
      const summary = f.summary ? join(FEEDERS_DIR, f.summary) : "";
      if (summary && existsSync(summary)) {
        const s = JSON.parse(readFileSync(summary, "utf8")) as { compile_ms_median?: number };
        if (s.compile_ms_median) {
          anchor = s.compile_ms_median.toFixed(1);
          ratio = (med / s.compile_ms_median).toFixed(2);
        }
      }
      const min = Math.min(...times);
      console.log(`| ${f.name} | ${med.toFixed(1)} | ${percentile(times, 90).toFixed(1)} | ${min.toFixed(1)} | ${median(cpu).toFixed(1)} | ${anchor} | ${ratio} |`);
    }
  },
};

// The bench itself as a benchmark (docs/bench.md): whole restorations with one
// agent process per microgrid, the broker in its own process, lockstep.
// - ieee8500-10mg (100 simulated reclosers, ten agents) and ieee123-5mg:
//   wall time, simulated instants, per-agent CPU seconds and peak resident
//   memory (from /proc, over the agent's lives), broker CPU and memory, bus
//   messages per second, served load against the target;
// - the fault suite: every shipped fault scenario (sim-harness/bench/faults),
//   with its result and figures; network scenarios need root, packet loss the
//   kernel's netem (skipped with the reason otherwise);
// - a physics scenario (ieee123-voltage by default: islands against their units).
// BENCH_BENCH_PARTS=ieee8500,ieee123,faults,physics selects parts (default all);
// BENCH_BENCH_PHYSICS names the physics scenario. Reports go to reports/bench-suite/.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { loadBenchFaults } from "../sim-harness/bench/fault-file.js";
import { shippedFaults } from "../sim-harness/bench/faults/index.js";
import { netnsAvailable } from "../sim-harness/bench/netns.js";
import { runBench, type BenchOptions } from "../sim-harness/bench/run.js";
import type { BenchSummary } from "../sim-harness/bench/summary.js";
import type { BenchSuite } from "./suites.js";

const PARTS = new Set((process.env.BENCH_BENCH_PARTS ?? "ieee8500,ieee123,faults,physics").split(","));
const PHYSICS = process.env.BENCH_BENCH_PHYSICS ?? "ieee123-voltage";
const OUT = resolve("reports", "bench-suite");
const SHARED = resolve(import.meta.dirname, "../../shared");

/** OpenDSS-C's own snapshot solve of the feeder (the references' summary.json), for scale. */
function opendssSolveMs(feeder: string): number | undefined {
  try {
    return (JSON.parse(readFileSync(join(SHARED, "feeders", feeder, "reference", "summary.json"), "utf8")) as { solve_ms_median?: number }).solve_ms_median;
  } catch {
    return undefined;
  }
}

const f1 = (x: number) => x.toFixed(1);

function row(label: string, s: BenchSummary): string {
  const agents = Object.values(s.agents);
  const cpu = agents.map((a) => a.cpu_s);
  const rss = agents.map((a) => a.peak_rss_mb);
  const failed = s.checks.filter((c) => !c.ok && c.severity === "fail").map((c) => c.name);
  const served = s.pct_of_cap !== null ? `${f1(s.restored_kw)} kW (${f1(s.pct_of_cap)} % of cap)` : `${f1(s.restored_kw)} kW (${s.pct_of_optimum !== null ? `${f1(s.pct_of_optimum)} % of opt.` : "-"})`;
  return `| ${label} | ${s.passed ? "pass" : `FAIL: ${failed.join("; ")}`} | ${served} | ${f1(s.peak_restored_kw)} | ${s.cap_breaches} | ${f1(s.wall_s)} | ${s.ticks} | ${s.instants} | ${f1(cpu.reduce((a, b) => a + b, 0) / cpu.length)} / ${f1(Math.max(...cpu))} | ${f1(Math.max(...rss))} | ${f1(s.bus.broker.cpu_s)} / ${f1(s.bus.broker.peak_rss_mb)} | ${s.bus.messages_per_s} |`;
}

const HEADER = [
  "| run | result | served at the end | peak kW | instants above cap | wall s | ticks | solved instants | agent CPU s mean / max | agent peak RSS MB max | broker CPU s / peak RSS MB | bus msg/s |",
  "|---|---|---|---|---|---|---|---|---|---|---|---|",
];

async function one(label: string, o: BenchOptions): Promise<void> {
  const dir = join(OUT, label.replace(/[^a-z0-9-]+/gi, "-"));
  process.stderr.write(`bench suite: ${label}\n`);
  try {
    const r = await runBench({ ...o, reportDir: dir, log: (l) => process.stderr.write(`  ${l}\n`) });
    console.log(row(label, r.summary));
  } catch (e) {
    console.log(`| ${label} | ERROR: ${(e as Error).message.split("\n")[0]} | | | | | | | | | | |`);
  }
}

export const benchFleet: BenchSuite = {
  name: "bench",
  description: "whole restorations, one agent process per microgrid (lockstep): ieee8500-10mg, ieee123-5mg, the fault suite, a physics scenario",
  async run() {
    const ref = opendssSolveMs("ieee8500-paper");
    console.log(`anchor: OpenDSS-C solves ieee8500-paper once in ${ref?.toFixed(0) ?? "?"} ms (references' summary.json); each bench instant is one solve of the plant plus the meter's`);
    for (const h of HEADER) console.log(h);
    if (PARTS.has("ieee8500")) await one("ieee8500-10mg", { scenario: "ieee8500-10mg", clock: "lockstep" });
    if (PARTS.has("ieee123")) await one("ieee123-5mg", { scenario: "ieee123-5mg", clock: "lockstep" });
    if (PARTS.has("faults")) {
      const netns = netnsAvailable();
      for (const f of shippedFaults()) {
        const doc = loadBenchFaults(f.file);
        if (doc.network && !netns) console.log(`| fault ${f.name} | skipped: needs network namespaces (root) | | | | | | | | | | |`);
        else await one(`fault ${f.name}`, { faults: f.file });
      }
    }
    if (PARTS.has("physics")) await one(PHYSICS, { scenario: PHYSICS, clock: "lockstep" });
  },
};

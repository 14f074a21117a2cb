// `npm run bench -- cli`: start-up cost of the command line, wall time and
// peak resident memory of whole processes: `blackstart --help`, `blackstart
// journal info <db>`, `blackstart agent --help`, and the field entry
// `agent/bin.ts --help`; beside them, Node alone and Node with tsx's loader
// (the floor every command pays). Each command loads its implementation
// inside its action (cli/commands/index.ts), so these stay near the floor.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Journal } from "../agent/journal/index.js";
import { median } from "./machine.js";
import type { BenchSuite } from "./suites.js";

const ROOT = resolve(fileURLToPath(import.meta.url), "../..");
const RUNS = Number(process.env.CLI_BENCH_RUNS ?? 7);
// Loaded first into the measured process: it reports its own peak RSS (kB) when it exits.
const PEAK = `data:text/javascript,process.on("exit",()=>process.stderr.write("PEAK_RSS_KB "+process.resourceUsage().maxRSS+"\\n"))`;

function measure(args: string[]): { ms: number; rssMb: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ["--import", PEAK, ...args], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
  const ms = performance.now() - t0;
  const m = /PEAK_RSS_KB (\d+)/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`${args.join(" ")} failed (exit ${r.status}): ${r.stderr.slice(-500)}`);
  return { ms, rssMb: Number(m[1]) / 1024 };
}

export const cliSuite: BenchSuite = {
  name: "cli",
  description: "command line start-up: wall time and peak RSS of blackstart --help, journal info, agent --help, agent/bin.ts --help",
  async run() {
    const dir = mkdtempSync(join(tmpdir(), "bench-cli-"));
    try {
      const db = join(dir, "mg1.db");
      const j = Journal.open(db, { microgrid: "mg1", scenario: "ieee123-5mg" });
      j.alarm("bench", { note: "one row" });
      j.close();
      const cases: [string, string[]][] = [
        ["node alone", ["-e", "0"]],
        ["node + tsx loader", ["--import", "tsx", "-e", "0"]],
        ["blackstart --help", ["bin/blackstart.mjs", "--help"]],
        ["blackstart journal info <db>", ["bin/blackstart.mjs", "journal", "info", db]],
        ["blackstart agent --help", ["bin/blackstart.mjs", "agent", "--help"]],
        ["agent/bin.ts --help (field entry)", ["bin/run-ts.mjs", "agent/bin.ts", "--help"]],
      ];
      measure(cases[2]![1]); // warm tsx's compile cache
      console.log(`| command | wall ms (median of ${RUNS}) | peak RSS MB (median) | wall ms min..max |`);
      console.log("|---|---|---|---|");
      for (const [name, args] of cases) {
        const runs = Array.from({ length: RUNS }, () => measure(args));
        const ms = runs.map((r) => r.ms);
        console.log(`| ${name} | ${median(ms).toFixed(0)} | ${median(runs.map((r) => r.rssMb)).toFixed(1)} | ${Math.min(...ms).toFixed(0)}..${Math.max(...ms).toFixed(0)} |`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

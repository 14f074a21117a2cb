// `blackstart start` (what `npm start` runs): until the bench exists, a real
// job — the IEEE 123-bus power flow from the feeder files shipped in
// sim-harness/feeders — with its summary and violations.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { loadFeeder } from "../../sim-harness/powerflow/opendss/feeder.js";
import { summaryJson, summaryText } from "../../sim-harness/powerflow/summary.js";

const MASTER = join(dirname(fileURLToPath(import.meta.url)), "../../sim-harness/feeders/ieee123/IEEE123Master.dss");

export function register(program: Command): void {
  program
    .command("start")
    .description("Run the main job on the embedded defaults (for now: the IEEE 123-bus power flow)")
    .action(() => {
      process.stderr.write("blackstart: solving the IEEE 123-bus feeder (sim-harness/feeders/ieee123)...\n");
      const feeder = loadFeeder(MASTER, { solve: true });
      const solve = feeder.result!;
      const json = summaryJson(feeder.pf, solve, feeder.parseMs, solve.solveMs);
      process.stdout.write(summaryText(json, "IEEE 123-bus feeder", feeder.pf.islands()) + "\n");
      if (!solve.converged) process.exitCode = 1;
    });
}

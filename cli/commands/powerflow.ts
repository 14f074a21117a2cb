// `blackstart powerflow <master.dss> [--command "<dss command>"]... [--out <dir>] [--json]`:
// compile an OpenDSS master (a solve inside it runs as written), apply each
// --command, solve once more, and report. See docs/powerflow.md.
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";

export function register(program: Command): void {
  program
    .command("powerflow")
    .description("Solve an OpenDSS feeder with blackstart's power flow and report voltages, power, losses, taps and violations")
    .argument("<master>", "OpenDSS master script (e.g. IEEE123Master.dss)")
    .option("-c, --command <dss>", "OpenDSS command applied after compile, before the final solve (repeatable)", collect, [] as string[])
    .option("-o, --out <dir>", "write voltages.csv (reference format) and summary.json into this folder")
    .option("--json", "print one JSON object instead of the readable summary")
    .action(async (master: string, opts: { command: string[]; out?: string; json?: boolean }) => {
      // The power flow loads only when this command runs.
      const [{ loadFeeder }, { summaryJson, summaryText, voltageRange, voltagesCsv }] = await Promise.all([
        import("../../sim-harness/powerflow/opendss/feeder.js"),
        import("../../sim-harness/powerflow/summary.js"),
      ]);
      const feeder = loadFeeder(resolve(master), { commands: opts.command, solve: true });
      const solve = feeder.result!;
      const json = summaryJson(feeder.pf, solve, feeder.parseMs, solve.solveMs);
      if (opts.out) {
        mkdirSync(opts.out, { recursive: true });
        writeFileSync(join(opts.out, "voltages.csv"), voltagesCsv(feeder.pf));
        writeFileSync(join(opts.out, "summary.json"), JSON.stringify(json, null, 1) + "\n");
      }
      if (opts.json) process.stdout.write(JSON.stringify(json) + "\n");
      else process.stdout.write(summaryText(json, `${master}`, feeder.pf.islands(), voltageRange(feeder.pf)) + "\n");
      if (!solve.converged) process.exitCode = 1;
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

// `blackstart bench --scenario <name> [--clock lockstep|realtime] [--faults <file>] [--report dir] [--json]`:
// the scenario's simulated devices, a broker and one agent process per
// microgrid, a restoration, live progress, then an HTML report and a JSON
// summary. Exit code 0 only if the target was met and every check passed.
// See docs/bench.md.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { BlackstartError, Errors } from "../../shared/errors.js";
import { FAULTS_DIR } from "../../sim-harness/bench/faults/index.js";
import type { BenchResult } from "../../sim-harness/bench/run.js";
import type { BenchSummary } from "../../sim-harness/bench/summary.js";
// The bench (simulators, power flow, broker) loads inside the action: `blackstart --help` stays light.

interface BenchCliOptions {
  scenario?: string;
  clock?: string;
  faults?: string;
  report?: string;
  json?: boolean;
  policy?: string;
  plant: string;
  period: string;
  ticks?: string;
  target: string;
  optimum: boolean;
  broker: string;
}

function int(v: string, flag: string, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new BlackstartError(Errors.INVALID_DOCUMENT, `${flag} must be an integer >= ${min}, got '${v}'`, { field: flag });
  return n;
}

/** A fault file path, or the name of one shipped in sim-harness/bench/faults. */
export function faultFile(arg: string): string {
  if (existsSync(arg)) return arg;
  const shipped = join(FAULTS_DIR, arg.endsWith(".yaml") ? arg : `${arg}.yaml`);
  if (existsSync(shipped)) return shipped;
  throw new BlackstartError(Errors.FILE_NOT_FOUND, `no fault file '${arg}' (a path, or a name in sim-harness/bench/faults)`, { field: "--faults" });
}

export function summaryLines(s: BenchSummary, r: BenchResult): string[] {
  const lines = [
    `bench ${s.scenario} (${s.mode} mode, ${s.clock}${s.faults ? `, fault ${s.faults.name}` : ""}): ${s.passed ? "TARGET MET" : "FAILED"}`,
    `  policy          ${s.policy}`,
    `  served          ${s.restored_kw.toFixed(1)} kW${s.pct_of_cap !== null ? ` = ${s.pct_of_cap.toFixed(2)} % of the ${s.cap_kw} kW cap` : ""}${s.pct_of_optimum !== null ? `, ${s.pct_of_optimum.toFixed(2)} % of the optimum (${s.optimum_kw?.toFixed(1)} kW)` : ""}`,
    `  peak            ${s.peak_restored_kw.toFixed(1)} kW over ${s.instants} solved instants; above the cap: ${s.cap_breaches}`,
    `  ran             ${s.ticks} ticks, ${s.wall_s.toFixed(1)} s wall; bus ${s.bus.messages} messages (${s.bus.messages_per_s}/s)`,
    ...s.checks.map((c) => `  ${c.ok ? "pass" : c.severity === "info" ? "note" : "FAIL"}  ${c.name}: ${c.detail}`),
    `report: ${r.reportFile}`,
    `summary: ${r.summaryFile}`,
  ];
  return lines;
}

/** Run the bench as the CLI does: progress on stderr, the summary (text or JSON) on stdout, exit code 0 only if the target was met. */
export async function benchAction(o: BenchCliOptions): Promise<void> {
  if (o.clock !== undefined && o.clock !== "lockstep" && o.clock !== "realtime") throw new BlackstartError(Errors.INVALID_DOCUMENT, `--clock must be lockstep or realtime, got '${o.clock}'`, { field: "--clock" });
  if (o.broker !== "embedded" && o.broker !== "mosquitto") throw new BlackstartError(Errors.INVALID_DOCUMENT, `--broker must be embedded or mosquitto, got '${o.broker}'`, { field: "--broker" });
  if (!["auto", "powerflow", "nominal"].includes(o.plant)) throw new BlackstartError(Errors.INVALID_DOCUMENT, `--plant must be auto, powerflow or nominal, got '${o.plant}'`, { field: "--plant" });
  const target = Number(o.target);
  if (!(target > 0 && target <= 100)) throw new BlackstartError(Errors.INVALID_DOCUMENT, `--target must be a percentage in (0, 100], got '${o.target}'`, { field: "--target" });
  const [{ runBench }, { stderrProgress }] = await Promise.all([import("../../sim-harness/bench/run.js"), import("../../sim-harness/bench/progress.js")]);
  const ac = new AbortController();
  const onSignal = () => ac.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const progress = stderrProgress();
  try {
    const r = await runBench({
      ...(o.scenario ? { scenario: o.scenario } : {}),
      ...(o.clock ? { clock: o.clock as "lockstep" | "realtime" } : {}),
      ...(o.faults ? { faults: faultFile(o.faults) } : {}),
      ...(o.report ? { reportDir: o.report } : {}),
      ...(o.policy ? { policy: o.policy } : {}),
      plant: o.plant as "auto" | "powerflow" | "nominal",
      broker: o.broker,
      periodMs: int(o.period, "--period", 100),
      ...(o.ticks ? { maxTicks: int(o.ticks, "--ticks", 1) } : {}),
      targetPct: target,
      optimum: o.optimum,
      progress,
      log: (l) => process.stderr.write(`${l}\n`),
      signal: ac.signal,
    });
    progress.done();
    if (o.json) {
      process.stdout.write(`${JSON.stringify(r.summary)}\n`);
      process.stderr.write(`report: ${r.reportFile}\n`);
    } else process.stdout.write(`${summaryLines(r.summary, r).join("\n")}\n`);
    process.exitCode = r.passed ? 0 : 1;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** The bench's options on a command (bench, and start with other defaults). */
export function benchOptions(cmd: Command, defaults: { scenario?: string } = {}): Command {
  return cmd
    .option("-s, --scenario <name>", `shipped scenario name or scenario file (default: ${defaults.scenario ?? "the fault file's, else ieee123-5mg"})`, defaults.scenario)
    .option("--clock <mode>", "lockstep (reproducible, as fast as the parts run; the default) or realtime (default: the fault file's)")
    .option("--faults <file>", "bench fault file, or the name of one in sim-harness/bench/faults (docs/bench.md)")
    .option("--report <dir>", "folder for report.html, summary.json, site files, journals and logs (default: reports/bench/<scenario>-<time>)")
    .option("--json", "print the JSON summary on stdout")
    .option("--policy <dir>", "policy directory (default: the one shipped for the scenario, else the plan made from the optimum)")
    .option("--broker <kind>", "embedded (aedes, plain MQTT on this host) or mosquitto (Debian's, with deploy/mosquitto's TLS, passwords and per-microgrid ACL)", "embedded")
    .option("--plant <kind>", "auto (power flow if the feeder compiles, else nominal), powerflow or nominal", "auto")
    .option("--period <ms>", "simulated ms per tick (lockstep) or the agents' poll period (realtime)", "1000")
    .option("--ticks <n>", "ticks to run at most (default: the episode, longer with faults)")
    .option("--target <pct>", "served load to reach, % of the cap (paper) or of the optimum (physics)", "95")
    .option("--no-optimum", "do not compute the optimum (pct_of_optimum stays null) when a policy is given or shipped");
}

export function register(program: Command): void {
  benchOptions(
    program
      .command("bench")
      .description("Run a scenario end to end: simulated devices, a broker and one agent process per microgrid; report and exit 0 only if the target was met (docs/bench.md)"),
  ).action((o: BenchCliOptions) => benchAction(o));
}

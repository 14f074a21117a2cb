// `blackstart replay <journal.db>... [--policy dir] [--report dir] [--json]`:
// re-run every journaled decision of a run through the policy and the shield,
// report the divergences, re-simulate the feeder from the journaled commands,
// write the HTML report. Exit code 0 only with zero divergences. See docs/replay.md.
import type { Command } from "commander";
import { BlackstartError, Errors } from "../../shared/errors.js";

export function register(program: Command): void {
  program
    .command("replay")
    .description("Re-run a run's journaled decisions through the policy and the shield, report divergences, re-simulate the feeder, write the report (docs/replay.md)")
    .argument("<journals...>", "the journal of each agent of the run (.db files; copies from another machine and older schema versions are fine)")
    .option("--policy <dir>", "policy directory the agents ran (default: the one their site files name, if still there)")
    .option("--scenario <name>", "scenario name or file (default: the journals' own)")
    .option("--report <dir>", "folder for report.html and replay.json (default: reports/replay/<scenario>-<time>)")
    .option("--plant <kind>", "re-simulate on auto (power flow if the feeder compiles, else nominal), powerflow or nominal", "auto")
    .option("--json", "print the JSON summary on stdout")
    .action(async (journals: string[], o: { policy?: string; scenario?: string; report?: string; plant: string; json?: boolean }) => {
      if (!["auto", "powerflow", "nominal"].includes(o.plant)) throw new BlackstartError(Errors.INVALID_DOCUMENT, `--plant must be auto, powerflow or nominal, got '${o.plant}'`, { field: "--plant" });
      const { runReplay } = await import("../../sim-harness/replay/run.js");
      const r = await runReplay({
        journals,
        ...(o.policy ? { policy: o.policy } : {}),
        ...(o.scenario ? { scenario: o.scenario } : {}),
        ...(o.report ? { reportDir: o.report } : {}),
        plant: o.plant as "auto" | "powerflow" | "nominal",
        log: (l) => process.stderr.write(`${l}\n`),
      });
      const s = r.summary;
      if (o.json) process.stdout.write(`${JSON.stringify(s)}\n`);
      else {
        const lines = [
          `replay of ${s.journals.length} journal(s) of ${s.scenario}: ${s.divergences.length === 0 ? "no divergence" : `${s.divergences.length} DIVERGENCE(S)`}`,
          `  policy          ${s.policy}`,
          `  decisions       ${s.decisions} re-run; logit noise below ${s.noise.threshold} in ${s.noise.decisions} (max ${s.noise.max_gap.toExponential(2)})`,
          ...s.divergences.map((d) => `  DIVERGENCE      ${d.microgrid} ${d.decision} (tick ${d.tick}): ${d.kinds.join(", ")}: ${d.details.join("; ")}`),
          `  re-simulated    ${s.resimulation.commands_applied} confirmed command(s) applied: ${s.resimulation.restored_kw.toFixed(1)} kW served at the end, peak ${s.resimulation.peak_restored_kw.toFixed(1)} kW${s.resimulation.cap_kw !== null ? `, ${s.resimulation.cap_breaches} instant(s) above the ${s.resimulation.cap_kw} kW cap` : ""}`,
          ...s.checks.map((c) => `  ${c.ok ? "pass" : c.severity === "info" ? "note" : "FAIL"}  ${c.name}: ${c.detail}`),
          `report: ${r.reportFile}`,
        ];
        process.stdout.write(`${lines.join("\n")}\n`);
      }
      if (o.json) process.stderr.write(`report: ${r.reportFile}\n`);
      process.exitCode = s.passed ? 0 : 1;
    });
}

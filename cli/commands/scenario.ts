// `blackstart scenario list|sections|optimum|eval`: the restoration scenarios,
// their section graphs, their exact optimum and how a policy does against it.
// Human output is a table; `--json` prints one object (docs/scenario.md).
import { existsSync, statSync } from "node:fs";
import type { Command } from "commander";
import type { SingleBar } from "cli-progress";
import { BlackstartError, Errors } from "../../shared/errors.js";
import type { EpisodeResult } from "../../sim-harness/baselines/evaluate.js";
import type { EnvPolicy, SequencePolicy } from "../../sim-harness/baselines/policies.js";
import type { ScenarioReport } from "../../sim-harness/baselines/report.js";
import type { GridKind } from "../../sim-harness/env/create.js";
import type { RestorationEnv } from "../../sim-harness/env/env.js";
// The environment, the power flow and the MILP load inside the actions: `blackstart --help` stays light.
const baselines = async () => {
  const [evaluate, optimum, policies, report, create, bind] = await Promise.all([
    import("../../sim-harness/baselines/evaluate.js"),
    import("../../sim-harness/baselines/optimum.js"),
    import("../../sim-harness/baselines/policies.js"),
    import("../../sim-harness/baselines/report.js"),
    import("../../sim-harness/env/create.js"),
    import("../../sim-harness/scenarios/bind.js"),
  ]);
  return { ...evaluate, ...optimum, ...policies, ...report, ...create, ...bind };
};

function gridOf(value: string | undefined): GridKind {
  if (value === undefined || value === "powerflow" || value === "nominal") return value ?? "powerflow";
  throw new BlackstartError(Errors.INVALID_DOCUMENT, `--grid must be 'powerflow' or 'nominal', not '${value}'`, { field: "--grid" });
}

function intOf(value: string | undefined, flag: string, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new BlackstartError(Errors.INVALID_DOCUMENT, `${flag} must be an integer >= ${min}, not '${value}'`, { field: flag });
  return n;
}

function table(rows: (string | number)[][], header: string[]): string {
  const all = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, c) => Math.max(...all.map((r) => String(r[c] ?? "").length)));
  const fmt = (r: (string | number)[]) => r.map((v, c) => (typeof v === "number" ? String(v).padStart(widths[c]!) : String(v).padEnd(widths[c]!))).join("  ");
  return [fmt(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(fmt)].join("\n");
}

const num = (x: number | null, d = 1) => (x === null ? "-" : x.toFixed(d));

function summaryLines(r: ScenarioReport): string[] {
  return [
    `scenario ${r.scenario} (${r.mode} mode), policy ${r.policy}, kW from the ${r.grid === "powerflow" ? "power flow" : "nominal loads"}`,
    `  restored           ${num(r.restored_kw)} kW   (${num(r.pct_of_cap)} % of the ${r.cap_kw ?? "-"} kW cap, ${num(r.pct_of_total_load)} % of ${num(r.total_load_kw)} kW load)`,
    `  weighted restored  ${num(r.weighted_restored)}${r.pct_of_optimum_weighted !== null ? `   (${num(r.pct_of_optimum_weighted)} % of the optimum's)` : ""}`,
    `  cap breaches       ${r.cap_breaches}`,
    `  violations         ${r.violations.length}${r.violations.length ? `: ${r.violations.slice(0, 5).map((v) => `${v.kind} ${v.element} ${v.value} (limit ${v.limit})`).join("; ")}${r.violations.length > 5 ? "; ..." : ""}` : ""}`,
    `  step time          ${r.step_ms_mean.toFixed(3)} ms mean`,
    `  taps               ${Object.entries(r.tap_positions).map(([k, v]) => `${k}=${v}`).join(" ") || "-"}`,
  ];
}

function sequenceLines(r: ScenarioReport): string[] {
  if (r.sequence.length === 0) return ["  sequence           (no operation)"];
  return ["  sequence:", ...r.sequence.map((s) => `    step ${String(s.step).padStart(2)}: ${s.operations.map((o) => `${o.agent} ${o.action} ${o.element}`).join(", ")}`)];
}

async function policyFor(name: string, env: RestorationEnv, optimumSteps?: () => Promise<{ steps: SequencePolicy }>): Promise<EnvPolicy> {
  const { DirectoryPolicy, GreedyPolicy, RandomPolicy } = await import("../../sim-harness/baselines/policies.js");
  if (name === "greedy") return new GreedyPolicy();
  if (name === "random") return new RandomPolicy();
  if (name === "optimum") return (await optimumSteps!()).steps;
  if (existsSync(name) && statSync(name).isDirectory()) return DirectoryPolicy.open(name, env);
  throw new BlackstartError(Errors.UNKNOWN_NAME, `unknown policy '${name}': greedy, random, optimum, or a policy directory`, { field: "--policy" });
}

async function progressBar(total: number, label: string): Promise<SingleBar | undefined> {
  if (!process.stderr.isTTY) return undefined;
  const { SingleBar } = await import("cli-progress");
  const bar = new SingleBar({ format: `${label} [{bar}] {value}/{total} episodes`, stream: process.stderr, hideCursor: true });
  bar.start(total, 0);
  return bar;
}

export function register(program: Command): void {
  const scenario = program.command("scenario").description("Restoration scenarios: list them, print a section graph, find the optimum, evaluate a policy.");

  scenario
    .command("list")
    .description("The shipped scenarios.")
    .option("--json", "print JSON")
    .action(async (o: { json?: boolean }) => {
      const { listScenarios } = await import("../../sim-harness/scenarios/load.js");
      const all = listScenarios();
      if (o.json) {
        process.stdout.write(`${JSON.stringify(all.map(({ file: _f, ...rest }) => rest), null, 2)}\n`);
        return;
      }
      process.stdout.write(`${table(all.map((s) => [s.name, s.mode, s.microgrids, s.switches, s.description.split("\n")[0]!.slice(0, 80)]), ["name", "mode", "agents", "switches", "description"])}\n`);
    });

  scenario
    .command("sections <scenario>")
    .description("The section graph the agent's shield uses (sections between switches, their loads and sources).")
    .option("--json", "print the section graph (shared/scenario/sections.ts) as JSON")
    .action(async (name: string, o: { json?: boolean }) => {
      const { bindScenarioFile } = await import("../../sim-harness/scenarios/bind.js");
      const bound = bindScenarioFile(name);
      const g = bound.sections;
      if (o.json) {
        process.stdout.write(`${JSON.stringify(g, null, 2)}\n`);
        return;
      }
      const lines = [
        `section graph of ${g.scenario} (${g.mode}): ${g.sections.length} sections, ${g.switches.length} switches, ${g.total_load_kw.toFixed(1)} kW of load${g.cap_kw ? `, cap ${g.cap_kw} kW` : ""}`,
        "",
        table(
          g.sections.map((s) => [s.id, s.load_kw.toFixed(1), s.weighted_kw.toFixed(1), s.loads.length, s.buses.length, s.sources.map((x) => `${x.id}${x.grid_forming ? "*" : ""}`).join(" ") || "-", s.microgrid ?? "-", s.faulted ? "FAULTED" : ""]),
          ["section", "kW", "weighted", "loads", "buses", "sources (* forms)", "microgrid", ""],
        ),
        "",
        table(
          g.switches.map((s) => [s.element, s.microgrid ?? "-", s.sections[0], s.sections[1], s.initial, s.locked_open ? "locked open" : ""]),
          ["switch", "microgrid", "term 1", "term 2", "at reset", ""],
        ),
      ];
      process.stdout.write(`${lines.join("\n")}\n`);
    });

  scenario
    .command("optimum <scenario>")
    .description("The exact optimum (MILP with HiGHS, checked by the power flow) and a switching sequence that reaches it.")
    .option("--json", "print JSON")
    .option("--grid <kind>", "powerflow (default) or nominal")
    .option("--plan <file>", "also write the sequence as a plan document (shared/policy/plan.ts)")
    .action(async (name: string, o: { json?: boolean; grid?: string; plan?: string }) => {
      const { bindScenarioFile, createEnvFromBound, findOptimum, optimumReport } = await baselines();
      const bound = bindScenarioFile(name);
      const env = createEnvFromBound(bound, { grid: gridOf(o.grid) });
      const r = await findOptimum(env, { progress: (l) => process.stderr.write(`${l}\n`) });
      const report = optimumReport(env, r);
      if (o.plan) {
        const { writeFileSync } = await import("node:fs");
        writeFileSync(o.plan, `${JSON.stringify(report.plan, null, 2)}\n`);
      }
      if (o.json) {
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        return;
      }
      const lines = [
        ...summaryLines(report),
        `  solve              ${report.solve_ms.toFixed(0)} ms (MILP ${report.milp_ms.toFixed(0)} ms, ${report.milp.solves} solve(s), ${report.milp.binaries} binaries); MILP estimate ${report.milp.estimated_kw.toFixed(1)} kW, power flow check ${report.check_kw.toFixed(1)} kW`,
        `  sequence fits      ${report.fits_episode ? "yes" : "NO"} (${report.sequence.length} step(s) of ${env.episodeLength}); breaches on the way: ${report.breaches_on_the_way}`,
        ...sequenceLines(report),
      ];
      process.stdout.write(`${lines.join("\n")}\n`);
    });

  scenario
    .command("eval <scenario>")
    .description("Run a policy for whole episodes and compare it with the optimum.")
    .requiredOption("--policy <policy>", "greedy | random | optimum | path to a policy directory")
    .option("--episodes <n>", "episodes (default 10)")
    .option("--seed <s>", "seed of the first episode (default 0)")
    .option("--grid <kind>", "powerflow (default) or nominal")
    .option("--no-optimum", "do not compute the optimum for pct_of_optimum")
    .option("--json", "print JSON")
    .action(async (name: string, o: { policy: string; episodes?: string; seed?: string; grid?: string; optimum: boolean; json?: boolean }) => {
      const episodes = intOf(o.episodes, "--episodes", 10, 1);
      const seed = intOf(o.seed, "--seed", 0);
      const { bindScenarioFile, createEnvFromBound, findOptimum, evalReport, runEpisode, SequencePolicy, DirectoryPolicy } = await baselines();
      const bound = bindScenarioFile(name);
      const grid = gridOf(o.grid);
      // A directory policy decides the observation kind; build the env accordingly.
      let env = createEnvFromBound(bound, { grid });
      let optimum: Awaited<ReturnType<typeof findOptimum>> | undefined;
      const getOptimum = async () => (optimum ??= await findOptimum(env, { progress: (l) => process.stderr.write(`${l}\n`) }));
      const policy = await policyFor(o.policy, env, async () => ({ steps: new SequencePolicy((await getOptimum()).sequence) }));
      if (policy.observation !== env.observation) env = createEnvFromBound(bound, { grid, observation: policy.observation });
      if (policy instanceof DirectoryPolicy) policy.bind(env);
      const opt = o.optimum ? await getOptimum() : undefined;
      const bar = await progressBar(episodes, `eval ${policy.name}`);
      const results: EpisodeResult[] = [];
      try {
        for (let e = 0; e < episodes; e++) {
          results.push(await runEpisode(env, policy, seed + e));
          bar?.increment();
        }
      } finally {
        bar?.stop();
        await policy.close?.();
      }
      const report = evalReport(env, policy.name, results, seed, opt ? { kw: opt.replay.final.restored_kw, weighted: opt.replay.final.weighted_restored } : undefined);
      if (o.json) {
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        return;
      }
      const lines = [
        ...summaryLines(report),
        `  episodes           ${episodes} from seed ${seed}; restored ${report.summary.restored_kw_min.toFixed(1)}-${report.summary.restored_kw_max.toFixed(1)} kW; mean return ${report.summary.return_mean.toFixed(2)}`,
        ...(opt ? [`  optimum            ${opt.replay.final.restored_kw.toFixed(1)} kW, weighted ${opt.replay.final.weighted_restored.toFixed(1)}: this policy ${num(report.pct_of_optimum)} % of its kW, ${num(report.pct_of_optimum_weighted)} % of its weighted kW`] : []),
        "  first episode:",
        ...sequenceLines(report),
      ];
      process.stdout.write(`${lines.join("\n")}\n`);
    });
}

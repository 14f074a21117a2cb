// `blackstart train`: train HAPPO / MAPPO / IPPO actors on a scenario with a
// progress bar, checkpoints, learning curves, and a final evaluation against
// the optimum and the greedy baseline. Ctrl-C checkpoints and stops; `--resume`
// continues in a later sitting.
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type cliProgress from "cli-progress";
import type { Command } from "commander";
import { BlackstartError } from "../../shared/errors.js";
import type { TrainConfigInput } from "../../trainer/config.js";
import { TrainerErrors } from "../../trainer/errors.js";
import type { ScenarioEnvOptions } from "../../trainer/env/scenario-env.js";
import type { EvalResult } from "../../trainer/eval.js";
import type { References } from "../../trainer/references.js";
import type { IterationReport, TrainResult } from "../../trainer/train.js";
// The trainer, tfjs and the power flow load only when `train` runs (other commands stay light).

const ENV_MODULE = fileURLToPath(new URL("../../trainer/env/scenario-env.ts", import.meta.url));

interface TrainFlags {
  scenario?: string;
  algo: string;
  steps?: string;
  envs?: string;
  seed?: string;
  out?: string;
  resume?: string;
  workers?: string;
  grid: string;
  shield: boolean;
  randomResets?: string;
  entropy?: string;
  operationCost?: string;
  mask?: string;
  config?: string;
  evalEvery?: string;
  preset: boolean;
}

function int(v: string | undefined, flag: string, min = 0): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v.replace(/_/g, "").replace(/k$/i, "000"));
  if (!Number.isInteger(n) || n < min) throw new BlackstartError(TrainerErrors.OPTIONS, `${flag} must be an integer >= ${min}, got '${v}'`, { field: flag });
  return n;
}

function num(v: string | undefined, flag: string, lo: number, hi: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < lo || n > hi) throw new BlackstartError(TrainerErrors.OPTIONS, `${flag} must be a number in [${lo}, ${hi}], got '${v}'`, { field: flag });
  return n;
}

function pct(x: number | undefined | null): string {
  return x === undefined || x === null || !Number.isFinite(x) ? "  n/a" : `${x.toFixed(1).padStart(5)}`;
}

/** Progress: a bar on a terminal, a line every 10 s otherwise (logs, CI). */
function progressView(cli: typeof cliProgress, total: number, algo: string, refs: References) {
  const tty = process.stderr.isTTY === true;
  const bar = tty
    ? new cli.SingleBar(
        {
          format: `train ${algo} |{bar}| {value}/{total} steps | return {ret} | cap {cap}% | optimum {opt}% | breaches {br} | eval {ev}% | {sps} steps/s | eta {eta_formatted}`,
          stream: process.stderr,
          hideCursor: true,
          etaBuffer: 20,
        },
        cli.Presets.shades_classic,
      )
    : undefined;
  let lastLine = 0;
  let lastEval: EvalResult | undefined;
  return {
    start(value: number) {
      bar?.start(total, value, { ret: "  n/a", cap: "  n/a", opt: "  n/a", br: " n/a", ev: "  n/a", sps: "0" });
    },
    update(p: IterationReport) {
      if (p.eval) lastEval = p.eval;
      const r = p.row;
      const payload = {
        ret: typeof r.return === "number" ? r.return.toFixed(1) : "n/a",
        cap: pct(r.pct_cap as number | null),
        opt: pct(r.pct_optimum as number | null),
        br: typeof r.breach_rate === "number" ? `${(100 * r.breach_rate).toFixed(0)}%` : "n/a",
        ev: pct(lastEval?.pctCap),
        sps: p.stepsPerSecond.toFixed(0),
      };
      if (bar) bar.update(p.envSteps, payload);
      else if (performance.now() - lastLine > 10_000 || p.iteration === p.iterations) {
        lastLine = performance.now();
        process.stderr.write(
          `train ${algo}: ${p.envSteps}/${p.totalSteps} steps (iteration ${p.iteration}/${p.iterations}), return ${payload.ret}, restored ${payload.cap}% of cap, ${payload.opt}% of optimum, breaches ${payload.br}, eval ${payload.ev}% of cap, ${payload.sps} steps/s\n`,
        );
      }
    },
    stop() {
      bar?.stop();
    },
    refs,
  };
}

function report(r: TrainResult, refs: References, cap: number | undefined): string {
  const row = (name: string, kw: number, capPct: number | undefined, opt: number | undefined, breaches: string, e?: EvalResult) =>
    `  ${name.padEnd(26)} ${kw.toFixed(1).padStart(9)} kW  ${pct(capPct)}% of cap  ${pct(opt)}% of optimum  breaches ${breaches}` +
    (e ? `  operations ${e.operations.toFixed(1)} (undone ${e.reversals.toFixed(1)})  violations ${e.violations.toFixed(1)}` : "");
  const lines = [
    `training: ${r.iterations} iterations, ${r.envSteps} environment steps, ${r.wallSeconds.toFixed(1)} s${r.stopped ? " (stopped; resume with --resume)" : ""}`,
    `  time: rollouts ${r.timing.rollout.toFixed(1)} s, updates ${r.timing.update.toFixed(1)} s, evaluation ${r.timing.eval.toFixed(1)} s, checkpoints ${r.timing.checkpoint.toFixed(1)} s (this sitting)`,
    `  95 % of the cap without a breach first reached: ${r.timeTo95 ? `${r.timeTo95.wall_seconds} s, ${r.timeTo95.env_steps} steps` : "not reached"}`,
    `evaluation (deterministic, from the scenario's reset${cap ? `, cap ${cap} kW` : ""}):`,
    row("policy, shield mask on", r.evalShield.restoredKw, r.evalShield.pctCap, r.evalShield.pctOptimum, `${r.evalShield.capBreaches}/${r.evalShield.episodes} (peak ${r.evalShield.peakKw.toFixed(1)} kW)`, r.evalShield),
    row("policy, no shield", r.evalNoShield.restoredKw, r.evalNoShield.pctCap, r.evalNoShield.pctOptimum, `${r.evalNoShield.capBreaches}/${r.evalNoShield.episodes} (peak ${r.evalNoShield.peakKw.toFixed(1)} kW)`, r.evalNoShield),
    ...(r.evalRandomStarts
      ? [row(`policy, ${r.evalRandomStarts.episodes} random partial starts`, r.evalRandomStarts.restoredKw, r.evalRandomStarts.pctCap, r.evalRandomStarts.pctOptimum, `${r.evalRandomStarts.capBreaches}/${r.evalRandomStarts.episodes} (peak ${r.evalRandomStarts.peakKw.toFixed(1)} kW)`, r.evalRandomStarts)]
      : []),
    row("greedy", refs.greedy.restoredKw, refs.greedy.pctCap, refs.greedy.pctOptimum, `${refs.greedy.capBreaches}/${refs.greedy.episodes}`),
    row(`random (${refs.random.episodes} episodes)`, refs.random.restoredKw, refs.random.pctCap, refs.random.pctOptimum, `${refs.random.capBreaches}/${refs.random.episodes}`),
    row("optimum", refs.optimum.restoredKw, refs.optimum.pctCap, 100, "0"),
  ];
  return lines.join("\n");
}

export function register(program: Command): void {
  program
    .command("train")
    .description("Train decentralized actors (HAPPO, MAPPO or IPPO) on a scenario; checkpoints, learning curves, evaluation against the optimum and greedy.")
    .option("-s, --scenario <name|file>", "scenario name (sim-harness/scenarios) or YAML file")
    .option("-a, --algo <algo>", "happo | mappo | ippo", "happo")
    .option("--steps <n>", "total environment steps (default 200000; on --resume, a new total)")
    .option("--envs <n>", "parallel environments (default 16)")
    .option("--seed <s>", "seed: the same seed reproduces the run (default 1)")
    .option("-o, --out <dir>", "run directory (default run/train/<scenario>-<algo>-s<seed>)")
    .option("--resume <dir>", "continue the run checkpointed in <dir>")
    .option("--workers <n>", "rollout worker threads (default: the number of cores; 0: main thread only)")
    .option("--grid <kind>", "circuit model: powerflow (reported figures) | nominal (development only)", "powerflow")
    .option("--no-shield", "train with the paper's penalties only, without the run-time shield's action mask")
    .option("--mask <kind>", "the action mask used in training and in the shielded evaluation: shield (the edge agent's rules, as deployed; the default) | limits (cap, ratings, radiality on the section graph)")
    .option("--random-resets <p>", "probability of starting an episode from a random partially-restored state")
    .option("--entropy <coef>", "entropy bonus coefficient")
    .option("--operation-cost <c>", "reward units taken off per switching operation in training (0: the paper's reward)")
    .option("--eval-every <n>", "iterations between deterministic evaluations (default 10)")
    .option("--config <file>", "YAML/JSON file of training options (trainer/config.ts), overridden by the flags")
    .option("--no-preset", "ignore the scenario's preset (trainer/presets/<scenario>.yaml): HARL's defaults plus --config and flags")
    .action(async (flags: TrainFlags) => {
      await train(flags, process.argv.slice(2).join(" "));
    });
}

async function train(flags: TrainFlags, commandLine: string): Promise<void> {
  const [{ createScenarioEnv, boundScenario }, { references }, { Trainer }, { readCheckpoint }, { Algorithm, TrainConfig }, { loadConfigFile, loadPreset }, { default: cli }] = await Promise.all([
    import("../../trainer/env/scenario-env.js"),
    import("../../trainer/references.js"),
    import("../../trainer/train.js"),
    import("../../trainer/checkpoint.js"),
    import("../../trainer/config.js"),
    import("../../trainer/presets.js"),
    import("cli-progress"),
  ]);
  const resumeDir = flags.resume ? resolve(flags.resume) : undefined;
  const ck = resumeDir ? readCheckpoint(resolve(resumeDir, "checkpoint")).meta : undefined;
  const scenarioArg = flags.scenario ?? ck?.scenario.file;
  if (!scenarioArg) throw new BlackstartError(TrainerErrors.OPTIONS, "--scenario is required (a scenario name or YAML file), unless --resume names a run", { field: "--scenario" });
  const bound = boundScenario(scenarioArg);
  const s = bound.scenario;
  if (ck && ck.scenario.hash !== bound.hash) {
    throw new BlackstartError(TrainerErrors.CHECKPOINT, `the run in ${resumeDir} was trained on scenario '${ck.scenario.name}' as it was then (hash ${ck.scenario.hash.slice(0, 12)}…); the scenario file has changed since (hash ${bound.hash.slice(0, 12)}…)`, { file: bound.file });
  }
  const algo = Algorithm.safeParse(flags.algo);
  if (!algo.success) throw new BlackstartError(TrainerErrors.OPTIONS, `--algo must be happo, mappo or ippo, got '${flags.algo}'`, { field: "--algo" });
  if (flags.mask !== undefined && flags.mask !== "shield" && flags.mask !== "limits") throw new BlackstartError(TrainerErrors.OPTIONS, `--mask must be shield or limits, got '${flags.mask}'`, { field: "--mask" });
  if (flags.grid !== "powerflow" && flags.grid !== "nominal") throw new BlackstartError(TrainerErrors.OPTIONS, `--grid must be powerflow or nominal, got '${flags.grid}'`, { field: "--grid" });
  const preset = flags.preset ? loadPreset(s.name) : undefined;
  const fromFile: TrainConfigInput = { ...(preset?.config ?? {}), ...(flags.config ? loadConfigFile(flags.config) : {}) };
  const config: TrainConfigInput = {
    ...fromFile,
    algo: algo.data,
    ...(flags.steps !== undefined ? { total_steps: int(flags.steps, "--steps", 1) } : {}),
    ...(flags.envs !== undefined ? { envs: int(flags.envs, "--envs", 1) } : {}),
    ...(flags.seed !== undefined ? { seed: int(flags.seed, "--seed") } : {}),
    workers: int(flags.workers, "--workers") ?? fromFile.workers ?? availableParallelism(),
    ...(flags.shield === false ? { shield_mask: false } : {}),
    ...(flags.randomResets !== undefined ? { random_reset_probability: num(flags.randomResets, "--random-resets", 0, 1) } : {}),
    ...(flags.entropy !== undefined ? { entropy_coef: num(flags.entropy, "--entropy", 0, 10) } : {}),
    ...(flags.operationCost !== undefined ? { operation_cost: num(flags.operationCost, "--operation-cost", 0, 1e9) } : {}),
    ...(flags.evalEvery !== undefined ? { eval_every: int(flags.evalEvery, "--eval-every") } : {}),
    ...(flags.mask !== undefined ? { mask_rules: flags.mask as "shield" | "limits" } : {}),
  };
  const cfg = TrainConfig.parse(ck ? { ...ck.config, total_steps: config.total_steps ?? ck.config.total_steps } : config);
  const outDir = resumeDir ?? resolve(flags.out ?? `run/train/${s.name}-${cfg.algo}-s${cfg.seed}`);
  mkdirSync(outDir, { recursive: true });
  const grid = ck ? ((ck.env_source.options as ScenarioEnvOptions).grid ?? flags.grid) : (flags.grid as ScenarioEnvOptions["grid"]);
  // A resumed run keeps its mask (runs from before the option used the limits mask).
  const mask = ck ? ((ck.env_source.options as ScenarioEnvOptions).mask ?? "limits") : cfg.mask_rules;
  const envOptions: ScenarioEnvOptions = {
    scenario: bound.file,
    grid,
    mask,
    ...(cfg.random_reset_probability !== undefined ? { randomPartialProbability: cfg.random_reset_probability } : {}),
  };
  const evalOptions: ScenarioEnvOptions = { scenario: bound.file, grid, mask, randomPartialProbability: 0 };
  const randomStartOptions: ScenarioEnvOptions = { scenario: bound.file, grid, mask, randomPartialProbability: 1 };
  if (preset && !ck) process.stderr.write(`train: preset ${preset.file}: ${JSON.stringify(preset.config)} (--no-preset for HARL's defaults)\n`);
  process.stderr.write(`train: ${cfg.algo} on ${s.name} (${s.microgrids.length} agents, ${bound.switches.length} switches, ${grid} grid), seed ${cfg.seed}, ${cfg.envs} environments, ${cfg.workers} worker(s), shield mask ${cfg.shield_mask ? `on (${mask} rules)` : "off"}; run directory ${outDir}\n`);
  const probeEnv = createScenarioEnv(evalOptions);
  process.stderr.write(`train: reference points (optimum MILP, greedy, random) on the ${grid} environment…\n`);
  const refs = await references(probeEnv, outDir, grid, (line) => process.stderr.write(`  ${line}\n`));
  process.stderr.write(`train: optimum ${refs.optimum.restoredKw.toFixed(1)} kW, weighted ${refs.optimum.weightedRestored.toFixed(1)}; greedy ${refs.greedy.pctOptimum.toFixed(1)} % of it\n`);

  const trainer = new Trainer();
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write("\ntrain: stopping after this iteration (checkpointing); Ctrl-C again to quit at once\n");
    trainer.stop();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const perIteration = (cfg.rollout_length || s.episode.length) * cfg.envs;
  const view = progressView(cli, Math.ceil(cfg.total_steps / perIteration) * perIteration, cfg.algo, refs);
  view.start(ck?.progress.env_steps ?? 0);
  let result: TrainResult;
  try {
    result = await trainer.run({
      config: cfg,
      envSource: { module: ENV_MODULE, export: "createScenarioEnv", options: envOptions },
      evalEnvSource: { module: ENV_MODULE, export: "createScenarioEnv", options: evalOptions },
      randomStartEnvSource: { module: ENV_MODULE, export: "createScenarioEnv", options: randomStartOptions },
      scenario: { name: s.name, hash: bound.hash, file: bound.file, gamma: s.episode.gamma, ...(s.limits.generation_cap_kw !== undefined ? { capKw: s.limits.generation_cap_kw } : {}) },
      optimum: refs.optimum,
      outDir,
      resume: ck !== undefined,
      command: ck?.command ?? `blackstart ${commandLine}`,
      onIteration: (p) => view.update(p),
    });
  } finally {
    view.stop();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  const cap = s.limits.generation_cap_kw;
  writeFileSync(resolve(outDir, "report.json"), JSON.stringify({ scenario: s.name, grid, config: cfg, result: { ...result, evalShield: { ...result.evalShield }, evalNoShield: { ...result.evalNoShield } }, references: refs }, null, 2) + "\n");
  process.stdout.write(`${report(result, refs, cap)}\n`);
  process.stdout.write(`curves: ${resolve(outDir, "curves.html")}\ncheckpoint: ${resolve(outDir, "checkpoint")}\nexport: blackstart export-onnx ${outDir} --out policies/${s.name}/\n`);
}

// The training loop: rollouts (main thread or worker threads), one HAPPO /
// MAPPO / IPPO iteration per rollout, periodic deterministic evaluation,
// checkpoints that a later sitting resumes, learning curves.
import { join } from "node:path";
import type { MultiAgentEnv } from "../sim-harness/env/types.js";
import { BlackstartError } from "../shared/errors.js";
import { ALGORITHMS, TrainConfig, type TrainConfigInput } from "./config.js";
import { createEnv, type EnvSource } from "./env/source.js";
import { TrainerErrors } from "./errors.js";
import { deterministicActors, evaluate, type EvalResult, type Optimum } from "./eval.js";
import { initMlp } from "./model/init.js";
import { initTf } from "./model/tf.js";
import { mlpArrays, mlpFromArrays, mlpLayout, type MlpParams } from "./model/mlp.js";
import { Actor, Critic } from "./algo/networks.js";
import { trainIteration } from "./algo/update.js";
import { createRunner, type RolloutRunner } from "./rollout/runner.js";
import type { EpisodeStats } from "./rollout/types.js";
import { readCheckpoint, TensorPack, writeCheckpoint, type CheckpointMeta, type NetRecord } from "./checkpoint.js";
import { writeCurves, type CurveRow } from "./report/curves.js";
import { Rng } from "./util/rng.js";

export interface ScenarioFacts {
  name: string;
  /** sha256 of the scenario as evaluated and deployed (shared/scenario/hash.ts). */
  hash: string;
  file?: string;
  gamma: number;
  capKw?: number;
  /** Observation kind the environment gives the actors (default switch-states). */
  observation?: "switch-states" | "measured";
}

export interface TrainOptions {
  config: TrainConfigInput;
  envSource: EnvSource;
  /** Environment for deterministic evaluation (default: envSource); e.g. without random resets. */
  evalEnvSource?: EnvSource;
  /** Environment that starts every episode from a random partially-restored state, for the final robustness evaluation. */
  randomStartEnvSource?: EnvSource;
  /** Episodes of that evaluation (default 20). */
  randomStartEpisodes?: number;
  scenario: ScenarioFacts;
  optimum?: Optimum;
  /** Run directory: checkpoint/, curves.csv, curves.html. */
  outDir: string;
  /** Continue the run checkpointed in outDir/checkpoint (config from it; `total_steps` may be raised). */
  resume?: boolean;
  command?: string;
  onIteration?: (p: IterationReport) => void;
}

export interface IterationReport {
  iteration: number;
  iterations: number;
  envSteps: number;
  totalSteps: number;
  wallSeconds: number;
  stepsPerSecond: number;
  row: CurveRow;
  eval?: EvalResult;
}

export interface TrainResult {
  dir: string;
  iterations: number;
  envSteps: number;
  wallSeconds: number;
  evalShield: EvalResult;
  evalNoShield: EvalResult;
  /** Deterministic, with the shield's mask, from random partially-restored starts (when randomStartEnvSource is given). */
  evalRandomStarts?: EvalResult;
  timeTo95?: { wall_seconds: number; env_steps: number; iteration: number };
  /** Seconds spent in rollouts, updates, evaluation and checkpoints (this sitting). */
  timing: Record<"rollout" | "update" | "eval" | "checkpoint", number>;
  stopped: boolean;
}

interface Learner {
  actors: Actor[];
  critics: Critic[];
}

function buildLearner(cfg: TrainConfig, env: MultiAgentEnv, rng: Rng): Learner {
  const m = cfg.model;
  const actors = env.agents.map((a) =>
    new Actor(
      initMlp({ inputSize: a.observationSize, hidden: m.hidden, outputSize: 3 * a.elements.length, activation: m.activation, hiddenLayerNorm: m.hidden_layer_norm, headGain: m.actor_gain }, rng),
      cfg.lr,
      cfg.adam_eps,
      a.id,
    ),
  );
  const criticInputs = ALGORITHMS[cfg.algo].critic === "centralized" ? [{ id: "central", size: env.stateSize }] : env.agents.map((a) => ({ id: a.id, size: a.observationSize }));
  const critics = criticInputs.map(
    (c) =>
      new Critic(
        initMlp({ inputSize: c.size, hidden: m.hidden, outputSize: 1, activation: m.activation, hiddenLayerNorm: m.hidden_layer_norm, headGain: 1 }, rng),
        cfg.critic_lr,
        cfg.adam_eps,
        cfg.use_value_norm,
        c.id,
      ),
  );
  return { actors, critics };
}

function packNets(l: Learner, pack: TensorPack): NetRecord[] {
  const rec = (name: string, net: Actor | Critic, norm?: Critic["norm"]): NetRecord => {
    const p = net.net.params();
    const adam = net.adam.state;
    return {
      name,
      layout: mlpLayout(p),
      params: mlpArrays(p).map((a) => pack.add(a)),
      adam: { step: adam.step, m: adam.m.map((a) => pack.add(a)), v: adam.v.map((a) => pack.add(a)) },
      ...(norm ? { value_norm: norm.state } : {}),
    };
  };
  return [...l.actors.map((a) => rec(`actor:${a.id}`, a)), ...l.critics.map((c) => rec(`critic:${c.id}`, c, c.norm))];
}

/** Actor parameters of a checkpoint, in agent order (export-onnx uses this). */
export function checkpointActors(dir: string): { meta: CheckpointMeta; actors: MlpParams[] } {
  const ck = readCheckpoint(dir);
  const actors = ck.meta.agents.map((a) => {
    const rec = ck.meta.nets.find((n) => n.name === `actor:${a.id}`);
    if (!rec) throw new BlackstartError(TrainerErrors.CHECKPOINT, `checkpoint has no actor for agent '${a.id}'`, { file: join(dir, "checkpoint.json") });
    return mlpFromArrays(rec.layout, rec.params.map(ck.slice));
  });
  return { meta: ck.meta, actors };
}

function restoreLearner(l: Learner, ck: ReturnType<typeof readCheckpoint>, dir: string): void {
  const nets: [string, Actor | Critic][] = [...l.actors.map((a) => [`actor:${a.id}`, a] as [string, Actor]), ...l.critics.map((c) => [`critic:${c.id}`, c] as [string, Critic])];
  for (const [name, net] of nets) {
    const rec = ck.meta.nets.find((n) => n.name === name);
    if (!rec) throw new BlackstartError(TrainerErrors.CHECKPOINT, `checkpoint has no network '${name}'`, { file: join(dir, "checkpoint.json") });
    net.net.assign(rec.params.map(ck.slice));
    net.adam.state = { step: rec.adam.step, m: rec.adam.m.map(ck.slice), v: rec.adam.v.map(ck.slice) };
    if (net instanceof Critic && rec.value_norm) net.norm.state = rec.value_norm;
  }
}

function mean(xs: number[]): number | null {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
}

function curveRow(it: number, envSteps: number, wall: number, eps: EpisodeStats[], stats: ReturnType<typeof trainIteration>, optimum: Optimum | undefined, ev: EvalResult | undefined, sps: number): CurveRow {
  const done = eps.filter((e) => e.complete);
  const cap = done.find((e) => e.capKw)?.capKw;
  return {
    iteration: it,
    env_steps: envSteps,
    wall_s: +wall.toFixed(2),
    steps_per_s: +sps.toFixed(1),
    episodes: done.length,
    return: mean(done.map((e) => e.return)),
    restored_kw: mean(done.map((e) => e.restoredKw)),
    pct_cap: cap ? mean(done.map((e) => (100 * e.restoredKw) / cap)) : null,
    pct_optimum: optimum ? mean(done.map((e) => (100 * e.weightedRestored) / optimum.weightedRestored)) : null,
    breach_rate: mean(done.map((e) => (e.capBreached ? 1 : 0))),
    entropy: mean(stats.actors.map((a) => a.entropy)),
    policy_loss: mean(stats.actors.map((a) => a.policyLoss)),
    value_loss: stats.valueLoss,
    factor: stats.factorMean,
    eval_pct_cap: ev?.pctCap ?? null,
    eval_pct_optimum: ev?.pctOptimum ?? null,
    eval_breaches: ev ? ev.capBreaches : null,
  };
}

export class Trainer {
  private stopRequested = false;

  /** Ask the loop to stop after the current iteration (it checkpoints first). */
  stop(): void {
    this.stopRequested = true;
  }

  async run(o: TrainOptions): Promise<TrainResult> {
    await initTf();
    const ckDir = join(o.outDir, "checkpoint");
    const ck = o.resume ? readCheckpoint(ckDir) : undefined;
    const cfg = ck ? TrainConfig.parse({ ...ck.meta.config, ...pickResumable(o.config) }) : TrainConfig.parse(o.config);
    const envSource = ck ? (ck.meta.env_source as EnvSource) : o.envSource;
    const evalSource = ck?.meta.eval_env_source ? (ck.meta.eval_env_source as EnvSource) : (o.evalEnvSource ?? envSource);
    const evalEnv = await createEnv(evalSource, -1).catch((e: unknown) => {
      throw new BlackstartError(TrainerErrors.ENV, `cannot build the environment: ${(e as Error).message}`, {}, { cause: e });
    });
    if (ck) checkSameAgents(ck.meta, evalEnv, ckDir);
    const rng = new Rng(cfg.seed);
    const learner = buildLearner(cfg, evalEnv, rng);
    const T = cfg.rollout_length || evalEnv.episodeLength;
    const perIteration = T * cfg.envs;
    const iterations = Math.ceil(cfg.total_steps / perIteration);
    let iteration = 0;
    let envSteps = 0;
    let wallBefore = 0;
    let sittings = 1;
    let timeTo95: TrainResult["timeTo95"];
    let curves: CurveRow[] = [];
    if (ck) {
      restoreLearner(learner, ck, ckDir);
      rng.state = ck.meta.rng as [number, number, number, number];
      iteration = ck.meta.progress.iteration;
      envSteps = ck.meta.progress.env_steps;
      wallBefore = ck.meta.progress.wall_seconds;
      sittings = ck.meta.progress.sittings + 1;
      timeTo95 = ck.meta.progress.time_to_95;
      curves = ck.meta.curves as CurveRow[];
    }
    const runner: RolloutRunner = await createRunner(envSource, cfg.envs, cfg.seed, { shieldMask: cfg.shield_mask, operationCost: cfg.operation_cost, breachCost: cfg.breach_cost }, cfg.workers);
    const timing = { rollout: 0, update: 0, eval: 0, checkpoint: 0 };
    const t0 = performance.now();
    const wall = () => wallBefore + (performance.now() - t0) / 1000;
    let lastEval: EvalResult | undefined = ck?.meta.last_eval as EvalResult | undefined;
    let finalEval: { shield: EvalResult; no_shield: EvalResult; random_starts?: EvalResult } | undefined;
    const evalOf = (shield: boolean) => {
      const s = performance.now();
      const elements = evalEnv.agents.map((a) => a.elements.length);
      const r = evaluate(evalEnv, deterministicActors(learner.actors.map((a) => a.net.params()), elements), { episodes: 1, shield, seed: cfg.seed, ...(o.optimum ? { optimum: o.optimum } : {}) });
      timing.eval += (performance.now() - s) / 1000;
      return r;
    };
    const save = async () => {
      const s = performance.now();
      const pack = new TensorPack();
      const nets = packNets(learner, pack);
      writeCheckpoint(
        ckDir,
        {
          format: "blackstart-checkpoint/1",
          created: new Date().toISOString(),
          config: cfg,
          scenario: { name: o.scenario.name, hash: o.scenario.hash, ...(o.scenario.file ? { file: o.scenario.file } : {}), episode_length: evalEnv.episodeLength, gamma: o.scenario.gamma, ...(o.scenario.capKw !== undefined ? { cap_kw: o.scenario.capKw } : {}) },
          env_source: envSource,
          ...(evalSource !== envSource ? { eval_env_source: evalSource } : {}),
          ...(o.optimum ? { optimum: o.optimum } : ck?.meta.optimum ? { optimum: ck.meta.optimum } : {}),
          agents: evalEnv.agents.map((a) => ({ id: a.id, elements: [...a.elements], observationSize: a.observationSize })),
          state_size: evalEnv.stateSize,
          progress: { iteration, env_steps: envSteps, wall_seconds: wall(), sittings, ...(timeTo95 ? { time_to_95: timeTo95 } : {}) },
          rng: rng.state,
          env_rng: await runner.rngStates(),
          nets,
          curves,
          ...(lastEval ? { last_eval: lastEval } : {}),
          ...(finalEval ? { final_eval: finalEval } : {}),
          observation: o.scenario.observation ?? ck?.meta.observation ?? "switch-states",
          ...(o.command ? { command: o.command } : ck?.meta.command ? { command: ck.meta.command } : {}),
        },
        pack,
      );
      writeCurves(o.outDir, curves, { title: `${cfg.algo.toUpperCase()} on ${o.scenario.name} (seed ${cfg.seed})`, capKw: o.scenario.capKw });
      timing.checkpoint += (performance.now() - s) / 1000;
    };

    try {
      if (ck) await runner.setRngStates(ck.meta.env_rng as [number, number, number, number][]);
      while (iteration < iterations && !this.stopRequested) {
        // Let the event loop run (signals, progress timers): rollouts on the main thread are synchronous.
        await new Promise<void>((ok) => setImmediate(ok));
        if (cfg.linear_lr_decay) {
          const f = 1 - iteration / iterations;
          learner.actors.forEach((a) => (a.adam.lr = cfg.lr * f));
          learner.critics.forEach((c) => (c.adam.lr = cfg.critic_lr * f));
        }
        const tr = performance.now();
        const rollout = await runner.collect(
          learner.actors.map((a) => a.net.params()),
          T,
        );
        timing.rollout += (performance.now() - tr) / 1000;
        const tu = performance.now();
        const stats = trainIteration(cfg, cfg.gamma ?? o.scenario.gamma, rollout, learner.actors, learner.critics, rng);
        timing.update += (performance.now() - tu) / 1000;
        iteration++;
        envSteps += perIteration;
        const due = (every: number) => every > 0 && iteration % every === 0;
        let ev: EvalResult | undefined;
        if (due(cfg.eval_every) || iteration === iterations) {
          ev = evalOf(cfg.shield_mask);
          lastEval = ev;
          if (!timeTo95 && ev.pctCap !== undefined && ev.pctCap >= 95 && ev.capBreaches === 0) {
            timeTo95 = { wall_seconds: +wall().toFixed(1), env_steps: envSteps, iteration };
          }
        }
        const sps = envSteps / Math.max(1e-9, wall());
        const row = curveRow(iteration, envSteps, wall(), rollout.episodes, stats, o.optimum, ev, sps);
        curves.push(row);
        o.onIteration?.({ iteration, iterations, envSteps, totalSteps: iterations * perIteration, wallSeconds: wall(), stepsPerSecond: sps, row, ...(ev ? { eval: ev } : {}) });
        if (due(cfg.checkpoint_every)) await save();
      }
      const evalShield = evalOf(true);
      const evalNoShield = evalOf(false);
      lastEval = cfg.shield_mask ? evalShield : evalNoShield;
      let evalRandomStarts: EvalResult | undefined;
      if (o.randomStartEnvSource) {
        const s = performance.now();
        const env = await createEnv(o.randomStartEnvSource, -2);
        const elements = env.agents.map((a) => a.elements.length);
        evalRandomStarts = evaluate(env, deterministicActors(learner.actors.map((a) => a.net.params()), elements), {
          episodes: o.randomStartEpisodes ?? 20,
          shield: true,
          seed: cfg.seed,
          ...(o.optimum ? { optimum: o.optimum } : {}),
        });
        timing.eval += (performance.now() - s) / 1000;
      }
      finalEval = { shield: evalShield, no_shield: evalNoShield, ...(evalRandomStarts ? { random_starts: evalRandomStarts } : {}) };
      await save();
      return { dir: o.outDir, iterations: iteration, envSteps, wallSeconds: wall(), evalShield, evalNoShield, ...(evalRandomStarts ? { evalRandomStarts } : {}), ...(timeTo95 ? { timeTo95 } : {}), timing, stopped: this.stopRequested };
    } finally {
      await runner.close();
      learner.actors.forEach((a) => a.dispose());
      learner.critics.forEach((c) => c.dispose());
    }
  }
}

/** On resume only the run length may change; everything else comes from the checkpoint. */
function pickResumable(input: TrainConfigInput): Partial<TrainConfigInput> {
  return input.total_steps !== undefined ? { total_steps: input.total_steps } : {};
}

function checkSameAgents(meta: CheckpointMeta, env: MultiAgentEnv, dir: string): void {
  const same =
    meta.agents.length === env.agents.length &&
    meta.agents.every((a, i) => a.id === env.agents[i]!.id && a.observationSize === env.agents[i]!.observationSize && a.elements.join() === env.agents[i]!.elements.join()) &&
    meta.state_size === env.stateSize;
  if (!same) {
    throw new BlackstartError(TrainerErrors.CHECKPOINT, `the checkpoint's agents or state size differ from the environment's (was the scenario changed?)`, { file: join(dir, "checkpoint.json") });
  }
}

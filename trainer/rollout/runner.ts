// Where rollouts run: on the main thread, or split over worker threads so
// both cores step environments. Both give the same rollout for the same seed:
// each environment keeps its own random stream, and parts are merged in
// environment order.
import { Worker } from "node:worker_threads";
import type { MlpParams } from "../model/mlp.js";
import { createEnv, type EnvSource } from "../env/source.js";
import { Collector, mergeRollouts, type CollectOptions } from "./collector.js";
import type { Rollout } from "./types.js";

export type RngState = [number, number, number, number];

export interface RolloutRunner {
  collect(actors: readonly MlpParams[], T: number): Promise<Rollout>;
  rngStates(): Promise<RngState[]>;
  setRngStates(s: RngState[]): Promise<void>;
  close(): Promise<void>;
}

export class InlineRunner implements RolloutRunner {
  private constructor(private readonly collector: Collector) {}

  static async create(source: EnvSource, envs: number, seed: number, options: CollectOptions): Promise<InlineRunner> {
    const indices = Array.from({ length: envs }, (_, i) => i);
    const list = await Promise.all(indices.map((i) => createEnv(source, i)));
    return new InlineRunner(new Collector(list, indices, seed, options));
  }

  async collect(actors: readonly MlpParams[], T: number): Promise<Rollout> {
    return this.collector.collect(actors, T);
  }
  async rngStates(): Promise<RngState[]> {
    return this.collector.rngStates;
  }
  async setRngStates(s: RngState[]): Promise<void> {
    this.collector.rngStates = s;
  }
  async close(): Promise<void> {}
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

/** One worker thread owning a contiguous range of environments. */
class RolloutWorker {
  private readonly worker: Worker;
  private pending: Pending | undefined;
  private failed: Error | undefined;

  constructor(workerData: unknown) {
    this.worker = new Worker(new URL("./worker-boot.mjs", import.meta.url), { workerData });
    this.worker.on("message", (m: { type: string; value?: unknown; message?: string }) => {
      const p = this.pending;
      this.pending = undefined;
      if (!p) return;
      if (m.type === "error") p.reject(new Error(`rollout worker: ${m.message}`));
      else p.resolve(m.value);
    });
    const fail = (e: Error) => {
      this.failed = e;
      this.pending?.reject(e);
      this.pending = undefined;
    };
    this.worker.on("error", fail);
    this.worker.on("exit", (code) => {
      if (code !== 0) fail(new Error(`rollout worker exited with code ${code}`));
    });
  }

  request<T>(msg: { type: string; [k: string]: unknown }): Promise<T> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise<T>((resolve, reject) => {
      this.pending = { resolve: resolve as (v: unknown) => void, reject };
      this.worker.postMessage(msg);
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

export class WorkerRunner implements RolloutRunner {
  private constructor(
    private readonly workers: RolloutWorker[],
    private readonly sizes: number[],
  ) {}

  static async create(source: EnvSource, envs: number, seed: number, options: CollectOptions, count: number): Promise<WorkerRunner> {
    const n = Math.max(1, Math.min(count, envs));
    const sizes = Array.from({ length: n }, (_, w) => Math.floor(envs / n) + (w < envs % n ? 1 : 0));
    let start = 0;
    const workers = sizes.map((size) => {
      const indices = Array.from({ length: size }, (_, i) => start + i);
      start += size;
      return new RolloutWorker({ source, indices, seed, options });
    });
    const runner = new WorkerRunner(workers, sizes);
    try {
      await Promise.all(workers.map((w) => w.request({ type: "ready" })));
    } catch (e) {
      await runner.close();
      throw e;
    }
    return runner;
  }

  async collect(actors: readonly MlpParams[], T: number): Promise<Rollout> {
    const parts = await Promise.all(this.workers.map((w) => w.request<Rollout>({ type: "collect", actors, T })));
    return mergeRollouts(parts);
  }

  async rngStates(): Promise<RngState[]> {
    return (await Promise.all(this.workers.map((w) => w.request<RngState[]>({ type: "get-rng" })))).flat();
  }

  async setRngStates(s: RngState[]): Promise<void> {
    let o = 0;
    await Promise.all(
      this.workers.map((w, i) => {
        const part = s.slice(o, o + this.sizes[i]!);
        o += this.sizes[i]!;
        return w.request({ type: "set-rng", states: part });
      }),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
  }
}

export async function createRunner(source: EnvSource, envs: number, seed: number, options: CollectOptions, workers: number): Promise<RolloutRunner> {
  return workers > 0 ? WorkerRunner.create(source, envs, seed, options, workers) : InlineRunner.create(source, envs, seed, options);
}

// A rollout worker thread: builds its environments from the EnvSource, then
// answers `collect` requests with the rollout of its environment range.
import { parentPort, workerData } from "node:worker_threads";
import { createEnv, type EnvSource } from "../env/source.js";
import { Collector, type CollectOptions } from "./collector.js";
import type { Rollout } from "./types.js";

const data = workerData as { source: EnvSource; indices: number[]; seed: number; options: CollectOptions };
const port = parentPort!;

function buffersOf(r: Rollout): ArrayBuffer[] {
  const arrays = [...r.obs, ...r.actions, ...r.logp, ...(r.avail ?? []), r.state, ...r.rewards, r.teamRewards, r.dones];
  return arrays.map((a) => a.buffer as ArrayBuffer);
}

let collector: Collector | undefined;
const ready = (async () => {
  const envs = await Promise.all(data.indices.map((i) => createEnv(data.source, i)));
  collector = new Collector(envs, data.indices, data.seed, data.options);
})();

port.on("message", async (msg: { type: string; actors?: never; T?: number; states?: [number, number, number, number][] }) => {
  try {
    await ready;
    const c = collector!;
    if (msg.type === "ready") port.postMessage({ type: "ok" });
    else if (msg.type === "collect") {
      const r = c.collect(msg.actors!, msg.T!);
      port.postMessage({ type: "ok", value: r }, buffersOf(r));
    } else if (msg.type === "get-rng") port.postMessage({ type: "ok", value: c.rngStates });
    else if (msg.type === "set-rng") {
      c.rngStates = msg.states!;
      port.postMessage({ type: "ok" });
    }
  } catch (e) {
    port.postMessage({ type: "error", message: (e as Error).stack ?? String(e) });
  }
});

// Where environments come from, as data, so a rollout worker thread can build
// its own: a module, the factory it exports, and structured-cloneable options.
// `blackstart train` points this at the sim-harness environment; tests point
// it at their small environments.
import { pathToFileURL } from "node:url";
import type { MultiAgentEnv } from "../../sim-harness/env/types.js";

export interface EnvSource {
  /** Absolute path (or file: URL) of the module exporting the factory. */
  module: string;
  /** Name of the exported factory `(options, index) => MultiAgentEnv | Promise<MultiAgentEnv>`. */
  export: string;
  /** Passed to the factory; must survive structured cloning (plain data). */
  options: unknown;
}

export type EnvFactory = (options: unknown, index: number) => MultiAgentEnv | Promise<MultiAgentEnv>;

export async function createEnv(source: EnvSource, index: number): Promise<MultiAgentEnv> {
  const url = source.module.startsWith("file:") ? source.module : pathToFileURL(source.module).href;
  const mod = (await import(url)) as Record<string, unknown>;
  const factory = mod[source.export];
  if (typeof factory !== "function") throw new Error(`${source.module} does not export a function '${source.export}'`);
  return (factory as EnvFactory)(source.options, index);
}

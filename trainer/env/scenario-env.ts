// The sim-harness restoration environment as the trainer builds it, in the
// main thread and in each rollout worker (EnvSource factory). `grid` chooses
// the circuit model: `powerflow` (every reported figure) or `nominal` (each
// energized load at its nominal kW; fast, for development only). Environments
// of one thread are clones of one prototype, so the feeder is compiled once.
import { bindScenarioFile, type BoundScenario } from "../../sim-harness/scenarios/bind.js";
import { openGrid } from "../../sim-harness/env/create.js";
import { RestorationEnv } from "../../sim-harness/env/env.js";

export interface ScenarioEnvOptions {
  /** Scenario name (shipped) or YAML file. */
  scenario: string;
  grid: "powerflow" | "nominal";
  observation?: "switch-states" | "measured";
  /** Overrides the scenario's reset.random_partial_probability. */
  randomPartialProbability?: number;
  /** What the environment's action mask allows: the edge agent's shield rules (`shield`, as deployed) or the limits on the section graph (`limits`). */
  mask?: "shield" | "limits";
}

const bound = new Map<string, BoundScenario>();
const prototypes = new Map<string, RestorationEnv>();

/** Bind once per thread; every environment of the thread shares the bound scenario. */
export function boundScenario(nameOrFile: string): BoundScenario {
  let b = bound.get(nameOrFile);
  if (!b) {
    b = bindScenarioFile(nameOrFile);
    bound.set(nameOrFile, b);
  }
  return b;
}

export function createScenarioEnv(options: unknown): RestorationEnv {
  const o = options as ScenarioEnvOptions;
  const envOptions = {
    ...(o.observation ? { observation: o.observation } : {}),
    ...(o.randomPartialProbability !== undefined ? { randomPartialProbability: o.randomPartialProbability } : {}),
    ...(o.mask ? { mask: o.mask } : {}),
  };
  const key = `${o.scenario}\u0000${o.grid}\u0000${o.mask ?? ""}`;
  let proto = prototypes.get(key);
  if (!proto) {
    const b = boundScenario(o.scenario);
    proto = new RestorationEnv(b, openGrid(b, o.grid), envOptions);
    prototypes.set(key, proto);
    return proto;
  }
  return proto.clone(envOptions);
}

// The sim-harness restoration environment as the trainer builds it, in the
// main thread and in each rollout worker (EnvSource factory). `grid` chooses
// the circuit model: `powerflow` (every reported figure) or `nominal` (each
// energized load at its nominal kW; fast, for development only).
import { bindScenarioFile, type BoundScenario } from "../../sim-harness/scenarios/bind.js";
import { RestorationEnv } from "../../sim-harness/env/env.js";
import { NominalGrid, type Grid } from "../../sim-harness/env/grid.js";
import { BlackstartError } from "../../shared/errors.js";
import { TrainerErrors } from "../errors.js";

export interface ScenarioEnvOptions {
  /** Scenario name (shipped) or YAML file. */
  scenario: string;
  grid: "powerflow" | "nominal";
  observation?: "switch-states" | "measured";
  /** Overrides the scenario's reset.random_partial_probability. */
  randomPartialProbability?: number;
}

const bound = new Map<string, BoundScenario>();

/** Bind once per thread; every environment of the thread shares the bound scenario. */
export function boundScenario(nameOrFile: string): BoundScenario {
  let b = bound.get(nameOrFile);
  if (!b) {
    b = bindScenarioFile(nameOrFile);
    bound.set(nameOrFile, b);
  }
  return b;
}

function makeGrid(b: BoundScenario, kind: ScenarioEnvOptions["grid"]): Grid {
  if (kind === "nominal") return new NominalGrid(b);
  throw new BlackstartError(TrainerErrors.ENV, `the power-flow grid for the environment is not available in this build; use --grid nominal (development only)`);
}

export function createScenarioEnv(options: unknown): RestorationEnv {
  const o = options as ScenarioEnvOptions;
  const b = boundScenario(o.scenario);
  return new RestorationEnv(b, makeGrid(b, o.grid), {
    ...(o.observation ? { observation: o.observation } : {}),
    ...(o.randomPartialProbability !== undefined ? { randomPartialProbability: o.randomPartialProbability } : {}),
  });
}

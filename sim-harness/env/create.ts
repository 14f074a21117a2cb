// Building environments from a scenario name or file: bind the scenario to
// its feeder, open the grid model (the full power flow by default, or the
// nominal-load model), wrap them in the environment, or in N of them.
import { bindScenarioFile, type BoundScenario } from "../scenarios/bind.js";
import { openScenarioPowerFlow } from "../scenarios/circuit.js";
import { RestorationEnv, type EnvOptions } from "./env.js";
import { NominalGrid, type Grid } from "./grid.js";
import { PowerFlowGrid } from "./powerflow-grid.js";
import { RestorationVectorEnv, type VectorOptions } from "./vector.js";

export type GridKind = "powerflow" | "nominal";

export interface CreateEnvOptions extends Omit<EnvOptions, "violations"> {
  /** `powerflow` (default: every reported figure) or `nominal` (each energized load at its nominal kW; a fast training mode). */
  grid?: GridKind;
  /**
   * Voltage/thermal violations: `when-needed` (default; physics every step, paper at
   * resets and episode ends), `every-step`, or `never` (a training run that never reads them).
   */
  violations?: "when-needed" | "every-step" | "never";
  /**
   * Grid-following units in an island of the scenario's units: `frequency-watt` (default
   * in physics mode: curtailed so no grid-forming unit goes below its floor) or `none`
   * (fixed output, the earlier model: a what-if that shows the reverse power it causes).
   */
  curtailment?: "frequency-watt" | "none";
}

export function openGrid(bound: BoundScenario, kind: GridKind = "powerflow", options: { violations?: boolean; curtailment?: "frequency-watt" | "none" } = {}): Grid {
  if (kind === "nominal") return new NominalGrid(bound, options);
  return new PowerFlowGrid(bound, openScenarioPowerFlow(bound), options);
}

export function createEnvFromBound(bound: BoundScenario, options: CreateEnvOptions = {}): RestorationEnv {
  const { grid, violations, curtailment, ...envOptions } = options;
  return new RestorationEnv(bound, openGrid(bound, grid, { violations: violations !== "never", ...(curtailment ? { curtailment } : {}) }), {
    ...envOptions,
    ...(violations === "every-step" ? { violations: "every-step" as const } : {}),
  });
}

/** One environment of a shipped scenario (`ieee123-5mg`) or a scenario file. */
export function createEnv(nameOrFile: string, options: CreateEnvOptions = {}): RestorationEnv {
  return createEnvFromBound(bindScenarioFile(nameOrFile), options);
}

/** N environments stepped together; they share the compiled feeder, each has its own circuit state. */
export function createVectorEnv(nameOrFile: string, size: number, options: CreateEnvOptions & VectorOptions = {}): RestorationVectorEnv {
  const { autoReset, baseSeed, ...rest } = options;
  return new RestorationVectorEnv(createEnv(nameOrFile, rest), size, {
    ...(autoReset !== undefined ? { autoReset } : {}),
    ...(baseSeed !== undefined ? { baseSeed } : {}),
  });
}

// Error codes of the scenarios, the environment and the baselines.
import { defineError } from "../../shared/errors.js";

export const ScenarioErrors = {
  /** A scenario contradicts itself (a switch in two microgrids, a forming unit that is not one of its units). */
  INCONSISTENT: defineError("SCENARIO_INCONSISTENT", "A scenario file contradicts itself or its feeder."),
  /** Static quotas that oversubscribe a generation pool (the cap, or an island's grid-forming units). */
  QUOTA: defineError("SCENARIO_QUOTA", "A scenario's static quotas could exceed its generation cap or an island's units when agents are cut off from each other."),
  /** The feeder of a scenario cannot be compiled or solved. */
  FEEDER: defineError("SCENARIO_FEEDER", "A scenario's feeder cannot be compiled or solved.", 3),
  /** The environment was given actions of the wrong shape. */
  ACTIONS: defineError("ENV_ACTIONS", "Actions passed to the environment do not match its agents."),
  /** The optimum could not be found (solver failure, infeasible scenario, iteration limit). */
  OPTIMUM: defineError("OPTIMUM_FAILED", "The exact optimum of a scenario could not be found.", 3),
} as const;

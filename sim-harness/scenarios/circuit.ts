// The scenario's circuit on the full power flow: the feeder compiled by the
// OpenDSS front end (sim-harness/dss), the scenario's commands (feeder
// commands, DER units) run after compile, then the outage applied through
// the power flow's API (faulted elements opened at both terminals, the lost
// source disabled, extra open elements opened).
import { BlackstartError } from "../../shared/errors.js";
import type { PowerFlow } from "../powerflow/index.js";
import type { BoundScenario } from "./bind.js";
import { ScenarioErrors } from "./errors.js";

export function openScenarioPowerFlow(bound: BoundScenario): PowerFlow {
  throw new BlackstartError(
    ScenarioErrors.FEEDER,
    `cannot compile ${bound.master} for the power flow yet: the OpenDSS interpreter (sim-harness/dss) does not produce a network; use the nominal grid (--grid nominal)`,
  );
}

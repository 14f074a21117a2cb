// The scenario's circuit on the full power flow: the feeder compiled by the
// OpenDSS front end with the power flow as its engine (a `solve` in the
// master runs as written), then the scenario's commands in order: feeder
// commands, DER units, the outage (faulted elements opened at both
// terminals, extra open elements, the lost source disabled). The same
// commands after `compile <master>` reproduce it in `blackstart powerflow`.
import { BlackstartError, isBlackstartError } from "../../shared/errors.js";
import type { PowerFlow } from "../powerflow/index.js";
import { loadFeeder } from "../powerflow/opendss/feeder.js";
import type { BoundScenario } from "./bind.js";
import { ScenarioErrors } from "./errors.js";

export function openScenarioPowerFlow(bound: BoundScenario): PowerFlow {
  try {
    return loadFeeder(bound.master, { commands: bound.commands }).pf;
  } catch (e) {
    if (!isBlackstartError(e)) throw e;
    // A failing scenario command: point at the scenario field it comes from.
    const n = bound.scenario.feeder.commands.length;
    if (e.location.file === "<--command>" && e.location.line !== undefined) {
      const i = e.location.line - 1;
      const field = i < n ? ["feeder", "commands", i] : ["microgrids"];
      const line = bound.lineOf(field);
      throw new BlackstartError(ScenarioErrors.FEEDER, `${bound.commands[i]}: ${e.detail}`, {
        file: bound.file,
        ...(line !== undefined ? { line } : {}),
        field: i < n ? `feeder.commands[${i}]` : "microgrids (units)",
      });
    }
    throw e;
  }
}

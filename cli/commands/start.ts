// `blackstart start` (what `npm start` runs): the bench on the embedded
// defaults — ieee123-5mg, lockstep, the shipped policy (until a trained one
// ships: the plan made from the optimum, labelled as such) — printing where
// the report is. Same options as `blackstart bench` (docs/bench.md). The
// IEEE 123-bus power flow this command used to run is `blackstart powerflow
// sim-harness/feeders/ieee123/IEEE123Master.dss`.
import type { Command } from "commander";
import { benchAction, benchOptions } from "./bench.js";

export function register(program: Command): void {
  benchOptions(
    program
      .command("start")
      .description("The bench on the embedded defaults: ieee123-5mg restored by one agent process per microgrid over Modbus, report and exit 0 if the target was met (npm start)"),
    { scenario: "ieee123-5mg" },
  ).action((o: Parameters<typeof benchAction>[0]) => benchAction(o));
}

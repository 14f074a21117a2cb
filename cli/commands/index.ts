// Every subcommand of `blackstart`, in the order `--help` lists them.
// Each module exports `register(program)`; add one line per command.
// A module imports only commander, types and light modules at the top: its
// implementation loads inside its action (`await import`), so `--help` and
// light commands (journal) never load the power flow, tfjs or node-opcua.
import type { Command } from "commander";
import { register as journal } from "./journal.js";
import { register as scenario } from "./scenario.js";
import { register as agent } from "./agent.js";
import { register as sim } from "./sim.js";
import { register as train } from "./train.js";
import { register as exportOnnx } from "./export-onnx.js";

import { register as powerflow } from "./powerflow.js";
import { register as start } from "./start.js";
import { register as bench } from "./bench.js";
import { register as replay } from "./replay.js";

export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [
  start,
  bench,
  replay,
  powerflow,
  agent,
  journal,
  scenario,
  sim,
  train,
  exportOnnx,
];

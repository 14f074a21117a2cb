// Load a feeder from an OpenDSS master: compile it with the power flow as
// the interpreter's engine (so a `solve` or `calcvoltagebases` in the script
// runs here, in order), apply further commands, optionally solve once more,
// and hand back the compiled PowerFlow to operate. This is the entry point
// for the CLI, the environment and the tests.
import { DssInterpreter } from "../../dss/interpreter.js";
import type { DssCircuit } from "../../dss/model.js";
import type { PowerFlow, SolveSummary } from "../index.js";
import { PowerflowEngine } from "./engine.js";

export interface LoadFeederOptions {
  /** OpenDSS commands run after the master, in order (`open Line.sw1 term=2`, `set loadmult=0.8`). */
  commands?: readonly string[];
  /** Run one more `solve` after the commands (as `blackstart powerflow` does). */
  solve?: boolean;
}

export interface LoadedFeeder {
  pf: PowerFlow;
  circuit: DssCircuit;
  interpreter: DssInterpreter;
  engine: PowerflowEngine;
  /** Parse and compile time without the solves the script ran, ms. */
  parseMs: number;
  /** The final solve when `solve` was asked (or the script's last solve). */
  result: SolveSummary | undefined;
}

export function loadFeeder(master: string, opts: LoadFeederOptions = {}): LoadedFeeder {
  const engine = new PowerflowEngine();
  const interpreter = new DssInterpreter({ engine });
  const t0 = performance.now();
  let solveMs = 0;
  const timed = (f: () => void) => {
    const before = engine.last?.result;
    f();
    const after = engine.last?.result;
    if (after && after !== before) solveMs += after.solveMs;
  };
  timed(() => interpreter.compile(master));
  opts.commands?.forEach((c, i) => timed(() => interpreter.command(c, { file: "<--command>", line: i + 1 })));
  const parseMs = performance.now() - t0 - solveMs;
  const circuit = interpreter.activeCircuit();
  if (opts.solve) interpreter.command("solve", { file: "<powerflow>", line: 1 });
  const pf = engine.powerflow(circuit);
  const result = engine.last?.circuit === circuit ? engine.last.result : undefined;
  return { pf, circuit, interpreter, engine, parseMs, result };
}

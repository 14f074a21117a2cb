// `blackstart sim --scenario <name> [--clock lockstep|realtime] [--faults <file>] [--json]`:
// start the simulated field devices of a scenario alone (no agents), print
// the endpoint table (or, with --json, one JSON line once every endpoint
// listens), and serve until Ctrl-C or SIGTERM. In lockstep the clock moves
// only on `step <ms>` lines read from stdin. See docs/devices.md.
import { createInterface } from "node:readline";
import type { Command } from "commander";
import { BlackstartError, Errors } from "../../shared/errors.js";
import type { Fault } from "../../sim-harness/devices/faults.js";
import type { Endpoint } from "../../sim-harness/devices/harness.js";
import type { PlantKind } from "../../sim-harness/devices/scenario.js";
import type { Plant } from "../../sim-harness/devices/plant.js";
// The simulators (node-opcua, the power flow) load inside the action: other commands never pay for them.

interface SimOptions {
  scenario: string;
  clock: string;
  faults?: string;
  fault: string[];
  json?: boolean;
  host: string;
  port: string;
  opcuaPort: string;
  pki?: string;
  plant: string;
  modbusPorts?: string;
  tick: string;
}

export function register(program: Command): void {
  program
    .command("sim")
    .description("Serve a scenario's simulated relays and inverters on real Modbus TCP and OPC UA ports, bound to the power flow")
    .requiredOption("-s, --scenario <name>", "shipped scenario name or scenario file")
    .option("--clock <mode>", "realtime (steps every --tick ms) or lockstep (steps on 'step <ms>' lines on stdin)", "realtime")
    .option("--faults <file>", "fault file (docs/devices.md)")
    .option("--fault <spec>", "one fault: device:kind[:key=value,...], e.g. sw-l35:exception:code=6 (repeatable)", collect, [] as string[])
    .option("--json", "print one JSON line with the endpoints once every one listens")
    .option("--host <address>", "address to listen on", "127.0.0.1")
    .option("--port <n>", "first Modbus TCP port (0: any free ports)", "0")
    .option("--opcua-port <n>", "OPC UA port (0: any free port)", "0")
    .option("--pki <dir>", "OPC UA certificate folder (made at first start)")
    .option("--plant <kind>", "auto (power flow if the feeder compiles, else nominal), powerflow, or nominal", "auto")
    .option("--modbus-ports <mode>", "per-device or shared (one port, a unit id per device); default from the scenario")
    .option("--tick <ms>", "realtime step period", "100")
    .action(async (opts: SimOptions) => {
      await runSim(opts);
    });
}

function int(value: string, flag: string, min = 0): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > 65535) throw new BlackstartError(Errors.INVALID_DOCUMENT, `${flag} must be an integer ${min}..65535, got '${value}'`, { field: flag });
  return n;
}

async function runSim(opts: SimOptions): Promise<void> {
  const err = (line: string) => process.stderr.write(`${line}\n`);
  if (opts.clock !== "realtime" && opts.clock !== "lockstep") throw new BlackstartError(Errors.INVALID_DOCUMENT, `--clock must be lockstep or realtime, got '${opts.clock}'`, { field: "--clock" });
  if (!["auto", "powerflow", "nominal"].includes(opts.plant)) throw new BlackstartError(Errors.INVALID_DOCUMENT, `--plant must be auto, powerflow or nominal, got '${opts.plant}'`, { field: "--plant" });
  if (opts.modbusPorts && !["per-device", "shared"].includes(opts.modbusPorts))
    throw new BlackstartError(Errors.INVALID_DOCUMENT, `--modbus-ports must be per-device or shared, got '${opts.modbusPorts}'`, { field: "--modbus-ports" });
  const [{ bindScenarioFile }, { loadFaultFile, parseFaultArg }, { DeviceHarness }, { openPlant, planFromScenario }] = await Promise.all([
    import("../../sim-harness/scenarios/bind.js"),
    import("../../sim-harness/devices/faults.js"),
    import("../../sim-harness/devices/harness.js"),
    import("../../sim-harness/devices/scenario.js"),
  ]);
  const faults: Fault[] = [...(opts.faults ? loadFaultFile(opts.faults) : []), ...opts.fault.map(parseFaultArg)];

  err(`sim: binding scenario ${opts.scenario}`);
  const bound = bindScenarioFile(opts.scenario);
  const plan = planFromScenario(bound);
  if (opts.modbusPorts) plan.modbusPorts = opts.modbusPorts as "per-device" | "shared";
  let plant: Plant;
  let plantKind: PlantKind = opts.plant === "nominal" ? "nominal" : "powerflow";
  try {
    plant = openPlant(bound, plantKind);
  } catch (e) {
    if (opts.plant !== "auto") throw e;
    err(`sim: ${(e as Error).message}`);
    err("sim: falling back to the nominal plant (energization and nominal loads; voltages not solved)");
    plantKind = "nominal";
    plant = openPlant(bound, plantKind);
  }
  err(`sim: ${plan.switches.length} switches, ${plan.ders.length} DER units on the ${plantKind} plant; starting servers`);
  const harness = await DeviceHarness.start(plan, plant, {
    clock: opts.clock,
    tickMs: int(opts.tick, "--tick", 1),
    host: opts.host,
    modbusPort: int(opts.port, "--port"),
    opcuaPort: int(opts.opcuaPort, "--opcua-port"),
    ...(opts.pki ? { pkiDir: opts.pki } : {}),
    faults,
    log: (line) => err(`sim: ${line}`),
  });

  const endpoints = harness.endpoints();
  if (opts.json) process.stdout.write(JSON.stringify({ endpoints }) + "\n");
  else process.stdout.write(endpointTable(endpoints) + "\n");
  err(`sim: ${endpoints.length} endpoints listening (${opts.clock} clock${faults.length ? `, ${faults.length} fault(s)` : ""}); Ctrl-C to stop`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    err(`sim: ${signal}: stopping`);
    await harness.stop();
    err("sim: stopped");
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));

  // Lockstep: the bench (or a person) steps the clock through stdin, one JSON report per line.
  if (opts.clock === "lockstep") {
    const rl = createInterface({ input: process.stdin });
    rl.on("line", (line) => {
      const m = /^\s*step\s+(\d+(?:\.\d+)?)\s*$/.exec(line);
      if (m) {
        const r = harness.step(Number(m[1]));
        process.stdout.write(JSON.stringify({ step: r }) + "\n");
      } else if (/^\s*status\s*$/.test(line)) {
        process.stdout.write(JSON.stringify({ status: { nowMs: harness.clock.now(), last: harness.last } }) + "\n");
      } else if (line.trim()) err(`sim: unknown command '${line.trim()}' (step <ms> | status)`);
    });
  }
  await new Promise<void>(() => {}); // serve until a signal
}

/** The endpoint table: one line per device. */
export function endpointTable(eps: readonly Endpoint[]): string {
  const rows = [["device", "profile", "protocol", "address", "unit/endpoint", "element"]];
  for (const e of eps) rows.push([e.device, e.profile, e.protocol, `${e.host}:${e.port}`, e.protocol === "modbus" ? `unit ${e.unit_id}` : e.endpoint_url ?? "", e.element]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ")).join("\n");
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

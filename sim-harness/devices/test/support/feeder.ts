// A small feeder on the real power flow for device tests: source -> l1 -> a
// (a PV inverter and a battery inverter) -> switch sw -> b (a 1200 kW load).
import { PowerFlow } from "../../../powerflow/index.js";
import type { GeneratorSpec } from "../../../powerflow/network.js";
import { line, load, network, source } from "../../../powerflow/test/helpers.js";
import type { HarnessPlan } from "../../harness.js";

function generator(name: string, kW: number, kVA: number): GeneratorSpec {
  return {
    kind: "generator",
    name: `Generator.${name}`,
    enabled: true,
    terminals: [{ bus: "a", nodes: [1, 2, 3, 0] }],
    phases: 3,
    conn: "wye",
    kV: 12.47,
    kW,
    kvar: 0,
    model: 1,
    vminpu: 0.9,
    vmaxpu: 1.1,
    kVA,
  };
}

export function smallFeeder(): PowerFlow {
  return PowerFlow.fromSpec(
    network([
      source("src", 12.47),
      line("l1", "src", "a", [0.3, 0.6], [0.1, 0.25]),
      line("sw", "a", "b", [0.001, 0.001], [0, 0], { isSwitch: true }),
      load("ld", "b", 12.47, 1200, 400),
      generator("pv1", 300, 350),
      generator("bat1", 150, 250),
    ]),
  );
}

/** The feeder's devices; `legacy` serves the DERs in the older SunSpec models (1xx) instead of the DER ones (7xx). */
export function smallFeederPlan(opts: { legacy?: boolean; switchProfile?: "recloser-modbus" | "switchgear-opcua" } = {}): HarnessPlan {
  const gen = opts.legacy ? "legacy" : "der";
  const sw = opts.switchProfile ?? "recloser-modbus";
  return {
    modbusPorts: "per-device",
    switches: [{ element: "Line.sw", phases: [0, 1, 2], faulted: false, binding: { profile: sw, protocol: sw === "switchgear-opcua" ? "opcua" : "modbus" } }],
    ders: [
      { id: "pv1", kind: "pv", element: "Generator.pv1", ratings: { kw: 300, kva: 350 }, vLnV: 7199.6, phases: 3, binding: { profile: `sunspec-inverter-${gen}`, protocol: "modbus" } },
      {
        id: "bat1",
        kind: "battery",
        element: "Generator.bat1",
        ratings: { kw: 150, kva: 250, kwh: 600, soc: { initial: 0.9, min: 0.1, max: 1 } },
        vLnV: 7199.6,
        phases: 3,
        binding: { profile: `sunspec-battery-${gen}`, protocol: "modbus" },
      },
    ],
  };
}

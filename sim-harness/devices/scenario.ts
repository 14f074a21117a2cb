// A scenario's devices: one per agent switch and per DER unit, each with the
// profile and protocol the scenario's `devices` section gives its kind (or
// an override for its element or unit id), and the plant they are bound to:
// the power flow when the feeder compiles, else the nominal model.
import { canonicalElement } from "../../shared/names.js";
import type { Scenario } from "../../shared/scenario/schema.js";
import { BlackstartError } from "../../shared/errors.js";
import { openScenarioPowerFlow } from "../scenarios/circuit.js";
import type { BoundScenario } from "../scenarios/bind.js";
import { DeviceErrors } from "./errors.js";
import type { Binding, HarnessPlan, PlannedDer, PlannedSwitch } from "./harness.js";
import { NominalPlant } from "./nominal-plant.js";
import type { Plant } from "./plant.js";
import { PowerFlowPlant } from "./powerflow-plant.js";

function bindingFor(devices: Scenario["devices"], kind: keyof Omit<Scenario["devices"], "overrides" | "modbus_ports">, keys: string[]): Binding {
  for (const k of keys) {
    for (const [name, b] of Object.entries(devices.overrides)) {
      if (name.toLowerCase() === k.toLowerCase() || canonicalElement(name).toLowerCase() === canonicalElement(k).toLowerCase()) return b;
    }
  }
  return devices[kind];
}

export function planFromScenario(bound: BoundScenario): HarnessPlan {
  const s = bound.scenario;
  const faulted = new Set(bound.faulted.map((f) => f.toLowerCase()));
  const switches: PlannedSwitch[] = bound.switches.map((sw) => {
    const el = bound.topology.byRef.get(sw.ref.toLowerCase());
    const nodes = el?.terminals[0]?.nodes.filter((n) => n >= 1 && n <= 3) ?? [];
    const phases = nodes.length ? nodes.map((n) => n - 1) : [0, 1, 2];
    return { element: sw.ref, phases, faulted: faulted.has(sw.ref.toLowerCase()), binding: bindingFor(s.devices, "switch", [sw.ref]) };
  });
  const ders: PlannedDer[] = bound.units.map((u) => {
    const unit = u.unit;
    const kv = unit.kv ?? 12.47;
    const vLnV = unit.phases === 1 ? kv * 1000 : (kv * 1000) / Math.sqrt(3);
    const binding = unit.profile
      ? { profile: unit.profile, protocol: bindingFor(s.devices, unit.kind, [unit.id, u.element]).protocol }
      : bindingFor(s.devices, unit.kind, [unit.id, u.element]);
    return {
      id: unit.id,
      kind: unit.kind,
      element: u.element,
      ratings: {
        kw: unit.kw,
        kva: unit.kva,
        kwh: unit.kwh,
        soc: unit.soc,
        chargeKw: unit.charge_kw,
        dischargeKw: unit.discharge_kw,
      },
      vLnV,
      phases: unit.phases,
      binding,
    };
  });
  return { switches, ders, modbusPorts: s.devices.modbus_ports };
}

export type PlantKind = "powerflow" | "nominal";

/** The plant for a scenario, at its reset state (agent switches as the section graph's `initial`). */
export function openPlant(bound: BoundScenario, kind: PlantKind = "powerflow"): Plant {
  if (kind === "nominal") return new NominalPlant(bound);
  let plant: PowerFlowPlant;
  try {
    plant = new PowerFlowPlant(openScenarioPowerFlow(bound));
  } catch (e) {
    throw new BlackstartError(DeviceErrors.BINDING, `${(e as Error).message.replace(/^.*BLACKSTART_ERR_\w+: /, "")} (or run with --plant nominal)`, {}, { cause: e });
  }
  const initial = new Map(bound.sections.switches.map((sw) => [canonicalElement(sw.element).toLowerCase(), sw.initial]));
  for (const sw of bound.switches) {
    const want = initial.get(sw.ref.toLowerCase());
    if (want) plant.setClosed(sw.ref, want === "closed");
  }
  return plant;
}

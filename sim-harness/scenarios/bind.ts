// A scenario bound to its feeder: every name checked against the compiled
// feeder (unknown names fail naming the field, the line and the closest valid
// names), loads listed with their weights, DER units placed, and the OpenDSS
// commands that turn the feeder into the scenario's circuit (feeder commands,
// units, the outage) collected in the order the power flow applies them.
import { Errors } from "../../shared/errors.js";
import { canonicalElement, unknownNameMessage } from "../../shared/names.js";
import { checkQuotas } from "../../shared/scenario/quotas.js";
import type { SectionGraph } from "../../shared/scenario/sections.js";
import type { DerUnit, Scenario } from "../../shared/scenario/schema.js";
import { ScenarioErrors } from "./errors.js";
import { fieldError, isGridForming, loadScenario, type LoadedScenario } from "./load.js";
import { Rng } from "./rng.js";
import { deriveSections } from "./sections.js";
import { BRANCH_CLASSES, conducts, FeederReader, findElement, loadNominal, phasesOf, type FeederElement, type Topology } from "./topology.js";

export interface ScenarioLoad {
  /** Lower-case load name (`s1a`), as weights and the power flow name it. */
  name: string;
  ref: string;
  bus: string;
  phases: number;
  kw: number;
  kvar: number;
  weight: number;
}

export interface ScenarioSwitch {
  /** Canonical element reference (`Line.l45`). */
  ref: string;
  /** Agent (microgrid index) and position in its action vector. */
  agent: number;
  index: number;
  /** State as compiled (before the reset). */
  compiled: "open" | "closed";
}

export interface ScenarioUnit {
  unit: DerUnit;
  microgrid: string;
  /** Element that represents it in the circuit (`Vsource.bat1`, `Generator.pv1`, or the feeder's own). */
  element: string;
  bus: string;
  gridForming: boolean;
  /** Added by the scenario (else it was already in the feeder). */
  added: boolean;
}

export interface BoundScenario extends LoadedScenario {
  topology: Topology;
  loads: ScenarioLoad[];
  /** Agent switches flattened in agent order, then element order. */
  switches: ScenarioSwitch[];
  units: ScenarioUnit[];
  /** Faulted elements and the lost source, canonical. */
  faulted: string[];
  lostSource: string | undefined;
  /** OpenDSS commands applied after compiling the master: feeder commands, units, outage. */
  commands: string[];
  sections: SectionGraph;
  /** Regulator controls: the transformer each moves and its winding. */
  regControls: { name: string; transformer: string; winding: number }[];
}

export function bindScenarioFile(nameOrFile: string): BoundScenario {
  return bindScenario(loadScenario(nameOrFile));
}

export function bindScenario(loaded: LoadedScenario): BoundScenario {
  const s = loaded.scenario;
  requireUnitKv(loaded);
  const unitCommands = unitPlacementCommands(s);
  const reader = new FeederReader(loaded.master);
  s.feeder.commands.forEach((c, i) => {
    const line = loaded.lineOf(["feeder", "commands", i]);
    reader.run(c, { file: loaded.file, line: line ?? 0 });
  });
  // Unit buses must exist in the feeder before the units are added (adding them would create the bus).
  const feederBuses = new Set(reader.topology().buses);
  s.microgrids.forEach((mg, i) =>
    mg.units.forEach((u, k) => {
      if (!u.element && !feederBuses.has(busName(u.bus!))) {
        throw fieldError(Errors.UNKNOWN_NAME, unknownNameMessage("bus", u.bus!, feederBuses), loaded, ["microgrids", i, "units", k, "bus"]);
      }
    }),
  );
  // Units the scenario adds are part of the topology (their buses join sections as sources).
  unitCommands.forEach((c) => reader.run(c, { file: loaded.file, line: loaded.lineOf(["microgrids"]) ?? 0 }));
  const topology = reader.topology();

  const refOf = (ref: string, path: (string | number)[], kind: string, pool: (e: FeederElement) => boolean): FeederElement => {
    const e = findElement(topology, ref);
    if (e && pool(e)) return e;
    const candidates = topology.elements.filter(pool).map((x) => x.ref);
    throw fieldError(Errors.UNKNOWN_NAME, unknownNameMessage(kind, ref, candidates), loaded, path);
  };
  const isBranch = (e: FeederElement) => BRANCH_CLASSES.has(e.cls) && e.terminals.filter((t) => t.bus).length >= 2;
  const isUnitElement = (e: FeederElement) => ["pvsystem", "generator", "storage", "vsource"].includes(e.cls);

  const switches: ScenarioSwitch[] = [];
  s.microgrids.forEach((mg, i) =>
    mg.switches.forEach((sw, k) => {
      const e = refOf(sw, ["microgrids", i, "switches", k], "switch", isBranch);
      switches.push({ ref: e.ref, agent: i, index: k, compiled: conducts(e) ? "closed" : "open" });
    }),
  );

  const units: ScenarioUnit[] = [];
  s.microgrids.forEach((mg, i) =>
    mg.units.forEach((u, k) => {
      if (u.element) {
        const e = refOf(u.element, ["microgrids", i, "units", k, "element"], "unit element", isUnitElement);
        units.push({ unit: u, microgrid: mg.id, element: e.ref, bus: e.terminals[0]!.bus, gridForming: isGridForming(u), added: false });
      } else {
        const bus = busName(u.bus!);
        units.push({ unit: u, microgrid: mg.id, element: unitElement(u), bus, gridForming: isGridForming(u), added: true });
      }
    }),
  );

  const faulted = s.outage.faulted.map((f, k) => refOf(f, ["outage", "faulted", k], "faulted element", isBranch).ref);
  s.outage.open.forEach((f, k) => refOf(f, ["outage", "open", k], "element", isBranch));
  const lostSource =
    s.outage.lost_source === undefined
      ? undefined
      : refOf(s.outage.lost_source, ["outage", "lost_source"], "source", (e) => e.cls === "vsource").ref;

  const loadEls = topology.elements.filter((e) => e.cls === "load" && e.enabled);
  const weights = loadWeights(s, loadEls, loaded);
  const loads: ScenarioLoad[] = loadEls.map((e, i) => {
    const { kw, kvar } = loadNominal(e);
    return {
      name: e.name,
      ref: e.ref,
      bus: e.terminals[0]!.bus,
      phases: phasesOf(e),
      kw,
      kvar,
      weight: weights[i]!,
    };
  });

  const outageCommands = [
    ...faulted.flatMap((f) => [`open ${f} term=1`, `open ${f} term=2`]),
    ...s.outage.open.map((f) => `open ${canonicalElement(f)} term=2`),
    ...(lostSource ? [`edit ${lostSource} enabled=false`] : []),
  ];
  const commands = [...s.feeder.commands, ...unitCommands, ...outageCommands];
  const bound: Omit<BoundScenario, "sections"> = { ...loaded, topology, loads, switches, units, faulted, lostSource, commands, regControls: reader.regControls() };
  const sections = deriveSections(bound);
  // Static quotas must keep the worst case without the bus within every generation pool.
  for (const issue of checkQuotas(sections)) {
    throw fieldError(ScenarioErrors.QUOTA, issue.message, loaded, ["microgrids", s.microgrids.findIndex((m) => m.id === issue.microgrid), "quota_kw"]);
  }
  return { ...bound, sections };
}

function busName(spec: string): string {
  return spec.split(".")[0]!.toLowerCase();
}

/** The circuit element a unit added by the scenario becomes. */
export function unitElement(u: DerUnit): string {
  return isGridForming(u) ? `Vsource.${u.id}` : `Generator.${u.id}`;
}

/**
 * OpenDSS commands that add the scenario's own units: a grid-forming unit is a
 * voltage source (its rating is kept by the scenario and its output reported
 * against it); a grid-following one (PV at its irradiance, a battery at its
 * discharge power) a constant-power generator.
 */
export function unitPlacementCommands(s: Scenario): string[] {
  const out: string[] = [];
  for (const mg of s.microgrids) {
    for (const u of mg.units) {
      if (u.element) continue;
      const kv = u.kv;
      if (kv === undefined) continue; // bind reports the missing kv with its field
      const el = unitElement(u);
      if (isGridForming(u)) {
        // Stiff enough to hold its bus, soft enough (X/R 10, 5 % on its own kVA) to look like an inverter's or machine's source impedance.
        const zbase = (kv * kv * 1000) / u.kva;
        const x = 0.05 * zbase;
        out.push(`New ${el} bus1=${u.bus} phases=${u.phases} basekv=${kv} pu=${u.voltage_pu ?? 1} angle=0 r1=${(x / 10).toPrecision(6)} x1=${x.toPrecision(6)} r0=${(x / 10).toPrecision(6)} x0=${x.toPrecision(6)}`);
      } else {
        const kw = u.kind === "pv" ? u.kw * (u.irradiance ?? 1) : (u.discharge_kw ?? u.kw);
        out.push(`New ${el} bus1=${u.bus} phases=${u.phases} kv=${kv} kw=${kw} pf=1 model=1`);
      }
    }
  }
  return out;
}

function loadWeights(s: Scenario, loads: FeederElement[], loaded: LoadedScenario): number[] {
  const w = s.weights;
  if ("generator" in w) {
    const rng = new Rng(w.generator.seed);
    return loads.map(() => rng.int(w.generator.min, w.generator.max));
  }
  const byName = new Map(loads.map((e, i) => [e.name, i]));
  const out = loads.map(() => w.default);
  for (const [name, value] of Object.entries(w.explicit)) {
    const i = byName.get(name.toLowerCase().replace(/^load\./, ""));
    if (i === undefined) {
      throw fieldError(Errors.UNKNOWN_NAME, unknownNameMessage("load", name, byName.keys()), loaded, ["weights", "explicit", name]);
    }
    out[i] = value;
  }
  return out;
}

/** Units added at a bus need their voltage: checked here so the error names the field. */
export function requireUnitKv(loaded: LoadedScenario): void {
  loaded.scenario.microgrids.forEach((mg, i) =>
    mg.units.forEach((u, k) => {
      if (!u.element && u.kv === undefined) {
        throw fieldError(Errors.INVALID_DOCUMENT, `unit '${u.id}' is added at bus ${u.bus}: give its kv (line-to-line for 2-3 phases)`, loaded, [
          "microgrids",
          i,
          "units",
          k,
          "kv",
        ]);
      }
    }),
  );
}

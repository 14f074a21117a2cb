// Re-simulating the feeder from the journaled commands: the scenario's
// circuit at its reset state, then every command whose outcome was read as
// confirmed applied at the moment it was confirmed, all agents' commands
// merged in time order, each followed by a solve and the bench's meter (the
// cap, islands against their units, faulted sections), exactly as the bench
// measures a live run.
import { canonicalElement } from "../../shared/names.js";
import type { Plant } from "../devices/plant.js";
import { openPlant, type PlantKind } from "../devices/scenario.js";
import type { BoundScenario } from "../scenarios/bind.js";
import { Meter, type Reading } from "../bench/meter.js";
import { RunRecord } from "../bench/record.js";
import type { LoadedJournal } from "./journals.js";

export interface Resimulation {
  record: RunRecord;
  final: Reading;
  meter: Meter;
  plantKind: PlantKind;
  /** Wall ms of the first journaled decision: time zero of the report. */
  t0: number;
  applied: number;
}

export function resimulate(bound: BoundScenario, journals: readonly LoadedJournal[], plantKind: PlantKind | "auto" = "auto"): Resimulation {
  let kind: PlantKind = plantKind === "nominal" ? "nominal" : "powerflow";
  let plant: Plant;
  try {
    plant = openPlant(bound, kind);
  } catch (e) {
    if (plantKind === "powerflow") throw e;
    kind = "nominal";
    plant = openPlant(bound, kind);
  }
  const meter = new Meter(bound, plant);
  const record = new RunRecord(bound);
  const starts = journals.flatMap((j) => j.decisions.map((d) => d.at));
  const t0 = starts.length ? Math.min(...starts) : 0;
  plant.solve();
  record.instant(0, [], meter.read());
  const confirmed = journals
    .flatMap((j) => j.commands.filter((c) => c.outcome === "confirmed").map((c) => ({ ...c, microgrid: j.microgrid })))
    .sort((a, b) => a.at - b.at || a.microgrid.localeCompare(b.microgrid) || a.element.localeCompare(b.element));
  let applied = 0;
  for (const c of confirmed) {
    const el = canonicalElement(c.element);
    const want = c.action === "close";
    if (plant.isClosed(el) === want) continue;
    plant.setClosed(el, want);
    plant.solve();
    applied++;
    record.instant(Math.max(0, c.at - t0), [`${c.action} ${el}`], meter.read());
  }
  const final = meter.read();
  return { record, final, meter, plantKind: kind, t0, applied };
}

// Finding and loading scenario files: a shipped name (`ieee123-5mg`) or a
// path. Validation here covers the file alone (schema, ids, cross-references
// inside the file); names of feeder elements, loads and buses are checked
// against the compiled feeder in bind.ts.
import { existsSync, readdirSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadDocument, fieldPath } from "../../shared/documents.js";
import { BlackstartError, Errors, type ErrorDefinition } from "../../shared/errors.js";
import { canonicalElement, unknownNameMessage } from "../../shared/names.js";
import { scenarioHash } from "../../shared/scenario/hash.js";
import { Scenario } from "../../shared/scenario/schema.js";
import { ScenarioErrors } from "./errors.js";

/** Folder of the shipped scenarios (this folder). */
export const SCENARIO_DIR = dirname(fileURLToPath(import.meta.url));

export interface LoadedScenario {
  scenario: Scenario;
  file: string;
  /** sha256 of the validated content (shared/scenario/hash.ts). */
  hash: string;
  /** OpenDSS master file, absolute. */
  master: string;
  lineOf(path: readonly (string | number)[]): number | undefined;
}

export interface ScenarioListing {
  name: string;
  file: string;
  mode: "paper" | "physics";
  description: string;
  microgrids: number;
  switches: number;
}

/** Shipped scenario names, sorted. */
export function shippedScenarioNames(): string[] {
  return readdirSync(SCENARIO_DIR)
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => basename(f, ".yaml"))
    .sort();
}

/** A scenario argument: an existing file, else a shipped name. */
export function scenarioPath(nameOrFile: string): string {
  if (existsSync(nameOrFile) && /\.(ya?ml|json)$/i.test(nameOrFile)) return resolve(nameOrFile);
  const shipped = resolve(SCENARIO_DIR, `${nameOrFile}.yaml`);
  if (/^[a-z0-9][a-z0-9_-]*$/.test(nameOrFile) && existsSync(shipped)) return shipped;
  if (/[/\\]|\.(ya?ml|json)$/i.test(nameOrFile)) {
    throw new BlackstartError(Errors.FILE_NOT_FOUND, `scenario file ${nameOrFile} does not exist`, { file: nameOrFile });
  }
  throw new BlackstartError(Errors.UNKNOWN_NAME, unknownNameMessage("scenario", nameOrFile, shippedScenarioNames()));
}

export function loadScenario(nameOrFile: string): LoadedScenario {
  const file = scenarioPath(nameOrFile);
  const doc = loadDocument(file, Scenario);
  const scenario = doc.value;
  checkInternal(scenario, file, doc.lineOf);
  const master = resolve(dirname(file), scenario.feeder.master);
  if (!existsSync(master)) {
    throw new BlackstartError(Errors.FILE_NOT_FOUND, `feeder master ${scenario.feeder.master} does not exist (looked in ${dirname(file)})`, {
      file,
      ...lineAt(doc.lineOf, ["feeder", "master"]),
      field: "feeder.master",
    });
  }
  return { scenario, file, hash: scenarioHash(scenario), master, lineOf: doc.lineOf };
}

export function listScenarios(): ScenarioListing[] {
  return shippedScenarioNames().map((name) => {
    const { scenario, file } = loadScenario(name);
    return {
      name,
      file,
      mode: scenario.mode,
      description: scenario.description,
      microgrids: scenario.microgrids.length,
      switches: scenario.microgrids.reduce((n, m) => n + m.switches.length, 0),
    };
  });
}

function lineAt(lineOf: LoadedScenario["lineOf"], path: (string | number)[]): { line?: number } {
  const line = lineOf(path);
  return line === undefined ? {} : { line };
}

/** An error located at a field of the scenario file. */
export function fieldError(
  def: ErrorDefinition,
  detail: string,
  loaded: Pick<LoadedScenario, "file" | "lineOf">,
  path: (string | number)[],
): BlackstartError {
  return new BlackstartError(def, detail, { file: loaded.file, ...lineAt(loaded.lineOf, path), field: fieldPath(path) });
}

/** Cross-references inside the file: unique ids, each switch in one microgrid, forming units among the units. */
function checkInternal(s: Scenario, file: string, lineOf: LoadedScenario["lineOf"]): void {
  const where = { file, lineOf };
  const mgIds = new Set<string>();
  const unitIds = new Set<string>();
  const switchOwner = new Map<string, string>();
  s.microgrids.forEach((mg, i) => {
    if (mgIds.has(mg.id)) throw fieldError(ScenarioErrors.INCONSISTENT, `microgrid id '${mg.id}' is used twice`, where, ["microgrids", i, "id"]);
    mgIds.add(mg.id);
    mg.switches.forEach((sw, k) => {
      const key = canonicalElement(sw);
      const owner = switchOwner.get(key);
      if (owner !== undefined) {
        throw fieldError(ScenarioErrors.INCONSISTENT, `switch ${sw} already belongs to microgrid ${owner}`, where, ["microgrids", i, "switches", k]);
      }
      switchOwner.set(key, mg.id);
    });
    const own = new Set<string>();
    mg.units.forEach((u, k) => {
      if (unitIds.has(u.id)) throw fieldError(ScenarioErrors.INCONSISTENT, `unit id '${u.id}' is used twice`, where, ["microgrids", i, "units", k, "id"]);
      unitIds.add(u.id);
      own.add(u.id);
      if (!u.element && !u.bus) {
        throw fieldError(ScenarioErrors.INCONSISTENT, `unit '${u.id}' needs either 'element' (already in the feeder) or 'bus'`, where, [
          "microgrids",
          i,
          "units",
          k,
        ]);
      }
      if (u.kind === "battery" && u.soc && u.soc.min > u.soc.max) {
        throw fieldError(ScenarioErrors.INCONSISTENT, `state of charge limits min ${u.soc.min} > max ${u.soc.max}`, where, ["microgrids", i, "units", k, "soc"]);
      }
      if (u.kw > u.kva) {
        throw fieldError(ScenarioErrors.INCONSISTENT, `unit '${u.id}': kw ${u.kw} exceeds its kva ${u.kva}`, where, ["microgrids", i, "units", k, "kw"]);
      }
    });
    if (mg.forming_unit !== undefined && !own.has(mg.forming_unit)) {
      throw fieldError(Errors.UNKNOWN_NAME, unknownNameMessage("forming unit", mg.forming_unit, own), where, ["microgrids", i, "forming_unit"]);
    }
    if (mg.forming_unit !== undefined) {
      const u = mg.units.find((x) => x.id === mg.forming_unit)!;
      if (!isGridForming(u)) {
        throw fieldError(ScenarioErrors.INCONSISTENT, `forming unit '${u.id}' is a ${u.kind} unit that cannot form an island (set grid_forming: true)`, where, [
          "microgrids",
          i,
          "forming_unit",
        ]);
      }
    }
  });
}

/** Diesel and grid-forming units form islands unless told otherwise; PV and batteries only when told. */
export function isGridForming(u: { kind: string; grid_forming?: boolean | undefined }): boolean {
  if (u.grid_forming !== undefined) return u.grid_forming;
  return u.kind === "diesel" || u.kind === "grid-forming";
}

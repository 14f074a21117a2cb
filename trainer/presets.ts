// Per-scenario training presets (trainer/presets/<scenario>.yaml): the
// settings measured to work on a shipped scenario where HARL's defaults do not.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { loadDocument } from "../shared/documents.js";
import { TrainConfig, type TrainConfigInput } from "./config.js";

/**
 * A YAML/JSON file of training options, validated (errors name file, line and
 * field), holding only the keys the file sets: the defaults stay out, so they
 * do not override flags or a preset.
 */
export function loadConfigFile(file: string): TrainConfigInput {
  const valid = loadDocument(file, TrainConfig.partial()).value as Record<string, unknown>;
  const raw = (parse(readFileSync(file, "utf8")) ?? {}) as Record<string, unknown>;
  return Object.fromEntries(Object.keys(raw).map((k) => [k, valid[k]])) as TrainConfigInput;
}

export function presetFile(scenario: string): string {
  return fileURLToPath(new URL(`./presets/${scenario}.yaml`, import.meta.url));
}

/** The preset for a scenario name, or undefined. */
export function loadPreset(scenario: string): { file: string; config: TrainConfigInput } | undefined {
  const file = presetFile(scenario);
  if (!existsSync(file)) return undefined;
  return { file, config: loadConfigFile(file) };
}

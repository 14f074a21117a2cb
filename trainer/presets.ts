// Per-scenario training presets (trainer/presets/<scenario>.yaml): the
// settings measured to work on a shipped scenario where HARL's defaults do not.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { loadDocument } from "../shared/documents.js";
import { TrainConfig, type TrainConfigInput } from "./config.js";

export function presetFile(scenario: string): string {
  return fileURLToPath(new URL(`./presets/${scenario}.yaml`, import.meta.url));
}

/** The preset for a scenario name, or undefined. */
export function loadPreset(scenario: string): { file: string; config: TrainConfigInput } | undefined {
  const file = presetFile(scenario);
  if (!existsSync(file)) return undefined;
  return { file, config: loadDocument(file, TrainConfig.partial()).value };
}

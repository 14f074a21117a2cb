// Test helpers: scenario files written to a temp folder next to the shipped feeders.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { BlackstartError } from "../../../shared/errors.js";
import { SCENARIO_DIR } from "../load.js";

/** Text of a shipped scenario. */
export function shippedText(name: string): string {
  return readFileSync(join(SCENARIO_DIR, `${name}.yaml`), "utf8");
}

/** Write a scenario to a temp file; feeder paths `feeders/...` are rewritten to point at the shipped feeders. */
export function writeScenario(text: string, file = "scenario.yaml"): string {
  const dir = mkdtempSync(join(tmpdir(), "blackstart-scenario-"));
  const path = join(dir, file);
  const feeders = relative(dir, join(SCENARIO_DIR, "feeders"));
  writeFileSync(path, text.replace(/master: feeders\//g, `master: ${feeders}/`));
  return path;
}

export function errorOf(fn: () => unknown): BlackstartError {
  try {
    fn();
  } catch (e) {
    if (e instanceof BlackstartError) return e;
    throw e;
  }
  throw new Error("expected a BlackstartError");
}

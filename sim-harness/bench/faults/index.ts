// The fault files shipped with the bench (this folder, *.yaml): each states
// what goes wrong, when, and the end state it must lead to (docs/bench.md).
import { readdirSync } from "node:fs";
import { join } from "node:path";

export const FAULTS_DIR = import.meta.dirname;

/** The shipped fault files, by name (file name without .yaml). */
export function shippedFaults(): { name: string; file: string }[] {
  return readdirSync(FAULTS_DIR)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => ({ name: f.slice(0, -5), file: join(FAULTS_DIR, f) }));
}

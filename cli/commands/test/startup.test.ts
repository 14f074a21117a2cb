// The command line starts lean: registering every command (what `blackstart
// --help` and every subcommand do before their action runs) loads none of the
// heavy packages; each action loads its implementation with `await import`.
// Checked through the CommonJS module cache of a real process (node-opcua,
// tfjs, onnxruntime, better-sqlite3, aedes, modbus-serial and highs are
// CommonJS, so loading any of them leaves its files there).
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../../test/support/paths.js";

const HEAVY = ["node-opcua", "@tensorflow", "onnxruntime-node", "better-sqlite3", "aedes", "modbus-serial", "highs"];

/** Packages of HEAVY whose files are in the CommonJS cache after `code` ran (an ES module body). */
function heavyLoaded(code: string): string[] {
  const script = `
    import { createRequire } from "node:module";
    ${code}
    const cache = Object.keys(createRequire(import.meta.url).cache);
    const heavy = ${JSON.stringify(HEAVY)};
    process.stderr.write("LOADED " + JSON.stringify(heavy.filter((h) => cache.some((f) => f.includes("/node_modules/" + h + "/")))) + "\\n");
  `;
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: REPO_ROOT, encoding: "utf8", timeout: 60_000 });
  const line = r.stderr.split("\n").find((l) => l.startsWith("LOADED "));
  if (!line) throw new Error(`probe failed (exit ${r.status}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(line.slice("LOADED ".length)) as string[];
}

describe("command line start-up", () => {
  it("registering every command loads no heavy package; running one loads what it needs", () => {
    const register = `
      import { Command } from "commander";
      import { commands } from "./cli/commands/index.ts";
      const program = new Command().exitOverride();
      for (const r of commands) r(program);
    `;
    expect(heavyLoaded(register)).toEqual([]);
    // The probe can fail: importing an implementation does load its packages.
    expect(heavyLoaded(`${register}\nawait import("./agent/journal/read.ts");`)).toEqual(["better-sqlite3"]);
  });

  it("`blackstart --help` prints only the help on stdout and exits 0", () => {
    const r = spawnSync(process.execPath, [join(REPO_ROOT, "bin/blackstart.mjs"), "--help"], { cwd: REPO_ROOT, encoding: "utf8", timeout: 60_000 });
    expect(r.status).toBe(0);
    expect(r.stdout.startsWith("Usage: blackstart")).toBe(true);
    for (const c of ["start", "bench", "replay", "agent", "journal", "scenario", "sim", "train", "export-onnx", "powerflow"]) expect(r.stdout).toMatch(new RegExp(`^  ${c} `, "m"));
  });
});

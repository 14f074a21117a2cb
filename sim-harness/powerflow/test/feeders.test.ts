// The feeders without an OpenDSS reference parse and converge (the parser and
// the models are general, not fitted to the referenced ones), and the
// command line behaves as documented.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FEEDERS_DIR, HAVE_SHARED, REPO_ROOT } from "../../../test/support/paths.js";
import { loadFeeder } from "../opendss/feeder.js";

const NO_REFERENCE = ["ieee34/ieee34Mod1.dss", "ieee34/ieee34Mod2.dss", "ieee37/ieee37.dss", "ckt5/Master_ckt5.dss", "ckt24/master_ckt24.dss"];

describe.skipIf(!HAVE_SHARED)("feeders without a reference", () => {
  for (const m of NO_REFERENCE) {
    it(`${m} parses and converges at OpenDSS's default tolerance`, () => {
      const f = loadFeeder(join(FEEDERS_DIR, m), { solve: true });
      const r = f.result!;
      expect(r.converged, r.messages.join("; ")).toBe(true);
      expect(r.controlLimitReached).toBe(false);
      const pu = f.pf.voltages().filter((v) => v.vpu !== undefined && v.vmag > 0).map((v) => v.vpu!);
      expect(pu.length).toBeGreaterThan(0);
      // Plausible distribution voltages everywhere a base is known.
      expect(Math.min(...pu)).toBeGreaterThan(0.8);
      expect(Math.max(...pu)).toBeLessThan(1.15);
      expect(f.pf.totalPower().kW).toBeGreaterThan(0);
    });
  }
});

describe.skipIf(!HAVE_SHARED)("loadFeeder", () => {
  it("hands back a power flow with the script's options and without recompiling for `set` commands", () => {
    const f = loadFeeder(join(FEEDERS_DIR, "ieee13/IEEE13Nodeckt.dss"), { commands: ["set maxiterations=77", "set tolerance=1e-7", "set loadmult=0.5"] });
    expect(f.pf.options.maxIterations).toBe(77);
    expect(f.pf.options.tolerance).toBe(1e-7);
    expect(f.pf.options.loadMult).toBe(0.5);
    // The master's own solve left taps; options alone keep that compiled circuit.
    expect(f.pf.tapPositions()).toEqual({ reg1: 9, reg2: 6, reg3: 9 });
    const r = f.pf.solve();
    expect(r.converged).toBe(true);
    expect(f.pf.loadPowers().find((l) => l.name === "Load.671")!.kW).toBeCloseTo(577.5, 0);
  });
});

const CLI = join(REPO_ROOT, "bin/blackstart.mjs");

describe.skipIf(!HAVE_SHARED)("blackstart powerflow", () => {
  it("--json prints the summary fields and --out writes voltages.csv in the references' format", () => {
    const dir = mkdtempSync(join(tmpdir(), "pf-cli-"));
    try {
      const out = execFileSync(
        process.execPath,
        [CLI, "powerflow", join(FEEDERS_DIR, "ieee123/IEEE123Master.dss"), "--command", "open Line.Sw7 term=1", "--json", "--out", dir],
        { encoding: "utf8" },
      );
      const j = JSON.parse(out) as Record<string, unknown>;
      for (const k of [
        "converged",
        "iterations",
        "control_iterations",
        "total_power_kw",
        "total_power_kvar",
        "losses_kw",
        "losses_kvar",
        "num_buses",
        "num_nodes",
        "parse_ms",
        "solve_ms",
        "tap_positions",
        "cap_states",
        "deenergized_buses",
        "violations",
      ])
        expect(j, k).toHaveProperty(k);
      expect(j.converged).toBe(true);
      // Sw7 feeds the normally-open point 300_OPEN: opening its first terminal de-energizes it.
      expect(j.deenergized_buses).toEqual(["300_open"]);
      const csv = readFileSync(join(dir, "voltages.csv"), "utf8").split("\n");
      expect(csv[0]).toBe("bus,node,vmag_volts,vang_deg,vmag_pu");
      expect(csv.some((l) => l.startsWith("300_open,1,0,"))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("without --json prints a readable summary", () => {
    const out = execFileSync(process.execPath, [CLI, "powerflow", join(FEEDERS_DIR, "ieee13/IEEE13Nodeckt.dss")], { encoding: "utf8" });
    expect(out).toMatch(/converged in \d+ iterations/);
    expect(out).toMatch(/regulator taps: reg1 9, reg2 6, reg3 9/);
  });

  it("bad input is one line naming file and line, exit code 2", () => {
    const dir = mkdtempSync(join(tmpdir(), "pf-bad-"));
    try {
      const missing = spawnSync(process.execPath, [CLI, "powerflow", join(dir, "nope.dss")], { encoding: "utf8" });
      expect(missing.status).toBe(2);
      expect(missing.stderr.trim().split("\n")).toHaveLength(1);
      const bad = spawnSync(process.execPath, [CLI, "powerflow", join(FEEDERS_DIR, "ieee13/IEEE13Nodeckt.dss"), "--command", "new Widget.w1 bus1=650"], {
        encoding: "utf8",
      });
      expect(bad.status).toBe(2);
      expect(bad.stderr).toMatch(/<--command>:1: .*BLACKSTART_ERR_DSS_UNKNOWN_CLASS/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

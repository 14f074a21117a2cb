// Every feeder master in ../shared/feeders parses with no unsupported-feature
// error: the IEEE and EPRI test circuits and the unit cases that have an
// OpenDSS reference. Counts are spot checks that the model holds what the
// script defines.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FEEDERS_DIR, HAVE_SHARED } from "../../../test/support/paths.js";
import { loadDss } from "../index.js";

const MASTERS = [
  "ieee4/4Bus-DY-Bal/4Bus-DY-Bal.DSS",
  "ieee4/4Bus-GrdYD-Bal/4Bus-GrdYD-Bal.DSS",
  "ieee4/4Bus-OYOD-Bal/4Bus-OYOD-Bal.DSS",
  "ieee4/4Bus-OYOD-UnBal/4bus-OYOD-UnBal.dss",
  "ieee4/4Bus-YD-Bal/4Bus-YD-Bal.DSS",
  "ieee4/4Bus-YY-Bal/4Bus-YY-Bal.DSS",
  "ieee13/IEEE13Nodeckt.dss",
  "ieee34/ieee34Mod1.dss",
  "ieee34/ieee34Mod2.dss",
  "ieee37/ieee37.dss",
  "ieee123/IEEE123Master.dss",
  "ieee123-paper/IEEE123Master.dss",
  "ieee8500/Master.dss",
  "ieee8500/Master-unbal.dss",
  "ieee8500-paper/Master.dss",
  "ckt5/Master_ckt5.dss",
  "ckt7/Master_ckt7.dss",
  "ckt24/master_ckt24.dss",
];

const UNIT_CASES = HAVE_SHARED && existsSync(join(FEEDERS_DIR, "unit/reference")) ? readdirSync(join(FEEDERS_DIR, "unit/reference")) : [];

describe.skipIf(!HAVE_SHARED)("feeders parse", () => {
  for (const m of [...MASTERS, ...UNIT_CASES.map((c) => `unit/${c}.dss`)]) {
    it(m, () => {
      const { circuit } = loadDss(join(FEEDERS_DIR, m));
      expect(circuit.source).toBeDefined();
      for (const el of circuit.circuitElements()) {
        if (el.cls.def.layout) expect(el.terminals().every((t) => t.bus.length > 0)).toBe(true);
      }
    });
  }

  it("ieee123 holds what its script defines", () => {
    const { circuit } = loadDss(join(FEEDERS_DIR, "ieee123/IEEE123Master.dss"));
    expect(circuit.ofClass("line")).toHaveLength(126);
    expect(circuit.ofClass("load")).toHaveLength(91);
    expect(circuit.ofClass("regcontrol")).toHaveLength(7);
    expect(circuit.ofClass("capacitor")).toHaveLength(4);
    expect(circuit.options.voltageBases).toEqual([4.16, 0.48]);
    expect(circuit.requests.map((r) => r.command)).toEqual(["calcvoltagebases"]);
    const sw = circuit.find("line", "sw7")!;
    expect(sw.bool("Switch")).toBe(true);
  });

  it("ieee8500-paper: switches without phases=1 on a single-node bus become 3-conductor", () => {
    const { circuit } = loadDss(join(FEEDERS_DIR, "ieee8500-paper/Master.dss"));
    const threeOnOne = circuit.ofClass("line").filter((l) => {
      const t = l.terminals();
      return l.bool("Switch") && t[0]!.nodes.length === 3 && /\.\d$/.test(String(l.get("bus1"))) === false;
    });
    expect(threeOnOne.length).toBeGreaterThan(0);
  });
});

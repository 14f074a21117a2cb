// Switching through the API (incremental restamp, partial refactorization,
// warm start) must land where a fresh compile with the same switch states
// lands: the paper's IEEE 123 agents open all their switches, then close
// them back in a shuffled order, comparing every node after each step.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FEEDERS_DIR, HAVE_SHARED, PAPER_DIR } from "../../../test/support/paths.js";
import type { PowerFlow } from "../index.js";
import { loadFeeder } from "../opendss/feeder.js";

function maxDiff(a: PowerFlow, b: PowerFlow): number {
  const ref = new Map(b.voltages().map((v) => [`${v.bus}.${v.node}`, v]));
  let worst = 0;
  for (const v of a.voltages()) {
    const r = ref.get(`${v.bus}.${v.node}`)!;
    const base = r.vpu !== undefined && r.vpu > 0 ? r.vmag / r.vpu : Math.max(r.vmag, 1);
    worst = Math.max(worst, Math.abs(v.vmag - r.vmag) / base);
  }
  return worst;
}

describe.skipIf(!HAVE_SHARED)("switching through the API", () => {
  it("agrees with a fresh compile after every switch operation (ieee123-paper agents)", () => {
    const paper = JSON.parse(readFileSync(join(PAPER_DIR, "ieee123-5mg.json"), "utf8")) as { agents: string[][] };
    const switches = paper.agents.flat();
    const master = join(FEEDERS_DIR, "ieee123-paper/IEEE123Master.dss");
    const tight = ["set tolerance=1e-9", "set maxiterations=200"];
    const live = loadFeeder(master, { commands: tight, solve: true }).pf;
    const open = new Set<string>();
    const fresh = () =>
      loadFeeder(master, { commands: [...tight, ...[...open].map((s) => `open Line.${s} term=2`), ...fixTaps(live)], solve: true }).pf;
    // Regulator taps are state: the fresh compile starts from the live circuit's taps.
    const fixTaps = (pf: PowerFlow) => Object.entries(pf.tapPositions()).map(([t, pos]) => `Transformer.${t}.taps=[1 ${1 + pos * 0.00625}]`);
    const order = [...switches];
    for (const sw of order) {
      live.open(`Line.${sw}`, 2);
      open.add(sw);
    }
    let r = live.solve();
    expect(r.converged).toBe(true);
    expect(live.deenergizedBuses().length).toBeGreaterThan(50);
    expect(maxDiff(live, fresh())).toBeLessThan(1e-6);
    // Close in a fixed shuffled order, checking a few steps against fresh compiles.
    const shuffled = [...order].sort((a, b) => ((a.length * 7919 + a.charCodeAt(1)) % 13) - ((b.length * 7919 + b.charCodeAt(1)) % 13));
    shuffled.forEach((sw, k) => {
      live.close(`Line.${sw}`, 2);
      open.delete(sw);
      r = live.solve();
      expect(r.converged, `after closing ${sw}`).toBe(true);
      if (k % 6 === 5 || k === shuffled.length - 1) expect(maxDiff(live, fresh()), `after closing ${sw}`).toBeLessThan(1e-6);
    });
    expect(live.deenergizedBuses()).toEqual(["150", "150r"]);
  });
});

import { describe, expect, it } from "vitest";
import { PowerFlow } from "../index.js";
import type { TransformerSpec } from "../network.js";
import { line, load, network, source } from "./helpers.js";

/** Balanced case by hand: per-phase Thevenin source, positive-sequence line, constant-PQ load. */
function perPhase(kV: number, zsrc: [number, number], zline: [number, number], kW: number, kvar: number) {
  const e = (kV * 1000) / Math.sqrt(3);
  const zr = zsrc[0] + zline[0];
  const zi = zsrc[1] + zline[1];
  let vr = e;
  let vi = 0;
  const p = (kW * 1000) / 3;
  const q = (kvar * 1000) / 3;
  for (let k = 0; k < 200; k++) {
    const m2 = vr * vr + vi * vi;
    const ir = (p * vr + q * vi) / m2;
    const ii = (p * vi - q * vr) / m2;
    vr = e - (zr * ir - zi * ii);
    vi = -(zr * ii + zi * ir);
  }
  return Math.hypot(vr, vi);
}

describe("PowerFlow API on a hand-built feeder", () => {
  const zs: [number, number] = [0.3, 0.9];
  const zm: [number, number] = [0.1, 0.4];
  const spec = () =>
    network([
      source("src", 12.47),
      line("l1", "src", "a", zs, zm),
      line("l2", "a", "b", zs, zm),
      load("ld", "b", 12.47, 1500, 600),
      line("tie", "b", "c", [0.01, 0.01], [0, 0]),
      load("lc", "c", 12.47, 200, 50),
    ]);

  it("matches the per-phase hand solution of a balanced feeder", () => {
    const pf = PowerFlow.fromSpec(spec());
    pf.open("Line.tie", 2);
    const r = pf.solve();
    expect(r.converged).toBe(true);
    // Source positive-sequence impedance is z1; line positive sequence is zs - zm (two lines).
    const vHand = perPhase(12.47, [0.01, 0.1], [2 * (zs[0] - zm[0]), 2 * (zs[1] - zm[1])], 1500, 600);
    const vb = pf.voltage("b", 1)!;
    expect(vb.vmag).toBeCloseTo(vHand, 6);
    expect(vb.vpu).toBeCloseTo(vHand / (12470 / Math.sqrt(3)), 9);
    // Load power is what it asked for; source power = load + losses.
    const ld = pf.loadPowers().find((l) => l.name === "Load.ld")!;
    expect(ld.kW).toBeCloseTo(1500, 6);
    expect(ld.kvar).toBeCloseTo(600, 6);
    const tot = pf.totalPower();
    const loss = pf.losses();
    expect(tot.kW).toBeCloseTo(1500 + loss.kW, 6);
    expect(tot.kvar).toBeCloseTo(600 + loss.kvar, 6);
    // The open tie leaves bus c de-energized (not a singular matrix).
    expect(pf.deenergizedBuses()).toEqual(["c"]);
    expect(pf.voltage("c", 1)!.vmag).toBe(0);
    expect(pf.islands()).toHaveLength(1);
    expect(pf.islands()[0]!.sources).toEqual(["Vsource.source"]);
  });

  it("re-solves after closing a switch and agrees with a fresh compile", () => {
    const pf = PowerFlow.fromSpec(spec());
    pf.open("Line.tie", 2);
    pf.solve();
    pf.close("Line.tie", 2);
    const r = pf.solve();
    expect(r.converged).toBe(true);
    expect(pf.deenergizedBuses()).toEqual([]);
    const fresh = PowerFlow.fromSpec(spec());
    fresh.solve();
    for (const v of fresh.voltages()) expect(pf.voltage(v.bus, v.node)!.vmag).toBeCloseTo(v.vmag, 5);
  });

  it("forks are independent", () => {
    const a = PowerFlow.fromSpec(spec());
    a.solve();
    const b = a.fork();
    b.setEnabled("Load.ld", false);
    b.solve();
    a.solve();
    expect(b.voltage("b", 1)!.vmag).toBeGreaterThan(a.voltage("b", 1)!.vmag);
    expect(a.loadPowers().find((l) => l.name === "Load.ld")!.kW).toBeCloseTo(1500, 6);
    expect(b.loadPowers().find((l) => l.name === "Load.ld")!.kW).toBe(0);
  });

  it("resetTo restores a fork to the base state in place", () => {
    const base = PowerFlow.fromSpec(spec());
    base.solve();
    const env = base.fork();
    env.open("Line.l2", 1);
    env.setLoadMult(0.3);
    env.solve();
    expect(env.deenergizedBuses()).toEqual(["b", "c"]);
    env.resetTo(base);
    expect(env.isClosed("Line.l2", 1)).toBe(true);
    env.solve();
    expect(env.deenergizedBuses()).toEqual([]);
    for (const v of base.voltages()) expect(env.voltage(v.bus, v.node)!.vmag).toBeCloseTo(v.vmag, 6);
    expect(env.loadPowers().find((l) => l.name === "Load.ld")!.kW).toBeCloseTo(1500, 6);
  });

  it("load multiplier scales constant-PQ loads", () => {
    const pf = PowerFlow.fromSpec(spec());
    pf.setLoadMult(0.5);
    pf.solve();
    expect(pf.loadPowers().find((l) => l.name === "Load.ld")!.kW).toBeCloseTo(750, 6);
  });

  it("reports low voltage at load buses", () => {
    const s = spec();
    (s.elements[3] as ReturnType<typeof load>).kW = 40000;
    const pf = PowerFlow.fromSpec(s);
    pf.solve();
    const v = pf.violations();
    expect(v.some((x) => x.kind === "voltage-low" && x.element.startsWith("b."))).toBe(true);
  });

  it("says so when it does not converge within the iteration cap", () => {
    const pf = PowerFlow.fromSpec(spec());
    pf.setOptions({ maxIterations: 2, tolerance: 1e-14 });
    const r = pf.solve();
    expect(r.converged).toBe(false);
    expect(r.messages[0]).toMatch(/did not converge in 2 iterations/);
  });

  it("a floating winding (ppm_antifloat=0, nothing to ground) is pinned and reported, not a crash", () => {
    const w = (conn: "wye" | "delta", kV: number) => ({ conn, kV, kVA: 1000, tap: 1, rPu: 0.005, rneut: -1, xneut: 0, minTap: 0.9, maxTap: 1.1, numTaps: 32 });
    const xf: TransformerSpec = {
      kind: "transformer",
      name: "Transformer.t1",
      enabled: true,
      terminals: [
        { bus: "src", nodes: [1, 2, 3, 0] },
        { bus: "lv", nodes: [1, 2, 3, 0] },
      ],
      phases: 3,
      windings: [w("wye", 12.47), w("delta", 4.16)],
      xsc: [0.06],
      pctNoLoadLoss: 0,
      pctImag: 0,
      ppmAntifloat: 0,
      hvLeadsLv: false,
      normHkVA: 1100,
      emergHkVA: 1500,
    };
    const pf = PowerFlow.fromSpec(
      network([source("src", 12.47), xf, load("dl", "lv", 4.16, 300, 100, { conn: "delta", terminals: [{ bus: "lv", nodes: [1, 2, 3] }] })], {
        voltageBases: [12.47, 4.16],
      }),
    );
    const r = pf.solve();
    expect(r.converged).toBe(true);
    expect(r.messages.some((m) => /no reference to ground/.test(m))).toBe(true);
    const ld = pf.loadPowers()[0]!;
    expect(ld.kW).toBeCloseTo(300, 3);
  });

  it("several islands, each with its own source, solve together; a tie merges them", () => {
    const g2 = { ...source("src2", 12.47, { angleDeg: -2 }), name: "Vsource.mg2" };
    g2.terminals = [
      { bus: "src2", nodes: [1, 2, 3] },
      { bus: "src2", nodes: [0, 0, 0] },
    ];
    const zs: [number, number] = [0.3, 0.9];
    const zm: [number, number] = [0.1, 0.4];
    const pf = PowerFlow.fromSpec(
      network([
        source("src", 12.47),
        line("a1", "src", "a", zs, zm),
        load("la", "a", 12.47, 800, 300),
        g2,
        line("b1", "src2", "b", zs, zm),
        load("lb", "b", 12.47, 500, 200),
        line("tie", "a", "b", zs, zm),
      ]),
    );
    pf.open("Line.tie", 1);
    let r = pf.solve();
    expect(r.converged).toBe(true);
    const isl = pf.islands();
    expect(isl).toHaveLength(2);
    expect(isl.map((i) => i.sources.join("+")).sort()).toEqual(["Vsource.mg2", "Vsource.source"]);
    const i2 = isl.find((i) => i.sources[0] === "Vsource.mg2")!;
    expect(i2.loadKw).toBeCloseTo(500, 3);
    expect(i2.sourceKw).toBeGreaterThan(500);
    expect(i2.sourceKw - i2.loadKw).toBeLessThan(20);
    expect(pf.loadPowers().map((l) => Math.round(l.kW))).toEqual([800, 500]);
    // Each source carries its own island's load plus losses.
    const p2 = -pf.flow("Vsource.mg2").terminals[0]!.kW;
    expect(p2).toBeGreaterThan(500);
    expect(p2).toBeLessThan(520);
    pf.close("Line.tie", 1);
    r = pf.solve();
    expect(r.converged).toBe(true);
    expect(pf.islands()).toHaveLength(1);
    expect(pf.islands()[0]!.sources.sort()).toEqual(["Vsource.mg2", "Vsource.source"]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { profileById } from "../../../shared/profile/load.js";
import { bindScenarioFile, type BoundScenario } from "../../scenarios/bind.js";
import { DeviceHarness } from "../harness.js";
import { PowerFlowPlant } from "../powerflow-plant.js";
import { openPlant, planFromScenario } from "../scenario.js";
import { close, connect, readPoint, type Client } from "./support/client.js";

// The IEEE 123-bus paper scenario on the real power flow: every agent switch is a recloser on
// its own port, at the scenario's reset (all agent switches open).
let bound: BoundScenario;
let plant: PowerFlowPlant;
let h: DeviceHarness;
const clients: Client[] = [];

beforeAll(async () => {
  bound = bindScenarioFile("ieee123-5mg");
  plant = openPlant(bound, "powerflow") as PowerFlowPlant;
  h = await DeviceHarness.start(planFromScenario(bound), plant, { clock: "lockstep" });
});

afterAll(async () => {
  for (const c of clients) await close(c);
  await h?.stop();
});

describe("ieee123-5mg devices on the power flow", () => {
  it("has one recloser per agent switch, at the reset state", () => {
    const eps = h.endpoints();
    expect(eps).toHaveLength(bound.switches.length);
    expect(eps.every((e) => e.profile === "recloser-modbus" && e.protocol === "modbus")).toBe(true);
    for (const sw of bound.switches) expect(plant.isClosed(sw.ref)).toBe(false);
  });

  it("closes a switch through select-before-operate and serves the solved current and voltage within one least significant digit", async () => {
    const recloser = profileById("recloser-modbus");
    // Line.L1 leaves the source bus: closing it energizes its section.
    const ep = h.endpoints().find((e) => e.element === "Line.l1")!;
    const c = await connect(ep.port);
    clients.push(c);
    await c.writeRegister(0, 2);
    await c.writeRegister(1, 2);
    const r = h.step(100);
    expect(r.operations).toEqual(["close Line.l1"]);
    expect(r.solve.converged).toBe(true);
    expect((await c.readDiscreteInputs(0, 1)).data[0]).toBe(true);
    const f = plant.pf.flow("Line.l1").terminals[0]!;
    expect(f.kW).toBeGreaterThan(10);
    // L1 is single-phase (phase b): each conductor's current lands on its phase's register, the others read 0.
    const t1 = plant.pf.circuit.element("Line.l1").spec.terminals[0]!;
    const want = [0, 0, 0];
    t1.nodes.forEach((node, k) => {
      if (node >= 1 && node <= 3) want[node - 1] = f.amps[k]!;
    });
    expect(want.filter((x) => x > 0)).toHaveLength(t1.nodes.filter((n) => n >= 1 && n <= 3).length);
    for (const [i, ref] of ["current_a", "current_b", "current_c"].entries()) {
      const got = (await readPoint(c, recloser, ref)) as number;
      expect(Math.abs(got - want[i]!), ref).toBeLessThanOrEqual(0.1);
    }
    const node = t1.nodes[0]!;
    const v = (await readPoint(c, recloser, ["voltage_a", "voltage_b", "voltage_c"][node - 1]!)) as number;
    expect(Math.abs(v - plant.pf.voltage(t1.bus, node)!.vmag)).toBeLessThanOrEqual(1);
    const p = (await readPoint(c, recloser, "p_total")) as number;
    expect(Math.abs(p - f.kW)).toBeLessThanOrEqual(0.1);
  });
});

describe("the nominal plant", () => {
  it("energizes a section when its switch closes and carries the nominal load downstream", async () => {
    const { NominalPlant } = await import("../nominal-plant.js");
    const p = new NominalPlant(bound);
    p.solve();
    expect(p.measure("Line.l1").energized).toBe(true); // its source side is live
    expect(p.measure("Line.l1").pKw).toBe(0);
    p.setClosed("Line.l1", true);
    expect(p.solve().solution).toBe(2);
    const m = p.measure("Line.l1");
    const k = bound.sections.switches.findIndex((s) => s.element.toLowerCase() === "line.l1");
    const downstream = bound.sections.sections.find((s) => s.id === bound.sections.switches[k]!.sections[1])!;
    expect(m.pKw).toBeGreaterThanOrEqual(downstream.load_kw - 1e-9);
    expect(p.solve().solution).toBe(2); // nothing changed: no new solution
  });
});

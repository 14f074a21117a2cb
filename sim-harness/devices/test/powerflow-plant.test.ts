import { afterEach, describe, expect, it } from "vitest";
import { profileById } from "../../../shared/profile/load.js";
import { DeviceHarness } from "../harness.js";
import { PowerFlowPlant } from "../powerflow-plant.js";
import { close, connect, readPoint, type Client } from "./support/client.js";
import { smallFeeder, smallFeederPlan } from "./support/feeder.js";

let h: DeviceHarness | undefined;
const clients: Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await close(c);
  await h?.stop();
  h = undefined;
});

describe("devices on the power flow", () => {
  it("serve measurements equal to the power flow's within one least significant digit, and operate it", async () => {
    const pf = smallFeeder();
    const plant = new PowerFlowPlant(pf);
    h = await DeviceHarness.start(smallFeederPlan(), plant);
    const [swEp, pvEp] = h.endpoints();
    const sw = await connect(swEp!.port);
    const pv = await connect(pvEp!.port);
    clients.push(sw, pv);
    const recloser = profileById("recloser-modbus");
    const der = profileById("sunspec-inverter-der");

    const check = async () => {
      const f = pf.flow("Line.sw").terminals[0]!;
      const va = pf.voltage("a", 1)!.vmag;
      const lsd = (ref: string) => recloser.byRef.get(ref)!.scale!;
      const within = async (ref: string, want: number) => {
        const got = (await readPoint(sw, recloser, ref)) as number;
        expect(Math.abs(got - want), `${ref}: ${got} vs ${want}`).toBeLessThanOrEqual(lsd(ref) / 2 + 1e-9);
      };
      await within("current_a", f.amps[0]!);
      await within("current_c", f.amps[2]!);
      await within("voltage_a", va);
      await within("p_total", f.kW);
      await within("q_total", f.kvar);
      const g = pf.flow("Generator.pv1").terminals[0]!;
      const w = (await readPoint(pv, der, "DERMeasureAC.W")) as number;
      const wSf = (await readPoint(pv, der, "DERMeasureAC.W_SF")) as number;
      expect(Math.abs(w - -g.kW * 1000)).toBeLessThanOrEqual(10 ** wSf / 2 + 1e-6);
      const vl1 = (await readPoint(pv, der, "DERMeasureAC.VL1")) as number;
      const vSf = (await readPoint(pv, der, "DERMeasureAC.V_SF")) as number;
      expect(Math.abs(vl1 - va)).toBeLessThanOrEqual(10 ** vSf / 2 + 1e-6);
    };

    expect(plant.isClosed("Line.sw")).toBe(true);
    await check();
    expect((await readPoint(sw, recloser, "p_total")) as number).toBeCloseTo(1200, -1);

    // Open through select-before-operate: the load bus goes dead in the power flow and in the readings.
    await sw.writeRegister(0, 1);
    await sw.writeRegister(1, 1);
    expect(h.step(100).operations).toEqual(["open Line.sw"]);
    expect(pf.deenergizedBuses()).toEqual(["b"]);
    expect((await sw.readDiscreteInputs(0, 1)).data[0]).toBe(false);
    await check();
    expect(await readPoint(sw, recloser, "current_a")).toBe(0);

    // Limit the inverter to 40 %: its output in the power flow drops to 120 kW.
    const pct = der.byRef.get("DERCtlAC.WMaxLimPct")!;
    await pv.writeRegister(pct.address!, 400);
    await pv.writeRegister(der.byRef.get("DERCtlAC.WMaxLimPctEna")!.address!, 1);
    h.step(100);
    expect(-pf.flow("Generator.pv1").terminals[0]!.kW).toBeCloseTo(120, 6);
    await check();
  });
});

import { afterEach, describe, expect, it } from "vitest";
import { encodePoint } from "../../../shared/profile/codec.js";
import { profileById } from "../../../shared/profile/load.js";
import { discoverSunSpec } from "../../../shared/profile/sunspec.js";
import { DeviceHarness, type HarnessPlan } from "../harness.js";
import { close, connect, exceptionOf, readPoint, type Client } from "./support/client.js";
import { PlantDouble } from "./support/plant-double.js";

const recloser = profileById("recloser-modbus");
const SW = "Line.l35";
const PV = "Generator.pv1";
const BAT = "Generator.bat1";

function plan(modbusPorts: "per-device" | "shared" = "per-device"): HarnessPlan {
  return {
    modbusPorts,
    switches: [{ element: SW, phases: [0, 1, 2], faulted: false, binding: { profile: "recloser-modbus", protocol: "modbus" } }],
    ders: [
      { id: "pv1", kind: "pv", element: PV, ratings: { kw: 520, kva: 520 }, vLnV: 2401.8, phases: 3, binding: { profile: "sunspec-inverter-der", protocol: "modbus" } },
      {
        id: "bat1",
        kind: "battery",
        element: BAT,
        ratings: { kw: 250, kva: 275, kwh: 1000, soc: { initial: 0.8, min: 0.1, max: 1 } },
        vLnV: 2401.8,
        phases: 3,
        binding: { profile: "sunspec-battery-legacy", protocol: "modbus" },
      },
    ],
  };
}

function plant(): PlantDouble {
  return new PlantDouble(
    new Map([[SW, { closed: false, loadKw: 812.3, loadKvar: 301.7, vLnV: 2401.8 }]]),
    new Map([
      [PV, { availableKw: 431.25, vLnV: 2401.8 }],
      [BAT, { availableKw: 200, vLnV: 2401.8 }],
    ]),
  );
}

let h: DeviceHarness | undefined;
const clients: Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await close(c);
  await h?.stop();
  h = undefined;
});

async function start(p = plant(), modbusPorts: "per-device" | "shared" = "per-device") {
  h = await DeviceHarness.start(plan(modbusPorts), p, { clock: "lockstep" });
  const eps = h.endpoints();
  const client = async (device: string) => {
    const ep = eps.find((e) => e.device === device)!;
    const c = await connect(ep.port, ep.unit_id!);
    clients.push(c);
    return c;
  };
  return { h, p, eps, client };
}

describe("recloser over Modbus TCP", () => {
  it("operates through select-before-operate and reads the position back", async () => {
    const { h, p, client } = await start();
    const c = await client("sw-l35");
    expect((await c.readDiscreteInputs(0, 1)).data[0]).toBe(false);
    await c.writeRegister(0, 2); // select close
    expect((await c.readDiscreteInputs(6, 1)).data[0]).toBe(true); // selected
    expect(await readPoint(c, recloser, "ctl_status")).toBe("selected");
    await c.writeRegister(1, 2); // operate close
    expect(await readPoint(c, recloser, "ctl_status")).toBe("operated");
    // The mechanism moves at the next step after its operate time.
    expect((await c.readDiscreteInputs(0, 1)).data[0]).toBe(false);
    const r = h.step(100);
    expect(r.operations).toEqual(["close Line.l35"]);
    expect(p.isClosed(SW)).toBe(true);
    expect((await c.readDiscreteInputs(0, 1)).data[0]).toBe(true);
  });

  it("refuses an operate without a select, and after the select timed out, with the profile's exception", async () => {
    const { h, p, client } = await start();
    const c = await client("sw-l35");
    expect(await exceptionOf(c.writeRegister(1, 2))).toBe(4);
    expect(await readPoint(c, recloser, "ctl_status")).toBe("not_selected");
    await c.writeRegister(0, 2);
    h.step(10_001); // past the 10 s select timeout
    expect((await c.readDiscreteInputs(6, 1)).data[0]).toBe(false);
    expect(await exceptionOf(c.writeRegister(1, 2))).toBe(4);
    expect(await readPoint(c, recloser, "ctl_status")).toBe("select_expired");
    h.step(100);
    expect(p.isClosed(SW)).toBe(false);
    // Selecting one control and operating the other is refused too.
    await c.writeRegister(0, 1);
    expect(await exceptionOf(c.writeRegister(1, 2))).toBe(4);
    expect(await readPoint(c, recloser, "ctl_status")).toBe("mismatch");
  });

  it("cancels a selection and enforces the minimum time between operations", async () => {
    const { h, client } = await start();
    const c = await client("sw-l35");
    await c.writeRegister(0, 2);
    await c.writeRegister(2, 1); // cancel
    expect(await readPoint(c, recloser, "ctl_status")).toBe("cancelled");
    expect(await exceptionOf(c.writeRegister(1, 2))).toBe(4);
    await c.writeRegister(0, 2);
    await c.writeRegister(1, 2);
    h.step(100);
    // 100 ms later: a new operation is refused (500 ms minimum).
    expect(await exceptionOf(c.writeRegister(0, 1))).toBe(4);
    expect(await readPoint(c, recloser, "ctl_status")).toBe("too_soon");
    h.step(500);
    await c.writeRegister(0, 1);
    await c.writeRegister(1, 1);
  });

  it("refuses writes to read-only or unmapped registers with exception 2 and bad values with 3", async () => {
    const { client } = await start();
    const c = await client("sw-l35");
    expect(await exceptionOf(c.writeRegister(50, 1))).toBe(2);
    expect(await exceptionOf(c.readHoldingRegisters(6, 100))).toBe(2);
    expect(await exceptionOf(c.writeRegister(2, 7))).toBe(3); // ctl_cancel takes only 1
    expect(await exceptionOf(c.readInputRegisters(0, 126))).toBe(3);
  });

  it("serves measurements equal to the plant's within one least significant digit", async () => {
    const { h, p, client } = await start();
    const c = await client("sw-l35");
    await c.writeRegister(0, 2);
    await c.writeRegister(1, 2);
    h.step(100);
    const m = p.measure(SW);
    const cases: [string, number][] = [
      ["current_a", m.currentA[0]],
      ["current_b", m.currentA[1]],
      ["voltage_c", m.voltageV[2]],
      ["p_total", m.pKw],
      ["q_total", m.qKvar],
      ["frequency", m.frequencyHz],
    ];
    for (const [ref, want] of cases) {
      const got = (await readPoint(c, recloser, ref)) as number;
      expect(Math.abs(got - want), ref).toBeLessThanOrEqual(recloser.byRef.get(ref)!.scale! + 1e-9);
    }
  });

  it("serves several devices on one shared port by unit id", async () => {
    const { eps } = await start(plant(), "shared");
    expect(new Set(eps.map((e) => e.port)).size).toBe(1);
    expect(eps.map((e) => e.unit_id)).toEqual([1, 2, 3]);
    const sw = await connect(eps[0]!.port, 1);
    clients.push(sw);
    expect((await sw.readHoldingRegisters(108, 8)).data.slice(0, 2)).toEqual([0x4252, 0x2d33]); // "BR-3"
    const pv = await connect(eps[0]!.port, 2);
    clients.push(pv);
    expect((await pv.readHoldingRegisters(40000, 2)).data).toEqual([0x5375, 0x6e53]);
    const nobody = await connect(eps[0]!.port, 9);
    clients.push(nobody);
    expect(await exceptionOf(nobody.readHoldingRegisters(0, 1))).toBe(11);
  });
});

describe("SunSpec inverters over Modbus TCP", () => {
  it("walk the model chain from the 'SunS' marker in both generations", async () => {
    const { client } = await start();
    const pv = await client("der-pv1");
    const read = async (a: number, n: number) => (await pv.readHoldingRegisters(a, n)).data;
    const chain = await discoverSunSpec(read);
    expect(chain.base).toBe(40000);
    expect(chain.models.map((m) => [m.id, m.length])).toEqual([[1, 66], [701, 153], [702, 50], [704, 65]]);
    const bat = await client("der-bat1");
    const chain2 = await discoverSunSpec(async (a, n) => (await bat.readHoldingRegisters(a, n)).data);
    expect(chain2.models.map((m) => m.id)).toEqual([1, 103, 120, 121, 123, 124]);
    const common = profileById("sunspec-inverter-der");
    expect(await readPoint(pv, common, "common.Mn")).toBe("blackstart");
  });

  it("serve scaled measurements with scale factors sized for the rating, and apply a power limit", async () => {
    const { h, p, client } = await start();
    const der = profileById("sunspec-inverter-der");
    const pv = await client("der-pv1");
    // 520 kW does not fit int16 watts: W_SF is raised to 2 (100 W steps).
    expect(await readPoint(pv, der, "DERMeasureAC.W_SF")).toBe(2);
    const w = (await readPoint(pv, der, "DERMeasureAC.W")) as number;
    expect(Math.abs(w - 431.25 * 1000)).toBeLessThanOrEqual(100);
    expect(await readPoint(pv, der, "DERCapacity.WMaxRtg")).toBe(520_000);
    // The limit below is a percentage of the WMax setting, which a real inverter serves equal to its rating by default.
    expect(await readPoint(pv, der, "DERCapacity.WMax")).toBe(520_000);
    // set_power_limit: WMaxLimPct = 50 % (WMaxLimPct_SF -1 -> 500), then enable.
    const pct = der.byRef.get("DERCtlAC.WMaxLimPct")!;
    await pv.writeRegister(pct.address!, encodePoint(pct, 50, -1)[0]!);
    await pv.writeRegister(der.byRef.get("DERCtlAC.WMaxLimPctEna")!.address!, 1);
    expect(h.step(100).operations).toEqual(["limit Generator.pv1 to 260.000 kW"]);
    expect(p.measure(PV).pKw).toBe(260);
    const w2 = (await readPoint(pv, der, "DERMeasureAC.W")) as number;
    expect(w2).toBe(260_000);
  });

  it("move a battery's state of charge with the energy it delivers", async () => {
    const { h } = await start();
    const bat = await connect(h.endpoints().find((e) => e.device === "der-bat1")!.port);
    clients.push(bat);
    const legacy = profileById("sunspec-battery-legacy");
    expect(await readPoint(bat, legacy, "storage.ChaState")).toBe(80);
    // Model 121's WMax (the base of 123's WMaxLimPct) is served, equal to the rating (nameplate WRtg).
    expect(await readPoint(bat, legacy, "settings.WMax")).toBe(await readPoint(bat, legacy, "nameplate.WRtg"));
    expect(await readPoint(bat, legacy, "settings.WMax")).toBeGreaterThan(0);
    // 200 kW for 30 minutes from 1000 kWh: 10 % of charge.
    for (let i = 0; i < 30; i++) h.step(60_000);
    expect(await readPoint(bat, legacy, "storage.ChaState")).toBeCloseTo(70, 1);
  });
});

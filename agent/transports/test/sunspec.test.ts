// The Modbus transport on SunSpec inverters (the simulator's DER devices,
// both profile generations): discovery of the model chain, scale factors
// applied, ratings read, and the power-limit command (a direct write of the
// argument with a scale factor, then the enable flag) reaching the plant.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { profileById } from "../../../shared/profile/index.js";
import { DeviceHarness } from "../../../sim-harness/devices/harness.js";
import { PlantDouble } from "../../../sim-harness/devices/test/support/plant-double.js";
import { systemClock } from "../../runtime/clock.js";
import { ModbusDevice } from "../modbus/device.js";
import { ModbusLink } from "../modbus/link.js";

const quiet = { info() {}, warn() {}, debug() {} };
let harness: DeviceHarness;
let plant: PlantDouble;
const links: ModbusLink[] = [];

beforeAll(async () => {
  plant = new PlantDouble(new Map(), new Map([["Generator.pv1", { availableKw: 431.25, vLnV: 2401.8 }], ["Generator.pv2", { availableKw: 187.5, vLnV: 2401.8 }]]));
  const der = (id: string, profile: string) => ({ id, kind: "pv" as const, element: `Generator.${id}`, ratings: { kw: 520, kva: 520 }, vLnV: 2401.8, phases: 3, binding: { profile, protocol: "modbus" as const } });
  harness = await DeviceHarness.start({ modbusPorts: "per-device", switches: [], ders: [der("pv1", "sunspec-inverter-der"), der("pv2", "sunspec-inverter-legacy")] }, plant, { clock: "lockstep" });
}, 60_000);

afterAll(async () => {
  for (const l of links) await l.stop();
  await harness?.stop();
});

async function device(id: string, profile: string): Promise<ModbusDevice> {
  const ep = harness.endpoints().find((e) => e.device === id)!;
  const link = new ModbusLink({ kind: "tcp", host: ep.host, port: ep.port }, { timeoutMs: 500, backoffMinMs: 50, backoffMaxMs: 200 }, quiet);
  links.push(link);
  link.start();
  const end = Date.now() + 5000;
  while (link.status().state !== "connected") {
    if (Date.now() > end) throw new Error("no connection");
    await new Promise((r) => setTimeout(r, 10));
  }
  return new ModbusDevice(id, profileById(profile), link, ep.unit_id ?? 1, systemClock);
}

describe.each([
  { id: "der-pv1", profile: "sunspec-inverter-der", element: "Generator.pv1", kw: 431.25 },
  { id: "der-pv2", profile: "sunspec-inverter-legacy", element: "Generator.pv2", kw: 187.5 },
])("SunSpec $profile", ({ id, profile, element, kw }) => {
  it("discovers the chain, reads scaled channels and ratings, and limits power through the profile's command", async () => {
    const d = await device(id, profile);
    const s = await d.read();
    expect(s.invalid).toEqual([]);
    // Within one least significant digit of what the plant delivers (the scale factor sets the digit).
    expect(Math.abs((s.values.p_kw as number) - kw)).toBeLessThan(1);
    expect(s.values.p_rating_kw).toBeCloseTo(520, 0);
    expect(s.values.connected).toBe(true);
    expect(s.values.frequency_hz).toBeCloseTo(60, 1);
    expect(d.commandKind("set_power_limit")).toBe("direct");
    await d.command("set_power_limit", "operate", 25);
    harness.step(100);
    expect(plant.ders.get(element)!.limitKw).toBeCloseTo(130, 0);
    const after = await d.read();
    expect(after.values.p_limit_pct).toBeCloseTo(25, 1);
    expect(Math.abs((after.values.p_kw as number) - Math.min(kw, 130))).toBeLessThan(1);
  });
});

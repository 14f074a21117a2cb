// Simulated devices against Modbus peers nobody here wrote: mbpoll
// (libmodbus) and Debian's python3-pymodbus. Both walk the SunSpec chain of
// an inverter and a battery in both generations, read scaled measurements
// (equal to the power flow's within one least significant digit), and
// operate the recloser through select-before-operate, failure paths included.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { profileById } from "../../../shared/profile/load.js";
import type { PowerFlow } from "../../powerflow/index.js";
import { DeviceHarness } from "../harness.js";
import { PowerFlowPlant } from "../powerflow-plant.js";
import { smallFeeder, smallFeederPlan } from "../test/support/feeder.js";
import { mbpoll, peersMissing, pymodbus } from "./peers.js";

let missing: string | undefined;
beforeAll(async () => {
  missing = await peersMissing();
  if (missing) throw new Error(`interop peers missing: ${missing}`);
});

async function harness(legacy: boolean) {
  const pf = smallFeeder();
  const h = await DeviceHarness.start(smallFeederPlan({ legacy }), new PowerFlowPlant(pf), { clock: "lockstep" });
  const port = (device: string) => h.endpoints().find((e) => e.device === device)!.port;
  return { h, pf, port };
}

/** Walk the chain with mbpoll alone: 1-based references (40001 is PDU address 40000). */
async function mbpollChain(port: number): Promise<[number, number][]> {
  const marker = await mbpoll(port, ["-t", "4:hex", "-r", "40001", "-c", "2"]);
  expect(marker.stdout).toMatch(/\[40001\]:\s+0x5375/);
  expect(marker.stdout).toMatch(/\[40002\]:\s+0x6E53/i);
  const out: [number, number][] = [];
  let ref = 40003;
  for (;;) {
    const h = await mbpoll(port, ["-t", "4", "-r", String(ref), "-c", "2"]);
    expect(h.code, h.stderr).toBe(0);
    const [id, len] = h.values as [number, number];
    if (id === 0xffff || id === -1) break;
    out.push([id, len]);
    ref += 2 + len;
  }
  return out;
}

describe.each([
  { legacy: false, pv: [[1, 66], [701, 153], [702, 50], [704, 65]], bat: [[1, 66], [701, 153], [702, 50], [704, 65], [713, 7]] },
  { legacy: true, pv: [[1, 66], [103, 50], [120, 26], [121, 30], [123, 24]], bat: [[1, 66], [103, 50], [120, 26], [121, 30], [123, 24], [124, 24]] },
])("SunSpec inverters ($legacy ? 'legacy 1xx' : 'DER 7xx')", ({ legacy, pv, bat }) => {
  let ctx: Awaited<ReturnType<typeof harness>>;
  beforeAll(async () => {
    ctx = await harness(legacy);
  });
  afterAll(async () => ctx?.h.stop());

  it("pymodbus finds 'SunS' and walks the model chain", async () => {
    const a = (await pymodbus("sunspec", ctx.port("der-pv1"))) as { base: number; models: { id: number; length: number }[] };
    expect(a.base).toBe(40000);
    expect(a.models.map((m) => [m.id, m.length])).toEqual(pv);
    const b = (await pymodbus("sunspec", ctx.port("der-bat1"))) as { models: { id: number; length: number }[] };
    expect(b.models.map((m) => [m.id, m.length])).toEqual(bat);
  });

  it("mbpoll walks the same chain with 1-based references, and reads the marker at PDU 40000 with -0", async () => {
    expect(await mbpollChain(ctx.port("der-pv1"))).toEqual(pv);
    const zero = await mbpoll(ctx.port("der-bat1"), ["-0", "-t", "4:hex", "-r", "40000", "-c", "2"]);
    expect(zero.stdout).toMatch(/\[40000\]:\s+0x5375/);
  });

  it("pymodbus reads scaled measurements equal to the power flow's within one least significant digit", async () => {
    const id = legacy ? "sunspec-inverter-legacy" : "sunspec-inverter-der";
    const prof = profileById(id);
    const wRef = legacy ? "inverter.W" : "DERMeasureAC.W";
    const vRef = legacy ? "inverter.PhVphA" : "DERMeasureAC.VL1";
    const readScaled = async (ref: string) => {
      const p = prof.byRef.get(ref)!;
      const sf = prof.byRef.get(p.scaleFactor!)!;
      const raw = ((await pymodbus("read", ctx.port("der-pv1"), 1, "holding", p.address!, 1)) as { values: number[] }).values[0]!;
      const sfRaw = ((await pymodbus("read", ctx.port("der-pv1"), 1, "holding", sf.address!, 1)) as { values: number[] }).values[0]!;
      const signed = (v: number) => (v >= 0x8000 ? v - 0x10000 : v);
      const e = signed(sfRaw);
      return { value: (p.type === "i16" ? signed(raw) : raw) * 10 ** e, lsd: 10 ** e };
    };
    const w = await readScaled(wRef);
    expect(Math.abs(w.value - -ctx.pf.flow("Generator.pv1").terminals[0]!.kW * 1000)).toBeLessThanOrEqual(w.lsd);
    const v = await readScaled(vRef);
    expect(Math.abs(v.value - ctx.pf.voltage("a", 1)!.vmag)).toBeLessThanOrEqual(v.lsd);
  });
});

describe("recloser through select-before-operate", () => {
  let ctx: Awaited<ReturnType<typeof harness>>;
  const recloser = profileById("recloser-modbus");
  beforeAll(async () => {
    ctx = await harness(false);
  });
  afterAll(async () => ctx?.h.stop());
  const sw = () => ctx.port("sw-sw");
  const status = async () => {
    const raw = (await mbpoll(sw(), ["-t", "4", "-r", "4"])).values[0];
    return Object.entries(recloser.byRef.get("ctl_status")!.values!).find(([, v]) => v === raw)?.[0];
  };
  const position = async () => (await mbpoll(sw(), ["-t", "1", "-r", "1"])).values[0];

  it("mbpoll reads the measurements (32-bit, high word first) equal to the power flow's", async () => {
    const p = await mbpoll(sw(), ["-t", "3:int", "-B", "-r", "7"]); // p_total, input 6-7, kW x 10
    const f = ctx.pf.flow("Line.sw").terminals[0]!;
    expect(Math.abs(p.values[0]! / 10 - f.kW)).toBeLessThanOrEqual(0.1);
    const ia = await mbpoll(sw(), ["-t", "3", "-r", "1"]);
    expect(Math.abs(ia.values[0]! / 10 - f.amps[0]!)).toBeLessThanOrEqual(0.1);
  });

  it("mbpoll: operate without select fails with exception 4 (server device failure)", async () => {
    const r = await mbpoll(sw(), ["-t", "4", "-r", "2"], [1]);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/failure/i);
    expect(await status()).toBe("not_selected");
  });

  it("mbpoll: a select that timed out is refused at operate", async () => {
    expect((await mbpoll(sw(), ["-t", "4", "-r", "1"], [1])).code).toBe(0);
    ctx.h.step(10_001);
    const r = await mbpoll(sw(), ["-t", "4", "-r", "2"], [1]);
    expect(r.stdout + r.stderr).toMatch(/failure/i);
    expect(await status()).toBe("select_expired");
    ctx.h.step(100);
    expect(await position()).toBe(1); // still closed
  });

  it("mbpoll opens it (select, operate) and reads the position back; pymodbus closes it again", async () => {
    ctx.h.step(1000);
    expect((await mbpoll(sw(), ["-t", "4", "-r", "1"], [1])).code).toBe(0);
    expect((await mbpoll(sw(), ["-t", "4", "-r", "2"], [1])).code).toBe(0);
    expect(ctx.h.step(100).operations).toEqual(["open Line.sw"]);
    expect(await position()).toBe(0);
    expect(ctx.pf.deenergizedBuses()).toEqual(["b"]);

    ctx.h.step(1000);
    // pymodbus: both failure paths, then a proper select-before-operate.
    expect(await pymodbus("write", sw(), 1, 1, 2)).toEqual({ exception: 4 });
    expect(await pymodbus("write", sw(), 1, 0, 2)).toEqual({ ok: true });
    ctx.h.step(10_001);
    expect(await pymodbus("write", sw(), 1, 1, 2)).toEqual({ exception: 4 });
    expect(await pymodbus("write", sw(), 1, 0, 2)).toEqual({ ok: true });
    expect(await pymodbus("write", sw(), 1, 1, 2)).toEqual({ ok: true });
    ctx.h.step(100);
    expect(await pymodbus("read", sw(), 1, "discrete", 0, 1)).toEqual({ values: [1] });
    expect(ctx.pf.deenergizedBuses()).toEqual([]);
  });
});

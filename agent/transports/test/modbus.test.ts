// The Modbus transport against a real Modbus TCP server on loopback.
import { afterEach, describe, expect, it } from "vitest";
import { systemClock } from "../../runtime/clock.js";
import { ModbusBank } from "../../test/support/modbus-bank.js";
import { fillRecloser, recloser, sboLogic } from "../../test/support/recloser.js";
import { DeviceFault } from "../device.js";
import { ModbusDevice } from "../modbus/device.js";
import { ModbusLink } from "../modbus/link.js";

const quiet = { info() {}, warn() {}, debug() {} };

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function setup(opts: { timeoutMs?: number; units?: number[] } = {}) {
  const bank = new ModbusBank();
  for (const u of opts.units ?? [1]) fillRecloser(bank, u);
  const port = await bank.start();
  cleanup.push(() => bank.stop());
  const link = new ModbusLink({ kind: "tcp", host: "127.0.0.1", port }, { timeoutMs: opts.timeoutMs ?? 300, backoffMinMs: 50, backoffMaxMs: 200 }, quiet);
  const devices = (opts.units ?? [1]).map((u) => new ModbusDevice(`sw${u}`, recloser, link, u, systemClock));
  cleanup.push(() => link.stop());
  link.start();
  await waitFor(() => link.status().state === "connected");
  return { bank, link, devices, port };
}

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function faultOf(p: Promise<unknown>): Promise<DeviceFault> {
  try {
    await p;
  } catch (e) {
    if (e instanceof DeviceFault) return e;
    throw e;
  }
  throw new Error("expected a DeviceFault");
}

describe("Modbus transport", () => {
  it("reads every channel with merged requests, scaled and mapped by the profile", async () => {
    const { bank, devices } = await setup();
    const snap = await devices[0]!.read();
    expect(snap.values).toMatchObject({
      position: "closed",
      lockout: false,
      fault_a: false,
      current_a: 123.4,
      voltage_b: 2399,
      p_kw: -1234.5,
      q_kvar: 300,
      frequency_hz: 60.01,
    });
    expect(snap.invalid).toEqual([]);
    // Identity check once, then one request per table block: discrete inputs 0-5 and input registers 0-14.
    const regReads = bank.requests.filter((r) => r.fc === "fc3" || r.fc === "fc4");
    expect(regReads).toEqual([
      { fc: "fc3", unit: 1, address: 108, count: 8 },
      { fc: "fc4", unit: 1, address: 0, count: 15 },
    ]);
    bank.requests.length = 0;
    await devices[0]!.read();
    expect(bank.requests.filter((r) => r.fc === "fc3" || r.fc === "fc4")).toHaveLength(1);
  });

  it("keeps one request in flight per connection, and the unit ids straight, under concurrent reads", async () => {
    const { bank, devices } = await setup({ units: [1, 2, 3] });
    bank.set(2, recloser, "current_a", 222);
    bank.set(3, recloser, "current_a", 333);
    bank.hooks.delayMs = 5;
    const reads = await Promise.all(Array.from({ length: 12 }, (_, i) => devices[i % 3]!.read()));
    expect(bank.maxInFlight).toBe(1);
    reads.forEach((s, i) => expect(s.values.current_a).toBe([123.4, 222, 333][i % 3]));
  });

  it("operates by select-before-operate, and a refused operate is a 'rejected' fault with its exception code", async () => {
    const { bank, devices } = await setup();
    sboLogic(bank);
    const d = devices[0]!;
    expect(d.commandKind("open")).toBe("select-before-operate");
    const refused = await faultOf(d.command("open", "operate"));
    expect(refused.kind).toBe("rejected");
    expect(refused.code).toBe(4);
    expect((await d.read()).values.position).toBe("closed");
    await d.command("open", "select");
    await d.command("open", "operate");
    expect((await d.read()).values.position).toBe("open");
    await d.command("close", "select");
    await d.command("close", "cancel");
    expect(await faultOf(d.command("close", "operate"))).toMatchObject({ kind: "rejected" });
    expect((await d.read()).values.position).toBe("open");
  });

  it("times out within the deadline on a silent unit without stalling the other units on the link", async () => {
    // 400 ms, not less: on a loaded two-core machine the healthy unit's answer alone has taken over 150 ms.
    const { bank, devices } = await setup({ units: [1, 2], timeoutMs: 400 });
    await devices[1]!.read(); // discovery done while it still answers
    bank.hooks.silent = new Set([2]);
    const t0 = Date.now();
    const f = await faultOf(devices[1]!.read());
    expect(f.kind).toBe("timeout");
    expect(Date.now() - t0).toBeLessThan(2000);
    expect((await devices[0]!.read()).values.position).toBe("closed");
  });

  it("reconnects with backoff after the device goes away and comes back, and re-checks its identity", async () => {
    const { bank, link, devices, port } = await setup();
    await devices[0]!.read();
    await bank.stop();
    await waitFor(() => link.status().state !== "connected");
    const f = await faultOf(devices[0]!.read());
    expect(f.kind).toBe("disconnected");
    bank.requests.length = 0;
    await bank.start(port);
    await waitFor(() => link.status().state === "connected");
    expect((await devices[0]!.read()).values.position).toBe("closed");
    expect(link.status().reconnects).toBe(1);
    expect(bank.requests.some((r) => r.fc === "fc3" && r.address === 108)).toBe(true);
  });

  it("refuses a device whose identity does not match the profile", async () => {
    const { bank, devices } = await setup();
    bank.set(1, recloser, "model_name", "XR-9");
    const f = await faultOf(devices[0]!.read());
    expect(f.kind).toBe("decode");
    expect(f.message).toContain("identity check");
  });
});

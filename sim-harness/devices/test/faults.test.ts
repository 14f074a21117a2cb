import { connect as netConnect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { BlackstartError } from "../../../shared/errors.js";
import { FAULT_KINDS, parseFaultArg, parseFaultText, type Fault } from "../faults.js";
import { DeviceHarness, type HarnessPlan } from "../harness.js";
import { close, connect, exceptionOf, type Client } from "./support/client.js";
import { PlantDouble } from "./support/plant-double.js";

const SW = "Line.l35";
const SW2 = "Line.l40";

function plan(): HarnessPlan {
  const binding = { profile: "recloser-modbus", protocol: "modbus" as const };
  return {
    modbusPorts: "per-device",
    switches: [
      { element: SW, phases: [0, 1, 2], faulted: false, binding },
      { element: SW2, phases: [0, 1, 2], faulted: true, binding },
    ],
    ders: [],
  };
}

function plant() {
  return new PlantDouble(
    new Map([
      [SW, { closed: false, loadKw: 500, loadKvar: 100, vLnV: 7200 }],
      [SW2, { closed: false, loadKw: 300, loadKvar: 50, vLnV: 7200 }],
    ]),
    new Map(),
  );
}

let h: DeviceHarness | undefined;
const clients: Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await close(c).catch(() => {});
  await h?.stop();
  h = undefined;
});

async function start(faults: Fault[], p = plant()) {
  h = await DeviceHarness.start(plan(), p, { clock: "lockstep", faults });
  const port = (device: string) => h!.endpoints().find((e) => e.device === device)!.port;
  const client = async (device = "sw-l35", timeoutMs = 1000) => {
    const c = await connect(port(device), 1, timeoutMs);
    clients.push(c);
    return c;
  };
  return { h, p, port, client };
}

const fault = (f: Record<string, unknown>): Fault => parseFaultText(JSON.stringify({ faults: [f] }), "test.json")[0]!;

async function failureOf(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected the request to fail");
}

describe("wire faults, seen by a real Modbus client", () => {
  it("response-delay: late but correct replies; a shorter client timeout times out", async () => {
    const { client } = await start([fault({ device: "sw-l35", kind: "response-delay", delay_ms: 600 })]);
    const slow = await client("sw-l35", 3000);
    const t0 = performance.now();
    const r = await slow.readHoldingRegisters(108, 2);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(590);
    expect(r.data).toEqual([0x4252, 0x2d33]);
    const impatient = await client("sw-l35", 200);
    expect((await failureOf(impatient.readHoldingRegisters(108, 2))).message).toMatch(/timed out/i);
  });

  it("timeout: no reply at all, and a write is not applied", async () => {
    const { client, h, p } = await start([fault({ device: "sw-l35", kind: "timeout", function_codes: [6] })]);
    const c = await client("sw-l35", 300);
    expect((await failureOf(c.writeRegister(0, 2))).message).toMatch(/timed out/i);
    expect((await c.readHoldingRegisters(0, 1)).data).toEqual([0]); // reads still answered; nothing selected
    h.step(100);
    expect(p.isClosed(SW)).toBe(false);
  });

  it("exception: the code arrives as that code, only in its time window", async () => {
    const { client, h } = await start([fault({ device: "sw-l35", kind: "exception", code: 6, after_ms: 1000, duration_ms: 2000 })]);
    const c = await client();
    expect((await c.readInputRegisters(0, 3)).data).toHaveLength(3);
    h.step(1000);
    expect(await exceptionOf(c.readInputRegisters(0, 3))).toBe(6);
    expect(await exceptionOf(c.writeRegister(0, 2))).toBe(6);
    h.step(2000);
    expect((await c.readInputRegisters(0, 3)).data).toHaveLength(3);
    expect((await c.readHoldingRegisters(0, 1)).data).toEqual([0]); // the refused select was not applied
  });

  it("garbage: the reply is malformed (header kept, byte count wrong)", async () => {
    const { port, client } = await start([fault({ device: "sw-l35", kind: "garbage" })]);
    // A raw socket sees the corrupted frame itself.
    const frame = await new Promise<Buffer>((resolve, reject) => {
      const s = netConnect(port("sw-l35"), "127.0.0.1", () => s.write(Buffer.from([0x12, 0x34, 0, 0, 0, 6, 1, 3, 0, 108, 0, 2])));
      s.once("data", (d) => {
        s.destroy();
        resolve(d);
      });
      s.once("error", reject);
    });
    expect(frame.readUInt16BE(0)).toBe(0x1234); // transaction id kept
    expect(frame.readUInt16BE(4)).toBe(frame.length - 6); // MBAP length consistent
    expect(frame[7]).toBe(3);
    expect(frame[8]).not.toBe(frame.length - 9); // the byte count does not match the data
    // modbus-serial rejects it (or never accepts it and times out).
    const c = await client("sw-l35", 500);
    const err = await failureOf(c.readHoldingRegisters(108, 2));
    expect(err.message).toMatch(/timed out|length|crc|data|out of range/i);
  });

  it("drop-connection: the server closes the connection instead of replying", async () => {
    const { client, h } = await start([fault({ device: "sw-l35", kind: "drop-connection", duration_ms: 1000 })]);
    const c = await client();
    const err = await failureOf(c.readHoldingRegisters(108, 2));
    expect(err.message).toMatch(/closed|reset|port not open|timed out/i);
    await new Promise((r) => setTimeout(r, 50));
    expect(c.isOpen).toBe(false);
    h.step(1000); // the fault's window ends: a new connection works
    const again = await client();
    expect((await again.readHoldingRegisters(108, 2)).data).toEqual([0x4252, 0x2d33]);
  });
});

describe("device faults", () => {
  it("stuck: select and operate accepted, the position does not change", async () => {
    const { client, h, p } = await start([fault({ device: "sw-l35", kind: "stuck" })]);
    const c = await client();
    await c.writeRegister(0, 2);
    await c.writeRegister(1, 2);
    for (let i = 0; i < 5; i++) h.step(500);
    expect(p.isClosed(SW)).toBe(false);
    expect((await c.readDiscreteInputs(0, 1)).data[0]).toBe(false); // read-back: still open
  });

  it("spontaneous-trip: the switch opens by itself at after_ms, without lockout or fault indicators", async () => {
    const p = plant();
    p.setClosed(SW, true);
    const { client, h } = await start([fault({ device: "sw-l35", kind: "spontaneous-trip", after_ms: 2000 })], p);
    const c = await client();
    h.step(1000);
    expect((await c.readDiscreteInputs(0, 6)).data.slice(0, 6)).toEqual([true, false, false, false, false, false]);
    expect(h.step(1000).nowMs).toBe(2000);
    expect(p.isClosed(SW)).toBe(false);
    expect((await c.readDiscreteInputs(0, 6)).data.slice(0, 6)).toEqual([false, false, false, false, false, false]);
    expect((await c.readInputRegisters(0, 1)).data[0]).toBe(0); // no current through an open switch
  });

  it("lost-fault-indicator: a faulted switch shows lockout but not the lost phase's indicator", async () => {
    const { client } = await start([fault({ device: "Line.L40", kind: "lost-fault-indicator", phases: ["a"] })]);
    const c = await client("sw-l40");
    // closed, lockout, fault a, fault b, fault c
    expect((await c.readDiscreteInputs(0, 5)).data.slice(0, 5)).toEqual([false, true, false, true, true]);
    // Closing a locked-out switch is refused.
    expect(await exceptionOf(c.writeRegister(0, 2))).toBe(4);
  });
});

describe("fault files and --fault", () => {
  it("every kind states its end state", () => {
    for (const [kind, spec] of Object.entries(FAULT_KINDS)) expect(spec.expect.length, kind).toBeGreaterThan(40);
  });

  it("parses the command line form", () => {
    expect(parseFaultArg("sw-l35:exception:code=6,after_ms=1000")).toMatchObject({ device: "sw-l35", kind: "exception", code: 6, after_ms: 1000 });
    expect(parseFaultArg("Line.L40:lost-fault-indicator:phases=a+c")).toMatchObject({ phases: ["a", "c"] });
    expect(() => parseFaultArg("sw-l35:exception")).toThrow(/code/);
    expect(() => parseFaultArg("sw-l35:melt")).toThrow(BlackstartError);
  });

  it("names the file, line and field of a bad fault", () => {
    try {
      parseFaultText("faults:\n  - device: sw-l35\n    kind: response-delay\n    delay_ms: -5\n", "faults.yaml");
      throw new Error("expected an error");
    } catch (e) {
      expect((e as Error).message).toMatch(/^faults\.yaml:4: field 'faults\[0\]\.delay_ms'/);
    }
  });

  it("refuses a fault on an unknown device or of a kind the device cannot have", async () => {
    await expect(DeviceHarness.start(plan(), plant(), { faults: [fault({ device: "sw-l3", kind: "stuck" })] })).rejects.toThrow(
      /faults\[0\]: unknown device 'sw-l3' \(closest: sw-l35/,
    );
  });
});

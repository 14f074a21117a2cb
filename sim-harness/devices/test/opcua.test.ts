import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BrowseDirection, DataType, NodeClass, StatusCodes } from "node-opcua";
import { DeviceHarness } from "../harness.js";
import { connectUa, type UaClient } from "./support/opcua-client.js";
import { PlantDouble } from "./support/plant-double.js";

const SW = "Line.l35";
let h: DeviceHarness;
let ua: UaClient;
let pki: string;
let plant: PlantDouble;

beforeAll(async () => {
  pki = mkdtempSync(join(tmpdir(), "bs-ua-server-"));
  plant = new PlantDouble(new Map([[SW, { closed: false, loadKw: 640, loadKvar: 210, vLnV: 2401.8 }]]), new Map());
  h = await DeviceHarness.start(
    { modbusPorts: "per-device", switches: [{ element: SW, phases: [0, 1, 2], faulted: false, binding: { profile: "switchgear-opcua", protocol: "opcua" } }], ders: [] },
    plant,
    { clock: "lockstep", pkiDir: pki },
  );
  ua = await connectUa(h.endpoints()[0]!.endpoint_url!);
}, 120_000);

afterAll(async () => {
  await ua?.close();
  await h?.stop();
  rmSync(pki, { recursive: true, force: true });
});

describe("switchgear over OPC UA (SignAndEncrypt, Basic256Sha256)", () => {
  it("made its own certificate at first start and lists the device in its endpoint", () => {
    expect(existsSync(join(pki, "own", "certs", "certificate.pem"))).toBe(true);
    const ep = h.endpoints()[0]!;
    expect(ep).toMatchObject({ device: "sw-l35", protocol: "opcua", unit_id: null, element: "Line.l35" });
    expect(ep.endpoint_url).toMatch(/^opc\.tcp:\/\/127\.0\.0\.1:\d+\/blackstart\/sim$/);
  });

  it("browses the IEC 61850 structure of the logical device", async () => {
    const browse = async (nodeId: string) =>
      (await ua.session.browse({ nodeId, referenceTypeId: "HierarchicalReferences", browseDirection: BrowseDirection.Forward, resultMask: 63, includeSubtypes: true })).references!.map((r) => ({ name: r.browseName.name, cls: r.nodeClass }));
    const objects = await browse("ns=0;i=85");
    expect(objects.map((o) => o.name)).toContain("sw-l35");
    const ld = await browse(`ns=${ua.ns};s=sw-l35`);
    expect(ld.map((o) => o.name).sort()).toEqual(["CILO1", "CSWI1", "MMXU1", "SFPI1", "XCBR1"]);
    const pos = await browse(`ns=${ua.ns};s=sw-l35/CSWI1.Pos`);
    expect(pos.map((o) => o.name)).toEqual(expect.arrayContaining(["stVal", "stSeld", "SBOw", "Oper", "Cancel"]));
    const oper = await browse(`ns=${ua.ns};s=sw-l35/CSWI1.Pos.Oper`);
    expect(oper).toContainEqual({ name: "ctlVal", cls: NodeClass.Variable });
  });

  it("operates through SBOw / Oper and reads the position back", async () => {
    expect(await ua.read("sw-l35", "XCBR1.Pos.stVal")).toBe(1); // off
    expect((await ua.write("sw-l35", "CSWI1.Pos.SBOw.ctlVal", DataType.Boolean, true)).name).toBe("Good");
    expect(await ua.read("sw-l35", "CSWI1.Pos.stSeld")).toBe(true);
    expect((await ua.write("sw-l35", "CSWI1.Pos.Oper.ctlVal", DataType.Boolean, true)).name).toBe("Good");
    expect(h.step(100).operations).toEqual(["close Line.l35"]);
    expect(await ua.read("sw-l35", "XCBR1.Pos.stVal")).toBe(2); // on
    expect(await ua.read("sw-l35", "CSWI1.Pos.stVal")).toBe(2);
    expect(await ua.read("sw-l35", "CSWI1.Pos.stSeld")).toBe(false);
    // Measurements from the plant, as floats.
    expect(await ua.read("sw-l35", "MMXU1.TotW.mag.f")).toBeCloseTo(640_000, -1);
    expect(await ua.read("sw-l35", "MMXU1.PhV.phsA.cVal.mag.f")).toBeCloseTo(2401.8, 1);
  });

  it("refuses an operate without a select, and a select timed out, with BadInvalidState", async () => {
    h.step(1000);
    const st = await ua.write("sw-l35", "CSWI1.Pos.Oper.ctlVal", DataType.Boolean, false);
    expect(st).toBe(StatusCodes.BadInvalidState);
    expect(await ua.read("sw-l35", "CSWI1.Pos.LastApplError")).toBe(1); // not_selected
    expect((await ua.write("sw-l35", "CSWI1.Pos.SBOw.ctlVal", DataType.Boolean, false)).name).toBe("Good");
    h.step(10_001);
    expect(await ua.write("sw-l35", "CSWI1.Pos.Oper.ctlVal", DataType.Boolean, false)).toBe(StatusCodes.BadInvalidState);
    expect(await ua.read("sw-l35", "CSWI1.Pos.LastApplError")).toBe(2); // select_expired
    expect(plant.isClosed(SW)).toBe(true);
    // Cancel clears a selection.
    await ua.write("sw-l35", "CSWI1.Pos.SBOw.ctlVal", DataType.Boolean, false);
    await ua.write("sw-l35", "CSWI1.Pos.Cancel.ctlVal", DataType.Boolean, false);
    expect(await ua.read("sw-l35", "CSWI1.Pos.stSeld")).toBe(false);
    expect(await ua.write("sw-l35", "CSWI1.Pos.Oper.ctlVal", DataType.Boolean, false)).toBe(StatusCodes.BadInvalidState);
  });

  it("refuses writes to read-only nodes", async () => {
    expect(await ua.write("sw-l35", "XCBR1.Pos.stVal", DataType.Int32, 2)).toBe(StatusCodes.BadNotWritable);
  });
});

describe("OPC UA wire faults", () => {
  it("response-delay answers reads late; timeout leaves a write unanswered and not applied", async () => {
    const pki2 = mkdtempSync(join(tmpdir(), "bs-ua-server-"));
    const p = new PlantDouble(new Map([[SW, { closed: false, loadKw: 100, loadKvar: 10, vLnV: 2401.8 }]]), new Map());
    const h2 = await DeviceHarness.start(
      { modbusPorts: "per-device", switches: [{ element: SW, phases: [0, 1, 2], faulted: false, binding: { profile: "switchgear-opcua", protocol: "opcua" } }], ders: [] },
      p,
      {
        clock: "lockstep",
        pkiDir: pki2,
        faults: [
          { device: "sw-l35", kind: "response-delay", delay_ms: 400, after_ms: 1000, duration_ms: 1000 },
          { device: "sw-l35", kind: "timeout", after_ms: 2000 },
        ],
      },
    );
    const c = await connectUa(h2.endpoints()[0]!.endpoint_url!, "urn:blackstart:iec61850", 1500);
    try {
      let t0 = performance.now();
      expect(await c.read("sw-l35", "XCBR1.Pos.stVal")).toBe(1);
      const quick = performance.now() - t0;
      h2.step(1000);
      t0 = performance.now();
      expect(await c.read("sw-l35", "XCBR1.Pos.stVal")).toBe(1);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(390);
      expect(quick).toBeLessThan(390);
      h2.step(1000);
      const err = await c.write("sw-l35", "CSWI1.Pos.SBOw.ctlVal", DataType.Boolean, true).then(
        (st) => st,
        (e: Error) => e,
      );
      expect(err instanceof Error ? err.message : String(err)).toMatch(/timeout|timed out|BadTimeout/i);
      expect(h2.device("sw-l35").get("CSWI1_Pos_stSeld")).toBe(false); // the select was never applied
    } finally {
      await c.close().catch(() => {});
      await h2.stop();
      rmSync(pki2, { recursive: true, force: true });
    }
  });
});

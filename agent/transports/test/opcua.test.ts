// The OPC UA transport against a real OPC UA server: the simulator's
// switchgear (sim-harness OpcUaHost, IEC 61850-style nodes, SignAndEncrypt
// Basic256Sha256), beside a recloser over Modbus TCP, both behind one
// harness stepped in lockstep; the agent pipeline runs over both.
import { mkdirSync, mkdtempSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import Database from "better-sqlite3";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeviceHarness, type Endpoint } from "../../../sim-harness/devices/harness.js";
import { PlantDouble } from "../../../sim-harness/devices/test/support/plant-double.js";
import { loadSite } from "../../config/load.js";
import { startAgent } from "../../main.js";
import { systemClock } from "../../runtime/clock.js";
import { siteObject, writeSite } from "../../test/support/site-fixture.js";
import { FreezableProxy } from "../../test/support/tcp-proxy.js";
import { DeviceFault, type FieldDevice } from "../device.js";
import { createDevices, loadSiteProfiles } from "../factory.js";

const quiet = { info() {}, warn() {}, debug() {}, error() {} };
let harness: DeviceHarness;
let plant: PlantDouble;
let endpoints: Endpoint[];
const pki = mkdtempSync(join(tmpdir(), "blackstart-opcua-pki-"));

beforeAll(async () => {
  plant = new PlantDouble(
    new Map([
      ["Line.l1", { closed: false, loadKw: 200, loadKvar: 50, vLnV: 2401.8 }],
      ["Line.l2", { closed: false, loadKw: 300, loadKvar: 75, vLnV: 2401.8 }],
    ]),
    new Map(),
  );
  harness = await DeviceHarness.start(
    {
      modbusPorts: "per-device",
      switches: [
        { element: "Line.L1", phases: [0, 1, 2], faulted: false, binding: { profile: "switchgear-opcua", protocol: "opcua" } },
        { element: "Line.L2", phases: [0, 1, 2], faulted: false, binding: { profile: "recloser-modbus", protocol: "modbus" } },
      ],
      ders: [],
    },
    plant,
    { clock: "lockstep", pkiDir: join(pki, "server") },
  );
  endpoints = harness.endpoints();
}, 120_000);

afterAll(async () => {
  await harness?.stop();
});

function site(overrides: Record<string, unknown> = {}, uaUrl?: string): string {
  const ua = endpoints.find((e) => e.protocol === "opcua")!;
  const mb = endpoints.find((e) => e.protocol === "modbus")!;
  return writeSite(
    siteObject({
      clock: "external",
      devices: [
        { id: "sw-l1", profile: "switchgear-opcua", transport: { kind: "opcua", endpoint: uaUrl ?? ua.endpoint_url, auto_accept_server_certificate: true, publishing_interval_ms: 100 } },
        { id: "sw-l2", profile: "recloser-modbus", transport: { kind: "modbus-tcp", host: mb.host, port: mb.port, unit_id: mb.unit_id } },
      ],
      http: { port: 0 },
      poll: { period_ms: 1000, timeout_ms: 800, backoff_min_ms: 100, backoff_max_ms: 500 },
      limits: { min_operation_interval_ms: 0 },
      ...overrides,
    }),
  );
}

async function until<T>(what: string, f: () => T | undefined | Promise<T | undefined>, ms = 20000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("OPC UA transport", () => {
  it("connects SignAndEncrypt, subscribes, reads the channels, and operates by select-before-operate", async () => {
    const s = loadSite(site());
    const { devices, opcua } = await createDevices(s, loadSiteProfiles(s), systemClock, quiet);
    expect(opcua).toBe(true);
    const dev = devices.find((d) => d.id === "sw-l1")! as FieldDevice & { status(): { state: string } };
    try {
      await dev.start();
      await until("connected", () => (dev.status().state === "connected" ? true : undefined));
      const snap = await until("first data", async () => {
        const r = await dev.read();
        return r.values.position !== undefined ? r : undefined;
      });
      expect(snap.values).toMatchObject({ position: "open", lockout: false, interlock: false, fault_a: false });
      expect(snap.values.voltage_a).toBeCloseTo(2401.8, 0);
      expect(dev.commandKind("close")).toBe("select-before-operate");

      // Operate without select: the device refuses with its Bad status.
      const refused = await dev.command("close", "operate").then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(refused).toBeInstanceOf(DeviceFault);
      expect((refused as DeviceFault).kind).toBe("rejected");
      expect((refused as DeviceFault).code).toBe("BadInvalidState");

      await dev.command("close", "select");
      await dev.command("close", "operate");
      harness.step(100);
      await until("closed", async () => ((await dev.read()).values.position === "closed" ? true : undefined));
      expect(plant.isClosed("Line.l1")).toBe(true);
      const after = await dev.read();
      expect(after.values.current_a as number).toBeGreaterThan(20);
    } finally {
      await dev.stop();
    }
  }, 60_000);

  it("an unknown server certificate is refused and named; once moved to trusted/ the device connects", async () => {
    const pkiDir = mkdtempSync(join(tmpdir(), "blackstart-opcua-client-pki-"));
    const ua = endpoints.find((e) => e.protocol === "opcua")!;
    const file = site({
      devices: [
        { id: "sw-l1", profile: "switchgear-opcua", transport: { kind: "opcua", endpoint: ua.endpoint_url, pki_dir: pkiDir, publishing_interval_ms: 100 } },
        { id: "sw-l2", profile: "recloser-modbus", transport: { kind: "modbus-tcp", host: "127.0.0.1", port: endpoints.find((e) => e.protocol === "modbus")!.port } },
      ],
    });
    const s = loadSite(file);
    const { devices } = await createDevices(s, loadSiteProfiles(s), systemClock, quiet);
    const dev = devices.find((d) => d.id === "sw-l1")!;
    try {
      await dev.start();
      const err = await until("refusal", () => (dev.status().lastError?.includes("not trusted") ? dev.status().lastError : undefined));
      const rejected = /not trusted: (\S+\.(?:pem|der))/.exec(err!)?.[1];
      expect(rejected).toBeDefined();
      expect(dev.status().state).not.toBe("connected");
      mkdirSync(join(pkiDir, "trusted", "certs"), { recursive: true });
      renameSync(rejected!, join(pkiDir, "trusted", "certs", basename(rejected!)));
      await until("connected after trusting", () => (dev.status().state === "connected" ? true : undefined), 30000);
    } finally {
      await dev.stop();
    }
  }, 60_000);

  it("a link that goes silent trips the watchdog, which rebuilds client, session and subscription", async () => {
    const ua = endpoints.find((e) => e.protocol === "opcua")!;
    const url = new URL(ua.endpoint_url!);
    const proxy = new FreezableProxy(url.hostname, Number(url.port));
    const port = await proxy.start();
    const warnings: string[] = [];
    const log = { ...quiet, warn: (o: object, m: string) => warnings.push(`${m} ${JSON.stringify(o)}`) };
    const s = loadSite(site({}, `opc.tcp://127.0.0.1:${port}${url.pathname}`));
    const { devices } = await createDevices(s, loadSiteProfiles(s), systemClock, log);
    const dev = devices.find((d) => d.id === "sw-l1")!;
    try {
      await dev.start();
      await until("connected", () => (dev.status().state === "connected" ? true : undefined));
      await until("data", async () => ((await dev.read()).values.position !== undefined ? true : undefined));
      proxy.freeze();
      // Publishing 100 ms x keep-alive count 10 x 3: the watchdog gives up after 3 s of silence.
      await until("watchdog", () => (warnings.some((w) => w.includes("watchdog")) ? true : undefined), 15000);
      expect(dev.status().state).not.toBe("connected");
      await expect(dev.read()).rejects.toMatchObject({ kind: "disconnected" });
      proxy.thaw();
      await until("reconnected", () => (dev.status().state === "connected" ? true : undefined), 30000);
      expect(dev.status().reconnects).toBeGreaterThanOrEqual(1);
      const snap = await until("data again", async () => {
        const r = await dev.read();
        return r.values.position !== undefined ? r : undefined;
      });
      expect(["open", "closed"]).toContain(snap.values.position);
    } finally {
      await dev.stop();
      await proxy.stop();
    }
  }, 60_000);

  it("stale data: a subscription gone quiet holds its switch (shield rule stale-data), journaled, nothing written", async () => {
    plant.setClosed("Line.l1", false);
    harness.step(1000);
    const ua = endpoints.find((e) => e.protocol === "opcua")!;
    const url = new URL(ua.endpoint_url!);
    const proxy = new FreezableProxy(url.hostname, Number(url.port));
    const port = await proxy.start();
    const file = site({ poll: { period_ms: 1000, timeout_ms: 800, stale_after_ms: 400, backoff_min_ms: 100, backoff_max_ms: 500 } }, `opc.tcp://127.0.0.1:${port}${url.pathname}`);
    const agent = await startAgent(file, { logDestination: new Writable({ write: (_c, _e, cb) => cb() }), connectWaitMs: 15000 });
    try {
      await until("data", async () => ((await agent.devices[0]!.read()).values.position !== undefined ? true : undefined));
      agent.restorer.request({ command: "restore", by: "test" });
      proxy.freeze();
      // Older than stale_after (400 ms), younger than the watchdog (3 s): the cached values are still served.
      await new Promise((r) => setTimeout(r, 700));
      const t = await agent.tick();
      expect(t.devices["sw-l1"]).toEqual({ ok: true });
      expect(t.decision!.vetoes.filter((v) => v.element === "Line.L1").map((v) => v.rule)).toContain("stale-data");
      expect(t.decision!.commands).toEqual([]);
      expect(harness.step(100).operations).toEqual([]);
      expect(plant.isClosed("Line.l1")).toBe(false);
    } finally {
      proxy.thaw();
      await agent.stop("test");
      await proxy.stop();
    }
    const db = new Database(join(dirname(file), "journal.db"), { readonly: true });
    const verdicts = db.prepare("SELECT rule, figures FROM verdicts WHERE element = 'Line.L1'").all() as { rule: string; figures: string }[];
    db.close();
    expect(verdicts.find((v) => v.rule === "stale-data")).toBeDefined();
    expect(JSON.parse(verdicts.find((v) => v.rule === "stale-data")!.figures)).toMatchObject({ stale_after_ms: 400 });
  }, 60_000);

  it("the agent restores over OPC UA and Modbus together, journaling each command", async () => {
    plant.setClosed("Line.l1", false);
    plant.setClosed("Line.l2", false);
    // The switchgear refuses a second operation within its minimum interval (500 ms of its clock): let it pass.
    harness.step(1000);
    const file = site();
    const agent = await startAgent(file, { logDestination: new Writable({ write: (_c, _e, cb) => cb() }), connectWaitMs: 15000 });
    try {
      agent.restorer.request({ command: "restore", by: "test" });
      let served = 0;
      for (let t = 0; t < 4; t++) {
        await agent.tick();
        harness.step(100);
        // The subscription brings the new position within a publishing interval.
        await new Promise((r) => setTimeout(r, 300));
        served = agent.restorer.servedKw();
      }
      expect(plant.isClosed("Line.l1")).toBe(true);
      expect(served).toBe(200);
      expect(agent.health().reasons.filter((r) => r.startsWith("device"))).toEqual([]);
    } finally {
      await agent.stop("test");
    }
  }, 60_000);
});

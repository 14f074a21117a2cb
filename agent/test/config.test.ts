import { readFileSync, writeFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { BlackstartError } from "../../shared/errors.js";
import { loadSite } from "../config/load.js";
import { manifest, sectionGraph, siteObject, writeSite } from "./support/site-fixture.js";

function errorOf(fn: () => unknown): BlackstartError {
  try {
    fn();
  } catch (e) {
    if (e instanceof BlackstartError) return e;
    throw e;
  }
  throw new Error("expected a BlackstartError");
}

describe("site config", () => {
  it("loads a valid site: absolute paths, defaults, elements in policy order, quota and cap from the graph", () => {
    const file = writeSite();
    const site = loadSite(file);
    const dir = dirname(file);
    expect(site.config.policy.dir).toBe(join(dir, "policy"));
    expect(site.config.journal.path).toBe(join(dir, "journal.db"));
    expect(site.elements).toEqual(["Line.l1", "Line.l2"]);
    expect(site.config.bindings["Line.L1"]).toEqual({ device: "sw-l1" });
    expect(site.quotaKw).toBe(250);
    expect(site.capKw).toBe(500);
    expect(site.config.clock).toBe("realtime");
    expect(site.config.poll.period_ms).toBe(1000);
    expect(site.microgrid.id).toBe("mg1");
  });

  it("names file, line and field of a bad value", () => {
    const file = writeSite(siteObject({ poll: { period_ms: 500, timeout_ms: 800 } }));
    const e = errorOf(() => loadSite(file));
    expect(e.code).toBe("BLACKSTART_ERR_INVALID_DOCUMENT");
    expect(e.location.field).toBe("poll.timeout_ms");
    expect(e.location.line).toBeGreaterThan(0);
    expect(e.message).toMatch(/site\.yaml:\d+: field 'poll\.timeout_ms'.*shorter than poll\.period_ms/);
  });

  it("names a reservation wait ceiling below its floor", () => {
    const file = writeSite(siteObject({ bus: { url: "mqtt://127.0.0.1:1883", reservation: { ack_timeout_ms: 2000, ack_timeout_max_ms: 1000 } } }));
    const e = errorOf(() => loadSite(file));
    expect(e.location.field).toBe("bus.reservation.ack_timeout_max_ms");
    expect(e.message).toMatch(/site\.yaml:\d+: field 'bus\.reservation\.ack_timeout_max_ms'.*at least ack_timeout_ms/);
  });

  it("names an unknown device in a binding", () => {
    const file = writeSite(siteObject({ bindings: { "Line.L1": "sw-l1", "Line.L2": "sw-lx" } }));
    const e = errorOf(() => loadSite(file));
    expect(e.location.field).toBe("bindings.Line.L2.device");
    expect(e.message).toContain("unknown device 'sw-lx'");
  });

  it("refuses OPC UA security policy and mode that do not go together, and Basic128Rsa15", () => {
    const opc = (t: Record<string, unknown>) =>
      siteObject({ devices: [{ id: "sw-l1", profile: "p", transport: { kind: "opcua", endpoint: "opc.tcp://h:4840", ...t } }, { id: "sw-l2", profile: "p", transport: { kind: "opcua", endpoint: "opc.tcp://h:4840" } }] });
    expect(errorOf(() => loadSite(writeSite(opc({ security_policy: "None" })))).location.field).toBe("devices[0].transport.security_mode");
    expect(errorOf(() => loadSite(writeSite(opc({ security_policy: "Basic128Rsa15" })))).location.field).toBe("devices[0].transport.security_policy");
  });

  it("refuses two devices on one serial line with different settings", () => {
    const rtu = (unit: number, baud: number) => ({ kind: "modbus-rtu", path: "/dev/ttyS0", unit_id: unit, baud });
    const file = writeSite(siteObject({ devices: [{ id: "sw-l1", profile: "p", transport: rtu(1, 9600) }, { id: "sw-l2", profile: "p", transport: rtu(2, 19200) }] }));
    const e = errorOf(() => loadSite(file));
    expect(e.location.field).toBe("devices[1].transport");
    expect(e.message).toContain("/dev/ttyS0");
  });

  it("refuses to start unless bindings and the policy's elements match exactly", () => {
    const missing = errorOf(() => loadSite(writeSite(siteObject({ bindings: { "Line.L1": "sw-l1" } }))));
    expect(missing.code).toBe("BLACKSTART_ERR_MISMATCH");
    expect(missing.message).toContain("not bound: Line.l2");
    expect(missing.location.field).toBe("bindings");

    const extra = errorOf(() => loadSite(writeSite(siteObject(), { manifest: manifest(["Line.L1"]) })));
    expect(extra.message).toContain("bound but not in the policy: Line.L2");
    expect(extra.location.field).toBe("bindings.Line.L2");

    const twice = errorOf(() => loadSite(writeSite(siteObject({ bindings: { "Line.L1": "sw-l1", "line.l1": "sw-l2", "Line.L2": "sw-l2" } }))));
    expect(twice.message).toContain("bind the same element");
  });

  it("refuses a policy, section graph or microgrid from another scenario", () => {
    const other = { ...manifest(), scenario: "other" };
    expect(errorOf(() => loadSite(writeSite(siteObject(), { manifest: other }))).location.field).toBe("scenario");
    const g = { ...sectionGraph(), scenario_hash: "b".repeat(64) };
    expect(errorOf(() => loadSite(writeSite(siteObject(), { sections: g }))).message).toContain("different versions of scenario 'tiny'");
    const noAgent = errorOf(() => loadSite(writeSite(siteObject({ microgrid: "mg9" }))));
    expect(noAgent.location.field).toBe("microgrid");
  });

  it("resolves secrets from the environment and files, and never prints them", () => {
    const site = siteObject({
      bus: { url: "mqtt://127.0.0.1:1883", username: "mg1", password: { env: "TEST_BUS_PW" } },
      http: { token: { file: "token.txt" } },
    });
    const file = writeSite(site);
    writeFileSync(join(dirname(file), "token.txt"), "s3cret-token\n");
    const loaded = loadSite(file, { env: { TEST_BUS_PW: "hunter2" } });
    expect(loaded.secrets.busPassword?.reveal()).toBe("hunter2");
    expect(loaded.secrets.httpToken?.reveal()).toBe("s3cret-token");
    const printed = JSON.stringify(loaded) + inspect(loaded, { depth: 10 }) + String(loaded.secrets.busPassword);
    expect(printed).not.toContain("hunter2");
    expect(printed).not.toContain("s3cret-token");

    const e = errorOf(() => loadSite(file, { env: {} }));
    expect(e.code).toBe("BLACKSTART_ERR_AGENT_SECRET_MISSING");
    expect(e.location.field).toBe("bus.password");
    expect(e.message).toContain("TEST_BUS_PW");
  });

  it("refuses a secret written into the file", () => {
    const file = writeSite(siteObject({ bus: { url: "mqtt://h", username: "u", password: "plain" } }));
    expect(errorOf(() => loadSite(file)).location.field).toBe("bus.password");
  });

  it("names a missing policy directory and a missing section graph", () => {
    const file = writeSite(siteObject({ policy: { dir: "nowhere" } }));
    expect(errorOf(() => loadSite(file)).location.field).toBe("policy.dir");
    const f2 = writeSite(siteObject({ sections: { file: "none.json" } }));
    expect(errorOf(() => loadSite(f2)).location.field).toBe("sections.file");
    expect(readFileSync(f2, "utf8")).toContain("none.json");
  });
});

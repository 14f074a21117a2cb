// The site files the bench writes are valid site configurations (the agent's
// own schema), bind exactly the policy's elements, and carry the bench's
// lockstep settings and bus credentials.
import { describe, expect, it } from "vitest";
import { SiteConfig } from "../../../shared/site/schema.js";
import { planFromScenario } from "../../devices/scenario.js";
import { switchDeviceId, type Endpoint } from "../../devices/harness.js";
import { bindScenarioFile } from "../../scenarios/bind.js";
import { benchSites } from "../sites.js";

const bound = bindScenarioFile("ieee123-5mg");
const endpoints: Endpoint[] = planFromScenario(bound).switches.map((s, i) => ({
  device: switchDeviceId(s.element),
  profile: s.binding.profile,
  protocol: "modbus",
  host: "127.0.0.1",
  port: 20000 + i,
  unit_id: 1,
  endpoint_url: null,
  element: s.element,
}));

describe("bench site files", () => {
  it("one valid site per microgrid, every switch of it bound to its simulated device", () => {
    const sites = benchSites(bound, endpoints, {
      clock: "external",
      policyDir: "/p",
      sectionsFile: "/s.json",
      journalDir: "/j",
      periodMs: 1000,
      httpHost: () => "127.0.0.1",
      pkiDir: "/pki",
      bus: (mg) => ({ url: "mqtt://127.0.0.1:1883", base_topic: "blackstart", credentials: { username: mg, password: { env: `PW_${mg.toUpperCase()}` } } }),
    });
    expect(sites.map((s) => s.microgrid)).toEqual(bound.scenario.microgrids.map((m) => m.id));
    for (const { microgrid, site } of sites) {
      const parsed = SiteConfig.parse(site);
      const mg = bound.scenario.microgrids.find((m) => m.id === microgrid)!;
      expect(Object.keys(parsed.bindings).map((k) => k.toLowerCase()).sort()).toEqual(mg.switches.map((s) => s.toLowerCase()).sort());
      expect(parsed.clock).toBe("external");
      expect(parsed.limits.min_operation_interval_ms).toBe(0);
      expect(parsed.http.port).toBe(0);
      expect(parsed.journal.path).toBe(`/j/${microgrid}.db`);
      expect(parsed.bus).toMatchObject({ url: "mqtt://127.0.0.1:1883", client_id: `blackstart-${microgrid}`, username: microgrid, password: { env: `PW_${microgrid.toUpperCase()}` } });
      for (const d of parsed.devices) expect(d.transport).toMatchObject({ kind: "modbus-tcp", host: "127.0.0.1", timeout_ms: 5000 });
      expect(parsed.poll).toMatchObject({ period_ms: 30_000, timeout_ms: 5000 });
    }
  });

  it("points agents in network namespaces at the host end of their device link", () => {
    const [first] = benchSites(bound, endpoints, { clock: "realtime", policyDir: "/p", sectionsFile: "/s.json", journalDir: "/j", periodMs: 1000, httpHost: () => "10.231.0.2", deviceHost: () => "10.231.0.1", pkiDir: "/pki" });
    const parsed = SiteConfig.parse(first!.site);
    expect(parsed.devices.every((d) => d.transport.kind === "modbus-tcp" && d.transport.host === "10.231.0.1")).toBe(true);
    expect(parsed.http.host).toBe("10.231.0.2");
    expect(parsed.bus).toBeUndefined();
  });
});

// Site files made from a scenario: the bench writes one per microgrid from
// the simulated devices' endpoint table (`blackstart sim --json`), and
// deploy/sites holds the ones made for a field address plan. Pure: the
// caller reads the scenario, the section graph and the endpoints.
import { canonicalElement } from "../../shared/names.js";
import type { SectionGraph } from "../../shared/scenario/sections.js";
import type { Scenario } from "../../shared/scenario/schema.js";
import type { SecretRef, SiteConfigInput } from "../../shared/site/schema.js";
import type { Endpoint } from "../../sim-harness/devices/harness.js";

/** One device as the simulator (or a field survey) lists it: `blackstart sim --json`'s endpoint table. */
export type DeviceEndpoint = Endpoint;

export interface SiteOptions {
  scenario: Scenario;
  graph: SectionGraph;
  microgrid: string;
  endpoints: readonly DeviceEndpoint[];
  /** Paths as they should appear in the file (relative to it, or absolute). */
  policyDir: string;
  journalPath: string;
  /** Write the graph inline (default) or refer to a file. */
  sectionsFile?: string;
  clock?: "realtime" | "external";
  http?: { host?: string; port?: number; token?: SecretRef };
  bus?: {
    url: string;
    base_topic?: string;
    username?: string;
    password?: SecretRef;
    tls?: { ca?: string; cert?: string; key?: string };
    embedded?: { host?: string; port?: number };
  };
  poll?: { period_ms?: number; timeout_ms?: number };
  limits?: { min_operation_interval_ms?: number; confirm_timeout_ms?: number };
  /** OPC UA: trust the server on first sight (bench only), and where certificates live. */
  opcua?: { auto_accept_server_certificate?: boolean; pki_dir?: string };
  profiles?: string[];
  /** Line-to-neutral nominal voltage (V) at the microgrid's PCC, when the scenario names one. */
  pccNominalV?: number;
}

/** The unit ids of a microgrid's DERs as the simulator names their devices (`der-<unit>`). */
function unitDevice(endpoints: readonly DeviceEndpoint[], unitId: string): DeviceEndpoint | undefined {
  return endpoints.find((e) => e.device === `der-${unitId}`);
}

export function siteFor(o: SiteOptions): SiteConfigInput {
  const mg = o.scenario.microgrids.find((m) => m.id === o.microgrid);
  if (!mg) throw new Error(`scenario ${o.scenario.name} has no microgrid '${o.microgrid}' (${o.scenario.microgrids.map((m) => m.id).join(", ")})`);
  const byElement = new Map(o.endpoints.map((e) => [canonicalElement(e.element), e]));
  const devices: NonNullable<SiteConfigInput["devices"]> = [];
  const transport = (e: DeviceEndpoint) =>
    e.protocol === "modbus"
      ? { kind: "modbus-tcp" as const, host: e.host, port: e.port, unit_id: e.unit_id ?? 1 }
      : {
          kind: "opcua" as const,
          endpoint: e.endpoint_url ?? `opc.tcp://${e.host}:${e.port}`,
          device_name: e.device,
          ...(o.opcua?.auto_accept_server_certificate ? { auto_accept_server_certificate: true } : {}),
          ...(o.opcua?.pki_dir ? { pki_dir: o.opcua.pki_dir } : {}),
        };
  const add = (e: DeviceEndpoint) => {
    if (!devices.some((d) => d.id === e.device)) devices.push({ id: e.device, profile: e.profile, transport: transport(e) });
  };
  const bindings: Record<string, string> = {};
  for (const sw of mg.switches) {
    const e = byElement.get(canonicalElement(sw));
    if (!e) throw new Error(`no device endpoint for ${sw} of ${o.microgrid}`);
    add(e);
    bindings[sw] = e.device;
  }
  const units: Record<string, string> = {};
  for (const u of mg.units) {
    const e = unitDevice(o.endpoints, u.id);
    if (!e) continue;
    add(e);
    units[u.id] = e.device;
  }
  let pcc: SiteConfigInput["pcc"];
  if (mg.pcc && o.pccNominalV !== undefined) {
    const e = byElement.get(canonicalElement(mg.pcc));
    if (!e) throw new Error(`no device endpoint for the PCC ${mg.pcc} of ${o.microgrid}`);
    add(e);
    pcc = { device: e.device, nominal_v: o.pccNominalV };
  }
  return {
    version: 1,
    microgrid: o.microgrid,
    scenario: o.scenario.name,
    clock: o.clock ?? "realtime",
    policy: { dir: o.policyDir },
    ...(o.profiles?.length ? { profiles: o.profiles } : {}),
    devices,
    bindings,
    ...(Object.keys(units).length ? { units } : {}),
    ...(pcc ? { pcc } : {}),
    sections: o.sectionsFile ? { file: o.sectionsFile } : o.graph,
    ...(o.poll ? { poll: o.poll } : {}),
    session: { episode_length: o.scenario.episode.length },
    ...(o.limits ? { limits: o.limits } : {}),
    ...(o.bus ? { bus: Object.fromEntries(Object.entries(o.bus).filter(([, v]) => v !== undefined)) as NonNullable<SiteConfigInput["bus"]> } : {}),
    journal: { path: o.journalPath },
    http: { host: o.http?.host ?? "127.0.0.1", port: o.http?.port ?? 9180, ...(o.http?.token ? { token: o.http.token } : {}) },
  };
}

/**
 * Endpoints for a field address plan (deploy/sites): each switch and
 * inverter of the scenario behind its own Modbus TCP address in the
 * documentation range 192.0.2.0/24 (RFC 5737), to be replaced by the real ones.
 */
export function fieldEndpoints(scenario: Scenario): DeviceEndpoint[] {
  const out: DeviceEndpoint[] = [];
  let host = 10;
  scenario.microgrids.forEach((mg) => {
    for (const sw of mg.switches) {
      const el = canonicalElement(sw);
      out.push({ device: `sw-${el.split(".")[1]}`, profile: scenario.devices.overrides[sw]?.profile ?? scenario.devices.switch.profile, protocol: "modbus", host: `192.0.2.${host++}`, port: 502, unit_id: 1, endpoint_url: null, element: el });
    }
    for (const u of mg.units) {
      const binding = scenario.devices.overrides[u.id] ?? scenario.devices[u.kind];
      out.push({ device: `der-${u.id}`, profile: u.profile ?? binding.profile, protocol: "modbus", host: `192.0.2.${host++}`, port: 502, unit_id: 1, endpoint_url: null, element: u.element ?? `Generator.${u.id}` });
    }
  });
  return out;
}

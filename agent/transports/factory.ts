// Build the site's field devices: load each device's hardware profile, check
// it fits its transport and its role (switch for a bound element or the PCC,
// an inverter for a unit), share one Modbus connection among the devices
// behind one gateway or serial line, and load node-opcua only when a device
// speaks OPC UA (it costs tens of MB a Modbus-only gateway should not pay).
import { BlackstartError } from "../../shared/errors.js";
import { loadProfile, PROFILES_DIR, type ResolvedProfile } from "../../shared/profile/index.js";
import type { DeviceKind } from "../../shared/profile/schema.js";
import type { Site } from "../config/load.js";
import { AgentErrors } from "../errors.js";
import type { Clock } from "../runtime/clock.js";
import type { FieldDevice } from "./device.js";
import { ModbusDevice } from "./modbus/device.js";
import { endpointKey, ModbusLink, type LinkEndpoint, type LinkLog } from "./modbus/link.js";

export interface FactoryLog extends LinkLog {
  error(obj: object, msg: string): void;
}

/** Profiles for every device of the site, checked against transports and roles. */
export function loadSiteProfiles(site: Site): Map<string, ResolvedProfile> {
  const c = site.config;
  const dirs = [...c.profiles, PROFILES_DIR];
  const out = new Map<string, ResolvedProfile>();
  const where = (path: (string | number)[]) => {
    const line = site.lineOf(path);
    return { file: site.file, field: path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join(""), ...(line !== undefined ? { line } : {}) };
  };
  c.devices.forEach((d, i) => {
    let profile: ResolvedProfile | undefined;
    const errors: string[] = [];
    for (const dir of dirs) {
      try {
        profile = loadProfile(d.profile, dir);
        break;
      } catch (e) {
        const be = e as BlackstartError;
        // A profile that exists but is broken must be reported as it is, not as missing.
        if (be.code !== "BLACKSTART_ERR_PROFILE_NOT_FOUND") throw e;
        errors.push(be.detail ?? be.message);
      }
    }
    if (!profile) throw new BlackstartError(AgentErrors.PROFILE, errors.join("; "), where(["devices", i, "profile"]));
    const wants = d.transport.kind === "opcua" ? "opcua" : "modbus";
    if (profile.protocol !== wants) {
      throw new BlackstartError(AgentErrors.PROFILE, `profile ${profile.id} speaks ${profile.protocol}, the transport is ${d.transport.kind}`, where(["devices", i, "transport", "kind"]));
    }
    out.set(d.id, profile);
  });
  const role = (device: string, kinds: readonly DeviceKind[], path: (string | number)[], what: string) => {
    const p = out.get(device)!;
    if (!kinds.includes(p.kind)) throw new BlackstartError(AgentErrors.PROFILE, `${what} needs a ${kinds.join(" or ")}; device '${device}' is a ${p.kind} (profile ${p.id})`, where(path));
  };
  for (const [el, b] of Object.entries(c.bindings)) role(b.device, ["switch"], ["bindings", el], `element ${el}`);
  for (const [u, b] of Object.entries(c.units)) role(b.device, ["pv-inverter", "battery-inverter"], ["units", u], `unit ${u}`);
  if (c.pcc) role(c.pcc.device, ["switch"], ["pcc", "device"], "the PCC");
  return out;
}

export interface SiteDevices {
  devices: FieldDevice[];
  /** Whether node-opcua was loaded. */
  opcua: boolean;
}

export async function createDevices(site: Site, profiles: ReadonlyMap<string, ResolvedProfile>, clock: Clock, log: FactoryLog): Promise<SiteDevices> {
  const c = site.config;
  const links = new Map<string, ModbusLink>();
  const devices: FieldDevice[] = [];
  const usesOpcUa = c.devices.some((d) => d.transport.kind === "opcua");
  const opcua = usesOpcUa ? await import("./opcua/device.js") : undefined;
  for (const d of c.devices) {
    const t = d.transport;
    const profile = profiles.get(d.id)!;
    if (t.kind === "opcua") {
      devices.push(new opcua!.OpcUaDevice(d.id, profile, t, site, clock, log));
      continue;
    }
    const endpoint: LinkEndpoint =
      t.kind === "modbus-tcp"
        ? { kind: "tcp", host: t.host, port: t.port }
        : { kind: "rtu", path: t.path, baud: t.baud, parity: t.parity, dataBits: t.data_bits, stopBits: t.stop_bits };
    const key = endpointKey(endpoint);
    let link = links.get(key);
    // Devices behind one gateway share its connection; the tightest timeout among them rules it.
    const timeoutMs = Math.min(t.timeout_ms ?? c.poll.timeout_ms, ...c.devices.filter((o) => o.transport.kind !== "opcua" && sameEndpoint(o.transport, endpoint)).map((o) => o.transport.timeout_ms ?? c.poll.timeout_ms));
    if (!link) {
      link = new ModbusLink(endpoint, { timeoutMs, backoffMinMs: c.poll.backoff_min_ms, backoffMaxMs: c.poll.backoff_max_ms }, log);
      links.set(key, link);
    }
    devices.push(new ModbusDevice(d.id, profile, link, t.unit_id, clock));
  }
  return { devices, opcua: usesOpcUa };
}

function sameEndpoint(t: Site["config"]["devices"][number]["transport"], e: LinkEndpoint): boolean {
  if (t.kind === "modbus-tcp") return e.kind === "tcp" && e.host === t.host && e.port === t.port;
  if (t.kind === "modbus-rtu") return e.kind === "rtu" && e.path === t.path;
  return false;
}

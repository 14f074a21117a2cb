// The site configuration of each microgrid's agent on the bench: the site
// file an integrator would write (agent/config/generate.ts siteFor, from the
// simulated devices' endpoint table), with what a bench run sets on top: the
// clock, deadlines that fit a lockstep run, the bus with its credentials, a
// journal and an HTTP port per agent. Pure: the caller writes the files.
import { siteFor, type DeviceEndpoint } from "../../agent/config/generate.js";
import type { SiteConfigInput } from "../../shared/site/schema.js";
import type { Endpoint } from "../devices/harness.js";
import type { BoundScenario } from "../scenarios/bind.js";

export interface BenchBusCredentials {
  username?: string;
  password?: { env: string } | { file: string };
  tls?: { ca?: string; cert?: string; key?: string };
}

export interface BenchSiteOptions {
  clock: "external" | "realtime";
  /** Policy directory, section graph file and journal directory (absolute). */
  policyDir: string;
  sectionsFile: string;
  journalDir: string;
  /** Broker URL as this agent reaches it, and its credentials (mosquitto fleet); none: static quotas alone. */
  bus?: (microgrid: string) => { url: string; base_topic: string; credentials?: BenchBusCredentials };
  /** Agent poll period (ms): one decision per period in a session. */
  periodMs: number;
  /** Address the agent's HTTP listens on. */
  httpHost: (microgrid: string) => string;
  /** Address the agent reaches the devices at, when not the endpoint's own (network namespaces). */
  deviceHost?: (microgrid: string) => string | undefined;
  /** OPC UA client certificate stores, one per agent below this (absolute). */
  pkiDir: string;
  logLevel?: "info" | "debug" | "warn";
}

export function benchSites(bound: BoundScenario, endpoints: readonly Endpoint[], o: BenchSiteOptions): { microgrid: string; site: SiteConfigInput }[] {
  const s = bound.scenario;
  const lockstep = o.clock === "external";
  // Lockstep: the agent's period only sets how old a reading may get (3 periods) in wall time, and a
  // busy bench answers late; the simulated period is the bench's. Realtime: field-like deadlines.
  const pollPeriod = lockstep ? 30_000 : o.periodMs;
  const pollTimeout = lockstep ? 5000 : Math.min(400, Math.floor(o.periodMs / 2));
  return s.microgrids.map((mg) => {
    const host = o.deviceHost?.(mg.id);
    const eps: DeviceEndpoint[] = endpoints.map((e) => (host ? { ...e, host, endpoint_url: e.endpoint_url?.replace(/^opc\.tcp:\/\/[^:/]+/, `opc.tcp://${host}`) ?? null } : e));
    const bus = o.bus?.(mg.id);
    const base = siteFor({
      scenario: s,
      graph: bound.sections,
      microgrid: mg.id,
      endpoints: eps,
      policyDir: o.policyDir,
      journalPath: `${o.journalDir}/${mg.id}.db`,
      sectionsFile: o.sectionsFile,
      clock: o.clock,
      http: { host: o.httpHost(mg.id), port: 0 },
      ...(bus ? { bus: { url: bus.url, base_topic: bus.base_topic } } : {}),
      poll: { period_ms: pollPeriod, timeout_ms: pollTimeout },
      // In lockstep the agent keeps the wall clock while the devices keep simulated time: the devices
      // enforce their own minimum interval between operations; the read-back deadline covers the sub-steps.
      limits: lockstep ? { min_operation_interval_ms: 0, confirm_timeout_ms: 10_000 } : { min_operation_interval_ms: 2 * o.periodMs, confirm_timeout_ms: 2000 },
      opcua: { auto_accept_server_certificate: true, pki_dir: `${o.pkiDir}/${mg.id}` },
    });
    const site: SiteConfigInput = {
      ...base,
      devices: base.devices.map((d) => (d.transport.kind === "modbus-tcp" ? { ...d, transport: { ...d.transport, timeout_ms: pollTimeout } } : d)),
      limits: { ...base.limits, select_timeout_ms: lockstep ? 5000 : 1000 },
      log: { level: o.logLevel ?? "info" },
      ...(bus && base.bus
        ? {
            bus: {
              ...base.bus,
              client_id: `blackstart-${mg.id}`,
              ...(bus.credentials?.username ? { username: bus.credentials.username } : {}),
              ...(bus.credentials?.password ? { password: bus.credentials.password } : {}),
              ...(bus.credentials?.tls ? { tls: bus.credentials.tls } : {}),
              // Lockstep ticks last as long as the slowest solve: there a peer is gone by its last will, not by the wall clock.
              peer_stale_ms: lockstep ? 120_000 : 5 * o.periodMs,
              reservation: { ack_timeout_ms: lockstep ? 3000 : 1000, lease_ms: lockstep ? 600_000 : 60_000 },
            },
          }
        : {}),
    };
    return { microgrid: mg.id, site };
  });
}

// The site configuration: everything one edge agent needs, in one file
// (`blackstart agent --config site.yaml`). Documented in docs/agent.md, with an
// example per microgrid of ieee123-5mg in deploy/sites/. Schema only: loading,
// relative paths and secrets are resolved by agent/config.
import { z } from "zod";
import { ElementRef } from "../scenario/schema.js";
import { SectionGraph } from "../scenario/sections.js";

const Id = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, "expected a lower-case id (letters, digits, '-' and '_')");
const Port = z.number().int().min(1).max(65535);
/** Port 0 asks the OS for a free port (tests, bench); the agent logs the one it got. */
const ListenPort = z.number().int().min(0).max(65535);
const Millis = z.number().int().positive();

/**
 * A secret is never written in the site file: it names an environment
 * variable or a file (trailing newline stripped) that holds it.
 */
export const SecretRef = z.union([
  z.object({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "expected an environment variable name") }).strict(),
  z.object({ file: z.string().min(1) }).strict(),
]);
export type SecretRef = z.infer<typeof SecretRef>;

// ---------------------------------------------------------------- transports

export const ModbusTcpTransport = z
  .object({
    kind: z.literal("modbus-tcp"),
    host: z.string().min(1),
    port: Port.default(502),
    /** Unit id (slave address); a gateway serves several devices on one connection. */
    unit_id: z.number().int().min(0).max(255).default(1),
    /** Per-request timeout; must be shorter than the poll period. Defaults to poll.timeout_ms. */
    timeout_ms: Millis.optional(),
  })
  .strict();

export const ModbusRtuTransport = z
  .object({
    kind: z.literal("modbus-rtu"),
    /** Serial device, e.g. /dev/ttyUSB0. Devices on one line share one connection (one request in flight). */
    path: z.string().min(1),
    baud: z.number().int().positive().default(9600),
    parity: z.enum(["none", "even", "odd"]).default("even"),
    data_bits: z.union([z.literal(7), z.literal(8)]).default(8),
    stop_bits: z.union([z.literal(1), z.literal(2)]).default(1),
    unit_id: z.number().int().min(1).max(247),
    timeout_ms: Millis.optional(),
  })
  .strict();

/** Security policies that work with node-opcua on Node 20. Basic128Rsa15 is deliberately absent (it fails on Node 20). */
export const OpcUaSecurityPolicy = z.enum(["None", "Basic256Sha256", "Aes128_Sha256_RsaOaep", "Aes256_Sha256_RsaPss"]);
export const OpcUaSecurityMode = z.enum(["None", "Sign", "SignAndEncrypt"]);

export const OpcUaTransport = z
  .object({
    kind: z.literal("opcua"),
    endpoint: z.string().regex(/^opc\.tcp:\/\/[^\s]+$/, "expected an endpoint URL 'opc.tcp://host:port/path'"),
    /** Logical device name in the node ids (`nsu=<namespace>;s=<device_name>/<node>`); defaults to the device id. */
    device_name: z.string().min(1).optional(),
    security_policy: OpcUaSecurityPolicy.default("Basic256Sha256"),
    security_mode: OpcUaSecurityMode.default("SignAndEncrypt"),
    /** Client certificate and private key (PEM); created in pki_dir on first start when absent. */
    certificate: z.string().optional(),
    private_key: z.string().optional(),
    /** Certificate store (trusted/, rejected/, own/); persistent so that trust survives restarts. */
    pki_dir: z.string().optional(),
    /** Trust the server's certificate on first sight. Bench only: in the field, provision trusted/. */
    auto_accept_server_certificate: z.boolean().default(false),
    user: z.object({ username: z.string().min(1), password: SecretRef }).strict().optional(),
    /** Use a subscription where the server offers one (else the agent polls with Read). */
    subscribe: z.boolean().default(true),
    publishing_interval_ms: Millis.default(250),
    /** Session timeout requested from the server; >= 60 s (node-opcua #1334, #380). */
    session_timeout_ms: z.number().int().min(60_000).default(120_000),
    timeout_ms: Millis.optional(),
  })
  .strict()
  .superRefine((t, ctx) => {
    if ((t.security_policy === "None") !== (t.security_mode === "None")) {
      ctx.addIssue({
        code: "custom",
        path: ["security_mode"],
        message: `security_mode '${t.security_mode}' does not go with security_policy '${t.security_policy}' (None needs None on both)`,
      });
    }
  });

export const Transport = z.discriminatedUnion("kind", [ModbusTcpTransport, ModbusRtuTransport, OpcUaTransport]);
export type Transport = z.infer<typeof Transport>;
export type ModbusTcpTransport = z.infer<typeof ModbusTcpTransport>;
export type ModbusRtuTransport = z.infer<typeof ModbusRtuTransport>;
export type OpcUaTransport = z.infer<typeof OpcUaTransport>;

export const SiteDevice = z
  .object({
    id: Id,
    /** Hardware profile name (a file in a profiles directory, without extension). */
    profile: z.string().min(1),
    transport: Transport,
  })
  .strict();
export type SiteDevice = z.infer<typeof SiteDevice>;

// ------------------------------------------------------------------ bindings

/**
 * Where a feeder element of the policy lives: the id of the switch device that
 * operates it. `Line.L45: sw-l45` is short for `Line.L45: {device: sw-l45}`.
 */
export const ElementBinding = z.union([
  Id.transform((device) => ({ device })),
  z.object({ device: Id }).strict(),
]);
export type ElementBinding = z.infer<typeof ElementBinding>;

/** A generating unit of this microgrid (scenario unit id) and the inverter that reports it. */
export const UnitBinding = z.union([
  Id.transform((device) => ({ device }) as { device: string; rating_kw?: number }),
  z
    .object({
      device: Id,
      /** Rating (kW) used when the device does not report its available power. */
      rating_kw: z.number().nonnegative().optional(),
    })
    .strict(),
]);

/** The point of common coupling: when its voltage is dead, a restoration is called for. */
export const Pcc = z
  .object({
    /** A switch device whose source-side voltage channels see the grid. */
    device: Id,
    /** Nominal line-to-neutral voltage (V) of those channels. */
    nominal_v: z.number().positive(),
    /** Below this (pu of nominal, on every phase) the PCC counts as dead. */
    dead_below_pu: z.number().positive().max(1).default(0.1),
    /** Dead this long before a restoration starts (rides through reclosing). */
    confirm_ms: z.number().int().nonnegative().default(2000),
  })
  .strict();

// ----------------------------------------------------------------- the rest

export const BusConfig = z
  .object({
    /** mqtt://, mqtts://, ws:// or wss:// URL of the broker. */
    url: z.string().regex(/^(mqtts?|wss?):\/\/[^\s]+$/, "expected a broker URL such as mqtt://127.0.0.1:1883"),
    /** Unique per agent; defaults to `blackstart-<microgrid>`. */
    client_id: z.string().min(1).optional(),
    /** Every topic of the fleet lives under this. */
    base_topic: z.string().regex(/^[^/#+\s]([^#+\s]*[^/#+\s])?$/, "expected a topic prefix without wildcards, spaces, or a leading or trailing '/'").default("blackstart"),
    username: z.string().min(1).optional(),
    password: SecretRef.optional(),
    tls: z
      .object({
        ca: z.string().optional(),
        cert: z.string().optional(),
        key: z.string().optional(),
        key_passphrase: SecretRef.optional(),
        reject_unauthorized: z.boolean().default(true),
      })
      .strict()
      .optional(),
    /** Run the embedded broker (aedes) in this process, listening here. One per host. */
    embedded: z.object({ host: z.string().default("127.0.0.1"), port: ListenPort.default(1883) }).strict().optional(),
    /** A peer whose state is older than this counts as stale (its switches count as closed). */
    peer_stale_ms: Millis.default(5000),
    /**
     * Quota lending (docs/bus.md): `demand` (default) lowers its quota by
     * itself to what its closes could still pick up and lends the share of its
     * unused quota a peer's reservation asks of it; `reachable` only lowers it;
     * `off` never lends (a pick-up beyond the pool waits for headroom).
     */
    lending: z.enum(["demand", "reachable", "off"]).default("demand"),
    reservation: z
      .object({
        /** Give every live peer at least this long to answer (a request waits twice as long: one answer may wait behind another request). */
        ack_timeout_ms: Millis.default(1000),
        /**
         * On a slow or lossy link, answer times learned from the peers' answers
         * lengthen the wait up to this (default 4 x ack_timeout_ms; docs/bus.md, answer time).
         */
        ack_timeout_max_ms: Millis.optional(),
        /** A granted reservation lives this long unless renewed. */
        lease_ms: Millis.default(60_000),
      })
      .strict()
      .refine((r) => r.ack_timeout_max_ms === undefined || r.ack_timeout_max_ms >= r.ack_timeout_ms, { message: "ack_timeout_max_ms must be at least ack_timeout_ms", path: ["ack_timeout_max_ms"] })
      .default({ ack_timeout_ms: 1000, lease_ms: 60_000 }),
  })
  .strict();
export type BusConfig = z.infer<typeof BusConfig>;

export const PollConfig = z
  .object({
    /** Period of the realtime clock: one read of every device (and, in a session, one decision). */
    period_ms: Millis.default(1000),
    /** Per-request deadline; must be shorter than the period so a dead device cannot stall a tick. */
    timeout_ms: Millis.default(400),
    /** A reading older than this is stale: the switches it covers hold. Default 3 periods. */
    stale_after_ms: Millis.optional(),
    /** Reconnect backoff (jittered, doubling from min to max). */
    backoff_min_ms: Millis.default(500),
    backoff_max_ms: Millis.default(30_000),
  })
  .strict();

export const SessionConfig = z
  .object({
    /** Decisions per restoration session (the scenario's episode length). */
    episode_length: z.number().int().positive(),
    /** Start a session by itself when the PCC goes dead (else only on an operator command). */
    auto_start: z.boolean().default(true),
  })
  .strict();

export const SiteLimits = z
  .object({
    /** Minimum time between two operations of one switch. */
    min_operation_interval_ms: z.number().int().nonnegative().default(5000),
    /** Deadline for a written command's read-back to show the new state. */
    confirm_timeout_ms: Millis.default(2000),
    /** Select-before-operate: the selection must be armed within this. */
    select_timeout_ms: Millis.default(1000),
    /**
     * External clock: the simulator moves a switch only when the bench steps it,
     * so a command is confirmed at the polls of the following ticks; failed (or
     * unknown if unreadable) after this many ticks without the new position.
     */
    confirm_ticks: z.number().int().positive().default(3),
  })
  .strict();

export const HttpConfig = z
  .object({
    host: z.string().default("127.0.0.1"),
    port: ListenPort.default(9180),
    /** Bearer token required by the operator endpoints (POST); read endpoints stay open. */
    token: SecretRef.optional(),
  })
  .strict();

export const SiteConfig = z
  .object({
    version: z.literal(1),
    /** Microgrid id, as in the scenario and the policy manifest. */
    microgrid: Id,
    /** Scenario the policy and the section graph belong to. */
    scenario: z.string().min(1),
    clock: z.enum(["realtime", "external"]).default("realtime"),
    policy: z
      .object({
        /** Policy directory (manifest.json + one actor per agent), relative to this file. */
        dir: z.string().min(1),
        /** onnxruntime threads (1 on a gateway). */
        threads: z.number().int().positive().default(1),
      })
      .strict(),
    /** Extra hardware-profile directories searched before the shipped hardware-profiles/. */
    profiles: z.array(z.string()).default([]),
    devices: z.array(SiteDevice).min(1),
    /** Each feeder element of the policy (`Line.L45`) bound to the device that operates it. */
    bindings: z.record(ElementRef, ElementBinding),
    /** This microgrid's generating units (scenario unit id -> device). */
    units: z.record(z.string(), UnitBinding).default({}),
    pcc: Pcc.optional(),
    /**
     * The scenario's section graph (`blackstart scenario sections <name> --json`),
     * inline or as a JSON/YAML file relative to this one. Quota and cap default from it.
     */
    sections: z.union([z.object({ file: z.string().min(1) }).strict(), SectionGraph]),
    /** Generation (kW) the agent may commit on its own when it cannot reach its peers (default: the graph's quota for this microgrid). */
    quota_kw: z.number().nonnegative().optional(),
    poll: PollConfig.default({ period_ms: 1000, timeout_ms: 400, backoff_min_ms: 500, backoff_max_ms: 30_000 }),
    session: SessionConfig,
    limits: SiteLimits.default({ min_operation_interval_ms: 5000, confirm_timeout_ms: 2000, select_timeout_ms: 1000, confirm_ticks: 3 }),
    bus: BusConfig.optional(),
    journal: z
      .object({
        path: z.string().min(1),
        /** Observations older than this are pruned (commands and vetoes are kept). */
        retention_days: z.number().positive().default(30),
        /**
         * While watching (no session), an observation is journaled when a position, a device's
         * health or the PCC changes, and at least this often; in a session, every tick.
         */
        watch_interval_s: z.number().positive().default(60),
      })
      .strict(),
    http: HttpConfig.default({ host: "127.0.0.1", port: 9180 }),
    log: z
      .object({ level: z.enum(["fatal", "error", "warn", "info", "debug", "trace"]).default("info") })
      .strict()
      .default({ level: "info" }),
  })
  .strict()
  .superRefine((site, ctx) => {
    if (site.poll.timeout_ms >= site.poll.period_ms) {
      ctx.addIssue({ code: "custom", path: ["poll", "timeout_ms"], message: `must be shorter than poll.period_ms (${site.poll.period_ms})` });
    }
    if (site.poll.backoff_min_ms > site.poll.backoff_max_ms) {
      ctx.addIssue({ code: "custom", path: ["poll", "backoff_min_ms"], message: "must not exceed poll.backoff_max_ms" });
    }
    const ids = new Map<string, number>();
    site.devices.forEach((d, i) => {
      const t = d.transport;
      if (t.timeout_ms !== undefined && t.timeout_ms >= site.poll.period_ms) {
        ctx.addIssue({ code: "custom", path: ["devices", i, "transport", "timeout_ms"], message: `must be shorter than poll.period_ms (${site.poll.period_ms})` });
      }
      if (ids.has(d.id)) ctx.addIssue({ code: "custom", path: ["devices", i, "id"], message: `duplicate device id '${d.id}' (also devices[${ids.get(d.id)}])` });
      ids.set(d.id, i);
    });
    serialLinesAgree(site.devices, ctx);
    const known = [...ids.keys()];
    const checkDevice = (id: string, path: (string | number)[]) => {
      if (!ids.has(id)) ctx.addIssue({ code: "custom", path, message: `unknown device '${id}' (devices: ${known.join(", ")})` });
    };
    for (const [el, b] of Object.entries(site.bindings)) checkDevice(b.device, ["bindings", el, "device"]);
    for (const [u, b] of Object.entries(site.units)) checkDevice(b.device, ["units", u, "device"]);
    if (site.pcc) checkDevice(site.pcc.device, ["pcc", "device"]);
    if (site.bus?.password && !site.bus.username) {
      ctx.addIssue({ code: "custom", path: ["bus", "password"], message: "a password needs bus.username" });
    }
  });
export type SiteConfig = z.infer<typeof SiteConfig>;
export type SiteConfigInput = z.input<typeof SiteConfig>;

/** Devices on one serial line share one connection: its line settings must agree. */
function serialLinesAgree(devices: readonly SiteDevice[], ctx: z.RefinementCtx): void {
  const lines = new Map<string, { index: number; key: string; units: Set<number> }>();
  devices.forEach((d, i) => {
    const t = d.transport;
    if (t.kind !== "modbus-rtu") return;
    const key = `${t.baud}/${t.parity}/${t.data_bits}/${t.stop_bits}`;
    const line = lines.get(t.path);
    if (!line) {
      lines.set(t.path, { index: i, key, units: new Set([t.unit_id]) });
      return;
    }
    if (line.key !== key) {
      ctx.addIssue({ code: "custom", path: ["devices", i, "transport"], message: `serial line ${t.path} is set ${line.key} by devices[${line.index}], here ${key}` });
    }
    if (line.units.has(t.unit_id)) {
      ctx.addIssue({ code: "custom", path: ["devices", i, "transport", "unit_id"], message: `unit id ${t.unit_id} is used twice on ${t.path}` });
    }
    line.units.add(t.unit_id);
  });
}

// A field device over OPC UA (node-opcua's client only, loaded on demand):
// a secure channel with the site's security policy and mode, certificates in
// a persistent store (unknown server certificates land in rejected/ unless the
// bench auto-accepts), one long-lived session, and a subscription on every
// point behind a channel where the server offers one (else Read each poll).
// A watchdog rebuilds client, session and subscription when neither data nor
// keep-alive arrived for three keep-alive periods: after reconnects,
// node-opcua subscriptions may silently stop (node-opcua #678, #1059, #960).
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
// First: node-opcua's loggers point away from stdout before the client loads.
import { routeOpcUaLogs } from "./logs.js";
import {
  AttributeIds,
  ClientMonitoredItemGroup,
  ClientSubscription,
  DataType,
  MessageSecurityMode,
  OPCUAClient,
  SecurityPolicy,
  StatusCodes,
  TimestampsToReturn,
  UserTokenType,
  type ClientSession,
  type DataValue,
} from "node-opcua-client";
import { OPCUACertificateManager } from "node-opcua-certificate-manager";
import { decodeVariant, encodeVariant, type ResolvedPoint, type ResolvedProfile, type Write } from "../../../shared/profile/index.js";
import type { Profile } from "../../../shared/profile/schema.js";
import type { OpcUaTransport } from "../../../shared/site/schema.js";
import type { Site } from "../../config/load.js";
import type { Clock } from "../../runtime/clock.js";
import { Backoff } from "../backoff.js";
import { DeviceFault, type ChannelSnapshot, type CommandStep, type DeviceStatus, type FieldDevice } from "../device.js";
import { channelsOf, commandWrites } from "../profile-device.js";

export interface OpcUaLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

/** Keep-alive count requested for the subscription; the watchdog allows three keep-alive periods. */
const KEEPALIVE_COUNT = 10;

interface Cached {
  value: unknown;
  good: boolean;
}

export class OpcUaDevice implements FieldDevice {
  readonly transport = "opcua";
  private client: OPCUAClient | undefined;
  private session: ClientSession | undefined;
  private subscription: ClientSubscription | undefined;
  private readonly cache = new Map<string, Cached>();
  /** Agent clock (ms) of the last data change or keep-alive: what "current" means for cached values. */
  private lastData: number | undefined;
  private state: DeviceStatus["state"] = "stopped";
  private connects = 0;
  private lastError: string | undefined;
  private readonly backoff: Backoff;
  private retry: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private readonly points: ResolvedPoint[];
  private readonly namespace: string;
  private readonly deviceName: string;
  private readonly timeoutMs: number;
  private subscribed = false;
  private nsIndex = -1;

  constructor(
    readonly id: string,
    readonly resolved: ResolvedProfile,
    private readonly t: OpcUaTransport,
    private readonly site: Site,
    private readonly clock: Clock,
    private readonly log: OpcUaLog,
  ) {
    routeOpcUaLogs(log);
    const d = resolved.profile.discovery;
    if (d.kind !== "opcua") throw new DeviceFault(id, "unsupported", `profile ${resolved.id} is not an OPC UA profile`);
    this.namespace = d.namespace_uri;
    this.deviceName = t.device_name ?? id;
    this.timeoutMs = t.timeout_ms ?? site.config.poll.timeout_ms;
    this.points = [...new Map([...resolved.channels.values()].map((c) => [c.point.ref, c.point])).values()];
    this.backoff = new Backoff({ minMs: site.config.poll.backoff_min_ms, maxMs: site.config.poll.backoff_max_ms });
  }

  get profile(): Profile {
    return this.resolved.profile;
  }

  status(): DeviceStatus {
    return { state: this.state, reconnects: Math.max(0, this.connects - 1), ...(this.lastError ? { lastError: this.lastError } : {}) };
  }

  commandKind(name: string): "direct" | "select-before-operate" | undefined {
    return this.resolved.commands.get(name)?.kind;
  }

  /** `ns=<index of the profile's namespace on this server>;s=<device>/<node>`; the index is read at each connect. */
  nodeId(p: ResolvedPoint): string {
    return `ns=${this.nsIndex};s=${this.deviceName}/${p.node}`;
  }

  async start(): Promise<void> {
    if (this.state !== "stopped") return;
    this.state = "connecting";
    void this.connect();
  }

  async stop(): Promise<void> {
    this.state = "stopped";
    clearTimeout(this.retry);
    clearInterval(this.watchdog);
    await this.teardown();
  }

  async read(): Promise<ChannelSnapshot> {
    const session = this.session;
    if (this.state !== "connected" || !session) throw new DeviceFault(this.id, "disconnected", `${this.t.endpoint}: not connected (${this.state}${this.lastError ? `: ${this.lastError}` : ""})`);
    let at: number;
    if (this.subscribed) {
      at = this.lastData ?? this.clock.now();
    } else {
      const values = await this.withDeadline(session.read(this.points.map((p) => ({ nodeId: this.nodeId(p), attributeId: AttributeIds.Value }))), "read");
      values.forEach((dv, i) => this.store(this.points[i]!, dv));
      at = this.clock.now();
    }
    const { values, invalid } = channelsOf(this.resolved, (p) => {
      const c = this.cache.get(p.ref);
      return c?.good ? decodeVariant(p, c.value) : null;
    });
    return { device: this.id, at, values, invalid };
  }

  async command(name: string, step: CommandStep, argument?: number): Promise<void> {
    const writes = commandWrites(this.resolved, this.id, name, step);
    for (const w of writes) await this.write(w, argument);
  }

  private async write(w: Write, argument: number | undefined): Promise<void> {
    const session = this.session;
    if (this.state !== "connected" || !session) throw new DeviceFault(this.id, "disconnected", `${this.t.endpoint}: not connected`);
    const p = this.resolved.byRef.get(w.point);
    if (!p) throw new DeviceFault(this.id, "unsupported", `profile ${this.resolved.id} has no point '${w.point}'`);
    const value = w.value === "$value" ? argument : w.value;
    if (value === undefined) throw new DeviceFault(this.id, "unsupported", `write of '${w.point}' needs an argument`);
    let variant;
    try {
      variant = encodeVariant(p, value);
    } catch (e) {
      throw new DeviceFault(this.id, "unsupported", `cannot encode ${JSON.stringify(value)} for '${p.ref}': ${(e as Error).message}`);
    }
    const status = await this.withDeadline(
      session.write({ nodeId: this.nodeId(p), attributeId: AttributeIds.Value, value: { value: { dataType: DataType[variant.dataType], value: variant.value } } }),
      "write",
    );
    if (!status.isGood()) {
      // A Bad status on a control is the device refusing it (no selection, interlock, lockout).
      throw new DeviceFault(this.id, "rejected", `write of ${p.ref}: ${status.name} (${status.description})`, status.name);
    }
  }

  private store(p: ResolvedPoint, dv: DataValue): void {
    this.cache.set(p.ref, { value: dv.value?.value, good: dv.statusCode.isGood() });
  }

  private async withDeadline<T>(p: Promise<T>, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DeviceFault(this.id, "timeout", `${what}: no reply within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      return await Promise.race([p, deadline]);
    } catch (e) {
      if (e instanceof DeviceFault) throw e;
      const msg = (e as Error)?.message ?? String(e);
      throw new DeviceFault(this.id, /closed|disconnect|BadSession|BadSecureChannel|BadConnection/i.test(msg) ? "disconnected" : "exception", `${what}: ${msg}`);
    } finally {
      clearTimeout(timer);
    }
  }

  private async connect(): Promise<void> {
    if (this.stopped()) return;
    try {
      const t = this.t;
      const pki = this.pkiDir();
      const certificateManager = new OPCUACertificateManager({ rootFolder: pki, automaticallyAcceptUnknownCertificate: t.auto_accept_server_certificate });
      await certificateManager.initialize();
      const client = OPCUAClient.create({
        applicationName: `blackstart-agent-${this.site.config.microgrid}`,
        securityMode: MessageSecurityMode[t.security_mode],
        securityPolicy: SecurityPolicy[t.security_policy],
        endpointMustExist: false,
        requestedSessionTimeout: t.session_timeout_ms,
        keepSessionAlive: true,
        // Reconnection is ours (backoff, rebuild everything); the client tries once.
        connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 1000 },
        clientCertificateManager: certificateManager,
        ...(t.certificate ? { certificateFile: t.certificate } : {}),
        ...(t.private_key ? { privateKeyFile: t.private_key } : {}),
      });
      this.client = client;
      client.on("connection_lost", () => this.lost("connection lost"));
      await this.withConnectDeadline(client.connect(t.endpoint));
      const password = this.site.secrets.opcuaPasswords.get(this.id);
      const session = await this.withConnectDeadline(
        t.user && password ? client.createSession({ type: UserTokenType.UserName, userName: t.user.username, password: password.reveal() }) : client.createSession(),
      );
      this.session = session;
      session.on("session_closed", () => this.lost("session closed"));
      // Node ids name the namespace by URI; the server says which index it has today.
      const namespaces = await this.withConnectDeadline(session.readNamespaceArray());
      this.nsIndex = namespaces.indexOf(this.namespace);
      if (this.nsIndex < 0) throw new Error(`server has no namespace '${this.namespace}' (profile ${this.resolved.id}); it has ${namespaces.join(", ")}`);
      this.subscribed = t.subscribe ? await this.subscribe(session) : false;
      this.state = "connected";
      this.connects++;
      this.lastError = undefined;
      this.backoff.reset();
      this.lastData = this.clock.now();
      this.startWatchdog();
      this.log.info({ device: this.id, endpoint: t.endpoint, policy: t.security_policy, mode: t.security_mode, subscribed: this.subscribed, reconnects: this.connects - 1 }, "opcua device: connected");
    } catch (e) {
      this.lastError = (e as Error)?.message ?? String(e);
      const rejected = this.rejectedCertificates();
      if (rejected.length) {
        // An unknown server certificate is parked in rejected/ (node-opcua #1090): say where, and how to trust it.
        this.lastError = `${this.lastError}; the server's certificate is not trusted: ${rejected.join(", ")} (move it to ${join(this.pkiDir(), "trusted", "certs")} once checked)`;
      }
      this.log.warn({ device: this.id, endpoint: this.t.endpoint, error: this.lastError }, "opcua device: connect failed");
      await this.teardown();
      this.scheduleRetry();
    }
  }

  /** Subscribe to every channel point; false if the server does not offer subscriptions (then Read each poll). */
  private async subscribe(session: ClientSession): Promise<boolean> {
    try {
      const sub = await ClientSubscription.create(session, {
        requestedPublishingInterval: this.t.publishing_interval_ms,
        requestedMaxKeepAliveCount: KEEPALIVE_COUNT,
        requestedLifetimeCount: KEEPALIVE_COUNT * 6,
        maxNotificationsPerPublish: 0,
        publishingEnabled: true,
        priority: 10,
      });
      this.subscription = sub;
      sub.on("keepalive", () => (this.lastData = this.clock.now()));
      sub.on("terminated", () => this.lost("subscription terminated"));
      const group = ClientMonitoredItemGroup.create(
        sub,
        this.points.map((p) => ({ nodeId: this.nodeId(p), attributeId: AttributeIds.Value })),
        { samplingInterval: this.t.publishing_interval_ms, queueSize: 1, discardOldest: true },
        TimestampsToReturn.Both,
      );
      group.on("changed", (_item, dv, index) => {
        const p = this.points[index];
        if (p) this.store(p, dv);
        this.lastData = this.clock.now();
      });
      // Wait for every monitored item (silent subscriptions otherwise: node-opcua #1334).
      await new Promise<void>((resolve, reject) => {
        group.once("initialized", () => resolve());
        group.once("err", (m: string) => reject(new Error(m)));
      });
      const bad = group.monitoredItems.map((m, i) => ({ m, i })).filter(({ m }) => m.statusCode && m.statusCode !== StatusCodes.Good);
      if (bad.length) throw new Error(`monitored items refused: ${bad.map(({ m, i }) => `${this.points[i]!.ref} ${m.statusCode.name}`).join(", ")}`);
      return true;
    } catch (e) {
      this.log.warn({ device: this.id, error: (e as Error).message }, "opcua device: no subscription, reading each poll instead");
      try {
        await this.subscription?.terminate();
      } catch {
        // gone already
      }
      this.subscription = undefined;
      return false;
    }
  }

  private startWatchdog(): void {
    clearInterval(this.watchdog);
    if (!this.subscribed) return;
    const limitMs = 3 * KEEPALIVE_COUNT * this.t.publishing_interval_ms;
    this.watchdog = setInterval(() => {
      if (this.state !== "connected" || this.lastData === undefined) return;
      const silent = this.clock.now() - this.lastData;
      if (silent > limitMs) this.lost(`no data or keep-alive for ${Math.round(silent)} ms (watchdog ${limitMs} ms): rebuilding client, session and subscription`);
    }, Math.max(100, this.t.publishing_interval_ms));
    this.watchdog.unref();
  }

  private lost(reason: string): void {
    if (this.state !== "connected") return;
    this.state = "backoff";
    this.lastError = reason;
    this.log.warn({ device: this.id, reason }, "opcua device: lost");
    clearInterval(this.watchdog);
    void this.teardown().then(() => this.scheduleRetry());
  }

  private scheduleRetry(): void {
    if (this.stopped()) return;
    this.state = "backoff";
    clearTimeout(this.retry);
    this.retry = setTimeout(() => {
      if (this.stopped()) return;
      this.state = "connecting";
      void this.connect();
    }, this.backoff.next());
    this.retry.unref();
  }

  /** The client's certificate store: the site's pki_dir, else `pki/` beside the journal. */
  private pkiDir(): string {
    return this.t.pki_dir ?? join(dirname(this.site.config.journal.path), "pki");
  }

  private rejectedCertificates(): string[] {
    const dir = join(this.pkiDir(), "rejected");
    try {
      return existsSync(dir) ? readdirSync(dir).filter((f) => /\.(pem|der)$/i.test(f)).map((f) => join(dir, f)) : [];
    } catch {
      return [];
    }
  }

  private stopped(): boolean {
    return this.state === "stopped";
  }

  private async withConnectDeadline<T>(p: Promise<T>): Promise<T> {
    const ms = Math.max(5000, this.timeoutMs * 10);
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)))]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async teardown(): Promise<void> {
    const { subscription, session, client } = this;
    this.subscription = undefined;
    this.session = undefined;
    this.client = undefined;
    this.subscribed = false;
    this.cache.clear();
    const quietly = async (f: () => Promise<unknown>) => {
      try {
        await Promise.race([f(), new Promise((r) => setTimeout(r, 2000).unref())]);
      } catch {
        // already gone
      }
    };
    if (subscription) await quietly(() => subscription.terminate());
    if (session) await quietly(() => session.close());
    if (client) await quietly(() => client.disconnect());
  }
}

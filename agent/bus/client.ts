// The peer-bus client: one MQTT connection per agent (MQTT.js, MQTT 3.1.1, so
// it speaks to aedes and to mosquitto alike), carrying the retained state and
// availability of this microgrid, every peer's, and the reservation protocol
// (shared/bus/reservation.ts) between them.
//
// What bites in production and what is done about it (../shared/PITFALLS.md):
// - MQTT.js mutates its options and two clients from one object share a client
//   id: each connection gets a fresh copy and a unique id.
// - Its reconnect period is fixed: here it is off, and reconnects follow a
//   doubling, jittered backoff; a watchdog tears down a connection on which the
//   agent's own heartbeat stops coming back and nothing else arrives (half-open
//   sockets), or on which it stays away much longer (lost subscriptions). A late
//   echo on a link that still delivers is TCP retransmitting under loss: a new
//   connection would only start over, with the handshakes, on the same link.
// - Offline publishes live in memory only: what must survive goes through an
//   outbox table in the journal and is sent again after each connect.
// - The last will may not fire: the embedded broker also publishes `offline`
//   on disconnect, and this client re-asserts `online` if it ever reads its own
//   retained availability as offline while connected.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import Database from "better-sqlite3";
import { BlackstartError } from "../../shared/errors.js";
import {
  AnswerTime,
  BUS_PROTOCOL,
  ClaimEngine,
  fleetFilter,
  parseMessage,
  RETAINED,
  ReservationEngine,
  topicOf,
  viewOf,
  type AgentLedger,
  type Availability,
  type ClaimEffect,
  type ClaimFleet,
  type ClaimResult,
  type DropReason,
  type Effect,
  type FleetContext,
  type Headroom,
  type HoldInfo,
  type LeaseInfo,
  type OperatorRequest,
  type PeerState,
  type ReservationResult,
  type TopicKind,
  type View,
} from "../../shared/bus/index.js";
import type { SectionGraph } from "../../shared/scenario/sections.js";
import { fleetStates, indexGraph, reachableKw, type ClaimHeld, type GenerationBudget, type GraphIndex, type LeaseHeld, type PeerClaim, type PeerSwitches } from "../../shared/shield/index.js";
import { DEFAULT_LOAD_MARGIN_PCT, quotaOversubscription } from "../../shared/bus/ledger.js";
import { FLEET_POOL, generationPools, poolLoadsKw, poolOfSection, type PoolIndex } from "../../shared/bus/pools.js";
import { canonicalElement } from "../../shared/names.js";
import type { Journal } from "../journal/index.js";
import { Backoff } from "../transports/backoff.js";
import { BusErrors } from "./errors.js";
import { Outbox } from "./outbox.js";

export interface BusTls {
  /** PEM files: CA to trust, client certificate and key (mutual TLS). */
  ca?: string;
  cert?: string;
  key?: string;
  passphrase?: string;
  rejectUnauthorized?: boolean;
  /** Name to check the broker's certificate against (default: the URL's host). */
  servername?: string;
}

export interface BusLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface PeerBusOptions {
  microgrid: string;
  /** The fleet's section graph: its microgrids are the fleet, its sections count the load served. */
  graph: SectionGraph;
  url: string;
  baseTopic?: string;
  /** Default `blackstart-<microgrid>-<random>`: unique per connection attempt's process. */
  clientId?: string;
  username?: string;
  password?: string;
  tls?: BusTls;
  /** This agent's static quota (kW); peers' come from their states, else from the graph. */
  quotaKw: number;
  /** Fleet cap (kW): default the graph's, else the sum of its grid-forming ratings. */
  capKw?: number;
  peerStaleMs?: number;
  ackTimeoutMs?: number;
  /** Answer times learned from peers' answers lengthen a request's wait up to this (default 4 x ackTimeoutMs). */
  ackTimeoutMaxMs?: number;
  leaseMs?: number;
  /** A close claim on a dead region lasts this long at most (default 30 s; docs/bus.md, close claims). */
  claimMs?: number;
  /** Own state republished this often (heartbeat; default peerStaleMs / 3). */
  heartbeatMs?: number;
  keepaliveS?: number;
  backoffMinMs?: number;
  backoffMaxMs?: number;
  /**
   * No echo of its own heartbeat, and no packet at all from the broker, for this
   * long while connected: reconnect (default 3 heartbeats + 1 s). With other
   * packets still arriving, it waits 3 times as long for the echo.
   */
  watchdogMs?: number;
  /**
   * Quota lending (docs/bus.md). An agent that lends takes its generation
   * budget from `budget()` (agent/runtime does), never from its site's static
   * quota, or it would spend what it lent. `demand` (the site's default): as
   * `reachable`, and lend the share a peer's request names from the unused
   * quota its decisions have not claimed. `reachable`: while the bus is up,
   * lower the effective quota to what this agent's closes could still pick up
   * (plus what it committed, never below what it claimed, less its leases), so
   * peers can lease the rest. `off` (this class's default, for tools that
   * only watch): never lend. Lending is durable and is not taken back during
   * an outage (`renewQuota` at a new restoration, if nothing lent is in use).
   */
  lending?: "demand" | "reachable" | "off";
  /** Peer messages, reservations and bus events go here; its database also holds the outbox. */
  journal?: Journal;
  /** Monotonic clock (ms). */
  now?: () => number;
  logger?: BusLogger;
  random?: () => number;
}

/** What the agent publishes about itself (agent/runtime's AgentStatePayload). */
export interface OwnState {
  tick: number;
  session: { id: string | null; step: number; length: number } | null;
  switches: Record<string, "open" | "closed" | "unknown">;
  /** Load its own closes picked up and still serve (kW), as its ledger counts it. */
  served_kw: number;
  /** The same per own switch (its ledger): physics mode publishes it per generation pool (island). */
  committed_by_element?: Readonly<Record<string, number>>;
  health: "ok" | "degraded" | "holding";
  /** Switches it holds after an uncommanded change of position (peers count an open's sections faulted). */
  holds?: readonly HoldInfo[];
}

export interface OperatorCommand {
  command: "restore" | "abort" | "status" | "release";
  by: string;
  reason?: string;
  request_id: string;
  /** `release`: the switch. */
  element?: string;
}

/** A command handler's answer, published in the command response; none: accepted. */
export interface OperatorAnswer {
  accepted: boolean;
  detail?: Record<string, unknown>;
}

/** One peer as this agent sees it. */
export interface PeerInfo {
  microgrid: string;
  online: boolean;
  incarnation: string | null;
  live: boolean;
  ageMs: number | null;
  state: PeerState | null;
}

export interface BusCounters {
  received: Record<string, number>;
  dropped: Record<DropReason, number>;
  published: number;
  publishErrors: number;
  connects: number;
  disconnects: number;
  watchdogResets: number;
  /** Times the own heartbeat came back late on a link that still delivered (not torn down). */
  echoLate: number;
  reservations: { granted: number; refused: number };
  claims: { granted: number; refused: number };
}

interface PeerRecord {
  availability: Availability | null;
  state: PeerState | null;
  stateAt: number;
}

const NOOP_LOGGER: BusLogger = { debug() {}, info() {}, warn() {} };

export class PeerBus {
  readonly microgrid: string;
  readonly incarnation: string;
  readonly base: string;
  readonly counters: BusCounters;
  private readonly o: Required<Pick<PeerBusOptions, "peerStaleMs" | "ackTimeoutMs" | "leaseMs" | "heartbeatMs" | "keepaliveS" | "watchdogMs">> & PeerBusOptions;
  private readonly ix: GraphIndex;
  private readonly fleetIds: readonly string[];
  private readonly quotas: ReadonlyMap<string, number>;
  private readonly pools: PoolIndex;
  private readonly capKw: number;
  private readonly engine: ReservationEngine;
  /** How long peers take to answer, learned from reservations and claims alike. */
  readonly answerTime: AnswerTime;
  /** Close claims on dead regions (shared/bus/claims.ts). */
  private readonly claims: ClaimEngine;
  private readonly waitingClaims = new Map<string, (r: ClaimResult) => void>();
  /** Own switches with a close about to be written or in flight, until the next published state shows them. */
  private readonly closing = new Set<string>();
  private readonly outbox: Outbox;
  private readonly ownDb: Database.Database | null = null;
  private readonly now: () => number;
  private readonly log: BusLogger;
  private readonly backoff: Backoff;
  private readonly peersMap = new Map<string, PeerRecord>();
  private readonly waiting = new Map<string, (r: ReservationResult) => void>();
  private readonly commandHandlers: ((c: OperatorCommand) => OperatorAnswer | void)[] = [];
  private client: MqttClient | null = null;
  private connected = false;
  private started = false;
  private stopping = false;
  private ownState: OwnState | null = null;
  /** Physics mode: what its published state says it committed per pool. */
  private ownCommittedByPool: Record<string, number> | undefined;
  /** Static quota as lowered by lending (never raised but by resetQuota); durable in the journal's meta. */
  private quotaEff: number;
  private seq = 0;
  private lastEcho = 0;
  /** Last packet of any kind from the broker (messages, acks, ping responses). */
  private lastInbound = 0;
  /** The echo is late but the link still delivers: journaled once per silence. */
  private echoLateSince = 0;
  private lastHeartbeat = 0;
  private viewNow: View;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private firstConnect: { promise: Promise<void>; resolve: () => void };

  constructor(options: PeerBusOptions) {
    const peerStaleMs = options.peerStaleMs ?? 5000;
    const heartbeatMs = options.heartbeatMs ?? Math.max(100, Math.floor(peerStaleMs / 3));
    this.o = {
      ackTimeoutMs: 1000,
      leaseMs: 60_000,
      keepaliveS: 10,
      watchdogMs: 3 * heartbeatMs + 1000,
      ...options,
      peerStaleMs,
      heartbeatMs,
    };
    this.microgrid = options.microgrid;
    this.incarnation = randomBytes(4).toString("hex");
    this.base = options.baseTopic ?? "blackstart";
    this.now = options.now ?? (() => performance.now());
    this.log = options.logger ?? NOOP_LOGGER;
    this.ix = indexGraph(options.graph);
    this.fleetIds = options.graph.microgrids.map((m) => m.id);
    this.quotas = new Map(options.graph.microgrids.map((m) => [m.id, m.quota_kw]));
    this.pools = generationPools(this.ix);
    this.capKw = options.capKw ?? options.graph.cap_kw ?? formingTotal(this.ix);
    for (const id of this.fleetIds) if (id !== this.microgrid) this.peersMap.set(id, { availability: null, state: null, stateAt: 0 });
    this.answerTime = new AnswerTime(this.o.ackTimeoutMs, Math.max(this.o.ackTimeoutMs, options.ackTimeoutMaxMs ?? 4 * this.o.ackTimeoutMs));
    this.engine = new ReservationEngine({
      self: this.microgrid,
      incarnation: this.incarnation,
      ackTimeoutMs: this.o.ackTimeoutMs,
      answerTime: this.answerTime,
      leaseMs: this.o.leaseMs,
      lendOnDemand: (options.lending ?? "off") === "demand",
    });
    this.claims = new ClaimEngine({ self: this.microgrid, incarnation: this.incarnation, ackTimeoutMs: this.o.ackTimeoutMs, answerTime: this.answerTime, leaseMs: options.claimMs ?? 30_000 });
    if (options.journal) this.outbox = new Outbox(options.journal.db);
    else {
      this.ownDb = new Database(":memory:");
      this.outbox = new Outbox(this.ownDb);
    }
    this.backoff = new Backoff({ minMs: options.backoffMinMs ?? 500, maxMs: options.backoffMaxMs ?? 30_000, ...(options.random ? { random: options.random } : {}) });
    this.counters = {
      received: {},
      dropped: { "foreign-topic": 0, "foreign-microgrid": 0, "not-json": 0, schema: 0, spoofed: 0, "foreign-scenario": 0, "too-large": 0 },
      published: 0,
      publishErrors: 0,
      connects: 0,
      disconnects: 0,
      watchdogResets: 0,
      echoLate: 0,
      reservations: { granted: 0, refused: 0 },
      claims: { granted: 0, refused: 0 },
    };
    this.viewNow = viewOf([{ microgrid: this.microgrid, incarnation: this.incarnation }]);
    let resolve!: () => void;
    this.firstConnect = { promise: new Promise<void>((r) => (resolve = r)), resolve };
    this.quotaEff = options.quotaKw;
    const lent = options.journal?.meta()[QUOTA_META];
    if (lent !== undefined && Number.isFinite(Number(lent))) this.quotaEff = Math.min(options.quotaKw, Number(lent));
    // The quotas must fit each pool with the load served at the start and the load margin, or static
    // fallback alone could exceed it (scenario validation refuses such scenarios; a site may override its quota).
    for (const pool of this.pools.pools) {
      const quotas = pool.owners.map((m) => (m === this.microgrid ? options.quotaKw : (this.quotas.get(m) ?? 0)));
      const capacity = this.pools.fleet ? this.capKw : pool.capacity_kw;
      const over = quotaOversubscription(capacity, pool.base_kw, quotas, DEFAULT_LOAD_MARGIN_PCT);
      if (over <= 1e-6) continue;
      const detail = { pool: pool.id, cap_kw: capacity, base_kw: round3(pool.base_kw), quotas_kw: Object.fromEntries(pool.owners.map((m, i) => [m, quotas[i]!])), margin_pct: DEFAULT_LOAD_MARGIN_PCT, over_kw: round3(over) };
      this.log.warn(detail, "static quotas plus the load served at the start (with the load margin) exceed the pool's capacity");
      if (options.journal && !options.journal.activeAlarms().some((a) => a.kind === "quota-oversubscribed")) options.journal.alarm("quota-oversubscribed", detail);
    }
    // Leases granted before a restart, with the time they had left.
    if (options.journal) {
      const wall = Date.now();
      this.engine.restoreLeases(
        options.journal.heldReservations().map((r) => ({ id: r.id, kw: r.kw, remainingMs: (r.leaseMs ?? 0) - (wall - r.at) })),
        this.now(),
      );
    }
  }

  // ---------------------------------------------------------------- lifecycle

  /** Start connecting (in the background, with backoff) and the heartbeat. Never throws for a dead broker. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.connect();
    this.heartbeatTimer = setInterval(() => this.heartbeat(), this.o.heartbeatMs);
    this.heartbeatTimer.unref();
  }

  /** Resolves on the first successful connection (or after `timeoutMs`, false). */
  async ready(timeoutMs = 10_000): Promise<boolean> {
    let t: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((res) => (t = setTimeout(() => res(false), timeoutMs)));
    const ok = await Promise.race([this.firstConnect.promise.then(() => true), timeout]);
    clearTimeout(t);
    return ok;
  }

  /** Publish `offline` (shutdown), stop, disconnect. */
  async close(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.deadlineTimer);
    for (const [id, resolve] of this.waiting) resolve({ id, granted: false, kw: 0, reason: "bus-closed" });
    this.waiting.clear();
    for (const [id, resolve] of this.waitingClaims) resolve({ id, granted: false, reason: "bus-closed" });
    this.waitingClaims.clear();
    const c = this.client;
    if (c && this.connected) {
      await new Promise<void>((res) => c.publish(this.topic("availability"), JSON.stringify(this.availability("offline", "shutdown")), { qos: 1, retain: true }, () => res()));
    }
    if (c) await new Promise<void>((res) => c.end(false, {}, () => res()));
    this.connected = false;
    this.options.journal?.event("bus-closed", { microgrid: this.microgrid });
    this.ownDb?.close();
  }

  private get options(): PeerBusOptions {
    return this.o;
  }

  private connect(): void {
    if (this.stopping) return;
    const opts: IClientOptions = {
      clientId: this.o.clientId ?? `blackstart-${this.microgrid}-${this.incarnation}`,
      protocolVersion: 4,
      clean: true,
      keepalive: this.o.keepaliveS,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      will: { topic: this.topic("availability"), payload: Buffer.from(JSON.stringify(this.availability("offline", "will"))), qos: 1, retain: true },
      ...(this.o.username ? { username: this.o.username } : {}),
      ...(this.o.password ? { password: this.o.password } : {}),
      ...this.tlsOptions(),
    };
    // A fresh copy for every connection: MQTT.js mutates what it is given.
    const client = mqtt.connect(this.o.url, { ...opts });
    this.client = client;
    client.on("connect", () => {
      if (this.client !== client) return;
      // Small messages that peers wait on: no Nagle delay (40 ms with delayed ACKs).
      const sock = client.stream as unknown as { setNoDelay?: (on: boolean) => void };
      sock.setNoDelay?.(true);
      void this.onConnect(client);
    });
    client.on("packetreceive", () => {
      if (this.client === client) this.lastInbound = this.now();
    });
    client.on("message", (topic, payload, packet) => {
      if (this.client !== client) return;
      this.onMessage(topic, payload, packet.retain);
    });
    client.on("error", (e) => {
      this.log.warn({ err: e.message, microgrid: this.microgrid }, "bus error");
    });
    client.on("close", () => {
      if (this.client !== client) return;
      const was = this.connected;
      this.connected = false;
      client.removeAllListeners("message");
      client.end(true);
      if (was) {
        this.counters.disconnects++;
        this.o.journal?.event("bus-down", { microgrid: this.microgrid });
        this.log.warn({ microgrid: this.microgrid }, "bus down");
        this.recomputeView();
      }
      this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    if (this.stopping || this.reconnectTimer) return;
    const delay = this.backoff.next();
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect();
    }, delay);
    this.reconnectTimer.unref();
  }

  private async onConnect(client: MqttClient): Promise<void> {
    try {
      await client.subscribeAsync(fleetFilter(this.base), { qos: 1 });
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, "bus subscribe failed");
      client.end(true);
      return;
    }
    if (this.client !== client) return;
    this.connected = true;
    this.backoff.reset();
    this.counters.connects++;
    this.lastEcho = this.lastInbound = this.now();
    this.echoLateSince = 0;
    this.publishRaw("availability", this.availability("online"), true);
    if (this.ownState) this.publishState(this.ownState);
    for (const row of this.outbox.pending()) this.sendRow(row.id, row.topic, row.payload, row.retain);
    this.o.journal?.event("bus-up", { microgrid: this.microgrid, connects: this.counters.connects });
    this.log.info({ microgrid: this.microgrid, url: this.o.url }, "bus up");
    this.recomputeView();
    this.firstConnect.resolve();
  }

  private tlsOptions(): Partial<IClientOptions> {
    const t = this.o.tls;
    if (!t) return {};
    const read = (what: string, path?: string) => {
      if (!path) return undefined;
      try {
        return readFileSync(path);
      } catch (e) {
        throw new BlackstartError(BusErrors.TLS_FILE, `cannot read the bus's TLS ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? e}`, { file: path });
      }
    };
    const ca = read("CA", t.ca);
    const cert = read("certificate", t.cert);
    const key = read("key", t.key);
    return {
      ...(ca ? { ca } : {}),
      ...(cert ? { cert } : {}),
      ...(key ? { key } : {}),
      ...(t.passphrase ? { passphrase: t.passphrase } : {}),
      ...(t.servername ? { servername: t.servername } : {}),
      rejectUnauthorized: t.rejectUnauthorized ?? true,
    };
  }

  // ---------------------------------------------------------------- what the agent calls

  /** Connected and in a view: leases count, reservations can be asked. */
  up(): boolean {
    return this.connected && !this.stopping;
  }

  /** Every peer of the fleet for the shield: fresh = online and heard within peer_stale_ms. */
  peers(): PeerSwitches[] {
    return this.peerInfo().map((p) => {
      const holds = p.state?.holds ?? [];
      const faulted = [...new Set(holds.flatMap((h) => (h.kind === "uncommanded-open" ? h.sections : [])))];
      return {
        microgrid: p.microgrid,
        fresh: p.live && this.up(),
        switches: p.state ? { ...p.state.switches } : {},
        // Its holds count whether it is fresh or not: a silent peer's last word on a suspect section stands.
        ...(holds.length ? { held: holds.map((h) => h.element) } : {}),
        ...(faulted.length ? { faulted_sections: faulted } : {}),
      };
    });
  }

  peerInfo(): PeerInfo[] {
    const now = this.now();
    return [...this.peersMap.entries()].map(([mg, r]) => {
      const online = r.availability?.state === "online";
      const age = r.state ? now - r.stateAt : null;
      const sameLife = r.state !== null && r.availability !== null && r.state.incarnation === r.availability.incarnation;
      return {
        microgrid: mg,
        online,
        incarnation: online ? r.availability!.incarnation : null,
        live: online && sameLife && age !== null && age <= this.o.peerStaleMs,
        ageMs: age,
        state: r.state,
      };
    });
  }

  /** Granted leases still running, with the time left. */
  leases(): LeaseHeld[] {
    return this.engine.ownLeases(this.now());
  }

  /**
   * The generation budget the shield reads for a decision: nothing is lent to
   * peers from now until `claim()` says what the decision took.
   */
  budget(committedKw: number, committedByElement?: Readonly<Record<string, number>>): GenerationBudget {
    this.engine.beginDecision(this.now());
    const b: GenerationBudget = { quota_kw: this.quotaEff, committed_kw: committedKw, leases: this.leases(), bus_up: this.up() };
    if (this.pools.fleet || !committedByElement) return b;
    // Physics mode: each pick-up draws on its island's pool (docs/bus.md, generation pools).
    return { ...b, quota_pool: this.pools.quotaPool.get(this.microgrid) ?? null, committed_by_pool: this.byPool(committedByElement) };
  }

  /** Commitments per element -> per generation pool: the pool of the island each switch's pick-up is in (physics mode). */
  private byPool(byElement: Readonly<Record<string, number>>): Record<string, number> {
    const published: PeerSwitches[] = this.peerInfo().map((p) => ({ microgrid: p.microgrid, fresh: p.live, switches: p.state?.switches ?? {} }));
    if (this.ownState) published.push({ microgrid: this.microgrid, fresh: true, switches: this.ownState.switches });
    const states = fleetStates(this.ix, published);
    const own = this.pools.quotaPool.get(this.microgrid);
    const out: Record<string, number> = {};
    for (const [element, kw] of Object.entries(byElement)) {
      if (!(kw > 0)) continue;
      const sw = this.ix.switchOf.get(canonicalElement(element));
      // Either side of the switch (it may be open, its close awaited): the island its pick-up joined.
      const pool =
        sw === undefined
          ? own
          : (poolOfSection(this.ix, this.pools, states, this.ix.endA[sw]!, sw) ?? poolOfSection(this.ix, this.pools, states, this.ix.endB[sw]!, sw) ?? own);
      // A section no unit reaches now serves nothing; counted in its own pool anyway (never less than it may serve).
      if (pool) out[pool] = (out[pool] ?? 0) + kw;
    }
    return out;
  }

  /** The decision took `kw` in all (committed plus admitted pick-ups); what is left of the quota may be lent. */
  claim(kw: number): void {
    this.apply(this.engine.claim(kw, this.now(), this.fleetContext()));
  }

  /** The static quota in force: the configured one, less what was lent. */
  quota(): number {
    return this.quotaEff;
  }

  /**
   * Lend quota: lower the effective quota to `kw` (never raises it). Durable
   * before it is published, so a restart cannot take back what peers may have
   * leased meanwhile. Returns the quota in force.
   */
  limitQuota(kw: number, reason: string): number {
    const next = Math.max(0, Math.min(this.quotaEff, kw));
    if (next >= this.quotaEff - 1e-6) return this.quotaEff;
    const lent = this.quotaEff - next;
    this.o.journal?.setMeta(QUOTA_META, String(next));
    this.o.journal?.event("quota-lent", { microgrid: this.microgrid, from_kw: round3(this.quotaEff), to_kw: round3(next), lent_kw: round3(lent), reason });
    this.quotaEff = next;
    if (this.ownState) void this.publishState(this.ownState);
    return this.quotaEff;
  }

  /**
   * At a new restoration: back to the configured quota, if nothing it lent can
   * still be in use — the bus is up, no request is out, no lease or hold is
   * running anywhere, and in every pool the fleet may serve no more than at the
   * reset (stale peers' switches counted closed). Otherwise the loans stand.
   */
  renewQuota(reason: string): boolean {
    if (this.quotaEff >= this.o.quotaKw - 1e-9 || !this.up() || this.engine.outstanding) return false;
    const ctx = this.fleetContext();
    for (const p of this.pools.pools) {
      const l = ctx.ledger(p.id);
      if (l.used_kw > p.base_kw + 1e-6 || l.agents.some((a) => a.leases_kw > 0)) return false;
      if (this.engine.activeHolds(new Set(), p.id).length) return false;
    }
    this.resetQuota(reason);
    return true;
  }

  /** Back to the configured quota: only when the outage is over and nothing it lent can still be in use (a new restoration). */
  resetQuota(reason: string): void {
    if (this.quotaEff === this.o.quotaKw) return;
    this.o.journal?.setMeta(QUOTA_META, String(this.o.quotaKw));
    this.o.journal?.event("quota-reset", { microgrid: this.microgrid, to_kw: this.o.quotaKw, reason });
    this.quotaEff = this.o.quotaKw;
    if (this.ownState) void this.publishState(this.ownState);
  }

  /** Lend what this agent's closes cannot use now (`lending: reachable` or `demand`). */
  private lendUnreachable(): void {
    if ((this.o.lending ?? "off") === "off" || !this.up() || !this.ownState) return;
    const published: PeerSwitches[] = this.peerInfo().map((p) => ({ microgrid: p.microgrid, fresh: p.live, switches: p.state?.switches ?? {} }));
    published.push({ microgrid: this.microgrid, fresh: true, switches: this.ownState.switches });
    if (this.engine.deciding || this.engine.outstanding) return;
    const reach = reachableKw(this.ix, this.microgrid, published);
    const ctx = this.fleetContext();
    // Never below what its decisions claimed: that is in use or on its way.
    const claimed = this.quotaEff - this.engine.lendableKw(ctx);
    const need = Math.max(claimed, this.ownState.served_kw + reach - sumKw(this.engine.ownLeases(this.now())));
    if (need < this.quotaEff - 0.5) this.limitQuota(need, `closes can reach ${round3(reach)} kW more`);
  }

  view(): View {
    return this.viewNow;
  }

  /** A pool's headroom as this agent sees it now (for metrics and for deciding how much to ask). */
  headroom(pool: string = FLEET_POOL): Headroom {
    return this.engine.headroom(this.fleetContext(), pool);
  }

  /** The generation pools of the fleet (docs/bus.md): the cap, or one per island of grid-forming units. */
  generationPools(): PoolIndex {
    return this.pools;
  }

  /**
   * Ask every live peer for `kw` more generation. Settles within twice the
   * answer time (`answerTime`: at least the ack timeout) per attempt, at most three attempts: a refusal only because views
   * differed for a moment (a peer joining or going stale) is asked again once
   * the view has settled, one whose answers did not all come in time (a lossy
   * link) once more at once.
   */
  async reserve(kw: number, reason: string, pool: string = FLEET_POOL): Promise<ReservationResult> {
    let r = await this.reserveOnce(kw, reason, pool);
    let timeouts = 0;
    for (let retry = 0; retry < 2 && !r.granted && RETRIED.has(r.reason ?? "") && this.up(); retry++) {
      // A timeout (an answer lost or late on a lossy link: TCP's retransmissions take seconds) is asked again once, at once.
      if (r.reason === "timeout" && ++timeouts > 1) break;
      // Views differ while a state is on its way: a moment, not a heartbeat (40 s on a lockstep bench).
      if (r.reason !== "timeout") await new Promise((res) => setTimeout(res, Math.min(this.o.heartbeatMs, this.o.ackTimeoutMs)));
      r = await this.reserveOnce(kw, reason, pool);
    }
    return r;
  }

  private reserveOnce(kw: number, reason: string, pool: string): Promise<ReservationResult> {
    if (!this.up()) return Promise.resolve({ id: "", granted: false, kw, reason: "bus-down" });
    const effects = this.engine.request(kw, reason, this.now(), this.fleetContext(), pool);
    const id = effects.find((e) => e.kind === "journal")?.record.id ?? effects.find((e) => e.kind === "settle")?.result.id ?? "";
    const p = new Promise<ReservationResult>((resolve) => this.waiting.set(id, resolve));
    this.apply(effects);
    return p;
  }

  /** Give a lease back. */
  release(id: string): void {
    this.apply(this.engine.release(id, this.now())); // publishes the state without the lease
  }

  // ------------------------------------------------ close claims (docs/bus.md)

  /**
   * Ask every live peer for a claim on a dead region (`sections`) before
   * closing `element` into it; `switches`: the other microgrids' switches
   * bounding it as this agent sees them. Settles within twice the answer time;
   * `bus-down` at once without the bus. Not retried: the agent asks again at
   * its next tick, when the winner of a race has usually closed.
   */
  claimRegion(sections: readonly string[], element: string, switches: Readonly<Record<string, "open" | "closed" | "unknown">>, reason: string): Promise<ClaimResult> {
    if (!this.up()) return Promise.resolve({ id: "", granted: false, reason: "bus-down" });
    const effects = this.claims.request(sections, element, switches, reason, this.now(), this.claimFleet());
    const id = (effects.find((e) => e.kind === "journal") as Extract<ClaimEffect, { kind: "journal" }> | undefined)?.detail.id ?? "";
    const p = new Promise<ClaimResult>((resolve) => this.waitingClaims.set(id, resolve));
    this.applyClaims(effects);
    return p;
  }

  /**
   * End an own claim (its close confirmed or failed, or not made): peers keep
   * it until they have seen this agent's next state, published now.
   */
  releaseClaim(id: string, why: string): void {
    this.applyClaims(this.claims.release(id, this.seq + 1, why, this.now()));
    if (this.ownState) void this.publishState(this.ownState);
  }

  /** The claims for the shield: own (granted, time left, the switch it was asked for), the peers' this agent acked, whether the bus is up. */
  regionClaims(): { own: (ClaimHeld & { element: string })[]; peers: PeerClaim[]; bus_up: boolean } {
    return { own: this.claims.ownClaims(this.now()), peers: this.claims.peerClaims(), bus_up: this.up() };
  }

  /**
   * The agent is about to write closes of these own switches: until its next
   * published state shows them, a peer's claim that counted on them open is
   * refused (`view-outdated`).
   */
  closingSwitches(elements: readonly string[]): void {
    for (const e of elements) this.closing.add(canonicalElement(e));
  }

  /** Publish this microgrid's retained state now (and keep it for heartbeats and reconnects). */
  publishState(state: OwnState): Promise<void> {
    // A new state from the agent shows its closes (unknown while in flight); a heartbeat repeats the old one.
    if (state !== this.ownState) this.closing.clear();
    this.ownState = state;
    this.ownCommittedByPool = !this.pools.fleet && state.committed_by_element ? this.byPool(state.committed_by_element) : undefined;
    if (!this.connected) return Promise.resolve();
    const msg: Omit<PeerState, keyof typeof ENVELOPE_KEYS> = {
      type: "state",
      seq: ++this.seq,
      tick: state.tick,
      ...(this.o.graph.scenario_hash ? { scenario_hash: this.o.graph.scenario_hash } : {}),
      session: { active: state.session !== null, id: state.session?.id ?? null, step: state.session?.step ?? 0, length: state.session?.length ?? 0 },
      switches: state.switches,
      served_kw: state.served_kw,
      quota_kw: this.quotaEff,
      leases: this.engine.ownLeases(this.now()),
      committed_kw: state.served_kw,
      ...(this.ownCommittedByPool ? { committed_by_pool: this.ownCommittedByPool } : {}),
      ...(this.engine.lentToIds().length ? { lent_to: this.engine.lentToIds().slice(-64) } : {}),
      settled_seq: this.engine.settledSeq(),
      lending: this.o.lending ?? "off",
      health: state.health,
      ...(state.holds?.length ? { holds: state.holds.map((h) => ({ ...h, sections: [...h.sections] })) } : {}),
      view: this.viewNow.view,
    };
    this.lastHeartbeat = this.now();
    return this.publishRaw("state", msg, false);
  }

  /** Raise an alarm on the bus (kept in the outbox until acknowledged). */
  publishAlarm(kind: string, severity: "info" | "warning" | "critical", detail: Record<string, unknown>): void {
    this.publishRaw("alarm", { type: "alarm", id: `${this.microgrid}-${this.incarnation}-a${++this.seq}`, kind, severity, detail }, true);
  }

  onCommand(handler: (c: OperatorCommand) => OperatorAnswer | void): void {
    this.commandHandlers.push(handler);
  }

  // ---------------------------------------------------------------- inside: publishing

  private topic(kind: TopicKind, microgrid = this.microgrid): string {
    return topicOf(this.base, microgrid, kind);
  }

  private availability(state: "online" | "offline", reason?: "shutdown" | "will" | "broker"): Availability {
    return {
      v: BUS_PROTOCOL,
      type: "availability",
      from: this.microgrid,
      incarnation: this.incarnation,
      state,
      ...(this.client ? { client_id: this.client.options.clientId } : {}),
      ...(reason ? { reason } : {}),
    };
  }

  /**
   * Publish one message of ours (QoS 1). `durable`: through the outbox, sent
   * again after a reconnect or a restart until acknowledged.
   */
  private publishRaw(kind: TopicKind, body: object, durable: boolean): Promise<void> {
    const full = "v" in body ? body : { v: BUS_PROTOCOL, from: this.microgrid, incarnation: this.incarnation, sent_at: new Date().toISOString(), ...body };
    const topic = this.topic(kind);
    const payload = JSON.stringify(full);
    const retain = RETAINED.has(kind);
    // Heartbeat states are many: the journal keeps those that say something new.
    if (kind !== "state" || this.stateChanged(full as PeerState)) {
      this.o.journal?.peerMessage({ direction: "out", topic, peer: this.microgrid, type: (full as { type?: string }).type ?? kind, valid: true, body: full, view: this.viewNow.view });
    }
    if (durable) {
      const id = this.outbox.put(topic, payload, retain);
      if (this.connected) return this.sendRow(id, topic, payload, retain);
      return Promise.resolve();
    }
    if (!this.connected || !this.client) return Promise.resolve();
    return this.send(this.client, topic, payload, retain).then(() => undefined);
  }

  private sendRow(id: number, topic: string, payload: string, retain: boolean): Promise<void> {
    if (!this.client) return Promise.resolve();
    return this.send(this.client, topic, payload, retain).then((ok) => {
      if (ok) this.outbox.acknowledged(id);
    });
  }

  private send(client: MqttClient, topic: string, payload: string, retain: boolean): Promise<boolean> {
    return new Promise((resolve) => {
      client.publish(topic, payload, { qos: 1, retain }, (err) => {
        if (err) {
          this.counters.publishErrors++;
          resolve(false);
        } else {
          this.counters.published++;
          resolve(true);
        }
      });
    });
  }

  // ---------------------------------------------------------------- inside: receiving

  private onMessage(topic: string, payload: Buffer, retained: boolean): void {
    if (this.stopping) return;
    const parsed = parseMessage({ base: this.base, fleet: new Set(this.fleetIds), ...(this.o.graph.scenario_hash ? { scenarioHash: this.o.graph.scenario_hash } : {}) }, topic, payload);
    const now = this.now();
    if (!parsed.ok) {
      this.counters.dropped[parsed.reason]++;
      this.o.journal?.peerMessage({ direction: "in", topic, peer: parsed.microgrid, type: parsed.kind, valid: false, reason: `${parsed.reason}: ${parsed.detail}`, body: payload.toString("utf8").slice(0, 4096) });
      this.log.debug({ topic, reason: parsed.reason, detail: parsed.detail }, "bus message dropped");
      return;
    }
    this.counters.received[parsed.kind] = (this.counters.received[parsed.kind] ?? 0) + 1;
    const self = parsed.microgrid === this.microgrid;
    if (self) {
      this.onOwnMessage(parsed.kind, parsed.msg as unknown as { incarnation?: string; state?: string }, now);
      if (parsed.kind !== "request/command") return;
    } else if (parsed.kind !== "state" || this.stateChanged(parsed.msg)) {
      // Heartbeat states are many: the journal keeps those that say something new.
      this.o.journal?.peerMessage({ direction: "in", topic, peer: parsed.microgrid, type: parsed.kind, valid: true, body: parsed.msg, view: this.viewNow.view });
    }
    switch (parsed.kind) {
      case "availability": {
        const rec = this.peersMap.get(parsed.microgrid)!;
        const cur = rec.availability;
        // The last will of an earlier life arriving after the new life said online: not news.
        if (parsed.msg.state === "offline" && cur?.state === "online" && cur.incarnation !== parsed.msg.incarnation) break;
        rec.availability = parsed.msg;
        this.recomputeView();
        break;
      }
      case "state": {
        const rec = this.peersMap.get(parsed.microgrid)!;
        // A retained state (sent because we subscribed) tells what it had, not that it is alive.
        rec.state = parsed.msg;
        rec.stateAt = retained ? now - this.o.peerStaleMs - 1 : now;
        this.recomputeView();
        // A claim being released ends once the holder's state that shows its close is here.
        this.applyClaims(this.claims.tick(now, this.claimFleet()));
        break;
      }
      case "reservation/request":
        this.apply(this.engine.onRequest(parsed.msg, now, this.fleetContext()));
        break;
      case "reservation/response":
        if (parsed.msg.requester === this.microgrid) this.apply(this.engine.onResponse(parsed.msg, now, this.fleetContext()));
        break;
      case "reservation/outcome":
        this.apply(this.engine.onOutcome(parsed.msg, now));
        break;
      case "claim/request":
        this.applyClaims(this.claims.onRequest(parsed.msg, now, this.claimFleet()));
        break;
      case "claim/response":
        if (parsed.msg.requester === this.microgrid) this.applyClaims(this.claims.onResponse(parsed.msg, now, this.claimFleet()));
        break;
      case "claim/outcome":
        this.applyClaims(this.claims.onOutcome(parsed.msg, now, this.claimFleet()));
        break;
      case "request/command":
        if (self) this.onOperator(parsed.msg);
        break;
      default:
        break;
    }
  }

  private readonly lastJournaled = new Map<string, string>();

  /** Did this peer's state change in substance (not just its heartbeat seq and tick)? */
  private stateChanged(st: PeerState): boolean {
    const key = JSON.stringify([st.incarnation, st.switches, st.session, st.served_kw, st.committed_kw, st.committed_by_pool, st.quota_kw, st.lent_to, st.health, st.leases.map((l) => l.id), st.view]);
    if (this.lastJournaled.get(st.from) === key) return false;
    this.lastJournaled.set(st.from, key);
    return true;
  }

  private readonly duplicates = new Set<string>();

  private onOwnMessage(kind: TopicKind, msg: { incarnation?: string; state?: string }, now: number): void {
    if (kind === "state" && msg.incarnation === this.incarnation) this.lastEcho = now;
    if (kind !== "availability" || !this.connected || this.stopping) return;
    if (msg.state === "offline") {
      // A late will of an earlier life, or a broker's `offline` while this life is
      // connected: the retained availability is wrong, say online again.
      this.publishRaw("availability", this.availability("online"), false);
    } else if (msg.incarnation !== this.incarnation && !this.duplicates.has(msg.incarnation ?? "")) {
      // Another process speaks for this microgrid: a misconfiguration. Alarm once; do not
      // answer with our own `online`, or two live processes would echo each other forever.
      this.duplicates.add(msg.incarnation ?? "");
      this.o.journal?.alarm("bus-duplicate-agent", { microgrid: this.microgrid, other_incarnation: msg.incarnation ?? null, mine: this.incarnation });
      this.log.warn({ microgrid: this.microgrid, other: msg.incarnation }, "another agent publishes as this microgrid");
    }
  }

  private onOperator(req: OperatorRequest): void {
    const cmd: OperatorCommand = {
      command: req.command,
      by: `bus:${req.by}`,
      request_id: req.request_id,
      ...(req.reason ? { reason: req.reason } : {}),
      ...(req.element ? { element: req.element } : {}),
    };
    this.o.journal?.event("operator-request", { ...cmd });
    const answers = this.commandHandlers.map((h) => h(cmd) ?? { accepted: true });
    const accepted = answers.length > 0 && answers.every((a) => a.accepted);
    const detail = Object.assign({ command: req.command, microgrid: this.microgrid, ...(req.element ? { element: req.element } : {}) }, ...answers.map((a) => a.detail ?? {}));
    this.publishRaw("response/command", { type: "command-response", request_id: req.request_id, accepted, detail }, true);
  }

  // ---------------------------------------------------------------- inside: view, ledger, effects

  /**
   * The view: this agent and every peer that is online and has published a
   * state of the same life within peer_stale_ms. A peer whose retained
   * availability still says online but that has gone quiet is out: it cannot
   * answer, and its switches count as closed anyway.
   */
  private recomputeView(): void {
    const members = [{ microgrid: this.microgrid, incarnation: this.incarnation }];
    if (this.connected) {
      for (const p of this.peerInfo()) if (p.live) members.push({ microgrid: p.microgrid, incarnation: p.incarnation! });
    }
    const v = viewOf(members);
    if (v.view === this.viewNow.view) return;
    this.viewNow = v;
    this.o.journal?.event("bus-view", { view: v.view, members: v.members });
    this.apply(this.engine.tick(this.now(), this.fleetContext()));
    this.applyClaims(this.claims.tick(this.now(), this.claimFleet()));
  }

  /** The fleet as the reservation engine sees it; the ledger is computed when asked (after the engine's own changes). */
  private fleetContext(): FleetContext {
    const info = this.peerInfo();
    const inView = new Set(this.viewNow.members.map((m) => m.split("@")[0]!));
    const leaseIds = new Set<string>();
    const peerLeases = new Map<string, LeaseInfo[]>();
    // How far each peer's latest state (any age: settling only ever moves on) says its requests are settled.
    const settled = new Map<string, { incarnation: string; seq: number }>();
    for (const p of info) {
      if (p.state?.settled_seq !== undefined) settled.set(p.microgrid, { incarnation: p.state.incarnation, seq: p.state.settled_seq });
      const elapsed = p.ageMs ?? 0;
      const leases = (p.state?.leases ?? []).filter((l) => l.remaining_ms > elapsed);
      for (const l of leases) leaseIds.add(l.id);
      peerLeases.set(p.microgrid, leases);
    }
    // Each pool's ledger, computed when asked (after the engine's own changes) and once per context.
    let loads: Map<string, number> | undefined;
    const quotaPool = this.pools.quotaPool.get(this.microgrid) ?? null;
    const ledger = (pool: string) => {
      if (!loads) {
        const published: PeerSwitches[] = info.map((p) => ({ microgrid: p.microgrid, fresh: p.live && inView.has(p.microgrid), switches: p.state?.switches ?? {} }));
        if (this.ownState) published.push({ microgrid: this.microgrid, fresh: true, switches: this.ownState.switches });
        loads = poolLoadsKw(this.ix, this.pools, fleetStates(this.ix, published));
      }
      const inPool = (mg: string, byPool: Record<string, number> | undefined, total: number): number => {
        if (this.pools.fleet) return total;
        // A peer that does not say per pool: all of it in its own quota's pool (and counted there).
        return byPool?.[pool] ?? ((this.pools.quotaPool.get(mg) ?? null) === pool ? total : 0);
      };
      const leasesIn = (ls: readonly LeaseInfo[]) => sumKw(ls.filter((l) => (l.pool ?? FLEET_POOL) === pool));
      const agents: AgentLedger[] = [
        {
          microgrid: this.microgrid,
          live: true,
          quota_kw: quotaPool === pool ? this.quotaEff : 0,
          leases_kw: leasesIn(this.engine.ownLeases(this.now())),
          committed_kw: inPool(this.microgrid, this.ownCommittedByPool, this.ownState?.served_kw ?? 0),
          lends: (this.o.lending ?? "off") === "demand",
          lent_to: this.engine.lentToIds(),
        },
        ...info.map((p) => ({
          microgrid: p.microgrid,
          live: inView.has(p.microgrid),
          quota_kw: (this.pools.quotaPool.get(p.microgrid) ?? null) === pool ? (p.state?.quota_kw ?? this.quotas.get(p.microgrid) ?? 0) : 0,
          leases_kw: leasesIn(peerLeases.get(p.microgrid) ?? []),
          committed_kw: inPool(p.microgrid, p.state?.committed_by_pool, p.state?.committed_kw ?? 0),
          lends: p.state?.lending === undefined || p.state.lending === "demand",
          lent_to: p.state?.lent_to ?? [],
        })),
      ];
      const capacity = this.pools.fleet ? this.capKw : (this.pools.byId.get(pool)?.capacity_kw ?? 0);
      return { cap_kw: capacity, used_kw: loads.get(pool) ?? 0, agents };
    };
    return {
      view: this.viewNow,
      peers: this.viewNow.members.map((m) => m.split("@")[0]!).filter((m) => m !== this.microgrid),
      ledger,
      publishedLeaseIds: leaseIds,
      settledRequests: settled,
      quotaPool,
      ownCommittedKw: this.ownState?.served_kw ?? 0,
    };
  }

  /** The fleet as the claim engine sees it. */
  private claimFleet(): ClaimFleet {
    const own: Record<string, "open" | "closed" | "unknown"> = {};
    for (const [e, st] of Object.entries(this.ownState?.switches ?? {})) own[canonicalElement(e)] = st;
    for (const e of this.closing) own[e] = "unknown";
    // Closes about to be written, and commands written but not yet seen to take effect (published unknown).
    const closingSections = new Set<string>();
    for (const [e, st] of Object.entries(own)) {
      const sw = this.ix.switchOf.get(e);
      if (st === "unknown" && sw !== undefined) closingSections.add(this.ix.sectionIds[this.ix.endA[sw]!]!).add(this.ix.sectionIds[this.ix.endB[sw]!]!);
    }
    return {
      closingSections,
      view: this.viewNow,
      peers: this.viewNow.members.map((m) => m.split("@")[0]!).filter((m) => m !== this.microgrid),
      ownSwitches: own,
      peerStateSeq: (mg) => {
        const r = this.peersMap.get(mg);
        return r?.state && r.availability && r.state.incarnation === r.availability.incarnation ? r.state.seq : null;
      },
    };
  }

  /** Wake the engines at their next deadline (a request's timeout, answers waiting on a claim), not at the next heartbeat. */
  private armDeadline(): void {
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    const times = [this.engine.nextDeadline(), this.claims.nextDeadline()].filter((t): t is number => t !== null);
    if (!times.length || this.stopping) return;
    const at = Math.min(...times);
    this.deadlineTimer = setTimeout(() => {
      this.deadlineTimer = undefined;
      this.apply(this.engine.tick(this.now(), this.fleetContext()));
      this.applyClaims(this.claims.tick(this.now(), this.claimFleet()));
    }, Math.max(0, at - this.now()));
    this.deadlineTimer.unref();
  }

  private apply(effects: readonly Effect[]): void {
    this.applyEffects(effects);
    this.armDeadline();
  }

  private applyClaims(effects: readonly ClaimEffect[]): void {
    for (const e of effects) {
      switch (e.kind) {
        case "publish":
          // Outcomes must reach every peer (they end what the peers keep): through the outbox.
          this.publishRaw(e.topic, e.body, e.topic === "claim/outcome");
          break;
        case "journal":
          try {
            this.o.journal?.event("claim", e.detail);
          } catch (err) {
            this.log.warn({ err: (err as Error).message, id: e.detail.id }, "claim journal");
          }
          this.log.info({ claim: e.detail.id, requester: e.detail.requester, state: e.detail.state, ...(e.detail.reason ? { reason: e.detail.reason } : {}) }, "region claim");
          break;
        case "settle":
          settleWaiting(this.waitingClaims, this.counters.claims, e.result);
          break;
      }
    }
    if (effects.length) this.armDeadline();
  }

  private applyEffects(effects: readonly Effect[]): void {
    let settledOwn = false;
    for (const e of effects) {
      switch (e.kind) {
        case "publish":
          // Outcomes must reach every peer (they turn holds into leases or drop them): through the outbox.
          this.publishRaw(e.topic, e.body, e.topic === "reservation/outcome");
          if (e.topic === "reservation/outcome") settledOwn = true;
          break;
        case "journal":
          try {
            this.o.journal?.reservation(e.record, e.state, e.detail);
          } catch (err) {
            this.log.warn({ err: (err as Error).message, id: e.record.id }, "reservation journal");
          }
          break;
        case "lend":
          // Durable before the ack that follows it is published (limitQuota writes the journal first).
          this.limitQuota(this.quotaEff - e.kw, `lent ${round3(e.kw)} kW towards ${e.requester}'s request ${e.request_id}`);
          break;
        case "settle":
          settleWaiting(this.waiting, this.counters.reservations, e.result);
          break;
      }
    }
    // An own request settled (granted, aborted, released): the state says so at once, with its leases and
    // `settled_seq`, so a peer that missed the outcome (a connection rebuilt under loss) stops holding it.
    if (settledOwn && this.ownState) void this.publishState(this.ownState);
  }

  private heartbeat(): void {
    if (this.stopping) return;
    const now = this.now();
    this.recomputeView(); // peers go stale with time alone
    this.apply(this.engine.tick(now, this.fleetContext()));
    this.applyClaims(this.claims.tick(now, this.claimFleet()));
    this.lendUnreachable();
    if (!this.connected) return;
    if (this.ownState) void this.publishState(this.ownState);
    // Watchdog: our own state should come back to us through the broker.
    if (!this.ownState || this.lastHeartbeat === 0) return;
    const silent = now - this.lastEcho;
    if (silent <= this.o.watchdogMs) return;
    const inboundSilent = now - this.lastInbound;
    // Packets still arrive: the echo is in TCP's retransmissions (a lossy link). Tearing the
    // connection down would lose what the broker has in flight and start over on the same link.
    if (inboundSilent <= this.o.watchdogMs && silent <= 3 * this.o.watchdogMs) {
      if (this.echoLateSince !== this.lastEcho) {
        this.echoLateSince = this.lastEcho;
        this.counters.echoLate++;
        this.o.journal?.event("bus-echo-late", { microgrid: this.microgrid, silent_ms: Math.round(silent), inbound_silent_ms: Math.round(inboundSilent) });
      }
      return;
    }
    this.counters.watchdogResets++;
    this.o.journal?.event("bus-watchdog", { microgrid: this.microgrid, silent_ms: Math.round(silent), inbound_silent_ms: Math.round(inboundSilent) });
    this.log.warn({ microgrid: this.microgrid, silentMs: Math.round(silent), inboundSilentMs: Math.round(inboundSilent) }, "bus watchdog: own heartbeat not echoed, reconnecting");
    this.lastEcho = now;
    this.client?.end(true);
  }
}

const ENVELOPE_KEYS = { v: 1, from: 1, incarnation: 1, sent_at: 1 } as const;
/** Refusals asked again within the same reserve(): the views differed for a moment, or answers were lost or late. */
const RETRIED = new Set(["view-mismatch", "view-changed", "timeout"]);
const QUOTA_META = "bus.quota_effective_kw";

/** A reservation or claim settled: count it and hand it to whoever waits on it. */
function settleWaiting<R extends { id: string; granted: boolean }>(waiting: Map<string, (r: R) => void>, tally: { granted: number; refused: number }, result: R): void {
  if (result.granted) tally.granted++;
  else tally.refused++;
  const w = waiting.get(result.id);
  waiting.delete(result.id);
  w?.(result);
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function sumKw(leases: readonly LeaseInfo[]): number {
  return leases.reduce((a, l) => a + l.kw, 0);
}

/** Fleet capacity without a cap: the sum of every grid-forming rating (Infinity if one is unrated). */
function formingTotal(ix: GraphIndex): number {
  let kw = 0;
  for (const srcs of ix.forming) for (const s of srcs) kw += s.kw;
  return kw;
}

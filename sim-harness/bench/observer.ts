// The bench listening on the peer bus (read-only, as an observer would in a
// control room): every agent's retained state and availability, reservation
// outcomes and alarms, counted per second. It tells the lockstep driver when
// an agent has published its state for a tick, and when its last will fired.
// What it hears is reported as what the agents said; the figures that decide
// pass or fail come from the simulator (meter.ts).
import { readFileSync } from "node:fs";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { fleetFilter, parseMessage, type PeerState, type ReservationOutcome, type AlarmMessage } from "../../shared/bus/index.js";

export interface ObserverOptions {
  url: string;
  base: string;
  fleet: readonly string[];
  scenarioHash?: string;
  username?: string;
  password?: string;
  tls?: { ca?: string; cert?: string; key?: string };
}

export interface AvailabilityEvent {
  microgrid: string;
  state: "online" | "offline";
  reason: string | undefined;
  incarnation: string;
  wallMs: number;
}

export class BusObserver {
  readonly states = new Map<string, PeerState>();
  readonly availability = new Map<string, AvailabilityEvent>();
  /** Every availability change seen, in order (wills, restarts). */
  readonly availabilityLog: AvailabilityEvent[] = [];
  readonly reservations: (ReservationOutcome & { microgrid: string; wallMs: number })[] = [];
  readonly alarms: (AlarmMessage & { microgrid: string; wallMs: number })[] = [];
  /** Messages seen, by topic kind; and dropped (invalid) ones. */
  readonly counts: Record<string, number> = {};
  /** Wall ms of the last message heard live from each microgrid (not a retained copy the broker replays). */
  readonly lastLive = new Map<string, number>();
  dropped = 0;
  messages = 0;
  private client: MqttClient | undefined;
  private readonly waiters = new Set<() => void>();
  private readonly fleet: ReadonlySet<string>;

  constructor(private readonly o: ObserverOptions) {
    this.fleet = new Set(o.fleet);
  }

  async start(timeoutMs = 10_000): Promise<void> {
    const opts: IClientOptions = {
      clientId: `blackstart-bench-observer-${process.pid}`,
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: 250,
      connectTimeout: 5000,
      keepalive: 10,
      ...(this.o.username ? { username: this.o.username } : {}),
      ...(this.o.password ? { password: this.o.password } : {}),
      ...(this.o.tls ? tlsOptions(this.o.tls) : {}),
    };
    const client = mqtt.connect(this.o.url, opts);
    this.client = client;
    client.on("message", (topic, payload, packet) => this.onMessage(topic, payload, packet.retain));
    client.on("connect", () => client.subscribe(fleetFilter(this.o.base), { qos: 1 }));
    client.on("error", () => {}); // reconnects by itself; a broker fault is part of the run
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`bench observer: no connection to ${this.o.url} within ${timeoutMs} ms`)), timeoutMs);
      client.once("connect", () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  private onMessage(topic: string, payload: Buffer, retained = false): void {
    this.messages++;
    const p = parseMessage({ base: this.o.base, fleet: this.fleet, ...(this.o.scenarioHash ? { scenarioHash: this.o.scenarioHash } : {}) }, topic, payload);
    if (!p.ok) {
      this.dropped++;
      return;
    }
    this.counts[p.kind] = (this.counts[p.kind] ?? 0) + 1;
    const wallMs = Date.now();
    if (!retained) this.lastLive.set(p.microgrid, wallMs);
    if (p.kind === "state") this.states.set(p.microgrid, p.msg);
    else if (p.kind === "availability") {
      const ev: AvailabilityEvent = { microgrid: p.microgrid, state: p.msg.state, reason: p.msg.reason, incarnation: p.msg.incarnation, wallMs };
      const prev = this.availability.get(p.microgrid);
      if (!prev || prev.state !== ev.state || prev.incarnation !== ev.incarnation) this.availabilityLog.push(ev);
      this.availability.set(p.microgrid, ev);
    } else if (p.kind === "reservation/outcome") this.reservations.push({ ...p.msg, microgrid: p.microgrid, wallMs });
    else if (p.kind === "alarm") this.alarms.push({ ...p.msg, microgrid: p.microgrid, wallMs });
    for (const w of [...this.waiters]) w();
  }

  /** The agent's last state shows this tick (or a later one) from this incarnation. */
  hasTick(microgrid: string, tick: number, incarnation?: string): boolean {
    const s = this.states.get(microgrid);
    return s !== undefined && s.tick >= tick && (incarnation === undefined || s.incarnation === incarnation);
  }

  /** Its availability is offline (last will, or the broker saw it go). */
  isOffline(microgrid: string): boolean {
    return this.availability.get(microgrid)?.state === "offline";
  }

  /** Resolve when `done()` holds (checked on every message and every 100 ms), or false after `timeoutMs`. */
  waitFor(done: () => boolean, timeoutMs: number): Promise<boolean> {
    if (done()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = () => {
        if (!done()) return;
        finish(true);
      };
      const finish = (v: boolean) => {
        clearTimeout(t);
        clearInterval(poll);
        this.waiters.delete(check);
        resolve(v);
      };
      const t = setTimeout(() => finish(done()), timeoutMs);
      const poll = setInterval(check, 100);
      this.waiters.add(check);
    });
  }

  /** Operator command to one agent over the bus (needs operator rights on an ACL broker). */
  command(microgrid: string, command: "restore" | "abort", requestId: string): void {
    this.client?.publish(`${this.o.base}/${microgrid}/request/command`, JSON.stringify({ v: 1, type: "command", command, request_id: requestId, by: "bench" }), { qos: 1 });
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (c) await c.endAsync(true).catch(() => undefined);
  }
}

function tlsOptions(t: NonNullable<ObserverOptions["tls"]>): Partial<IClientOptions> {
  return {
    ...(t.ca ? { ca: readFileSync(t.ca) } : {}),
    ...(t.cert ? { cert: readFileSync(t.cert) } : {}),
    ...(t.key ? { key: readFileSync(t.key) } : {}),
    rejectUnauthorized: true,
  };
}

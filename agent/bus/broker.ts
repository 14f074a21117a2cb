// The embedded broker: aedes (MQTT 3.1.1) on one host, the default for a bench
// or a single site. For several hosts use mosquitto (deploy/mosquitto/); the
// client is the same.
//
// Choices (../shared/PITFALLS.md):
// - Persistence: aedes' in-memory store for sessions and QoS queues (agents
//   use clean sessions and keep what must survive in their own SQLite outbox),
//   and, when `retainedStore` is given, retained messages also in SQLite, so
//   that after a broker restart a late agent still learns every peer's last
//   state and availability (`offline` included).
// - The last will may not fire with some persistences (aedes #1061, #957): the
//   broker itself publishes a retained `offline` for an agent's availability
//   topic when the client that announced it `online` disconnects, unless a
//   newer life of that agent is online by then.
// - ACL (when `users` are given): an agent writes only under
//   `<base>/<its microgrid>/` (never its own `request/`), an operator writes
//   only `<base>/+/request/#`, everyone authenticated reads `<base>/#`, and a
//   client without valid credentials is refused at CONNECT.
import { createServer as createNetServer, type AddressInfo, type Server } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import { readFileSync } from "node:fs";
import { timingSafeEqual } from "node:crypto";
import { Aedes, type AuthenticateError, type Client } from "aedes";
import memoryPersistence from "aedes-persistence";
import Database from "better-sqlite3";
import { BlackstartError } from "../../shared/errors.js";
import { Availability, BUS_PROTOCOL, parseTopic } from "../../shared/bus/index.js";
import { BusErrors } from "./errors.js";

export interface BrokerUser {
  password: string;
  /** `agent`: writes under its microgrid; `operator`: sends requests; `observer`: reads only. */
  role: "agent" | "operator" | "observer";
  /** For agents: the microgrid it speaks for (default: the user name). */
  microgrid?: string;
}

export interface EmbeddedBrokerOptions {
  host?: string;
  /** 0 = any free port. */
  port?: number;
  baseTopic?: string;
  /** SQLite file keeping retained messages across broker restarts. */
  retainedStore?: string;
  /** Without users, anyone may connect (bind to 127.0.0.1 then). */
  users?: Readonly<Record<string, BrokerUser>>;
  /** PEM files: serve MQTT over TLS. */
  tls?: { cert: string; key: string; ca?: string; requestCert?: boolean };
  logger?: { info(o: object, m?: string): void; warn(o: object, m?: string): void };
}

export interface EmbeddedBroker {
  readonly url: string;
  readonly port: number;
  readonly aedes: Aedes;
  /** Retained `offline` messages the broker published for agents that vanished. */
  readonly offlinePublished: () => number;
  close(): Promise<void>;
}

export async function startBroker(o: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const base = o.baseTopic ?? "blackstart";
  const store = o.retainedStore ? openRetainedStore(o.retainedStore) : null;
  const persistence = memoryPersistence();
  if (store) wrapRetained(persistence, store);
  const users = o.users ?? null;
  const userOf = new WeakMap<Client, { name: string; user: BrokerUser }>();

  const aedes = await Aedes.createBroker({
    persistence,
    drainTimeout: 10_000,
    heartbeatInterval: 60_000,
    ...(users
      ? {
          authenticate(client: Client, username: string | undefined, password: Buffer | undefined, done: (e: AuthenticateError | null, ok: boolean | null) => void) {
            const u = username ? users[username] : undefined;
            if (!u || !password || !sameSecret(password, u.password)) {
              const err = Object.assign(new Error("bad user name or password"), { returnCode: 4 }) as AuthenticateError;
              done(err, false);
              return;
            }
            userOf.set(client, { name: username!, user: u });
            done(null, true);
          },
        }
      : {}),
    authorizePublish(client, packet, done) {
      if (!client) return done(null); // the broker's own messages
      if (packet.topic.startsWith("$SYS")) return done(new Error("$SYS is the broker's"));
      if (!users) return done(null);
      const who = userOf.get(client);
      done(who && mayPublish(base, who, packet.topic) ? null : new Error(`not authorized to publish ${packet.topic}`));
    },
    authorizeSubscribe(client, sub, done) {
      if (!users) return done(null, sub);
      const ok = sub.topic === `${base}/#` || sub.topic.startsWith(`${base}/`);
      done(ok ? null : new Error(`not authorized to subscribe ${sub.topic}`), ok ? sub : null);
    },
  });

  // Which client announced which microgrid online, to say `offline` for it if it vanishes.
  const online = new Map<string, { clientId: string; incarnation: string }>();
  let offlineCount = 0;
  aedes.on("publish", (packet, client) => {
    if (!client) return;
    const t = parseTopic(base, packet.topic);
    if (!t || t.kind !== "availability") return;
    const a = Availability.safeParse(safeJson(packet.payload));
    if (!a.success || a.data.from !== t.microgrid) return;
    if (a.data.state === "online") online.set(t.microgrid, { clientId: client.id, incarnation: a.data.incarnation });
    else if (online.get(t.microgrid)?.incarnation === a.data.incarnation) online.delete(t.microgrid);
  });
  aedes.on("clientDisconnect", (client) => {
    for (const [mg, rec] of online) {
      if (rec.clientId !== client.id) continue;
      online.delete(mg);
      const msg: Availability = { v: BUS_PROTOCOL, type: "availability", from: mg, incarnation: rec.incarnation, state: "offline", reason: "broker" };
      offlineCount++;
      aedes.publish({ cmd: "publish", topic: `${base}/${mg}/availability`, payload: Buffer.from(JSON.stringify(msg)), qos: 1, retain: true, dup: false }, () => {});
      o.logger?.warn({ microgrid: mg, client: client.id }, "agent disconnected: retained offline published");
    }
  });

  // Small messages that agents wait on: no Nagle delay.
  const handle = (socket: import("node:net").Socket) => {
    socket.setNoDelay(true);
    aedes.handle(socket);
  };
  const server: Server = o.tls
    ? createTlsServer(
        {
          cert: readFileSync(o.tls.cert),
          key: readFileSync(o.tls.key),
          ...(o.tls.ca ? { ca: readFileSync(o.tls.ca) } : {}),
          requestCert: o.tls.requestCert ?? false,
        },
        handle,
      )
    : createNetServer(handle);
  const host = o.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e) => reject(new BlackstartError(BusErrors.BROKER_LISTEN, `cannot listen on ${host}:${o.port ?? 1883}: ${(e as Error).message}`)));
    server.listen(o.port ?? 1883, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `${o.tls ? "mqtts" : "mqtt"}://${host.includes(":") ? `[${host}]` : host}:${port}`;
  o.logger?.info({ url, retainedStore: o.retainedStore ?? null, auth: users ? Object.keys(users).length : 0 }, "embedded broker listening");
  return {
    url,
    port,
    aedes,
    offlinePublished: () => offlineCount,
    async close() {
      await new Promise<void>((res) => aedes.close(() => res()));
      await new Promise<void>((res) => server.close(() => res()));
      store?.close();
    },
  };
}

/** The ACL: the same rules as deploy/mosquitto/acl. */
export function mayPublish(base: string, who: { name: string; user: BrokerUser }, topic: string): boolean {
  const t = parseTopic(base, topic);
  if (!t) return false;
  if (who.user.role === "operator") return t.kind === "request/command";
  if (who.user.role === "agent") return t.microgrid === (who.user.microgrid ?? who.name) && t.kind !== "request/command";
  return false;
}

function sameSecret(given: Buffer, expected: string): boolean {
  const e = Buffer.from(expected);
  return given.length === e.length && timingSafeEqual(given, e);
}

function safeJson(b: Buffer | string): unknown {
  try {
    return JSON.parse(b.toString());
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- retained messages in SQLite

interface RetainedStore {
  load(): { topic: string; payload: Buffer; qos: number }[];
  put(topic: string, payload: Buffer, qos: number): void;
  del(topic: string): void;
  close(): void;
}

function openRetainedStore(path: string): RetainedStore {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  // A cache of what agents republish anyway on reconnect: NORMAL is enough.
  db.pragma("synchronous = NORMAL");
  db.exec("CREATE TABLE IF NOT EXISTS retained (topic TEXT PRIMARY KEY, payload BLOB NOT NULL, qos INTEGER NOT NULL, at INTEGER NOT NULL)");
  const put = db.prepare("INSERT INTO retained(topic, payload, qos, at) VALUES (?, ?, ?, ?) ON CONFLICT(topic) DO UPDATE SET payload = excluded.payload, qos = excluded.qos, at = excluded.at");
  const del = db.prepare("DELETE FROM retained WHERE topic = ?");
  return {
    load: () => db.prepare("SELECT topic, payload, qos FROM retained").all() as { topic: string; payload: Buffer; qos: number }[],
    put: (topic, payload, qos) => put.run(topic, payload, qos, Date.now()),
    del: (topic) => del.run(topic),
    close: () => db.close(),
  };
}

/** Keep aedes' in-memory persistence, but mirror retained messages to SQLite and reload them at setup. */
function wrapRetained(p: ReturnType<typeof memoryPersistence>, store: RetainedStore): void {
  const target = p as unknown as {
    setup(broker: unknown): Promise<void>;
    storeRetained(packet: { topic: string; payload: Buffer; qos: number; retain: boolean }): Promise<void>;
  };
  const setup = target.setup.bind(target);
  const storeRetained = target.storeRetained.bind(target);
  target.setup = async (broker) => {
    await setup(broker);
    for (const r of store.load()) {
      await storeRetained({ cmd: "publish", topic: r.topic, payload: Buffer.from(r.payload), qos: r.qos, retain: true, dup: false, brokerId: "restored", brokerCounter: 0 } as never);
    }
  };
  target.storeRetained = async (packet) => {
    await storeRetained(packet);
    if (packet.payload.length === 0) store.del(packet.topic);
    else store.put(packet.topic, Buffer.from(packet.payload), packet.qos);
  };
}

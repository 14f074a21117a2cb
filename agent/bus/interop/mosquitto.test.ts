// The peer bus against Debian's mosquitto, configured with deploy/mosquitto/
// (TLS, passwords, per-microgrid ACL; and the mutual-TLS variant), and against
// Debian's mosquitto_sub / mosquitto_pub as third-party clients.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt, { type IClientOptions } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PeerState } from "../../../shared/bus/index.js";
import { Journal } from "../../journal/index.js";
import { PeerBus, type PeerBusOptions } from "../client.js";
import { fleetGraph, OWN_SWITCH, until } from "../test/support/fleet.js";
import { raceForHeadroom } from "../test/support/race.js";
import { haveMosquitto, provision, startMosquitto, type Mosquitto } from "./support/mosquitto.js";

let dir: string;
let mosq: Mosquitto;
let pw: Record<string, string>;
const cleanups: (() => Promise<unknown> | void)[] = [];

beforeAll(async () => {
  if (!haveMosquitto()) throw new Error("mosquitto is not installed: apt-get install -y mosquitto mosquitto-clients (.ci/run does)");
  dir = mkdtempSync(join(tmpdir(), "mosquitto-interop-"));
  pw = provision(dir, ["mg1", "mg2", "mg3", "operator"]);
  mosq = await startMosquitto(dir);
});
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await mosq?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const ca = () => join(dir, "ca.crt");
const raw = (user: string | null, extra: IClientOptions = {}) =>
  mqtt.connectAsync(mosq.url, {
    clientId: `raw-${user ?? "anon"}-${Math.random().toString(16).slice(2, 8)}`,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 3000,
    ca: [spawnSync("cat", [ca()]).stdout],
    ...(user ? { username: user, password: pw[user] } : {}),
    ...extra,
  });

function agent(mg: string, extra: Partial<PeerBusOptions> = {}): { bus: PeerBus; journal: Journal } {
  const journal = Journal.open(join(dir, `${mg}-${Math.random().toString(16).slice(2, 8)}.db`), { microgrid: mg, maintenanceIntervalMs: 0, batchMs: 50 });
  const bus = new PeerBus({
    microgrid: mg,
    graph: fleetGraph,
    url: mosq.url,
    username: mg,
    password: pw[mg]!,
    tls: { ca: ca() },
    quotaKw: 100,
    peerStaleMs: 1500,
    heartbeatMs: 100,
    ackTimeoutMs: 1000,
    backoffMinMs: 50,
    backoffMaxMs: 400,
    journal,
    ...extra,
  });
  cleanups.push(async () => {
    await bus.close();
    journal.close();
  });
  bus.start();
  return { bus, journal };
}

/** An `operator` connection that records everything under blackstart/. */
async function observer(): Promise<string[]> {
  const seen: string[] = [];
  const c = await raw("operator");
  cleanups.push(() => c.endAsync(true));
  c.on("message", (t, p) => seen.push(`${t} ${p.toString()}`));
  await c.subscribeAsync("blackstart/#", { qos: 1 });
  return seen;
}

describe("peer bus against mosquitto (TLS, passwords, per-microgrid ACL)", () => {
  it("refuses a client without credentials, with a wrong password, or without TLS", async () => {
    await expect(raw(null)).rejects.toThrow(/Not authorized|Bad username/i);
    await expect(raw("mg1", { password: "wrong" })).rejects.toThrow(/Not authorized|Bad username/i);
    await expect(mqtt.connectAsync(`mqtt://localhost:${mosq.port}`, { username: "mg1", password: pw.mg1, reconnectPeriod: 0, connectTimeout: 2000 })).rejects.toThrow();
    // A client that trusts another CA does not talk to this broker.
    await expect(raw("mg1", { ca: [], rejectUnauthorized: true })).rejects.toThrow(/certificate|self.signed|unable to verify/i);
  });

  it("lets an agent publish only under its own microgrid, and the operator only requests", async () => {
    const seen = await observer();
    const mg1 = await raw("mg1");
    cleanups.push(() => mg1.endAsync(true));
    await mg1.publishAsync("blackstart/mg2/state", "MG1-AS-MG2", { qos: 1 });
    await mg1.publishAsync("blackstart/mg2/reservation/response", "MG1-AS-MG2-RESP", { qos: 1 });
    await mg1.publishAsync("blackstart/mg1/request/command", "MG1-SELF-REQUEST", { qos: 1 });
    await mg1.publishAsync("blackstart/other", "MG1-OUTSIDE", { qos: 1 });
    await mg1.publishAsync("blackstart/mg1/alarm", "MG1-OWN", { qos: 1 });
    const op = await raw("operator");
    cleanups.push(() => op.endAsync(true));
    await op.publishAsync("blackstart/mg1/state", "OP-STATE", { qos: 1 });
    await op.publishAsync("blackstart/mg1/request/command", "OP-REQUEST", { qos: 1 });
    await until(() => seen.some((s) => s.endsWith("MG1-OWN")) && seen.some((s) => s.endsWith("OP-REQUEST")), 5000, "the allowed publishes");
    await new Promise((r) => setTimeout(r, 300));
    const denied = ["MG1-AS-MG2", "MG1-AS-MG2-RESP", "MG1-SELF-REQUEST", "MG1-OUTSIDE", "OP-STATE"];
    expect(seen.filter((s) => denied.some((d) => s.endsWith(d)))).toEqual([]);
  });

  it("two agents racing for the last 300 kW over mosquitto: exactly one wins, the other's pick-up is vetoed and journaled", async () => {
    const r = await raceForHeadroom(join(dir), (mg) => ({ url: mosq.url, username: mg, password: pw[mg]!, tls: { ca: ca() } }));
    cleanups.push(r.close);
    expect(r.winners).toHaveLength(1);
    expect(r.losers).toHaveLength(1);
    const l = r.losers[0]!;
    const ld = r.journals[l]!.readDecision(r.decisions[l]!)!;
    expect(ld.verdicts).toEqual([expect.objectContaining({ rule: "generation", element: OWN_SWITCH[l], values: expect.objectContaining({ pickup_kw: 400 }) })]);
    expect(ld.actions).toEqual([2]);
    const w = r.winners[0]!;
    expect((r.journals[w]!.readDecision(r.decisions[w]!)!.outcome as { admitted: unknown[] }).admitted).toHaveLength(1);
    await r.close();
  });

  it("delivers the last will through mosquitto when an agent's connection dies", async () => {
    const a = agent("mg1");
    const b = agent("mg2", { keepaliveS: 1 });
    expect(await a.bus.ready()).toBe(true);
    expect(await b.bus.ready()).toBe(true);
    await b.bus.publishState({ tick: 1, session: null, switches: { "Line.b": "open" }, served_kw: 0, health: "ok" });
    await until(() => a.bus.peers().find((p) => p.microgrid === "mg2")!.fresh, 5000, "mg2 live");
    const seen = await observer();
    (b.bus as unknown as { stopping: boolean }).stopping = true;
    (b.bus as unknown as { client: mqtt.MqttClient }).client.stream.destroy();
    await until(() => a.bus.view().members.length === 1, 8000, "mg2 out of the view");
    expect(a.bus.peers().find((p) => p.microgrid === "mg2")!.fresh).toBe(false);
    const offline = () => seen.find((s) => s.startsWith("blackstart/mg2/availability ") && s.includes('"offline"'));
    await until(() => offline() !== undefined, 5000, "mg2's will seen by an observer");
    expect(JSON.parse(offline()!.split(" ").slice(1).join(" "))).toMatchObject({ state: "offline", reason: "will", from: "mg2" });
    expect(a.bus.peerInfo().find((p) => p.microgrid === "mg2")!.online).toBe(false);
  });

  it("speaks the same wire format as Debian's mosquitto_sub and mosquitto_pub", async () => {
    const a = agent("mg3");
    await a.bus.ready();
    await a.bus.publishState({ tick: 7, session: { id: "s9", step: 2, length: 15 }, switches: { "Line.c": "closed" }, served_kw: 400, health: "ok" });
    const common = ["-h", "localhost", "-p", String(mosq.port), "--cafile", ca(), "-u", "operator", "-P", pw.operator!, "-V", "mqttv311"];
    await until(() => a.bus.counters.received.state !== undefined, 5000, "own state echoed");
    const sub = spawnSync("mosquitto_sub", [...common, "-t", "blackstart/mg3/state", "-C", "1", "-W", "5"], { encoding: "utf8" });
    expect(sub.status).toBe(0);
    const parsed = PeerState.safeParse(JSON.parse(sub.stdout));
    expect(parsed.success).toBe(true);
    expect(parsed.data).toMatchObject({ from: "mg3", tick: 7, served_kw: 400, switches: { "Line.c": "closed" } });
    const got: unknown[] = [];
    a.bus.onCommand((c) => void got.push(c));
    const pub = spawnSync(
      "mosquitto_pub",
      [...common, "-q", "1", "-t", "blackstart/mg3/request/command", "-m", JSON.stringify({ v: 1, type: "command", command: "status", request_id: "cli-1", by: "operator" })],
      { encoding: "utf8" },
    );
    expect(pub.status).toBe(0);
    await until(() => got.length === 1, 5000, "command from mosquitto_pub");
    expect(got[0]).toMatchObject({ command: "status", request_id: "cli-1" });
    // An operator's release with mosquitto_pub: the element reaches the agent, the answer comes back.
    const sub2 = spawn("mosquitto_sub", [...common, "-t", "blackstart/mg3/response/command", "-C", "1", "-W", "8"]);
    let out = "";
    sub2.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((res) => sub2.on("exit", (code) => res(code)));
    await new Promise((r) => setTimeout(r, 300));
    const release = { v: 1, type: "command", command: "release", request_id: "cli-2", by: "operator", element: "Line.c", reason: "patrolled" };
    expect(spawnSync("mosquitto_pub", [...common, "-q", "1", "-t", "blackstart/mg3/request/command", "-m", JSON.stringify(release)], { encoding: "utf8" }).status).toBe(0);
    await until(() => got.length === 2, 5000, "release from mosquitto_pub");
    expect(got[1]).toMatchObject({ command: "release", request_id: "cli-2", element: "Line.c", by: "bus:operator" });
    expect(await exited).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ type: "command-response", request_id: "cli-2", accepted: true, detail: { command: "release", element: "Line.c" } });
  });
});

describe("peer bus against mosquitto with mutual TLS (certificate CN as identity)", () => {
  let m2: Mosquitto;
  beforeAll(async () => {
    m2 = await startMosquitto(dir, "mosquitto-mtls.conf");
  });
  afterAll(async () => {
    await m2?.stop();
  });

  it("admits an agent by its certificate alone, keeps it to its own topics, refuses a client without one", async () => {
    const url = `mqtts://localhost:${m2.port}`;
    const read = (f: string) => spawnSync("cat", [join(dir, f)]).stdout;
    await expect(
      mqtt.connectAsync(url, { clientId: "nocert", ca: [read("ca.crt")], protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 3000 }),
    ).rejects.toThrow();
    const journal = Journal.open(join(dir, "mtls-mg1.db"), { microgrid: "mg1", maintenanceIntervalMs: 0 });
    const bus = new PeerBus({
      microgrid: "mg1",
      graph: fleetGraph,
      url,
      tls: { ca: join(dir, "ca.crt"), cert: join(dir, "mg1.crt"), key: join(dir, "mg1.key") },
      quotaKw: 100,
      heartbeatMs: 100,
      journal,
    });
    cleanups.push(async () => {
      await bus.close();
      journal.close();
    });
    bus.start();
    expect(await bus.ready()).toBe(true);
    await bus.publishState({ tick: 1, session: null, switches: { "Line.a": "open" }, served_kw: 0, health: "ok" });
    await until(() => bus.counters.received.state !== undefined, 5000, "own state through the mTLS broker");
    const seen: string[] = [];
    const obs = await mqtt.connectAsync(url, { clientId: "obs", ca: [read("ca.crt")], cert: read("operator.crt"), key: read("operator.key"), protocolVersion: 4, reconnectPeriod: 0 });
    cleanups.push(() => obs.endAsync(true));
    obs.on("message", (t, p) => seen.push(`${t} ${p.toString()}`));
    await obs.subscribeAsync("blackstart/#", { qos: 1 });
    const rogue = await mqtt.connectAsync(url, { clientId: "rogue", ca: [read("ca.crt")], cert: read("mg1.crt"), key: read("mg1.key"), protocolVersion: 4, reconnectPeriod: 0 });
    cleanups.push(() => rogue.endAsync(true));
    await rogue.publishAsync("blackstart/mg2/state", "CERT-MG1-AS-MG2", { qos: 1 });
    await rogue.publishAsync("blackstart/mg1/alarm", "CERT-MG1-OWN", { qos: 1 });
    await until(() => seen.some((s) => s.endsWith("CERT-MG1-OWN")), 5000, "own alarm");
    await new Promise((r) => setTimeout(r, 300));
    expect(seen.filter((s) => s.endsWith("CERT-MG1-AS-MG2"))).toEqual([]);
  });
});

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Journal } from "../../journal/index.js";
import { startBroker, type EmbeddedBroker } from "../broker.js";
import { PeerBus, type PeerBusOptions } from "../client.js";
import { SectionGraph } from "../../../shared/scenario/sections.js";
import { fleetGraph, OWN_SWITCH, until } from "./support/fleet.js";
import { raceForHeadroom } from "./support/race.js";

let dir: string;
let broker: EmbeddedBroker | undefined;
const cleanups: (() => Promise<void> | void)[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "bus-test-"));
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await broker?.close();
  broker = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function agent(mg: string, url: string, extra: Partial<PeerBusOptions> = {}): { bus: PeerBus; journal: Journal } {
  const journal = Journal.open(join(dir, `${mg}-${Math.random().toString(16).slice(2, 8)}.db`), { microgrid: mg, maintenanceIntervalMs: 0, batchMs: 50 });
  const bus = new PeerBus({ microgrid: mg, graph: fleetGraph, url, quotaKw: 100, peerStaleMs: 1500, heartbeatMs: 100, ackTimeoutMs: 800, backoffMinMs: 50, backoffMaxMs: 400, journal, ...extra });
  cleanups.push(async () => {
    await bus.close();
    journal.close();
  });
  bus.start();
  return { bus, journal };
}

const state = (mg: string, sw: "open" | "closed" = "open", served = 0) => ({
  tick: 1,
  session: null,
  switches: { [OWN_SWITCH[mg]!]: sw },
  served_kw: served,
  health: "ok" as const,
});

function rows(j: Journal, sql: string): Record<string, unknown>[] {
  j.flush();
  return j.db.prepare(sql).all() as Record<string, unknown>[];
}

describe("peer bus over the embedded broker", () => {
  it("shares retained state and availability, and agrees on the view", async () => {
    broker = await startBroker({ port: 0 });
    const a = agent("mg1", broker.url);
    const b = agent("mg2", broker.url);
    expect(await a.bus.ready()).toBe(true);
    expect(await b.bus.ready()).toBe(true);
    await a.bus.publishState(state("mg1", "closed", 400));
    await b.bus.publishState(state("mg2"));
    await until(() => a.bus.peers().find((p) => p.microgrid === "mg2")!.fresh && b.bus.peers().find((p) => p.microgrid === "mg1")!.fresh);
    expect(b.bus.peers().find((p) => p.microgrid === "mg1")).toEqual({ microgrid: "mg1", fresh: true, switches: { "Line.a": "closed" } });
    expect(a.bus.view()).toEqual(b.bus.view());
    expect(a.bus.view().members).toHaveLength(2);
    // mg3 never came: its switches count as unknown (closed) for the shield.
    expect(a.bus.peers().find((p) => p.microgrid === "mg3")).toEqual({ microgrid: "mg3", fresh: false, switches: {} });
    // The fleet's headroom from mg2's side: mg3 was never heard, so its switch counts as closed and its
    // section as served: 1000 - (400 + mg1's 400 + mg3's 400) - unused quotas (mg2's 100; mg1 used more than its quota).
    expect(b.bus.headroom()).toMatchObject({ cap_kw: 1000, used_kw: 1200, reserved_kw: 100, headroom_kw: -300 });
    // A late subscriber gets the retained state at once.
    const late = agent("mg3", broker.url);
    await late.bus.ready();
    await until(() => late.bus.peerInfo().find((p) => p.microgrid === "mg1")!.state !== null);
    expect(late.bus.peerInfo().find((p) => p.microgrid === "mg1")!.state!.served_kw).toBe(400);
    // Once mg3 publishes its switch open, mg2 no longer counts s3.
    await late.bus.publishState(state("mg3"));
    await until(() => b.bus.peers().find((p) => p.microgrid === "mg3")!.fresh);
    expect(b.bus.headroom()).toMatchObject({ used_kw: 800, reserved_kw: 200, headroom_kw: 0 });
  });

  it("counts, journals and drops invalid, spoofed and foreign messages", async () => {
    broker = await startBroker({ port: 0 });
    const a = agent("mg1", broker.url);
    await a.bus.ready();
    const raw = await mqtt.connectAsync(broker.url, { clientId: `raw-${Date.now()}`, protocolVersion: 4 });
    cleanups.push(() => raw.endAsync());
    await raw.publishAsync("blackstart/mg2/state", "{nope", { qos: 1 });
    await raw.publishAsync("blackstart/mg2/state", JSON.stringify({ v: 1, type: "state", from: "mg3" }), { qos: 1 });
    await raw.publishAsync("blackstart/mg9/alarm", JSON.stringify({ v: 1 }), { qos: 1 });
    await raw.publishAsync(
      "blackstart/mg2/reservation/request",
      JSON.stringify({ v: 1, type: "reservation-request", from: "mg3", incarnation: "x", id: "r1", kw: 10, view: 1, members: [], lamport: 1, lease_ms: 1000 }),
      { qos: 1 },
    );
    await until(() => a.bus.counters.dropped["not-json"] === 1 && a.bus.counters.dropped.schema === 1 && a.bus.counters.dropped["foreign-microgrid"] === 1 && a.bus.counters.dropped.spoofed === 1);
    const dropped = rows(a.journal, "SELECT topic, reason FROM peer_messages WHERE valid = 0 ORDER BY id");
    expect(dropped.map((r) => String(r.reason).split(":")[0])).toEqual(["not-json", "schema", "foreign-microgrid", "spoofed"]);
    // Nothing of it reached the reservation protocol.
    expect(rows(a.journal, "SELECT * FROM reservations")).toEqual([]);
  });

  it("two agents racing for the last 300 kW of headroom: exactly one wins, the other's pick-up is vetoed and journaled", async () => {
    broker = await startBroker({ port: 0 });
    const r = await raceForHeadroom(dir, () => ({ url: broker!.url }));
    cleanups.push(r.close);
    expect(r.winners).toHaveLength(1);
    expect(r.losers).toHaveLength(1);
    const [w, l] = [r.winners[0]!, r.losers[0]!];
    // The winner's close is admitted on its lease; the loser's is vetoed by the shield for want of generation.
    const wd = r.journals[w]!.readDecision(r.decisions[w]!)!;
    expect((wd.outcome as { admitted: unknown[] }).admitted).toHaveLength(1);
    expect(wd.verdicts).toEqual([]);
    const ld = r.journals[l]!.readDecision(r.decisions[l]!)!;
    expect((ld.outcome as { admitted: unknown[] }).admitted).toEqual([]);
    expect(ld.verdicts).toEqual([expect.objectContaining({ element: OWN_SWITCH[l], action: "close", rule: "generation", values: expect.objectContaining({ pickup_kw: 400, available_kw: 100 }) })]);
    expect(ld.actions).toEqual([2]);
    // Every reservation state is in the journals: the winner's grant, the loser's abort, the bystander's lease.
    expect(r.journals[w]!.reservationRecord(`${w}-${r.buses[w]!.incarnation}-1`)!.state).toBe("granted");
    const lost = rows(r.journals[l]!, "SELECT state FROM reservations WHERE role = 'own'");
    expect(lost).toEqual([{ state: "aborted" }]);
    const why = rows(r.journals[l]!, "SELECT detail FROM reservation_states WHERE state = 'aborted'")[0]!;
    expect(JSON.parse(String(why.detail))).toMatchObject({ reason: "no-headroom" });
    await until(() => rows(r.journals.mg3!, "SELECT state FROM reservations WHERE role = 'peer'").some((x) => x.state === "held"));
  });

  it("publishes offline when an agent vanishes (last will, and the broker's own), and the view moves on", async () => {
    broker = await startBroker({ port: 0 });
    const a = agent("mg1", broker.url);
    const b = agent("mg2", broker.url, { keepaliveS: 1 });
    await a.bus.ready();
    await b.bus.ready();
    await b.bus.publishState(state("mg2"));
    await until(() => a.bus.view().members.length === 2 && a.bus.peers().find((p) => p.microgrid === "mg2")!.fresh);
    // Kill mg2's connection without a DISCONNECT, as a crash would.
    (b.bus as unknown as { client: mqtt.MqttClient }).client.stream.destroy();
    (b.bus as unknown as { stopping: boolean }).stopping = true; // keep it from reconnecting
    await until(() => a.bus.view().members.length === 1, 5000, "view without mg2");
    const info = a.bus.peerInfo().find((p) => p.microgrid === "mg2")!;
    expect(info.online).toBe(false);
    expect(a.bus.peers().find((p) => p.microgrid === "mg2")!.fresh).toBe(false);
    expect(broker.offlinePublished()).toBe(1);
    const events = rows(a.journal, "SELECT detail FROM events WHERE kind = 'bus-view'");
    expect(events.length).toBeGreaterThanOrEqual(2);
  });

  it("says offline on a clean close, and a restarted agent stays online despite its old life's last will", async () => {
    broker = await startBroker({ port: 0 });
    const b = agent("mg2", broker.url);
    await b.bus.ready();
    const old = agent("mg1", broker.url, { keepaliveS: 1 });
    await old.bus.ready();
    await old.bus.publishState(state("mg1"));
    await until(() => b.bus.view().members.length === 2, 5000, "mg1 in the view");
    // A new life of mg1 starts while the old one's connection is still up (a restart faster than the keepalive).
    const fresh = agent("mg1", broker.url);
    await fresh.bus.ready();
    await fresh.bus.publishState(state("mg1"));
    await until(() => old.journal.activeAlarms().some((a) => a.kind === "bus-duplicate-agent"), 5000, "duplicate alarm on the old life");
    (old.bus as unknown as { stopping: boolean }).stopping = true;
    (old.bus as unknown as { client: mqtt.MqttClient }).client.stream.destroy();
    await new Promise((r) => setTimeout(r, 400));
    await until(() => b.bus.view().members.includes(`mg1@${fresh.bus.incarnation}`), 5000, "the new life in mg2's view");
    expect(b.bus.peerInfo().find((p) => p.microgrid === "mg1")).toMatchObject({ online: true, incarnation: fresh.bus.incarnation, live: true });
    // The retained availability a late subscriber reads says online, for the new life.
    const late = await mqtt.connectAsync(broker.url, { clientId: `late-${Date.now()}`, protocolVersion: 4 });
    cleanups.push(() => late.endAsync());
    const avail: string[] = [];
    late.on("message", (_t, p) => avail.push(p.toString()));
    await late.subscribeAsync("blackstart/mg1/availability", { qos: 1 });
    await until(() => avail.length > 0, 3000, "retained availability");
    expect(JSON.parse(avail.at(-1)!)).toMatchObject({ state: "online", incarnation: fresh.bus.incarnation });
    // A clean close says offline, and mg2 drops mg1 from its view at once.
    await fresh.bus.close();
    await until(() => b.bus.view().members.length === 1, 3000, "mg1 gone after its close");
    expect(b.bus.peerInfo().find((p) => p.microgrid === "mg1")!.online).toBe(false);
  });

  it("lends the quota an agent's closes cannot use, durably, so that a peer's reservation fits", async () => {
    // mg3's section behind Line.c holds only 40 kW: of its 100 kW quota, 60 are of no use to it.
    const small = SectionGraph.parse({ ...fleetGraph, sections: fleetGraph.sections.map((x) => (x.id === "s3" ? { ...x, load_kw: 40 } : x)) });
    broker = await startBroker({ port: 0 });
    const a = agent("mg1", broker.url, { graph: small, lending: "off" });
    const b = agent("mg2", broker.url, { graph: small, lending: "off" });
    await a.bus.ready();
    await b.bus.ready();
    for (const [x, mg] of [[a, "mg1"], [b, "mg2"]] as const) await x.bus.publishState(state(mg));
    // Without mg3 in the fleet yet its switch counts closed (s3 served): 1000 - 440 - 2 x 100 = 360... with mg3 live and not lending: 300.
    const journal3 = join(dir, "mg3-lender.db");
    const j3 = Journal.open(journal3, { microgrid: "mg3", maintenanceIntervalMs: 0 });
    const c = new PeerBus({ microgrid: "mg3", graph: small, url: broker.url, quotaKw: 100, peerStaleMs: 1500, heartbeatMs: 100, ackTimeoutMs: 800, journal: j3, lending: "off" });
    c.start();
    await c.ready();
    await c.publishState(state("mg3"));
    await until(() => [a.bus, b.bus, c].every((x) => x.view().members.length === 3), 5000, "all live, in one view");
    expect(a.bus.headroom().headroom_kw).toBe(300);
    expect((await a.bus.reserve(350, "close Line.a")).reason).toBe("no-headroom");
    // mg3 lends what it cannot reach: its quota drops to 40 kW, in its journal before on the bus.
    expect(c.limitQuota(40, "test")).toBe(40);
    expect(j3.meta()["bus.quota_effective_kw"]).toBe("40");
    expect(c.budget(0).quota_kw).toBe(40);
    await until(() => a.bus.headroom().headroom_kw === 360, 5000, "mg1 sees the lent quota");
    const granted = await a.bus.reserve(350, "close Line.a");
    expect(granted, JSON.stringify(granted)).toMatchObject({ granted: true });
    // Lending never raises the quota, and a restart keeps what was lent.
    expect(c.limitQuota(90, "test")).toBe(40);
    await c.close();
    j3.close();
    const j3b = Journal.open(journal3, { microgrid: "mg3", maintenanceIntervalMs: 0 });
    const again = new PeerBus({ microgrid: "mg3", graph: small, url: broker.url, quotaKw: 100, journal: j3b });
    expect(again.quota()).toBe(40);
    again.resetQuota("new outage");
    expect(again.quota()).toBe(100);
    await again.close();
    j3b.close();
  });

  it("lends by itself (lending: reachable) what its closes cannot reach", async () => {
    const small = SectionGraph.parse({ ...fleetGraph, sections: fleetGraph.sections.map((x) => (x.id === "s3" ? { ...x, load_kw: 40 } : x)) });
    broker = await startBroker({ port: 0 });
    const a = agent("mg1", broker.url, { graph: small, lending: "reachable" });
    const c = agent("mg3", broker.url, { graph: small, lending: "reachable" });
    await a.bus.ready();
    await c.bus.ready();
    await a.bus.publishState(state("mg1"));
    await c.bus.publishState(state("mg3"));
    await until(() => c.bus.quota() === 40, 5000, "mg3 lends 60 kW");
    // mg1 can reach 400 kW through Line.a: it keeps its whole quota.
    expect(a.bus.quota()).toBe(100);
    expect(rows(c.journal, "SELECT detail FROM events WHERE kind = 'quota-lent'")).toHaveLength(1);
    await until(() => a.bus.peerInfo().find((p) => p.microgrid === "mg3")!.state?.quota_kw === 40, 5000, "published");
  });

  it("lends on demand (lending: demand): a pick-up beyond the headroom is granted in one round, each peer lending the share the request names", async () => {
    broker = await startBroker({ port: 0 });
    const ag = ["mg1", "mg2", "mg3"].map((mg) => agent(mg, broker!.url, { lending: "demand" }));
    for (const x of ag) await x.bus.ready();
    ag.forEach((x, i) => void x.bus.publishState(state(`mg${i + 1}`)));
    await until(() => ag.every((x) => x.bus.view().members.length === 3), 5000, "one view");
    // 300 kW of headroom; mg1 asks 400: its request names 50 kW from each of mg2 and mg3 (100 kW unused each).
    const r = await ag[0]!.bus.reserve(400, "close Line.a");
    expect(r, JSON.stringify(r)).toMatchObject({ granted: true, kw: 400 });
    expect(ag[1]!.bus.quota()).toBe(50);
    expect(ag[2]!.bus.quota()).toBe(50);
    for (const x of ag.slice(1)) expect(rows(x.journal, "SELECT kind FROM events WHERE kind = 'quota-lent'")).toHaveLength(1);
    // mg1's 400 kW lease now covers all it can reach: it lends its own quota to the pool in turn.
    await until(() => ag[0]!.bus.quota() === 0, 5000, "mg1 lends what its lease covers");
    // What could ever be served stays under the cap: 400 served + 400 leased + 50 + 50 unused quotas = 900.
    await until(() => ag[2]!.bus.headroom().headroom_kw === 100, 5000, "mg3 sees the lease and mg1's lent quota");
  });

  it("a lender deciding on its budget answers once it claims, and a decision that never claims cannot hold a request past the ack timeout, however long the heartbeat", async () => {
    broker = await startBroker({ port: 0 });
    // A lockstep bench's heartbeat: a peer goes stale after 180 s, states every 60 s. Timeouts must not wait for it.
    const slow = { lending: "demand" as const, peerStaleMs: 180_000, heartbeatMs: 60_000, watchdogMs: 600_000 };
    const ag = ["mg1", "mg2", "mg3"].map((mg) => agent(mg, broker!.url, slow));
    for (const x of ag) await x.bus.ready();
    ag.forEach((x, i) => void x.bus.publishState(state(`mg${i + 1}`)));
    await until(() => ag.every((x) => x.bus.view().members.length === 3), 5000, "one view");
    // mg2 and mg3 are deciding (their shield read their budgets) when mg1 asks them to lend 50 kW each.
    ag[1]!.bus.budget(0);
    ag[2]!.bus.budget(0);
    const t0 = Date.now();
    const refused = await ag[0]!.bus.reserve(400, "close Line.a");
    expect(refused).toMatchObject({ granted: false, reason: "lender-busy" });
    // Answered at the lenders' ack timeout (800 ms), not at their next heartbeat (60 s).
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(ag[1]!.bus.quota()).toBe(100);
    // Once they have claimed what their decisions took (nothing), the same request is granted at once.
    ag[1]!.bus.claim(0);
    ag[2]!.bus.claim(0);
    const lease = await ag[0]!.bus.reserve(400, "close Line.a");
    expect(lease).toMatchObject({ granted: true, kw: 400 });
    expect([ag[1]!.bus.quota(), ag[2]!.bus.quota()]).toEqual([50, 50]);
    // A new restoration does not take the loan back while the lease it funded runs...
    await until(() => ag[1]!.bus.peerInfo().find((p) => p.microgrid === "mg1")!.state?.leases.length === 1, 5000, "mg1's lease in its state");
    expect(ag[1]!.bus.renewQuota("next outage")).toBe(false);
    // ...nor while the fleet serves more than at the reset; once neither holds, it does.
    ag[0]!.bus.release(lease.id);
    void ag[0]!.bus.publishState(state("mg1", "closed", 400));
    await until(() => ag[1]!.bus.peerInfo().find((p) => p.microgrid === "mg1")!.state?.switches["Line.a"] === "closed", 5000, "mg1 closed");
    expect(ag[1]!.bus.renewQuota("next outage")).toBe(false);
    void ag[0]!.bus.publishState(state("mg1", "open", 0));
    await until(() => ag[1]!.bus.peerInfo().find((p) => p.microgrid === "mg1")!.state?.switches["Line.a"] === "open", 5000, "mg1 open");
    expect(ag[1]!.bus.renewQuota("next outage")).toBe(true);
    expect(ag[1]!.bus.quota()).toBe(100);
    expect(rows(ag[1]!.journal, "SELECT kind FROM events WHERE kind = 'quota-reset'")).toHaveLength(1);
  });

  it("a request a live peer never answers (answers lost on a lossy link) is asked once more at once, then refused naming it", async () => {
    broker = await startBroker({ port: 0 });
    const a = agent("mg1", broker.url);
    const b = agent("mg2", broker.url);
    await a.bus.ready();
    await b.bus.ready();
    // mg3: online and publishing states, but never answering a request.
    const mute = await mqtt.connectAsync(broker.url, { clientId: "mute-mg3" });
    cleanups.push(() => mute.endAsync());
    const env = { v: 1, from: "mg3", incarnation: "mute" };
    await mute.publishAsync("blackstart/mg3/availability", JSON.stringify({ ...env, type: "availability", state: "online" }), { qos: 1, retain: true });
    const muteState = (seq: number) =>
      JSON.stringify({ ...env, type: "state", seq, tick: seq, session: { active: false, id: null, step: 0, length: 0 }, switches: { "Line.c": "open" }, served_kw: 0, quota_kw: 100, leases: [], committed_kw: 0, health: "ok", view: 0 });
    let seq = 0;
    const beat = setInterval(() => void mute.publishAsync("blackstart/mg3/state", muteState(++seq), { qos: 1 }), 200);
    cleanups.push(() => clearInterval(beat));
    void a.bus.publishState(state("mg1"));
    void b.bus.publishState(state("mg2"));
    await until(() => a.bus.view().members.length === 3, 5000, "mg1 sees mg2 and mg3");
    const t0 = Date.now();
    const r = await a.bus.reserve(100, "close Line.a");
    const waited = Date.now() - t0;
    expect(r).toMatchObject({ granted: false, reason: "timeout", detail: { missing: ["mg3"] } });
    // Two attempts of 2 x 800 ms each.
    expect(waited).toBeGreaterThanOrEqual(2 * 1600 - 50);
    expect(waited).toBeLessThan(2 * 1600 + 1500);
    expect(rows(a.journal, "SELECT id FROM reservations WHERE role = 'own'")).toHaveLength(2);
  });

  it("keeps what must survive in the outbox while the broker is down, reconnects with backoff, and finds retained state after a broker restart", async () => {
    const store = join(dir, "retained.db");
    broker = await startBroker({ port: 0, retainedStore: store });
    const port = broker.port;
    const a = agent("mg1", broker.url);
    await a.bus.ready();
    await a.bus.publishState(state("mg1", "closed", 400));
    await until(() => a.bus.counters.received.state !== undefined);
    await broker.close();
    await until(() => !a.bus.up(), 5000, "bus down");
    expect(a.bus.leases()).toEqual([]);
    expect(a.bus.budget(50)).toEqual({ quota_kw: 100, committed_kw: 50, leases: [], bus_up: false });
    expect((await a.bus.reserve(10, "x")).reason).toBe("bus-down");
    a.bus.publishAlarm("device-timeout", "warning", { device: "rec1" });
    const pending = a.journal.db.prepare("SELECT count(*) AS n FROM bus_outbox").get() as { n: number };
    expect(pending.n).toBe(1);
    // A broker comes back on the same port, with the retained messages it had.
    broker = await startBroker({ port, retainedStore: store });
    const watcher = await mqtt.connectAsync(broker.url, { clientId: `watch-${Date.now()}`, protocolVersion: 4 });
    cleanups.push(() => watcher.endAsync());
    const seen: string[] = [];
    watcher.on("message", (t, p, pk) => seen.push(`${t} ${pk.retain ? "retained" : "live"} ${JSON.parse(p.toString()).type}`));
    await watcher.subscribeAsync("blackstart/#", { qos: 1 });
    await until(() => seen.some((s) => s.startsWith("blackstart/mg1/state retained")), 3000, "retained state restored from SQLite");
    await until(() => a.bus.up(), 10_000, "reconnect");
    await until(() => seen.includes("blackstart/mg1/alarm live alarm"), 5000, "alarm from the outbox");
    expect((a.journal.db.prepare("SELECT count(*) AS n FROM bus_outbox").get() as { n: number }).n).toBe(0);
    expect(a.bus.counters.connects).toBe(2);
  });

  it("tears down a connection on which its own heartbeat stops coming back (watchdog)", async () => {
    broker = await startBroker({ port: 0 });
    const a = agent("mg1", broker.url, { watchdogMs: 600 });
    await a.bus.ready();
    await a.bus.publishState(state("mg1"));
    await until(() => a.bus.counters.received.state !== undefined);
    // The broker goes on accepting mg1's publishes but stops delivering anything to it.
    let drop = true;
    broker.aedes.authorizeForward = (client, packet) => (drop && client.id.startsWith("blackstart-mg1") ? null : packet);
    await until(() => a.bus.counters.watchdogResets >= 1, 5000, "watchdog");
    drop = false;
    await until(() => a.bus.up() && a.bus.counters.connects >= 2, 5000, "reconnect after watchdog");
    expect(rows(a.journal, "SELECT kind FROM events WHERE kind = 'bus-watchdog'")).toHaveLength(1);
  });

  it("keeps a connection whose own echo is late while other packets still arrive, up to 3 watchdog periods (a lossy link)", async () => {
    broker = await startBroker({ port: 0 });
    const a = agent("mg1", broker.url, { watchdogMs: 1000 });
    const b = agent("mg2", broker.url);
    await Promise.all([a.bus.ready(), b.bus.ready()]);
    await a.bus.publishState(state("mg1"));
    await b.bus.publishState(state("mg2"));
    await until(() => a.bus.counters.received.state !== undefined);
    // Only mg1's own state stops coming back to it; mg2's heartbeats (every 100 ms) still do.
    let drop = true;
    broker.aedes.authorizeForward = (client, packet) => (drop && client.id.startsWith("blackstart-mg1") && packet.topic === "blackstart/mg1/state" ? null : packet);
    const since = performance.now();
    await until(() => a.bus.counters.echoLate >= 1, 5000, "echo late");
    // Judged on the agent's own clock: however loaded the machine, no reset before 3 s of silence.
    await new Promise((r) => setTimeout(r, Math.max(0, since + 1800 - performance.now())));
    expect(a.bus.counters.watchdogResets).toBe(0);
    expect(a.bus.up()).toBe(true);
    expect(rows(a.journal, "SELECT kind FROM events WHERE kind = 'bus-echo-late'")).toHaveLength(1);
    // A subscription that never delivers its own topic again is still rebuilt, later.
    await until(() => a.bus.counters.watchdogResets >= 1, 8000, "watchdog after 3 periods");
    drop = false;
    await until(() => a.bus.up() && a.bus.counters.connects >= 2, 5000, "reconnect after watchdog");
  });

  it("passes operator requests to the agent and answers them", async () => {
    broker = await startBroker({ port: 0 });
    const a = agent("mg1", broker.url);
    await a.bus.ready();
    const got: unknown[] = [];
    a.bus.onCommand((c) => void got.push(c));
    const op = await mqtt.connectAsync(broker.url, { clientId: `op-${Date.now()}`, protocolVersion: 4 });
    cleanups.push(() => op.endAsync());
    const answers: unknown[] = [];
    op.on("message", (_t, p) => answers.push(JSON.parse(p.toString())));
    await op.subscribeAsync("blackstart/mg1/response/command", { qos: 1 });
    await op.publishAsync("blackstart/mg1/request/command", JSON.stringify({ v: 1, type: "command", command: "restore", request_id: "op-7", by: "alice", reason: "drill" }), { qos: 1 });
    await until(() => got.length === 1 && answers.length === 1);
    expect(got[0]).toEqual({ command: "restore", by: "bus:alice", request_id: "op-7", reason: "drill" });
    expect(answers[0]).toMatchObject({ type: "command-response", request_id: "op-7", accepted: true, from: "mg1" });
  });

  it("enforces the per-microgrid ACL and refuses clients without credentials", async () => {
    broker = await startBroker({
      port: 0,
      users: { mg1: { password: "p1", role: "agent" }, mg2: { password: "p2", role: "agent" }, ops: { password: "po", role: "operator" }, watch: { password: "pw", role: "observer" } },
    });
    await expect(mqtt.connectAsync(broker.url, { clientId: "anon", protocolVersion: 4, reconnectPeriod: 0 })).rejects.toThrow(/Bad username or password|Not authorized/i);
    await expect(mqtt.connectAsync(broker.url, { clientId: "bad", username: "mg1", password: "nope", protocolVersion: 4, reconnectPeriod: 0 })).rejects.toThrow();
    const a = agent("mg1", broker.url, { username: "mg1", password: "p1" });
    const b = agent("mg2", broker.url, { username: "mg2", password: "p2" });
    await a.bus.ready();
    await b.bus.ready();
    await b.bus.publishState(state("mg2"));
    await until(() => a.bus.peers().find((p) => p.microgrid === "mg2")!.fresh, 5000, "mg2 heard through the ACL");
    // An observer hears everything; mg1 tries to speak for mg2 and to send itself operator requests.
    const seen: string[] = [];
    const obs = await mqtt.connectAsync(broker.url, { clientId: "obs", username: "watch", password: "pw", protocolVersion: 4, reconnectPeriod: 0 });
    cleanups.push(() => obs.endAsync(true));
    obs.on("message", (t, p) => seen.push(`${t} ${p.toString()}`));
    await obs.subscribeAsync("blackstart/#", { qos: 1 });
    for (const [i, topic] of ["blackstart/mg2/state", "blackstart/mg1/request/command"].entries()) {
      const rogue = await mqtt.connectAsync(broker.url, { clientId: `rogue${i}`, username: "mg1", password: "p1", protocolVersion: 4, reconnectPeriod: 0 });
      cleanups.push(() => rogue.endAsync(true));
      rogue.publish(topic, `ROGUE-${i}`, { qos: 0 });
    }
    const legit = await mqtt.connectAsync(broker.url, { clientId: "legit", username: "mg2", password: "p2", protocolVersion: 4, reconnectPeriod: 0 });
    cleanups.push(() => legit.endAsync(true));
    await legit.publishAsync("blackstart/mg2/alarm", "LEGIT", { qos: 1 });
    await until(() => seen.some((x) => x.endsWith("LEGIT")), 3000, "the legitimate publish");
    await new Promise((r) => setTimeout(r, 200));
    expect(seen.filter((x) => x.includes("ROGUE"))).toEqual([]);
    // The operator may send requests, and only requests.
    // (aedes closes a connection that publishes where it may not: one client per attempt.)
    const ops = await mqtt.connectAsync(broker.url, { clientId: "ops", username: "ops", password: "po", protocolVersion: 4, reconnectPeriod: 0 });
    cleanups.push(() => ops.endAsync(true));
    await ops.publishAsync("blackstart/mg1/request/command", "OPS-REQUEST", { qos: 1 });
    const opsRogue = await mqtt.connectAsync(broker.url, { clientId: "ops2", username: "ops", password: "po", protocolVersion: 4, reconnectPeriod: 0 });
    cleanups.push(() => opsRogue.endAsync(true));
    opsRogue.publish("blackstart/mg1/state", "OPS-STATE", { qos: 0 });
    await until(() => seen.some((x) => x.endsWith("OPS-REQUEST")), 3000, "the operator's request");
    await new Promise((r) => setTimeout(r, 200));
    expect(seen.filter((x) => x.includes("OPS-STATE"))).toEqual([]);
  });
});

// Cycle tests of the agent's tick pipeline (OpenEMS style: given these device
// states, after one tick, expect these writes and these journal rows), with the
// real parts: the agent process object over real Modbus TCP to simulated
// reclosers, the real journal (SQLite), the plan policy, the shield.
import { dirname } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startAgent } from "../main.js";
import { recloser } from "./support/recloser.js";
import { rig as rigWith, rows, silent, type RigOptions } from "./support/rig.js";
import { sectionGraph, siteObject, writeSite } from "./support/site-fixture.js";

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const rig = (opts: RigOptions = {}) => rigWith(cleanup, opts);

describe("tick pipeline", () => {
  it("watches without deciding until a restoration is called for", async () => {
    const { agent, operated } = await rig();
    const r = await agent.tick();
    expect(r.session).toBeNull();
    expect(r.decision).toBeUndefined();
    expect(r.switches).toEqual({ "Line.L1": "open", "Line.L2": "open" });
    expect(r.devices).toEqual({ "sw-l1": { ok: true }, "sw-l2": { ok: true } });
    expect(operated).toEqual([]);
  });

  it("while watching journals an observation when something changes (and every watch_interval_s), not every tick", async () => {
    const { agent, bank, journalPath } = await rig();
    for (let i = 0; i < 4; i++) await agent.tick();
    bank.set(2, recloser, "closed", true); // someone closed L2 by hand
    await agent.tick();
    await agent.tick();
    await agent.stop("test");
    const obs = rows<{ tick: number; body: string }>(journalPath, "SELECT tick, body FROM observations ORDER BY id");
    expect(obs.map((o) => o.tick)).toEqual([1, 5]);
    expect(JSON.parse(obs[1]!.body).switches[1]).toMatchObject({ element: "Line.L2", position: "closed" });
  });

  it("on an operator command: closes what the quota carries, vetoes the rest, journals every step", async () => {
    const { agent, bank, operated, journalPath } = await rig();
    agent.restorer.request({ command: "restore", by: "test" });
    const t1 = await agent.tick();
    expect(t1.changes).toEqual([{ kind: "started", session: expect.any(String) }]);
    expect(t1.decision?.actions).toEqual({ "Line.L1": "close", "Line.L2": "noop" });
    expect(t1.decision?.commands).toEqual([{ element: "Line.L1", action: "close", outcome: "confirmed", ms: expect.any(Number) }]);
    // Select then operate, both 'close' (2), on unit 1 only.
    const writes = bank.requests.filter((q) => q.fc === "fc6");
    expect(writes.map((w) => [w.unit, w.address])).toEqual([
      [1, 0],
      [1, 1],
    ]);
    expect(operated).toEqual([{ unit: 1, value: 2 }]);
    expect(t1.served_kw).toBe(200);

    const t2 = await agent.tick();
    expect(t2.switches["Line.L1"]).toBe("closed");
    // The plan now wants L2 closed: 300 kW on 50 kW left of the 250 kW quota.
    expect(t2.decision?.vetoes).toEqual([{ element: "Line.L2", action: "close", rule: "generation", detail: expect.stringContaining("300 kW") }]);
    expect(t2.decision?.commands).toEqual([]);
    expect(operated).toHaveLength(1);

    await agent.stop("test");
    const cmds = rows<{ state: string }>(journalPath, "SELECT state FROM command_states ORDER BY id");
    expect(cmds.map((c) => c.state)).toEqual(["intended", "selected", "written", "confirmed", "resolved"]);
    const verdicts = rows<{ element: string; rule: string; figures: string }>(journalPath, "SELECT element, rule, figures FROM verdicts");
    expect(verdicts).toHaveLength(1);
    expect(JSON.parse(verdicts[0]!.figures)).toMatchObject({ pickup_kw: 300, available_kw: 50, quota_kw: 250, committed_kw: 200 });
    const decisions = rows<{ step: number; shield_input: string }>(journalPath, "SELECT step, shield_input FROM decisions ORDER BY at");
    expect(decisions.map((d) => d.step)).toEqual([0, 1]);
    expect(JSON.parse(decisions[0]!.shield_input).graph).toEqual({ $blob: expect.any(String) });
    const sessions = rows<{ reason: string }>(journalPath, "SELECT reason FROM sessions");
    expect(sessions).toHaveLength(1);
    expect(rows(journalPath, "SELECT * FROM observations").length).toBe(2);
  });

  it("passes the devices' terminal voltages (source and load side, pu of their nominal setting) to the shield", async () => {
    const { agent, bank, journalPath } = await rig();
    // L2's load-side VTs read live (a source beyond it); L1's read dead.
    for (const ph of ["a", "b", "c"]) bank.set(2, recloser, `load_voltage_${ph}`, 2390);
    agent.restorer.request({ command: "restore", by: "test" });
    const t = await agent.tick();
    expect(t.decision?.commands.map((c) => c.element)).toEqual(["Line.L1"]);
    await agent.stop("test");
    const d = rows<{ shield_input: string }>(journalPath, "SELECT shield_input FROM decisions")[0]!;
    const sw = (JSON.parse(d.shield_input) as { switches: { element: string; terminal_pu: [number, number] }[] }).switches;
    // The highest phase of each terminal: a side with any live phase is live.
    expect(sw[0]!.terminal_pu[0]).toBeCloseTo(2402 / 2402, 3);
    expect(sw[0]!.terminal_pu[1]).toBe(0);
    expect(sw[1]!.terminal_pu[1]).toBeCloseTo(2390 / 2402, 3);
  });

  it("ends the session after the episode length and goes back to watching", async () => {
    const { agent } = await rig({ site: { session: { episode_length: 2 } } });
    agent.restorer.request({ command: "restore", by: "test" });
    const a = await agent.tick();
    const b = await agent.tick();
    const c = await agent.tick();
    expect(a.session).toMatchObject({ step: 1, length: 2 });
    expect(b.session).toBeNull();
    expect(b.changes).toEqual([{ kind: "ended", session: a.session!.id, outcome: "complete" }]);
    expect(c.decision).toBeUndefined();
  });

  it("a stuck switch: not seen to move within confirm_ticks -> failed, an alarm, nothing written twice", async () => {
    const { agent, stuck, operated, journalPath } = await rig({ site: { limits: { min_operation_interval_ms: 0, confirm_ticks: 2 } } });
    stuck.add(1);
    agent.restorer.request({ command: "restore", by: "test" });
    const t1 = await agent.tick();
    // External clock: the new position is looked for at the next polls (the bench moves switches between ticks).
    expect(t1.decision?.commands).toEqual([{ element: "Line.L1", action: "close", outcome: "pending", ms: expect.any(Number) }]);
    const t2 = await agent.tick();
    // Still waiting: one operation at a time per switch, so no second write.
    expect(t2.decision?.vetoes.map((v) => `${v.element}/${v.rule}`)).toContain("Line.L1/one-operation");
    await agent.tick();
    expect(agent.restorer.awaitingCount()).toBe(0);
    expect(agent.restorer.servedKw()).toBe(0);
    expect(operated).toEqual([{ unit: 1, value: 2 }]);
    await agent.stop("test");
    const alarms = rows<{ kind: string; detail: string }>(journalPath, "SELECT kind, detail FROM alarms");
    expect(alarms.map((a) => a.kind)).toEqual(["command-failed"]);
    expect(JSON.parse(alarms[0]!.detail)).toMatchObject({ element: "Line.L1", reason: expect.stringContaining("expected 'closed'") });
    expect(rows<{ state: string }>(journalPath, "SELECT state FROM command_states ORDER BY id").map((r) => r.state)).toEqual(["intended", "selected", "written", "failed", "resolved"]);
  });

  it("a device that stops answering: its switch holds (no write), an alarm, the other device carries on", async () => {
    const { agent, bank, operated, journalPath } = await rig();
    await agent.tick();
    bank.hooks.silent = new Set([1]);
    agent.restorer.request({ command: "restore", by: "test" });
    const t = await agent.tick();
    expect(t.devices["sw-l1"]).toMatchObject({ ok: false, error: expect.stringMatching(/^timeout/) });
    expect(t.devices["sw-l2"]).toEqual({ ok: true });
    expect(t.decision?.vetoes.map((v) => `${v.element}/${v.rule}`)).toContain("Line.L1/missing-data");
    expect(t.decision?.commands).toEqual([]);
    expect(operated).toEqual([]);
    await agent.stop("test");
    expect(rows<{ kind: string }>(journalPath, "SELECT kind FROM alarms").map((a) => a.kind)).toContain("device-unreadable");
  });
});

describe("triggers and restarts", () => {
  it("a dead PCC starts a restoration by itself", async () => {
    const { agent, bank } = await rig({ site: { pcc: { device: "sw-l2", nominal_v: 2401.8, confirm_ms: 0 } } });
    const live = await agent.tick();
    expect(live.session).toBeNull();
    for (const v of ["voltage_a", "voltage_b", "voltage_c"]) bank.set(2, recloser, v, 0);
    const t = await agent.tick();
    expect(t.changes).toEqual([{ kind: "started", session: expect.any(String) }]);
    expect(t.decision?.actions["Line.L1"]).toBe("close");
  });

  it("the ledger survives a clean restart (what its closes picked up is still counted)", async () => {
    const r = await rig();
    r.agent.restorer.request({ command: "restore", by: "test" });
    await r.agent.tick();
    expect(r.agent.restorer.servedKw()).toBe(200);
    await r.agent.stop("test");
    const again = await startAgent(r.file, { logDestination: silent() });
    cleanup.push(() => again.stop("test"));
    expect(again.restorer.servedKw()).toBe(200);
  });
});

describe("device exception", () => {
  it("a device answering its reads with an exception: its switch holds (no write), alarm with the kind, the other device carries on", async () => {
    const { agent, bank, operated, journalPath } = await rig();
    await agent.tick();
    bank.hooks.readException = (unit) => (unit === 1 ? 4 : undefined);
    agent.restorer.request({ command: "restore", by: "test" });
    const t = await agent.tick();
    expect(t.devices["sw-l1"]).toMatchObject({ ok: false, error: expect.stringMatching(/^exception: .*exception 4/i) });
    expect(t.devices["sw-l2"]).toEqual({ ok: true });
    expect(t.decision?.vetoes.map((v) => `${v.element}/${v.rule}`)).toContain("Line.L1/missing-data");
    expect(operated).toEqual([]);
    await agent.stop("test");
    const alarms = rows<{ kind: string; detail: string }>(journalPath, "SELECT kind, detail FROM alarms");
    expect(alarms.map((a) => [a.kind, JSON.parse(a.detail).kind])).toEqual([["device-unreadable", "exception"]]);
  });
});

describe("start-up errors", () => {
  it("an HTTP port already taken fails at start naming the field, and leaves the journal closed", async () => {
    const { agent, file } = await rig();
    const taken = agent.httpPort;
    const other = writeSite(siteObject({ clock: "external", http: { port: taken }, journal: { path: "other.db" }, devices: agent.site.config.devices }), { dir: dirname(file) });
    const err = await startAgent(other, { logDestination: silent(), connectWaitMs: 0 }).then(
      () => undefined,
      (e: unknown) => e as Error & { code?: string; location?: { field?: string } },
    );
    expect(err?.code).toBe("BLACKSTART_ERR_AGENT_HTTP_LISTEN");
    expect(err?.location?.field).toBe("http.port");
  });
});

describe("peer bus gone", () => {
  it("falls back to the static quota: no reservation asked, the pick-up beyond it vetoed with bus_up false, readiness says why", async () => {
    const { startBroker } = await import("../bus/index.js");
    const broker = await startBroker({ port: 0, baseTopic: "t" });
    let brokerClosed = false;
    cleanup.push(() => (brokerClosed ? Promise.resolve() : broker.close()));
    const { agent, journalPath } = await rig({ site: { bus: { url: broker.url, base_topic: "t", peer_stale_ms: 1000 } } });
    await agent.tick();
    expect(agent.bus!.up()).toBe(true);
    await broker.close();
    brokerClosed = true;
    const end = Date.now() + 10000;
    while (agent.bus!.up() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(agent.bus!.up()).toBe(false);
    expect(agent.health().reasons).toContain("peer bus down: static quota only");
    agent.restorer.request({ command: "restore", by: "test" });
    const t1 = await agent.tick();
    expect(t1.decision!.commands.map((c) => c.outcome)).toEqual(["confirmed"]);
    const t2 = await agent.tick();
    expect(t2.decision!.vetoes.map((v) => v.rule)).toEqual(["generation"]);
    expect(t2.decision!.reservation).toBeUndefined();
    await agent.stop("test");
    const v = rows<{ figures: string }>(journalPath, "SELECT figures FROM verdicts WHERE rule = 'generation'");
    expect(JSON.parse(v[0]!.figures)).toMatchObject({ bus_up: false, quota_kw: 250, leases_kw: 0 });
  });
});

describe("a decision that waited on the bus", () => {
  it("judges again on fresh readings after a slow reservation, instead of refusing every switch as stale", async () => {
    const { startBroker, PeerBus } = await import("../bus/index.js");
    const broker = await startBroker({ port: 0, baseTopic: "t" });
    cleanup.push(() => broker.close());
    // A second microgrid with nothing to close, so mg1's 300 kW pick-up past its 250 kW quota needs its ack.
    const graph = sectionGraph();
    graph.cap_kw = 1000;
    graph.microgrids.push({ id: "mg2", switches: [], sections: [], units: [], quota_kw: 250 });
    const mg2 = new PeerBus({ microgrid: "mg2", graph, url: broker.url, baseTopic: "t", quotaKw: 250, peerStaleMs: 5000, ackTimeoutMs: 1000 });
    mg2.start();
    cleanup.push(() => mg2.close());
    await mg2.ready();
    await mg2.publishState({ tick: 0, session: null, switches: {}, served_kw: 0, health: "ok" });
    // mg2's first answer to mg1 is lost: mg1's request times out (2 s) and is asked again.
    let dropped = 0;
    broker.aedes.authorizeForward = (client, packet) => (client?.id.startsWith("blackstart-mg1") && packet.topic === "t/mg2/reservation/response" && dropped++ === 0 ? null : packet);
    const { agent, journalPath } = await rig({
      sections: graph,
      site: { bus: { url: broker.url, base_topic: "t", peer_stale_ms: 5000, reservation: { ack_timeout_ms: 1000, ack_timeout_max_ms: 1000, lease_ms: 60_000 } }, poll: { period_ms: 1000, timeout_ms: 300, stale_after_ms: 1500 } },
    });
    const end = Date.now() + 10_000;
    while (!agent.bus!.peers().every((p) => p.fresh)) {
      if (Date.now() > end) throw new Error("mg1 did not see mg2");
      await agent.tick();
      await new Promise((r) => setTimeout(r, 50));
    }
    agent.restorer.request({ command: "restore", by: "test" });
    expect((await agent.tick()).decision!.commands.map((c) => c.outcome)).toEqual(["confirmed"]);
    // L2: 300 kW on 50 kW left; the reservation is granted after the lost answer, more than 1.5 s after the reads.
    const t2 = await agent.tick();
    expect(dropped).toBeGreaterThanOrEqual(2);
    expect(t2.decision!.reservation).toMatchObject({ granted: true, kw: 250 });
    expect(t2.decision!.vetoes).toEqual([]);
    expect(t2.decision!.commands).toEqual([{ element: "Line.L2", action: "close", outcome: "confirmed", ms: expect.any(Number) }]);
    await agent.stop("test");
    const reread = rows<{ detail: string }>(journalPath, "SELECT detail FROM events WHERE kind = 'reread'");
    expect(reread).toHaveLength(1);
    expect(JSON.parse(reread[0]!.detail)).toMatchObject({ stale_after_ms: 1500, changed: [] });
    expect(JSON.parse(reread[0]!.detail).waited_ms).toBeGreaterThanOrEqual(1500);
  });
});

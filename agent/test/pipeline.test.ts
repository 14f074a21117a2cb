// Cycle tests of the agent's tick pipeline (OpenEMS style: given these device
// states, after one tick, expect these writes and these journal rows), with the
// real parts: the agent process object over real Modbus TCP to simulated
// reclosers, the real journal (SQLite), the plan policy, the shield.
import { dirname, join } from "node:path";
import { Writable } from "node:stream";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { startAgent, type RunningAgent } from "../main.js";
import { ModbusBank } from "./support/modbus-bank.js";
import { fillRecloser, sboLogic } from "./support/recloser.js";
import { siteObject, writeSite } from "./support/site-fixture.js";

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const silent = () => new Writable({ write: (_c, _e, cb) => cb() });

async function rig(opts: { closed?: [boolean, boolean]; site?: Record<string, unknown> } = {}) {
  const bank = new ModbusBank();
  const [c1, c2] = opts.closed ?? [false, false];
  fillRecloser(bank, 1, c1);
  fillRecloser(bank, 2, c2);
  const operated: { unit: number; value: number }[] = [];
  const stuck = new Set<number>();
  sboLogic(bank, { operated, stuck });
  const port = await bank.start();
  cleanup.push(() => bank.stop());
  const tcp = (unit: number) => ({ kind: "modbus-tcp", host: "127.0.0.1", port, unit_id: unit, timeout_ms: 200 });
  const file = writeSite(
    siteObject({
      clock: "external",
      devices: [
        { id: "sw-l1", profile: "recloser-modbus", transport: tcp(1) },
        { id: "sw-l2", profile: "recloser-modbus", transport: tcp(2) },
      ],
      http: { port: 0 },
      poll: { period_ms: 1000, timeout_ms: 300 },
      limits: { min_operation_interval_ms: 0, confirm_timeout_ms: 500 },
      ...opts.site,
    }),
  );
  const agent = await startAgent(file, { logDestination: silent() });
  cleanup.push(() => agent.stop("test end"));
  await waitConnected(agent);
  const journalPath = join(dirname(file), "journal.db");
  return { bank, operated, stuck, agent, file, journalPath };
}

async function waitConnected(agent: RunningAgent): Promise<void> {
  const end = Date.now() + 5000;
  while (!agent.devices.every((d) => d.status().state === "connected")) {
    if (Date.now() > end) throw new Error("devices did not connect");
    await new Promise((r) => setTimeout(r, 10));
  }
}

function rows<T>(path: string, sql: string): T[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

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

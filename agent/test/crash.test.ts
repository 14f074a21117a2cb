// kill -9 of the agent process in each command state, then a restart: the
// journal passes PRAGMA integrity_check, and the command left in flight is
// settled by reading the device, never by writing it again. The agent runs
// as a real process (`blackstart agent`), its devices are simulated reclosers
// on a real Modbus TCP server in this test process, and the test drives its
// ticks over HTTP (clock: external), as the bench does.
import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../test/support/paths.js";
import { freePort, ModbusBank } from "./support/modbus-bank.js";
import { fillRecloser, recloser, sboLogic } from "./support/recloser.js";
import { siteObject, writeSite } from "./support/site-fixture.js";

const BIN = resolve(REPO_ROOT, "bin/blackstart.mjs");
const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

interface Proc {
  child: ChildProcess;
  out: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function spawnAgent(file: string): Proc {
  const child = spawn(process.execPath, [BIN, "agent", "--config", file], { stdio: ["ignore", "pipe", "pipe"], cwd: REPO_ROOT });
  const out: string[] = [];
  child.stdout!.on("data", (d: Buffer) => out.push(d.toString()));
  child.stderr!.on("data", (d: Buffer) => out.push(d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on("exit", (code, signal) => r({ code, signal })));
  cleanup.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    return exited;
  });
  return { child, out, exited };
}

async function until<T>(what: string, f: () => T | undefined | Promise<T | undefined>, ms = 15000, proc?: Proc): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${proc ? `\n--- agent output ---\n${proc.out.join("").slice(-3000)}` : ""}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function http(port: number, method: string, path: string): Promise<{ status: number; body: unknown }> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  const text = await r.text();
  return { status: r.status, body: text.startsWith("{") ? JSON.parse(text) : text };
}

function query<T>(db: string, sql: string): T[] {
  const d = new Database(db, { readonly: true, fileMustExist: true });
  try {
    return d.prepare(sql).all() as T[];
  } finally {
    d.close();
  }
}

async function rig(clock: "external" | "realtime" = "external") {
  const bank = new ModbusBank();
  fillRecloser(bank, 1, false);
  fillRecloser(bank, 2, false);
  const operated: { unit: number; value: number }[] = [];
  const sbo = { operated, operateTimeMs: 0 };
  sboLogic(bank, sbo);
  const port = await bank.start();
  cleanup.push(() => bank.stop());
  const httpPort = await freePort();
  const tcp = (unit: number) => ({ kind: "modbus-tcp", host: "127.0.0.1", port, unit_id: unit, timeout_ms: 300 });
  const file = writeSite(
    siteObject({
      clock,
      devices: [
        { id: "sw-l1", profile: "recloser-modbus", transport: tcp(1) },
        { id: "sw-l2", profile: "recloser-modbus", transport: tcp(2) },
      ],
      http: { port: httpPort },
      poll: { period_ms: 1000, timeout_ms: 400, backoff_min_ms: 50, backoff_max_ms: 200 },
      limits: { min_operation_interval_ms: 0, confirm_timeout_ms: 4000 },
      log: { level: "debug" },
    }),
  );
  return { bank, sbo, operated, httpPort, file, db: join(dirname(file), "journal.db") };
}

type Rig = Awaited<ReturnType<typeof rig>>;

async function startAndWait(r: Rig): Promise<Proc> {
  const p = spawnAgent(r.file);
  await until("agent HTTP", async () => (await http(r.httpPort, "GET", "/healthz/live").catch(() => ({ status: 0 }))).status === 200 || undefined, 20000, p);
  return p;
}

/** Start the agent, ask it to restore, fire one tick and kill -9 it when its command reaches `state`. */
async function killIn(r: Rig, state: string): Promise<void> {
  const p = await startAndWait(r);
  expect((await http(r.httpPort, "POST", "/restore")).status).toBe(202);
  // Drive ticks, as the bench does, until the command reaches the state (the kill ends the loop).
  let killed = false;
  void (async () => {
    while (!killed) await http(r.httpPort, "POST", "/tick").catch(() => undefined);
  })();
  await until(`command state ${state}`, () => query<{ state: string }>(r.db, "SELECT state FROM commands").find((c) => c.state === state), 15000, p);
  killed = true;
  p.child.kill("SIGKILL");
  expect((await p.exited).signal).toBe("SIGKILL");
  expect(query<{ integrity_check: string }>(r.db, "PRAGMA integrity_check")).toEqual([{ integrity_check: "ok" }]);
}

function history(db: string): string[] {
  return query<{ state: string }>(db, "SELECT state FROM command_states ORDER BY id").map((s) => s.state);
}

/** Restart and wait until no command is left short of resolved. */
async function restartAndSettle(r: Rig): Promise<Proc> {
  const p = await startAndWait(r);
  await until("commands resolved", () => (query<{ n: number }>(r.db, "SELECT count(*) AS n FROM commands WHERE state <> 'resolved'")[0]!.n === 0 ? true : undefined), 15000, p);
  return p;
}

const OPERATE = recloser.byRef.get("ctl_operate")!.address!;
const SELECT = recloser.byRef.get("ctl_select")!.address!;

describe("kill -9 in each command state, then restart", () => {
  it("intended (select not yet acknowledged): the switch did not move -> failed, resolved, nothing written again", async () => {
    const r = await rig();
    r.bank.hooks.writeDelayMs = (_u, addr) => (addr === SELECT ? 60_000 : 0);
    await killIn(r, "intended");
    r.bank.hooks.writeDelayMs = undefined;
    const writesBefore = r.bank.requests.filter((q) => q.fc === "fc6").length;
    const p = await restartAndSettle(r);
    expect(history(r.db)).toEqual(["intended", "failed", "resolved"]);
    expect(r.operated).toEqual([]);
    expect(r.bank.requests.filter((q) => q.fc === "fc6").length).toBe(writesBefore);
    p.child.kill("SIGTERM");
    expect((await p.exited).code).toBe(0);
  }, 60_000);

  it("selected (operate sent, the device acts after the agent died): read as closed -> confirmed, resolved, committed to the ledger", async () => {
    const r = await rig();
    r.bank.hooks.writeDelayMs = (_u, addr) => (addr === OPERATE ? 1500 : 0);
    await killIn(r, "selected");
    // The operate was on the wire: the device carries it out although nobody waits for the answer.
    await until("device closed", () => (r.operated.length === 1 ? true : undefined));
    r.bank.hooks.writeDelayMs = undefined;
    const p = await restartAndSettle(r);
    expect(history(r.db)).toEqual(["intended", "selected", "confirmed", "resolved"]);
    expect(r.operated).toEqual([{ unit: 1, value: 2 }]);
    const state = (await http(r.httpPort, "GET", "/state")).body as { served_kw: number };
    expect(state.served_kw).toBe(200);
    p.child.kill("SIGTERM");
    expect((await p.exited).code).toBe(0);
  }, 60_000);

  it("written (waiting for the read-back; the mechanism is slow): read after restart -> confirmed, resolved", async () => {
    const r = await rig();
    r.sbo.operateTimeMs = 1500;
    await killIn(r, "written");
    const p = await restartAndSettle(r);
    expect(history(r.db)).toEqual(["intended", "selected", "written", "confirmed", "resolved"]);
    expect(r.operated).toHaveLength(1);
    p.child.kill("SIGTERM");
    await p.exited;
  }, 60_000);

  it("unknown (device unreadable after the write): stays unknown while unreadable, the agent holds; settled when the device answers again", async () => {
    const r = await rig();
    // After the operate the device goes silent: the read-back cannot tell.
    r.bank.hooks.writeDelayMs = (unit, addr) => {
      if (addr === OPERATE) setTimeout(() => (r.bank.hooks.silent = new Set([unit])), 0);
      return 0;
    };
    await killIn(r, "unknown");
    r.bank.hooks.writeDelayMs = undefined;
    const p = await startAndWait(r);
    const health = await until("holding", async () => {
      const h = await http(r.httpPort, "GET", "/healthz");
      const reasons = (h.body as { reasons: string[] }).reasons;
      return reasons.some((x) => x.includes("unknown outcome: holding")) ? h : undefined;
    });
    expect(health.status).toBe(503);
    expect(query<{ state: string }>(r.db, "SELECT state FROM commands")).toEqual([{ state: "unknown" }]);
    // The device answers again: the next tick settles the command by reading it.
    r.bank.hooks.silent = undefined;
    await until("device back", async () => {
      const t = (await http(r.httpPort, "POST", "/tick")).body as { devices: Record<string, { ok: boolean }> };
      return t.devices["sw-l1"]?.ok ? true : undefined;
    });
    await until("settled", () => (query<{ state: string }>(r.db, "SELECT state FROM commands")[0]!.state === "resolved" ? true : undefined));
    expect(history(r.db)).toEqual(["intended", "selected", "written", "unknown", "confirmed", "resolved"]);
    expect(r.operated).toHaveLength(1);
    p.child.kill("SIGTERM");
    expect((await p.exited).code).toBe(0);
  }, 60_000);

  it("confirmed and failed (outcome journaled, not yet resolved): resolved on restart without touching the device", async () => {
    const r = await rig();
    // Leave the journal exactly as a crash between two commits would: through the journal's own API.
    const { Journal } = await import("../journal/index.js");
    const j = Journal.open(r.db, { microgrid: "mg1", scenario: "tiny" });
    j.commandIntended({ decisionId: "d-crash-1", element: "Line.L1", action: "close", device: "sw-l1", id: "c-confirmed" });
    j.commandState("c-confirmed", "selected");
    j.commandState("c-confirmed", "written");
    j.commandState("c-confirmed", "confirmed", { readbacks: 1 });
    j.commandIntended({ decisionId: "d-crash-1", element: "Line.L2", action: "close", device: "sw-l2", id: "c-failed" });
    j.commandState("c-failed", "failed", { reason: "stuck" });
    j.close();
    const writesBefore = r.bank.requests.filter((q) => q.fc === "fc6" || q.fc === "fc16").length;
    const p = await restartAndSettle(r);
    const states = query<{ command_id: string; state: string }>(r.db, "SELECT command_id, state FROM command_states ORDER BY id");
    expect(states.filter((s) => s.command_id === "c-confirmed").map((s) => s.state)).toEqual(["intended", "selected", "written", "confirmed", "resolved"]);
    expect(states.filter((s) => s.command_id === "c-failed").map((s) => s.state)).toEqual(["intended", "failed", "resolved"]);
    expect(r.bank.requests.filter((q) => q.fc === "fc6" || q.fc === "fc16").length).toBe(writesBefore);
    p.child.kill("SIGTERM");
    expect((await p.exited).code).toBe(0);
  }, 60_000);
});

describe("SIGTERM", () => {
  it("finishes the command in flight (realtime clock: its read-back), flushes the journal and exits 0", async () => {
    const r = await rig("realtime");
    r.sbo.operateTimeMs = 800;
    const p = await startAndWait(r);
    await http(r.httpPort, "POST", "/restore");
    await until("written", () => query<{ state: string }>(r.db, "SELECT state FROM commands").find((c) => c.state === "written"), 15000, p);
    p.child.kill("SIGTERM");
    const exit = await p.exited;
    expect(exit.code).toBe(0);
    expect(history(r.db)).toEqual(["intended", "selected", "written", "confirmed", "resolved"]);
    const events = query<{ kind: string }>(r.db, "SELECT kind FROM events ORDER BY id").map((e) => e.kind);
    expect(events.at(-1)).toBe("agent-stop");
    expect(query<{ n: number }>(r.db, "SELECT count(*) AS n FROM observations")[0]!.n).toBeGreaterThan(0);
  }, 60_000);
});

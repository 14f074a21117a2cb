import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../../test/support/paths.js";
import { COMMAND_STATES, COMMAND_TRANSITIONS, exportJournal, Journal, migrate, openJournalForReading, SCHEMA_VERSION, schemaVersion, type CommandState } from "../index.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "journal-test-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function clock(start = Date.UTC(2026, 10, 1)) {
  const c = { t: start, now: () => c.t };
  return c;
}

describe("journal", () => {
  it("opens in WAL mode with synchronous=FULL and a journal size limit", () => {
    const j = Journal.open(join(dir, "a.db"), { microgrid: "mg1", journalSizeLimitBytes: 8 << 20, maintenanceIntervalMs: 0 });
    expect(j.db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(j.db.pragma("synchronous", { simple: true })).toBe(2); // FULL
    expect(j.db.pragma("journal_size_limit", { simple: true })).toBe(8 << 20);
    expect(schemaVersion(j.db)).toBe(SCHEMA_VERSION);
    expect(j.meta()).toMatchObject({ microgrid: "mg1", schema_version: String(SCHEMA_VERSION) });
    j.close();
  });

  it("walks a command through its states, each durable, and refuses a step back", () => {
    const j = Journal.open(join(dir, "a.db"), { microgrid: "mg1", maintenanceIntervalMs: 0 });
    const id = j.commandIntended({ decisionId: "d1", element: "Line.a", action: "close", device: "rec1", reservationId: "r-mg1-1" });
    expect(id).toBe("d1/Line.a");
    j.commandState(id, "selected");
    j.commandState(id, "written", { register: 40001 });
    expect(j.unresolved().map((c) => [c.id, c.state, c.reservationId])).toEqual([["d1/Line.a", "written", "r-mg1-1"]]);
    expect(() => j.commandState(id, "intended")).toThrow(/cannot go from written to intended/);
    j.commandState(id, "confirmed", { readbacks: 2 });
    j.commandState(id, "resolved", { outcome: "confirmed" });
    expect(() => j.commandState(id, "unknown")).toThrow(/BLACKSTART_ERR_JOURNAL_TRANSITION/);
    expect(() => j.commandState("nope", "written")).toThrow(/no command 'nope'/);
    expect(j.commandHistory(id).map((h) => h.state)).toEqual(["intended", "selected", "written", "confirmed", "resolved"]);
    expect(j.commandHistory(id)[2]!.detail).toEqual({ register: 40001 });
    expect(j.unresolved()).toEqual([]);
    // The same command id twice is a bug in the caller, not a second command.
    expect(() => j.commandIntended({ decisionId: "d1", element: "Line.a", action: "close" })).toThrow(/UNIQUE/);
    j.close();
  });

  it("allows a write error to skip `written`, and settles `unknown` by a read", () => {
    const j = Journal.open(join(dir, "a.db"), { maintenanceIntervalMs: 0 });
    const id = j.commandIntended({ decisionId: "d2", element: "Line.b", action: "open" });
    j.commandState(id, "unknown", { write_error: "timeout" });
    j.commandState(id, "confirmed", { by: "read-back after restart" });
    j.commandState(id, "resolved");
    expect(j.command(id)!.state).toBe("resolved");
    // Every state can reach resolved, and resolved leads nowhere.
    for (const s of COMMAND_STATES) {
      const reach = (from: CommandState, seen = new Set<CommandState>()): boolean =>
        from === "resolved" || COMMAND_TRANSITIONS[from].some((n) => !seen.has(n) && reach(n, new Set([...seen, n])));
      expect(reach(s)).toBe(true);
    }
    j.close();
  });

  it("keeps a decision's full inputs, stores its graph once, and gives the logits back bit for bit", () => {
    const j = Journal.open(join(dir, "a.db"), { microgrid: "mg1", maintenanceIntervalMs: 0 });
    const logits = Float32Array.from([0.1, -2.5, 3.3333333, 1e-7, NaN, -Infinity, 7]);
    const graph = { format: "blackstart-sections/1", sections: [{ id: "s0", load_kw: 1 }] };
    const ids = [1, 2].map((tick) =>
      j.decision(tick, {
        session: "sess-1",
        step: tick,
        policy: { kind: "onnx", label: "happo-123", manifest_sha256: "ab".repeat(32) },
        observation: Float32Array.from([1, 0]),
        logits,
        mask: Uint8Array.from([1, 1, 1, 0, 1, 1]),
        actions: Int32Array.from([0, 2]),
        shieldInput: { now_ms: 1000 * tick, microgrid: "mg1", graph },
        verdicts: [{ element: "Line.b", action: "close", rule: "generation", detail: "too much", values: { pickup_kw: 300, available_kw: 60 } }],
        outcome: { admitted: [{ element: "Line.a", action: "close", pickup_kw: 100 }] },
      }),
    );
    expect(new Set(ids).size).toBe(2);
    expect((j.db.prepare("SELECT count(*) AS n FROM blobs").get() as { n: number }).n).toBe(1);
    const d = j.readDecision(ids[1]!)!;
    expect(Float32Array.from(d.logits)).toEqual(logits);
    expect(d.mask).toEqual([1, 1, 1, 0, 1, 1]);
    expect(d.shieldInput).toEqual({ now_ms: 2000, microgrid: "mg1", graph });
    expect(d.verdicts).toEqual([{ element: "Line.b", action: "close", rule: "generation", detail: "too much", values: { pickup_kw: 300, available_kw: 60 } }]);
    expect(d).toMatchObject({ tick: 2, session: "sess-1", step: 2, policy: { kind: "onnx" }, actions: [0, 2] });
    j.close();
  });

  it("batches observations and peer messages, and flushes them with the next durable write", () => {
    const j = Journal.open(join(dir, "a.db"), { batchRows: 100, batchMs: 60_000, maintenanceIntervalMs: 0 });
    const count = (t: string) => (j.db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
    for (let i = 0; i < 10; i++) j.observation(i, { v: i });
    j.peerMessage({ direction: "in", topic: "blackstart/mg2/state", peer: "mg2", type: "state", valid: true, body: { tick: 4 }, view: 7 });
    expect(count("observations")).toBe(0);
    j.event("session-start", { reason: "pcc dead" });
    expect(count("observations")).toBe(10);
    expect(count("peer_messages")).toBe(1);
    for (let i = 0; i < 100; i++) j.observation(i, { v: i });
    expect(count("observations")).toBe(110); // a full batch writes itself
    j.close();
  });

  it("records reservations on both sides, refuses to reopen a final one, and lists leases held", () => {
    const j = Journal.open(join(dir, "a.db"), { maintenanceIntervalMs: 0 });
    const own = { id: "r-mg1-1", requester: "mg1", kw: 300, view: 42, leaseMs: 60_000, role: "own" as const };
    j.reservation(own, "requested");
    j.reservation(own, "granted", { acks: ["mg2", "mg3"] });
    const peer = { id: "r-mg2-1", requester: "mg2", kw: 300, view: 42, leaseMs: 60_000, role: "peer" as const };
    j.reservation(peer, "received");
    j.reservation(peer, "nacked", { reason: "no headroom", headroom_kw: 0 });
    expect(() => j.reservation(peer, "held")).toThrow(/nacked already/);
    expect(j.heldReservations().map((r) => [r.id, r.kw, r.view])).toEqual([["r-mg1-1", 300, 42]]);
    j.reservation(own, "released");
    expect(j.heldReservations()).toEqual([]);
    const a = j.alarm("device-timeout", { device: "rec1" });
    expect(j.activeAlarms().map((x) => x.kind)).toEqual(["device-timeout"]);
    j.clearAlarm(a);
    expect(j.activeAlarms()).toEqual([]);
    j.sessionStarted("s1", "pcc-dead");
    j.sessionEnded("s1", "completed", { steps: 15 });
    expect(j.db.prepare("SELECT outcome, detail FROM sessions").get()).toEqual({ outcome: "completed", detail: '{"steps":15}' });
    j.close();
  });

  it("refuses another microgrid's journal, a newer schema, and a file that is not a journal", () => {
    const p = join(dir, "a.db");
    Journal.open(p, { microgrid: "mg1", maintenanceIntervalMs: 0 }).close();
    expect(() => Journal.open(p, { microgrid: "mg2" })).toThrow(/belongs to microgrid 'mg1', not 'mg2'/);
    const newer = join(dir, "newer.db");
    Journal.open(newer, { maintenanceIntervalMs: 0 }).close();
    const raw = new Database(newer);
    raw.pragma("user_version = 99");
    raw.close();
    expect(() => Journal.open(newer)).toThrow(/BLACKSTART_ERR_JOURNAL_NEWER.*schema version 99; this blackstart reads up to/);
    expect(() => openJournalForReading(newer)).toThrow(/schema version 99/);
    const other = join(dir, "other.db");
    const o = new Database(other);
    o.exec("CREATE TABLE t(x)");
    o.close();
    expect(() => Journal.open(other)).toThrow(/not a blackstart journal/);
    const text = join(dir, "text.db");
    writeFileSync(text, "this is not sqlite at all, just some text that is long enough to look like a header........\n".repeat(10));
    expect(() => Journal.open(text)).toThrow(/BLACKSTART_ERR_JOURNAL_OPEN/);
  });
});

describe("schema migrations", () => {
  /** A journal as version 1 wrote it (steps up to 1 only), with rows in v1's columns. */
  function writeV1(path: string): void {
    const db = new Database(path);
    db.pragma("journal_mode = WAL");
    migrate(db, 1);
    db.prepare("INSERT INTO meta(key, value) VALUES ('microgrid', 'mg1')").run();
    db.prepare("INSERT INTO commands(id, decision_id, element, device, action, state, created_at, updated_at) VALUES ('d1/Line.a', 'd1', 'Line.a', 'rec1', 'close', 'written', 1, 1)").run();
    db.prepare("INSERT INTO command_states(command_id, state, at) VALUES ('d1/Line.a', 'intended', 1), ('d1/Line.a', 'written', 1)").run();
    db.prepare(
      "INSERT INTO decisions(id, at, tick, policy, observation, logits, actions, shield_input, outcome) VALUES ('d1', 1, 3, '{\"kind\":\"plan\"}', '[1]', '[0,-20,-20]', '[0]', '{\"now_ms\":5}', 'null')",
    ).run();
    db.prepare("INSERT INTO peer_messages(at, direction, topic, valid, body) VALUES (1, 'in', 'blackstart/mg2/state', 1, '{}')").run();
    db.close();
  }

  it("opens an older journal: backs it up, migrates it, keeps its rows", () => {
    const p = join(dir, "old.db");
    writeV1(p);
    const j = Journal.open(p, { microgrid: "mg1", maintenanceIntervalMs: 0 });
    expect(schemaVersion(j.db)).toBe(SCHEMA_VERSION);
    expect(existsSync(`${p}.v1.bak`)).toBe(true);
    // The command left in flight by the old version is still there to be resolved, and can draw on reservations now.
    expect(j.unresolved().map((c) => [c.id, c.state, c.reservationId])).toEqual([["d1/Line.a", "written", null]]);
    j.commandState("d1/Line.a", "unknown", { by: "restart" });
    expect(j.readDecision("d1")).toMatchObject({ tick: 3, logits: [0, -20, -20], shieldInput: { now_ms: 5 } });
    j.reservation({ id: "r1", requester: "mg1", kw: 10, role: "own" }, "requested");
    j.close();
    const backup = new Database(`${p}.v1.bak`, { readonly: true });
    expect(schemaVersion(backup)).toBe(1);
    backup.close();
  });

  it("reads an older journal for export without changing the file", async () => {
    const p = join(dir, "old.db");
    writeV1(p);
    const before = readFileSync(p);
    const r = openJournalForReading(p);
    expect(r.writtenVersion).toBe(1);
    expect(schemaVersion(r.db)).toBe(SCHEMA_VERSION);
    r.close();
    const out = join(dir, "old.jsonl");
    const s = await exportJournal(p, { format: "jsonl", out });
    expect(s.writtenVersion).toBe(1);
    expect(s.rows.commands).toBe(1);
    expect(s.rows.reservations).toBe(0);
    expect(readFileSync(p).equals(before)).toBe(true);
    const db = new Database(p, { readonly: true });
    expect(schemaVersion(db)).toBe(1);
    db.close();
  });
});

describe("retention and checkpoints", () => {
  it("prunes observations, peer messages and events past retention, keeps decisions and unresolved commands", () => {
    const c = clock();
    const j = Journal.open(join(dir, "a.db"), { retentionDays: 7, recordRetentionDays: 30, maintenanceIntervalMs: 0, now: c.now });
    const count = (t: string) => (j.db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
    for (let i = 0; i < 5; i++) j.observation(i, { i });
    j.peerMessage({ direction: "in", topic: "t", valid: false, reason: "schema", body: "garbage" });
    j.event("old", {});
    const d = j.decision(1, { policy: { kind: "plan" }, observation: [], logits: [], actions: [], shieldInput: {}, verdicts: [{ element: "x", action: "close", rule: "faulted", values: {} }] });
    const open = j.commandIntended({ decisionId: d, element: "Line.a", action: "close" });
    const done = j.commandIntended({ decisionId: d, element: "Line.b", action: "open" });
    j.commandState(done, "written");
    j.commandState(done, "confirmed");
    j.commandState(done, "resolved");
    c.t += 8 * 86_400_000;
    j.observation(99, { recent: true });
    expect(j.prune()).toBe(7);
    expect(count("observations")).toBe(1);
    expect(count("decisions")).toBe(1);
    c.t += 30 * 86_400_000;
    j.prune();
    expect(count("decisions")).toBe(0);
    expect(count("verdicts")).toBe(0);
    expect(j.command(done)).toBeUndefined();
    expect(j.command(open)!.state).toBe("intended"); // never pruned before it is resolved
    j.close();
  });

  it("caps the row count of observations", () => {
    const j = Journal.open(join(dir, "a.db"), { maxRows: 50, batchRows: 500, maintenanceIntervalMs: 0 });
    for (let i = 0; i < 120; i++) j.observation(i, { i });
    j.prune();
    const rows = j.db.prepare("SELECT tick FROM observations ORDER BY id").all() as { tick: number }[];
    expect(rows.length).toBe(50);
    expect(rows[0]!.tick).toBe(70);
    j.close();
  });

  it("reports a checkpoint a reader kept busy, and truncates the WAL once the reader is gone", () => {
    const p = join(dir, "a.db");
    const j = Journal.open(p, { maintenanceIntervalMs: 0 });
    for (let i = 0; i < 50; i++) j.event("e", { i, pad: "x".repeat(500) });
    const reader = new Database(p, { readonly: true });
    reader.exec("BEGIN");
    reader.prepare("SELECT count(*) FROM events").get(); // holds a snapshot
    for (let i = 0; i < 50; i++) j.event("e", { i, pad: "y".repeat(500) });
    const busy = j.checkpoint();
    expect(busy.busy).toBe(1);
    expect(j.stats().checkpointsBusy).toBe(1);
    reader.exec("COMMIT");
    reader.close();
    const ok = j.checkpoint();
    expect(ok.busy).toBe(0);
    expect(j.stats().walBytes).toBe(0);
    j.close();
  });
});

describe("crash safety", () => {
  /** Run the writer child on `p` and SIGKILL it once it has printed `after` durable steps. */
  async function killWriterAfter(p: string, after: number): Promise<Map<string, string>> {
    const child = spawn(process.execPath, [resolve(REPO_ROOT, "bin/run-ts.mjs"), resolve(REPO_ROOT, "agent/journal/test/support/writer.ts"), p], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const printed = new Map<string, string>();
    let buf = "";
    let steps = 0;
    await new Promise<void>((res, rej) => {
      child.on("error", rej);
      child.on("exit", (code) => rej(new Error(`writer exited early with ${code}`)));
      child.stdout!.on("data", (chunk: Buffer) => {
        buf += chunk.toString();
        let nl: number;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const [id, state] = buf.slice(0, nl).split(" ");
          buf = buf.slice(nl + 1);
          if (state) {
            printed.set(id!, state);
            steps++;
          }
        }
        if (steps >= after && child.exitCode === null && !child.killed) {
          child.removeAllListeners("exit");
          child.once("exit", () => res());
          child.kill("SIGKILL"); // while it keeps writing: mid-transaction more often than not
        }
      });
    });
    return printed;
  }

  it("survives kill -9 mid-write, again and again: integrity ok, every printed state is there, no half command", async () => {
    const p = join(dir, "crash.db");
    const printed = new Map<string, string>();
    for (const after of [40, 150, 333]) for (const [k, v] of await killWriterAfter(p, after)) printed.set(k, v);
    const j = Journal.open(p, { microgrid: "mg1", maintenanceIntervalMs: 0 });
    expect(j.integrityCheck()).toEqual(["ok"]);
    const order = (s: string) => ["intended", "written", "confirmed", "resolved"].indexOf(s);
    for (const [id, state] of printed) {
      const c = j.command(id);
      expect(c, id).toBeDefined();
      expect(order(c!.state)).toBeGreaterThanOrEqual(order(state));
    }
    // Each command's recorded state is the last of its history, and the history is a legal path.
    const all = j.db.prepare("SELECT id, state FROM commands").all() as { id: string; state: CommandState }[];
    expect(all.length).toBeGreaterThanOrEqual(3);
    for (const c of all) {
      const h = j.commandHistory(c.id).map((x) => x.state);
      expect(h[0]).toBe("intended");
      expect(h[h.length - 1]).toBe(c.state);
      for (let i = 1; i < h.length; i++) expect(COMMAND_TRANSITIONS[h[i - 1]!]).toContain(h[i]);
    }
    // Every decision that made it is whole (its verdict with it), and its graph blob is there.
    const broken = j.db
      .prepare("SELECT count(*) AS n FROM decisions d WHERE NOT EXISTS (SELECT 1 FROM verdicts v WHERE v.decision_id = d.id)")
      .get() as { n: number };
    expect(broken.n).toBe(0);
    const last = j.db.prepare("SELECT id FROM decisions ORDER BY rowid DESC LIMIT 1").get() as { id: string };
    expect((j.readDecision(last.id)!.shieldInput as { graph: { sections: unknown[] } }).graph.sections).toHaveLength(200);
    j.close();
  });
});

describe("export", () => {
  function sample(p: string): void {
    const j = Journal.open(p, { microgrid: "mg1", maintenanceIntervalMs: 0 });
    j.observation(1, { v: 1 });
    const d = j.decision(1, {
      policy: { kind: "plan" },
      observation: [1],
      logits: [1, 2, 3],
      actions: [0],
      shieldInput: { graph: { a: 1 } },
      verdicts: [{ element: "Line.a", action: "close", rule: "dead-bus", detail: 'both "live", really', values: { pu: 1 } }],
    });
    const c = j.commandIntended({ decisionId: d, element: "Line.a", action: "close" });
    j.commandState(c, "written");
    j.close();
  }

  it("writes JSON lines with each row's table and parsed JSON columns", async () => {
    const p = join(dir, "a.db");
    sample(p);
    const out = join(dir, "a.jsonl");
    const s = await exportJournal(p, { format: "jsonl", out });
    const lines = readFileSync(out, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(s.rows).toMatchObject({ observations: 1, decisions: 1, verdicts: 1, commands: 1, command_states: 2 });
    const dec = lines.find((l) => l.table === "decisions")!;
    expect(dec.logits).toEqual([1, 2, 3]);
    expect(dec.shield_input).toEqual({ graph: { $blob: expect.stringMatching(/^[0-9a-f]{64}$/) } });
    expect(lines.filter((l) => l.table === "command_states").map((l) => l.state)).toEqual(["intended", "written"]);
  });

  it("writes CSV, one file per table, quoting as RFC 4180 says", async () => {
    const p = join(dir, "a.db");
    sample(p);
    await exportJournal(p, { format: "csv", out: join(dir, "csv") });
    const v = readFileSync(join(dir, "csv", "verdicts.csv"), "utf8");
    expect(v.split("\r\n")[0]).toBe("id,decision_id,at,element,action,rule,detail,figures");
    expect(v).toContain(`"both ""live"", really","{""pu"":1}"`);
    expect(existsSync(join(dir, "csv", "reservations.csv"))).toBe(true);
    await expect(exportJournal(p, { format: "csv" })).rejects.toThrow(/needs exactly one --table/);
    await expect(exportJournal(p, { format: "jsonl", tables: ["decisons"] })).rejects.toThrow(/unknown table 'decisons' \(closest: decisions/);
    await expect(exportJournal(join(dir, "missing.db"), { format: "jsonl" })).rejects.toThrow(/FILE_NOT_FOUND/);
  });
});

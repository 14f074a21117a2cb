// The agent's journal of record: one SQLite file (better-sqlite3, WAL) per
// agent, written by this process only. Every command state and reservation
// state is its own transaction, committed with synchronous=FULL before the
// caller acts on it, so a crash or a power cut leaves either the state before
// or the state after, never half. Observations and peer messages are batched
// (they are many and may be lost by the last batch on a crash); a batch rides
// along with the next durable write or is flushed on a timer.
// Bounded: old observations, peer messages and events are pruned in small
// steps, `journal_size_limit` caps the WAL left after a checkpoint, and a
// periodic wal_checkpoint(TRUNCATE) reports when a reader kept it busy.
import { createHash, randomBytes } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import Database from "better-sqlite3";
import { BlackstartError } from "../../shared/errors.js";
import { JournalErrors } from "./errors.js";
import {
  COMMAND_TRANSITIONS,
  reservationFinal,
  type CommandRecord,
  type CommandState,
  type CommandStateRecord,
  type DecisionInput,
  type DecisionRecord,
  type PeerMessageInput,
  type ReservationRecord,
  type ReservationState,
  type VerdictInput,
} from "./records.js";
import { migrate, SCHEMA_VERSION, schemaVersion } from "./schema.js";
import type { ReservationRecordRef } from "../../shared/bus/reservation.js";

export interface JournalOptions {
  /** The agent's microgrid: recorded at creation, checked on every later open. */
  microgrid?: string;
  scenario?: string;
  /** Observations, peer messages and events older than this are pruned. */
  retentionDays?: number;
  /** Decisions, verdicts, resolved commands, final reservations and cleared alarms older than this are pruned. */
  recordRetentionDays?: number;
  /** Keep at most this many observations and peer messages each (oldest go first). */
  maxRows?: number;
  /** WAL size (bytes) left after a checkpoint. */
  journalSizeLimitBytes?: number;
  /** Batched rows are written when this many wait, or after this long. */
  batchRows?: number;
  batchMs?: number;
  /** Prune and checkpoint this often (0: only when `maintain()` is called). */
  maintenanceIntervalMs?: number;
  /** Wall clock (ms since the epoch). */
  now?: () => number;
}

export interface CheckpointResult {
  /** 1 when a reader held the WAL and the checkpoint could not finish. */
  busy: number;
  /** Frames in the WAL, and frames moved into the database. */
  log: number;
  checkpointed: number;
}

export interface JournalStats {
  schemaVersion: number;
  dbBytes: number;
  walBytes: number;
  pendingRows: number;
  checkpoints: number;
  checkpointsBusy: number;
  lastCheckpoint: CheckpointResult | null;
  pruned: number;
}

const DAY_MS = 86_400_000;
const PRUNE_CHUNK = 5000;
const BODY_TEXT_MAX = 4096;

type Pending = { kind: "observation"; at: number; tick: number; body: string } | { kind: "peer"; at: number; m: PeerMessageInput; body: string };

export class Journal {
  readonly path: string;
  /** The open connection: the bus outbox (agent/bus/outbox.ts) keeps its table in this file too. */
  readonly db: Database.Database;
  readonly incarnation: string;
  private readonly opts: Required<Omit<JournalOptions, "microgrid" | "scenario">> & Pick<JournalOptions, "microgrid" | "scenario">;
  private readonly pending: Pending[] = [];
  private batchTimer: NodeJS.Timeout | undefined;
  private maintenanceTimer: NodeJS.Timeout | undefined;
  private seq = 0;
  private closed = false;
  private readonly counters = { checkpoints: 0, checkpointsBusy: 0, pruned: 0 };
  private lastCheckpoint: CheckpointResult | null = null;
  private readonly st: ReturnType<typeof statements>;

  private constructor(path: string, db: Database.Database, options: JournalOptions) {
    this.path = path;
    this.db = db;
    this.opts = {
      retentionDays: 30,
      recordRetentionDays: 365,
      maxRows: 5_000_000,
      journalSizeLimitBytes: 64 * 2 ** 20,
      batchRows: 200,
      batchMs: 1000,
      maintenanceIntervalMs: 60_000,
      now: Date.now,
      ...options,
    };
    this.incarnation = randomBytes(4).toString("hex");
    this.st = statements(db);
  }

  /** Open (creating or migrating) the journal at `path`. */
  static open(path: string, options: JournalOptions = {}): Journal {
    const existed = existsSync(path);
    let db: Database.Database;
    try {
      db = new Database(path);
      db.pragma("journal_mode = WAL");
    } catch (e) {
      throw new BlackstartError(JournalErrors.OPEN, `cannot open journal ${path}: ${(e as Error).message}`, { file: path }, { cause: e });
    }
    try {
      db.pragma("synchronous = FULL");
      db.pragma("busy_timeout = 5000");
      db.pragma(`journal_size_limit = ${Math.floor(options.journalSizeLimitBytes ?? 64 * 2 ** 20)}`);
      const version = schemaVersion(db);
      if (version > SCHEMA_VERSION) {
        throw new BlackstartError(
          JournalErrors.NEWER,
          `journal ${path} has schema version ${version}; this blackstart reads up to ${SCHEMA_VERSION}`,
          { file: path },
        );
      }
      if (existed && version === 0 && hasTables(db)) {
        throw new BlackstartError(JournalErrors.OPEN, `${path} is an SQLite file but not a blackstart journal`, { file: path });
      }
      if (version > 0 && version < SCHEMA_VERSION) {
        // Keep the file as it was before changing it (zigbee2mqtt does the same with its settings).
        let backup = `${path}.v${version}.bak`;
        if (existsSync(backup)) backup = `${path}.v${version}.${Date.now()}.bak`;
        db.prepare("VACUUM INTO ?").run(backup);
      }
      migrate(db);
      const j = new Journal(path, db, options);
      j.stamp(options);
      if ((options.maintenanceIntervalMs ?? 60_000) > 0) {
        j.maintenanceTimer = setInterval(() => j.maintain(), options.maintenanceIntervalMs ?? 60_000);
        j.maintenanceTimer.unref();
      }
      return j;
    } catch (e) {
      db.close();
      if (e instanceof BlackstartError) throw e;
      throw new BlackstartError(JournalErrors.OPEN, `cannot open journal ${path}: ${(e as Error).message}`, { file: path }, { cause: e });
    }
  }

  private stamp(options: JournalOptions): void {
    const meta = this.meta();
    if (options.microgrid && meta.microgrid && meta.microgrid !== options.microgrid) {
      throw new BlackstartError(JournalErrors.OPEN, `journal ${this.path} belongs to microgrid '${meta.microgrid}', not '${options.microgrid}'`, {
        file: this.path,
      });
    }
    const set = this.db.prepare("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    this.db.transaction(() => {
      if (!meta.created_at) set.run("created_at", new Date(this.opts.now()).toISOString());
      if (options.microgrid && !meta.microgrid) set.run("microgrid", options.microgrid);
      if (options.scenario) set.run("scenario", options.scenario);
      set.run("incarnation", this.incarnation);
      set.run("opened_at", new Date(this.opts.now()).toISOString());
    }).immediate();
  }

  /** Set one meta fact (durable; meta is never pruned). */
  setMeta(key: string, value: string): void {
    this.durable(() => this.db.prepare("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(key, value));
  }

  meta(): Record<string, string> {
    const rows = this.db.prepare("SELECT key, value FROM meta").all() as { key: string; value: string }[];
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  }

  // ---------------------------------------------------------------- batched

  /** An observation (whatever the agent read this tick). Batched. */
  observation(tick: number, data: unknown): void {
    this.enqueue({ kind: "observation", at: this.opts.now(), tick, body: JSON.stringify(data) });
  }

  /** A message received or sent on the bus, valid or dropped. Batched. */
  peerMessage(m: PeerMessageInput): void {
    this.enqueue({ kind: "peer", at: this.opts.now(), m, body: bodyText(m.body) });
  }

  private enqueue(p: Pending): void {
    this.assertOpen();
    this.pending.push(p);
    if (this.pending.length >= this.opts.batchRows) this.flush();
    else if (!this.batchTimer) {
      this.batchTimer = setTimeout(() => this.flush(), this.opts.batchMs);
      this.batchTimer.unref();
    }
  }

  /** Write the batched rows now (one transaction). */
  flush(): void {
    if (this.pending.length === 0 || this.closed) return;
    this.db.transaction(() => this.writePending()).immediate();
  }

  private writePending(): void {
    if (this.batchTimer) {
      clearTimeout(this.batchTimer);
      this.batchTimer = undefined;
    }
    for (const p of this.pending.splice(0)) {
      if (p.kind === "observation") this.st.observation.run(p.at, p.tick, p.body);
      else this.st.peer.run(p.at, p.m.direction, p.m.topic, p.m.peer ?? null, p.m.type ?? null, p.m.valid ? 1 : 0, p.m.reason ?? null, p.body, p.m.view ?? null);
    }
  }

  /** A durable write: the batch rides along, and the commit is FULL-synchronous. */
  private durable<T>(fn: () => T): T {
    this.assertOpen();
    return this.db
      .transaction(() => {
        this.writePending();
        return fn();
      })
      .immediate();
  }

  // ---------------------------------------------------------------- decisions

  /** Store a blob once, by content (sha256 of its JSON); returns its hash. */
  putBlob(kind: string, value: unknown): string {
    const body = JSON.stringify(value);
    const hash = createHash("sha256").update(body).digest("hex");
    this.durable(() => this.st.blob.run(hash, kind, body));
    return hash;
  }

  blob(hash: string): unknown {
    const row = this.db.prepare("SELECT body FROM blobs WHERE hash = ?").get(hash) as { body: string } | undefined;
    return row ? JSON.parse(row.body) : undefined;
  }

  /** A decision with everything needed to re-run it, and its vetoes. Durable. Returns its id. */
  decision(tick: number, d: DecisionInput): string {
    const id = d.id ?? this.nextId("d");
    const at = this.opts.now();
    const shieldInput = this.storeGraph(d.shieldInput);
    this.durable(() => {
      this.st.decision.run(
        id,
        at,
        tick,
        d.session ?? null,
        d.step ?? null,
        JSON.stringify(d.policy),
        encodeNumbers(d.observation),
        encodeNumbers(d.logits),
        d.mask ? encodeNumbers(d.mask) : null,
        encodeNumbers(d.actions),
        JSON.stringify(shieldInput),
        JSON.stringify(d.outcome ?? null),
      );
      for (const v of d.verdicts) this.insertVerdict(id, at, v);
    });
    return id;
  }

  /** Vetoes found after the decision was recorded (at write time: select-before-operate). Durable. */
  verdicts(decisionId: string, verdicts: readonly VerdictInput[]): void {
    const at = this.opts.now();
    this.durable(() => {
      for (const v of verdicts) this.insertVerdict(decisionId, at, v);
    });
  }

  private insertVerdict(decisionId: string, at: number, v: VerdictInput): void {
    this.st.verdict.run(decisionId, at, v.element, v.action, v.rule, v.detail ?? "", JSON.stringify(v.values));
  }

  /** Hash of each graph object already stored (the agent passes the same one every decision). */
  private readonly graphHashes = new WeakMap<object, string>();

  /** A large, repeated member of the shield input (the section graph) goes to blobs once. */
  private storeGraph(input: unknown): unknown {
    if (input === null || typeof input !== "object" || !("graph" in input)) return input;
    const { graph, ...rest } = input as Record<string, unknown>;
    if (graph === undefined || graph === null || typeof graph !== "object") return input;
    let hash = this.graphHashes.get(graph);
    if (!hash) {
      const body = JSON.stringify(graph);
      const h = createHash("sha256").update(body).digest("hex");
      this.durable(() => this.st.blob.run(h, "section-graph", body));
      this.graphHashes.set(graph, h);
      hash = h;
    }
    return { ...rest, graph: { $blob: hash } };
  }

  readDecision(id: string): DecisionRecord | undefined {
    const row = this.db.prepare("SELECT * FROM decisions WHERE id = ?").get(id) as Record<string, unknown> | undefined;
    if (!row) return undefined;
    return decodeDecision(row, this.db);
  }

  // ---------------------------------------------------------------- commands

  /** A new command, durable as `intended` before anything is written to a device. Returns its id. */
  commandIntended(c: { decisionId: string; element: string; action: "close" | "open"; device?: string | null; reservationId?: string | null; id?: string }): string {
    const id = c.id ?? `${c.decisionId}/${c.element}`;
    const at = this.opts.now();
    this.durable(() => {
      this.st.commandInsert.run(id, c.decisionId, c.reservationId ?? null, c.element, c.device ?? null, c.action, at, at);
      this.st.commandState.run(id, "intended", at, null);
    });
    return id;
  }

  /** Move a command on. Durable (synchronous=FULL) before this returns. */
  commandState(id: string, state: CommandState, detail?: Readonly<Record<string, unknown>>): void {
    const at = this.opts.now();
    this.durable(() => {
      const row = this.st.commandGet.get(id) as { state: CommandState } | undefined;
      if (!row) throw new BlackstartError(JournalErrors.UNKNOWN_COMMAND, `no command '${id}' in ${this.path}`);
      if (!COMMAND_TRANSITIONS[row.state].includes(state)) {
        throw new BlackstartError(JournalErrors.TRANSITION, `command '${id}' cannot go from ${row.state} to ${state}`);
      }
      this.st.commandUpdate.run(state, at, id);
      this.st.commandState.run(id, state, at, detail ? JSON.stringify(detail) : null);
    });
  }

  command(id: string): CommandRecord | undefined {
    const row = this.db.prepare("SELECT * FROM commands WHERE id = ?").get(id) as Record<string, unknown> | undefined;
    return row ? decodeCommand(row) : undefined;
  }

  commandHistory(id: string): CommandStateRecord[] {
    const rows = this.db.prepare("SELECT state, at, detail FROM command_states WHERE command_id = ? ORDER BY id").all(id) as {
      state: CommandState;
      at: number;
      detail: string | null;
    }[];
    return rows.map((r) => ({ state: r.state, at: r.at, detail: r.detail ? (JSON.parse(r.detail) as Record<string, unknown>) : null }));
  }

  /** Commands left short of `resolved` (a crash, or a device that could not be read), oldest first. */
  unresolved(): CommandRecord[] {
    const rows = this.db.prepare("SELECT * FROM commands WHERE state <> 'resolved' ORDER BY created_at, rowid").all() as Record<string, unknown>[];
    return rows.map(decodeCommand);
  }

  // ---------------------------------------------------------------- reservations

  /** Record a reservation's new state (creating it on first sight). Durable. */
  reservation(r: Omit<ReservationRecordRef, "view" | "leaseMs"> & Partial<Pick<ReservationRecordRef, "view" | "leaseMs">>, state: ReservationState, detail?: Readonly<Record<string, unknown>>): void {
    const at = this.opts.now();
    this.durable(() => {
      const row = this.st.reservationGet.get(r.id) as { state: ReservationState } | undefined;
      if (!row) this.st.reservationInsert.run(r.id, r.requester, r.kw, r.view ?? null, r.leaseMs ?? null, r.role, state, at, at);
      else {
        if (reservationFinal(row.state)) {
          throw new BlackstartError(JournalErrors.TRANSITION, `reservation '${r.id}' is ${row.state} already; cannot become ${state}`);
        }
        this.st.reservationUpdate.run(state, at, r.id);
      }
      this.st.reservationState.run(r.id, state, at, detail ? JSON.stringify(detail) : null);
    });
  }

  reservationRecord(id: string): ReservationRecord | undefined {
    const row = this.st.reservationGet.get(id) as Record<string, unknown> | undefined;
    return row ? decodeReservation(row) : undefined;
  }

  /** Own leases granted and not yet released or expired (republished after a restart or a reconnect). */
  heldReservations(): ReservationRecord[] {
    const rows = this.db.prepare("SELECT * FROM reservations WHERE role = 'own' AND state = 'granted' ORDER BY created_at").all() as Record<string, unknown>[];
    return rows.map(decodeReservation);
  }

  // ---------------------------------------------------------------- alarms, events, sessions

  /** Raise an alarm. Durable. Returns its id (for `clearAlarm`). */
  alarm(kind: string, detail: Readonly<Record<string, unknown>>): number {
    const at = this.opts.now();
    return this.durable(() => Number(this.st.alarm.run(at, kind, JSON.stringify(detail)).lastInsertRowid));
  }

  clearAlarm(id: number): void {
    const at = this.opts.now();
    this.durable(() => this.db.prepare("UPDATE alarms SET cleared_at = ? WHERE id = ? AND cleared_at IS NULL").run(at, id));
  }

  activeAlarms(): { id: number; at: number; kind: string; detail: Record<string, unknown> }[] {
    const rows = this.db.prepare("SELECT id, at, kind, detail FROM alarms WHERE cleared_at IS NULL ORDER BY id").all() as { id: number; at: number; kind: string; detail: string }[];
    return rows.map((r) => ({ ...r, detail: JSON.parse(r.detail) as Record<string, unknown> }));
  }

  /** Something worth keeping that is not a command (session start, operator request, bus up/down). Durable. */
  event(kind: string, detail: Readonly<Record<string, unknown>>): void {
    const at = this.opts.now();
    this.durable(() => this.st.event.run(at, kind, JSON.stringify(detail)));
  }

  sessionStarted(id: string, reason: string, detail: Readonly<Record<string, unknown>> = {}): void {
    const at = this.opts.now();
    this.durable(() => this.db.prepare("INSERT INTO sessions(id, started_at, reason, detail) VALUES (?, ?, ?, ?)").run(id, at, reason, JSON.stringify(detail)));
  }

  sessionEnded(id: string, outcome: string, detail: Readonly<Record<string, unknown>> = {}): void {
    const at = this.opts.now();
    this.durable(() =>
      this.db.prepare("UPDATE sessions SET ended_at = ?, outcome = ?, detail = json_patch(coalesce(detail, '{}'), ?) WHERE id = ?").run(at, outcome, JSON.stringify(detail), id),
    );
  }

  // ---------------------------------------------------------------- upkeep

  /** wal_checkpoint(TRUNCATE); `busy` = 1 when a reader kept it from finishing (counted, retried next time). */
  checkpoint(): CheckpointResult {
    this.flush();
    // A TRUNCATE checkpoint would wait busy_timeout for readers: never on the agent's thread.
    this.db.pragma("busy_timeout = 0");
    let row: CheckpointResult;
    try {
      row = (this.db.pragma("wal_checkpoint(TRUNCATE)") as CheckpointResult[])[0]!;
    } finally {
      this.db.pragma("busy_timeout = 5000");
    }
    this.counters.checkpoints++;
    if (row.busy) this.counters.checkpointsBusy++;
    this.lastCheckpoint = { busy: row.busy, log: row.log, checkpointed: row.checkpointed };
    return this.lastCheckpoint;
  }

  /** Delete what is past retention, a chunk at a time (never VACUUM on the agent's thread). Returns rows deleted. */
  prune(): number {
    this.flush();
    const now = this.opts.now();
    const recent = now - this.opts.retentionDays * DAY_MS;
    const records = now - this.opts.recordRetentionDays * DAY_MS;
    let n = 0;
    const del = (sql: string, ...args: unknown[]) => {
      n += this.db.prepare(sql).run(...args).changes;
    };
    this.db
      .transaction(() => {
        for (const t of ["observations", "peer_messages", "events"]) {
          del(`DELETE FROM ${t} WHERE id IN (SELECT id FROM ${t} WHERE at < ? ORDER BY id LIMIT ${PRUNE_CHUNK})`, recent);
        }
        for (const t of ["observations", "peer_messages"]) {
          const count = (this.db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
          const excess = Math.min(count - this.opts.maxRows, PRUNE_CHUNK);
          if (excess > 0) del(`DELETE FROM ${t} WHERE id IN (SELECT id FROM ${t} ORDER BY id LIMIT ?)`, excess);
        }
        del(`DELETE FROM verdicts WHERE decision_id IN (SELECT id FROM decisions WHERE at < ? LIMIT ${PRUNE_CHUNK})`, records);
        del(`DELETE FROM decisions WHERE id IN (SELECT id FROM decisions WHERE at < ? LIMIT ${PRUNE_CHUNK})`, records);
        del(
          `DELETE FROM command_states WHERE command_id IN (SELECT id FROM commands WHERE state = 'resolved' AND updated_at < ? LIMIT ${PRUNE_CHUNK})`,
          records,
        );
        del(`DELETE FROM commands WHERE id IN (SELECT id FROM commands WHERE state = 'resolved' AND updated_at < ? LIMIT ${PRUNE_CHUNK})`, records);
        const finalStates = "('aborted','released','expired','nacked','dropped')";
        del(
          `DELETE FROM reservation_states WHERE reservation_id IN (SELECT id FROM reservations WHERE state IN ${finalStates} AND updated_at < ? LIMIT ${PRUNE_CHUNK})`,
          records,
        );
        del(`DELETE FROM reservations WHERE id IN (SELECT id FROM reservations WHERE state IN ${finalStates} AND updated_at < ? LIMIT ${PRUNE_CHUNK})`, records);
        del(`DELETE FROM alarms WHERE cleared_at IS NOT NULL AND cleared_at < ?`, records);
      })
      .immediate();
    this.counters.pruned += n;
    return n;
  }

  /** Prune, then checkpoint. Called on a timer (maintenanceIntervalMs) and by tests. */
  maintain(): { pruned: number; checkpoint: CheckpointResult } | undefined {
    if (this.closed) return undefined;
    const pruned = this.prune();
    return { pruned, checkpoint: this.checkpoint() };
  }

  /** SQLite's own check of every page and index: ["ok"] when sound. */
  integrityCheck(): string[] {
    return (this.db.pragma("integrity_check") as { integrity_check: string }[]).map((r) => r.integrity_check);
  }

  /** Database plus WAL on disk (bytes). */
  sizeBytes(): number {
    return fileSize(this.path) + fileSize(`${this.path}-wal`);
  }

  stats(): JournalStats {
    return {
      schemaVersion: schemaVersion(this.db),
      dbBytes: fileSize(this.path),
      walBytes: fileSize(`${this.path}-wal`),
      pendingRows: this.pending.length,
      checkpoints: this.counters.checkpoints,
      checkpointsBusy: this.counters.checkpointsBusy,
      lastCheckpoint: this.lastCheckpoint,
      pruned: this.counters.pruned,
    };
  }

  /** Flush, checkpoint, close. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    clearInterval(this.maintenanceTimer);
    this.flush();
    try {
      this.checkpoint();
    } finally {
      clearTimeout(this.batchTimer);
      this.closed = true;
      this.db.close();
    }
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  private nextId(prefix: string): string {
    return `${prefix}-${this.opts.microgrid ?? "agent"}-${this.incarnation}-${++this.seq}`;
  }

  private assertOpen(): void {
    if (this.closed) throw new BlackstartError(JournalErrors.OPEN, `journal ${this.path} is closed`);
  }
}

function statements(db: Database.Database) {
  return {
    observation: db.prepare("INSERT INTO observations(at, tick, body) VALUES (?, ?, ?)"),
    peer: db.prepare("INSERT INTO peer_messages(at, direction, topic, peer, type, valid, reason, body, view) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
    blob: db.prepare("INSERT OR IGNORE INTO blobs(hash, kind, body) VALUES (?, ?, ?)"),
    decision: db.prepare(
      "INSERT INTO decisions(id, at, tick, session_id, step, policy, observation, logits, mask, actions, shield_input, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    ),
    verdict: db.prepare("INSERT INTO verdicts(decision_id, at, element, action, rule, detail, figures) VALUES (?, ?, ?, ?, ?, ?, ?)"),
    commandInsert: db.prepare(
      "INSERT INTO commands(id, decision_id, reservation_id, element, device, action, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'intended', ?, ?)",
    ),
    commandGet: db.prepare("SELECT state FROM commands WHERE id = ?"),
    commandUpdate: db.prepare("UPDATE commands SET state = ?, updated_at = ? WHERE id = ?"),
    commandState: db.prepare("INSERT INTO command_states(command_id, state, at, detail) VALUES (?, ?, ?, ?)"),
    reservationGet: db.prepare("SELECT * FROM reservations WHERE id = ?"),
    reservationInsert: db.prepare(
      "INSERT INTO reservations(id, requester, kw, view, lease_ms, role, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    ),
    reservationUpdate: db.prepare("UPDATE reservations SET state = ?, updated_at = ? WHERE id = ?"),
    reservationState: db.prepare("INSERT INTO reservation_states(reservation_id, state, at, detail) VALUES (?, ?, ?, ?)"),
    alarm: db.prepare("INSERT INTO alarms(at, kind, detail) VALUES (?, ?, ?)"),
    event: db.prepare("INSERT INTO events(at, kind, detail) VALUES (?, ?, ?)"),
  };
}

/** A number vector as JSON; NaN and infinities (which JSON lacks) as the strings "NaN", "Infinity", "-Infinity". */
export function encodeNumbers(v: ArrayLike<number>): string {
  return JSON.stringify(Array.from(v, (x) => (Number.isFinite(x) ? x : String(x))));
}

export function decodeNumbers(v: unknown): number[] {
  if (!Array.isArray(v)) return [];
  return v.map((x) => (typeof x === "number" ? x : Number(x)));
}

function hasTables(db: Database.Database): boolean {
  return (db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number }).n > 0;
}

function fileSize(p: string): number {
  try {
    return statSync(p).size;
  } catch {
    return 0;
  }
}

function bodyText(body: unknown): string {
  const text = typeof body === "string" ? JSON.stringify(body) : JSON.stringify(body ?? null);
  return text.length > BODY_TEXT_MAX ? JSON.stringify(`${text.slice(0, BODY_TEXT_MAX)}...(${text.length} chars)`) : text;
}

export function decodeCommand(row: Record<string, unknown>): CommandRecord {
  return {
    id: row.id as string,
    decisionId: row.decision_id as string,
    reservationId: (row.reservation_id as string | null | undefined) ?? null,
    element: row.element as string,
    device: (row.device as string | null) ?? null,
    action: row.action as "close" | "open",
    state: row.state as CommandState,
    createdAt: row.created_at as number,
    at: row.updated_at as number,
  };
}

function decodeReservation(row: Record<string, unknown>): ReservationRecord {
  return {
    id: row.id as string,
    requester: row.requester as string,
    kw: row.kw as number,
    view: (row.view as number | null) ?? null,
    leaseMs: (row.lease_ms as number | null) ?? null,
    role: row.role as "own" | "peer",
    state: row.state as ReservationState,
    createdAt: row.created_at as number,
    at: row.updated_at as number,
  };
}

/** A decisions row back into a record, with its graph blob put back and its vetoes. */
export function decodeDecision(row: Record<string, unknown>, db: Database.Database): DecisionRecord {
  const parse = (v: unknown) => (typeof v === "string" ? (JSON.parse(v) as unknown) : null);
  let shieldInput = parse(row.shield_input);
  if (shieldInput && typeof shieldInput === "object" && "graph" in shieldInput) {
    const ref = (shieldInput as { graph: unknown }).graph as { $blob?: string } | null;
    if (ref && typeof ref === "object" && typeof ref.$blob === "string") {
      const blob = db.prepare("SELECT body FROM blobs WHERE hash = ?").get(ref.$blob) as { body: string } | undefined;
      shieldInput = { ...(shieldInput as object), graph: blob ? JSON.parse(blob.body) : null };
    }
  }
  const verdicts = (
    db.prepare("SELECT element, action, rule, detail, figures FROM verdicts WHERE decision_id = ? ORDER BY id").all(row.id) as {
      element: string;
      action: string;
      rule: string;
      detail: string;
      figures: string;
    }[]
  ).map((v) => ({ element: v.element, action: v.action, rule: v.rule, detail: v.detail, values: JSON.parse(v.figures) as Record<string, unknown> }));
  return {
    id: row.id as string,
    at: row.at as number,
    tick: row.tick as number,
    session: (row.session_id as string | null) ?? null,
    step: (row.step as number | null) ?? null,
    policy: parse(row.policy) as Record<string, unknown>,
    observation: decodeNumbers(parse(row.observation)),
    logits: decodeNumbers(parse(row.logits)),
    mask: row.mask === null ? null : decodeNumbers(parse(row.mask)),
    actions: decodeNumbers(parse(row.actions)),
    shieldInput,
    outcome: parse(row.outcome),
    verdicts,
  };
}

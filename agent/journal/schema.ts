// The journal's schema, as a list of migrations: version N is what you get by
// running steps 1..N in order on an empty file. `PRAGMA user_version` holds the
// version; `meta.schema_version` repeats it for people reading the file. Never
// edit a released step: add one. Readers of older journals (export, replay)
// migrate a copy, never the original. Documented in docs/journal.md.
import type Database from "better-sqlite3";

export interface Migration {
  version: number;
  description: string;
  up: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "observations, decisions, verdicts, commands and their states, peer messages, alarms, events, sessions, blobs",
    up: `
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE blobs (hash TEXT PRIMARY KEY, kind TEXT NOT NULL, body TEXT NOT NULL);
      CREATE TABLE sessions (
        id TEXT PRIMARY KEY, started_at INTEGER NOT NULL, ended_at INTEGER,
        reason TEXT, outcome TEXT, detail TEXT);
      CREATE TABLE observations (
        id INTEGER PRIMARY KEY, at INTEGER NOT NULL, tick INTEGER NOT NULL, body TEXT NOT NULL);
      CREATE INDEX observations_at ON observations(at);
      CREATE TABLE decisions (
        id TEXT PRIMARY KEY, at INTEGER NOT NULL, tick INTEGER NOT NULL, session_id TEXT, step INTEGER,
        policy TEXT NOT NULL, observation TEXT NOT NULL, logits TEXT NOT NULL, mask TEXT,
        actions TEXT NOT NULL, shield_input TEXT NOT NULL, outcome TEXT NOT NULL);
      CREATE INDEX decisions_at ON decisions(at);
      CREATE TABLE verdicts (
        id INTEGER PRIMARY KEY, decision_id TEXT NOT NULL, at INTEGER NOT NULL,
        element TEXT NOT NULL, action TEXT NOT NULL, rule TEXT NOT NULL, detail TEXT NOT NULL, figures TEXT NOT NULL);
      CREATE INDEX verdicts_decision ON verdicts(decision_id);
      CREATE TABLE commands (
        id TEXT PRIMARY KEY, decision_id TEXT NOT NULL, element TEXT NOT NULL, device TEXT,
        action TEXT NOT NULL, state TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
      CREATE INDEX commands_state ON commands(state);
      CREATE TABLE command_states (
        id INTEGER PRIMARY KEY, command_id TEXT NOT NULL, state TEXT NOT NULL, at INTEGER NOT NULL, detail TEXT);
      CREATE INDEX command_states_command ON command_states(command_id);
      CREATE TABLE peer_messages (
        id INTEGER PRIMARY KEY, at INTEGER NOT NULL, direction TEXT NOT NULL, topic TEXT NOT NULL,
        peer TEXT, type TEXT, valid INTEGER NOT NULL, reason TEXT, body TEXT);
      CREATE INDEX peer_messages_at ON peer_messages(at);
      CREATE TABLE alarms (
        id INTEGER PRIMARY KEY, at INTEGER NOT NULL, kind TEXT NOT NULL, detail TEXT NOT NULL, cleared_at INTEGER);
      CREATE TABLE events (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, kind TEXT NOT NULL, detail TEXT NOT NULL);
    `,
  },
  {
    version: 2,
    description: "generation reservations (requested, acknowledged, granted, released) and the reservation a command draws on",
    up: `
      CREATE TABLE reservations (
        id TEXT PRIMARY KEY, requester TEXT NOT NULL, kw REAL NOT NULL, view INTEGER, lease_ms INTEGER,
        role TEXT NOT NULL, state TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
      CREATE TABLE reservation_states (
        id INTEGER PRIMARY KEY, reservation_id TEXT NOT NULL, state TEXT NOT NULL, at INTEGER NOT NULL, detail TEXT);
      CREATE INDEX reservation_states_reservation ON reservation_states(reservation_id);
      ALTER TABLE commands ADD COLUMN reservation_id TEXT;
      ALTER TABLE peer_messages ADD COLUMN view INTEGER;
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export function schemaVersion(db: Database.Database): number {
  return db.pragma("user_version", { simple: true }) as number;
}

/** Bring a journal up to `target` (default: the latest), one step per transaction. Returns the steps run. */
export function migrate(db: Database.Database, target = SCHEMA_VERSION): Migration[] {
  const ran: Migration[] = [];
  for (const m of MIGRATIONS) {
    if (m.version > target) break;
    if (m.version <= schemaVersion(db)) continue;
    db.transaction(() => {
      db.exec(m.up);
      db.pragma(`user_version = ${m.version}`);
      db.prepare("INSERT INTO meta(key, value) VALUES ('schema_version', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(String(m.version));
    }).immediate();
    ran.push(m);
  }
  return ran;
}

/** Tables an export walks, in this order (older journals lack some). */
export const TABLES = [
  "meta",
  "sessions",
  "observations",
  "decisions",
  "verdicts",
  "commands",
  "command_states",
  "reservations",
  "reservation_states",
  "peer_messages",
  "alarms",
  "events",
  "blobs",
] as const;
export type TableName = (typeof TABLES)[number];

/** Columns holding JSON text (parsed back into structures by exports and readers). */
export const JSON_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  sessions: ["detail"],
  observations: ["body"],
  decisions: ["policy", "observation", "logits", "mask", "actions", "shield_input", "outcome"],
  verdicts: ["figures"],
  command_states: ["detail"],
  reservation_states: ["detail"],
  peer_messages: ["body"],
  alarms: ["detail"],
  events: ["detail"],
  blobs: ["body"],
};

// Reading the journals of a run for replay: each file opened read-only (an
// older schema is migrated on a private copy, the file itself never
// changes), its microgrid, scenario and schema version, its decisions in the
// order they were made, and every command with the moment its outcome was
// known. Journals copied from another machine read the same way.
import { decodeDecision, openJournalForReading } from "../../agent/journal/index.js";
import type { DecisionRecord } from "../../agent/journal/records.js";
import { BlackstartError } from "../../shared/errors.js";
import { BenchErrors } from "../bench/errors.js";

export interface JournalCommand {
  id: string;
  decisionId: string;
  element: string;
  action: "close" | "open";
  /** confirmed | failed | unknown (as settled, after a restart too) and when it was known (wall ms). */
  outcome: "confirmed" | "failed" | "unknown" | "pending";
  at: number;
  createdAt: number;
}

export interface JournalLife {
  /** Wall ms at which an agent process started on this journal. */
  at: number;
  site: string | null;
  policy: string | null;
}

export interface LoadedJournal {
  path: string;
  microgrid: string;
  scenario: string;
  /** Schema version the file was written with (older ones are migrated on a copy). */
  writtenVersion: number;
  decisions: DecisionRecord[];
  commands: JournalCommand[];
  lives: JournalLife[];
  alarms: { at: number; kind: string; detail: Record<string, unknown> }[];
}

function meta(db: import("better-sqlite3").Database, key: string): string | undefined {
  return (db.prepare("SELECT value FROM meta WHERE key = ?").get(key) as { value: string } | undefined)?.value;
}

function json(text: string | null): Record<string, unknown> {
  if (!text) return {};
  try {
    const v = JSON.parse(text) as unknown;
    return v !== null && typeof v === "object" ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export function loadJournal(path: string): LoadedJournal {
  let reader;
  try {
    reader = openJournalForReading(path);
  } catch (e) {
    if (e instanceof BlackstartError) throw e;
    throw new BlackstartError(BenchErrors.REPLAY, `cannot read ${path}: ${(e as Error).message}`, { file: path });
  }
  try {
    const db = reader.db;
    const microgrid = meta(db, "microgrid");
    const scenario = meta(db, "scenario");
    if (!microgrid || !scenario) throw new BlackstartError(BenchErrors.REPLAY, `${path} does not say which microgrid and scenario it belongs to (meta.microgrid, meta.scenario)`, { file: path });
    const decisions = (db.prepare("SELECT * FROM decisions ORDER BY at, rowid").all() as Record<string, unknown>[]).map((row) => decodeDecision(row, db));
    const history = db.prepare("SELECT command_id AS id, state, at, detail FROM command_states ORDER BY id").all() as { id: string; state: string; at: number; detail: string | null }[];
    const outcome = new Map<string, { outcome: JournalCommand["outcome"]; at: number }>();
    for (const h of history) {
      if (h.state === "confirmed" || h.state === "failed" || h.state === "unknown") outcome.set(h.id, { outcome: h.state, at: h.at });
      else if (h.state === "resolved") {
        const o = json(h.detail).outcome;
        if ((o === "confirmed" || o === "failed") && outcome.get(h.id)?.outcome !== o) outcome.set(h.id, { outcome: o, at: h.at });
      }
    }
    const commands = (db.prepare("SELECT id, decision_id, element, action, created_at FROM commands ORDER BY created_at, rowid").all() as { id: string; decision_id: string; element: string; action: "close" | "open"; created_at: number }[]).map((c) => {
      const o = outcome.get(c.id);
      return { id: c.id, decisionId: c.decision_id, element: c.element, action: c.action, outcome: o?.outcome ?? "pending", at: o?.at ?? c.created_at, createdAt: c.created_at };
    });
    const lives = (db.prepare("SELECT at, detail FROM events WHERE kind = 'agent-start' ORDER BY id").all() as { at: number; detail: string }[]).map((e) => {
      const d = json(e.detail);
      return { at: e.at, site: typeof d.site === "string" ? d.site : null, policy: typeof d.policy === "string" ? d.policy : null };
    });
    const alarms = (db.prepare("SELECT at, kind, detail FROM alarms ORDER BY id").all() as { at: number; kind: string; detail: string }[]).map((a) => ({ at: a.at, kind: a.kind, detail: json(a.detail) }));
    return { path, microgrid, scenario, writtenVersion: reader.writtenVersion, decisions, commands, lives, alarms };
  } finally {
    reader.close();
  }
}

/** The journals of one run: one per microgrid, all of one scenario. */
export function loadRun(paths: readonly string[]): LoadedJournal[] {
  if (paths.length === 0) throw new BlackstartError(BenchErrors.REPLAY, "give the journal(s) of a run (one .db per agent)");
  const all = paths.map(loadJournal);
  const scenarios = new Set(all.map((j) => j.scenario));
  if (scenarios.size > 1) throw new BlackstartError(BenchErrors.REPLAY, `these journals are from different scenarios: ${all.map((j) => `${j.path} (${j.scenario})`).join(", ")}`);
  const seen = new Map<string, string>();
  for (const j of all) {
    const other = seen.get(j.microgrid);
    if (other) throw new BlackstartError(BenchErrors.REPLAY, `${other} and ${j.path} are both the journal of microgrid ${j.microgrid}`, { file: j.path });
    seen.set(j.microgrid, j.path);
  }
  return all;
}

// `blackstart journal export|info|check <db>`: read an agent's journal (from
// this machine or copied from another, of this or an older schema version)
// without changing it.
import type { Command } from "commander";
import { BlackstartError } from "../../shared/errors.js";
import { JournalErrors } from "../../agent/journal/errors.js";
import type { ExportFormat } from "../../agent/journal/export.js";
import { SCHEMA_VERSION, TABLES } from "../../agent/journal/schema.js";
// The reader (better-sqlite3) loads inside the actions; the schema module holds only names and SQL.

function time(value: string, flag: string): number {
  const t = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(t)) throw new BlackstartError(JournalErrors.EXPORT, `'${value}' is not a time (ISO 8601 or ms since the epoch)`, { field: flag });
  return t;
}

export function register(program: Command): void {
  const journal = program.command("journal").description("Read an agent's journal (SQLite): export it, summarize it, check it.");

  journal
    .command("export <db>")
    .description("Export a journal as JSON lines or CSV (older schema versions are read through a migrated copy; the file is never changed).")
    .option("-f, --format <format>", "jsonl | csv", "jsonl")
    .option("-t, --table <name...>", `tables to export (default all: ${TABLES.join(", ")})`)
    .option("-o, --out <path>", "jsonl: output file (default stdout); csv: output directory, one <table>.csv each")
    .option("--since <time>", "only rows at or after this time (ISO 8601 or ms)")
    .option("--until <time>", "only rows before this time (ISO 8601 or ms)")
    .action(async (db: string, o: { format: string; table?: string[]; out?: string; since?: string; until?: string }) => {
      const { exportJournal } = await import("../../agent/journal/export.js");
      const summary = await exportJournal(db, {
        format: o.format as ExportFormat,
        ...(o.table ? { tables: o.table.flatMap((t) => t.split(",")) } : {}),
        ...(o.out ? { out: o.out } : {}),
        ...(o.since ? { since: time(o.since, "--since") } : {}),
        ...(o.until ? { until: time(o.until, "--until") } : {}),
        progressEvery: 100_000,
      });
      const total = Object.values(summary.rows).reduce((a, b) => a + b, 0);
      process.stderr.write(`journal export: ${total} rows from ${db} (schema v${summary.writtenVersion})${o.out ? ` to ${o.out}` : ""}\n`);
    });

  journal
    .command("info <db>")
    .description("Schema version, identity, row counts, commands not resolved and active alarms.")
    .option("--json", "print JSON")
    .action(async (db: string, o: { json?: boolean }) => {
      const { openJournalForReading } = await import("../../agent/journal/read.js");
      const r = openJournalForReading(db);
      try {
        const meta = Object.fromEntries((r.db.prepare("SELECT key, value FROM meta").all() as { key: string; value: string }[]).map((x) => [x.key, x.value]));
        const rows = Object.fromEntries(TABLES.map((t) => [t, (r.db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n]));
        const unresolved = r.db.prepare("SELECT id, element, action, state, updated_at FROM commands WHERE state <> 'resolved' ORDER BY created_at").all();
        const alarms = r.db.prepare("SELECT id, at, kind, detail FROM alarms WHERE cleared_at IS NULL ORDER BY id").all();
        const info = { file: db, schema_version: r.writtenVersion, reads_up_to: SCHEMA_VERSION, meta, rows, unresolved_commands: unresolved, active_alarms: alarms };
        if (o.json) {
          process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
          return;
        }
        const lines = [
          `journal ${db}: schema v${r.writtenVersion}${r.writtenVersion < SCHEMA_VERSION ? ` (older; read through a copy migrated to v${SCHEMA_VERSION})` : ""}`,
          `  microgrid ${meta.microgrid ?? "?"}, scenario ${meta.scenario ?? "?"}, created ${meta.created_at ?? "?"}, last opened ${meta.opened_at ?? "?"}`,
          ...TABLES.map((t) => `  ${t.padEnd(20)} ${rows[t]}`),
          `  commands not resolved: ${unresolved.length}`,
          `  active alarms: ${alarms.length}`,
        ];
        process.stdout.write(`${lines.join("\n")}\n`);
      } finally {
        r.close();
      }
    });

  journal
    .command("check <db>")
    .description("Run SQLite's integrity check on a journal (exit 3 when damaged).")
    .action(async (db: string) => {
      const { openJournalForReading } = await import("../../agent/journal/read.js");
      const r = openJournalForReading(db);
      try {
        const out = (r.db.pragma("integrity_check") as { integrity_check: string }[]).map((x) => x.integrity_check);
        if (out.length === 1 && out[0] === "ok") {
          process.stdout.write(`journal ${db}: integrity ok (schema v${r.writtenVersion})\n`);
          return;
        }
        throw new BlackstartError(JournalErrors.CORRUPT, `${out.length} problem(s): ${out.slice(0, 5).join("; ")}`, { file: db });
      } finally {
        r.close();
      }
    });
}

// `blackstart journal export`: every table of a journal as JSON lines (one
// object per row, with its table, JSON columns parsed) or CSV (one file per
// table, RFC 4180 quoting, JSON columns as JSON text). Rows stream out with
// an iterator in small transactions, so an export of a live journal does not
// hold the WAL for long.
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { join } from "node:path";
import type Database from "better-sqlite3";
import { BlackstartError } from "../../shared/errors.js";
import { unknownNameMessage } from "../../shared/names.js";
import { JournalErrors } from "./errors.js";
import { openJournalForReading } from "./read.js";
import { JSON_COLUMNS, TABLES, type TableName } from "./schema.js";

export type ExportFormat = "jsonl" | "csv";

export interface ExportOptions {
  format: ExportFormat;
  /** Tables to export (default all). */
  tables?: readonly string[];
  /** JSONL: a file (default stdout). CSV: a directory, one `<table>.csv` each (stdout only with one table). */
  out?: string;
  /** Only rows at or after / before this wall-clock time (ms since the epoch), for tables with an `at`. */
  since?: number;
  until?: number;
  /** Progress on stderr every so many rows (0: none). */
  progressEvery?: number;
}

export interface ExportSummary {
  writtenVersion: number;
  rows: Record<string, number>;
}

const PAGE = 2000;

export async function exportJournal(path: string, opts: ExportOptions, stdout: NodeJS.WritableStream = process.stdout): Promise<ExportSummary> {
  if (opts.format !== "jsonl" && opts.format !== "csv") {
    throw new BlackstartError(JournalErrors.EXPORT, `unknown format '${String(opts.format)}' (jsonl or csv)`, { field: "--format" });
  }
  const tables = (opts.tables?.length ? opts.tables : TABLES).map((t) => {
    if (!(TABLES as readonly string[]).includes(t)) throw new BlackstartError(JournalErrors.EXPORT, unknownNameMessage("table", t, TABLES), { field: "--table" });
    return t as TableName;
  });
  if (opts.format === "csv" && !opts.out && tables.length !== 1) {
    throw new BlackstartError(JournalErrors.EXPORT, "CSV to stdout needs exactly one --table (or --out <dir> for one file per table)", { field: "--out" });
  }
  const reader = openJournalForReading(path);
  const summary: ExportSummary = { writtenVersion: reader.writtenVersion, rows: {} };
  const streams: WriteStream[] = [];
  const open = (file: string) => {
    const s = createWriteStream(file);
    streams.push(s);
    return s;
  };
  try {
    let jsonOut: NodeJS.WritableStream | undefined;
    if (opts.format === "jsonl") jsonOut = opts.out ? open(opts.out) : stdout;
    else if (opts.out) mkdirSync(opts.out, { recursive: true });
    let total = 0;
    for (const table of tables) {
      const columns = tableColumns(reader.db, table);
      summary.rows[table] = 0;
      if (columns.length === 0) continue;
      const jsonCols = new Set(JSON_COLUMNS[table] ?? []);
      let csvOut: NodeJS.WritableStream | undefined;
      if (opts.format === "csv") {
        csvOut = opts.out ? open(join(opts.out, `${table}.csv`)) : stdout;
        await write(csvOut, `${columns.map(csvField).join(",")}\r\n`);
      }
      for (const row of rows(reader.db, table, columns, opts)) {
        if (jsonOut) {
          const obj: Record<string, unknown> = { table };
          for (const c of columns) obj[c] = jsonCols.has(c) && typeof row[c] === "string" ? safeParse(row[c] as string) : row[c];
          await write(jsonOut, `${JSON.stringify(obj)}\n`);
        } else {
          await write(csvOut!, `${columns.map((c) => csvField(row[c])).join(",")}\r\n`);
        }
        summary.rows[table]!++;
        total++;
        if (opts.progressEvery && total % opts.progressEvery === 0) process.stderr.write(`journal export: ${total} rows (${table})\n`);
      }
    }
  } finally {
    reader.close();
    await Promise.all(streams.map((s) => new Promise<void>((res, rej) => s.end((e?: Error | null) => (e ? rej(e) : res())))));
  }
  return summary;
}

function tableColumns(db: Database.Database, table: string): string[] {
  return (db.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as { name: string }[]).map((r) => r.name);
}

/** Keyset pagination by rowid: short read transactions, constant memory. */
function* rows(db: Database.Database, table: string, columns: string[], opts: ExportOptions): Generator<Record<string, unknown>> {
  const hasAt = columns.includes("at");
  const where: string[] = ["rowid > ?"];
  const args: unknown[] = [];
  if (hasAt && opts.since !== undefined) {
    where.push("at >= ?");
    args.push(opts.since);
  }
  if (hasAt && opts.until !== undefined) {
    where.push("at < ?");
    args.push(opts.until);
  }
  const stmt = db.prepare(`SELECT rowid AS __rowid, * FROM ${table} WHERE ${where.join(" AND ")} ORDER BY rowid LIMIT ${PAGE}`);
  let last = 0;
  for (;;) {
    const page = stmt.all(last, ...args) as Record<string, unknown>[];
    for (const r of page) {
      last = r.__rowid as number;
      delete r.__rowid;
      yield r;
    }
    if (page.length < PAGE) return;
  }
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function csvField(v: unknown): string {
  if (v === null || v === undefined) return "";
  const s = typeof v === "string" ? v : typeof v === "object" ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function write(out: NodeJS.WritableStream, text: string): Promise<void> | void {
  if (out.write(text)) return;
  return new Promise((res) => out.once("drain", () => res()));
}

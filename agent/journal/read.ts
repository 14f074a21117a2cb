// Reading a journal that may come from another machine or an older blackstart
// (export, replay): the file is never changed. An older schema is migrated on
// a private copy; a newer one is refused with its version.
import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import Database from "better-sqlite3";
import { BlackstartError, Errors } from "../../shared/errors.js";
import { JournalErrors } from "./errors.js";
import { migrate, SCHEMA_VERSION, schemaVersion } from "./schema.js";

export interface JournalReader {
  db: Database.Database;
  /** The version the file was written with (before any migration of the copy). */
  writtenVersion: number;
  close(): void;
}

export function openJournalForReading(path: string): JournalReader {
  if (!existsSync(path)) throw new BlackstartError(Errors.FILE_NOT_FOUND, `no journal at ${path}`, { file: path });
  let probe: Database.Database;
  try {
    probe = new Database(path, { readonly: true, fileMustExist: true });
  } catch (e) {
    throw new BlackstartError(JournalErrors.OPEN, `cannot open ${path}: ${(e as Error).message}`, { file: path });
  }
  let version: number;
  try {
    version = schemaVersion(probe);
    const tables = (probe.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'meta'").get() as { n: number }).n;
    if (version === 0 || tables === 0) throw new BlackstartError(JournalErrors.OPEN, `${path} is not a blackstart journal (no schema version)`, { file: path });
    if (version > SCHEMA_VERSION) {
      throw new BlackstartError(JournalErrors.NEWER, `journal ${path} has schema version ${version}; this blackstart reads up to ${SCHEMA_VERSION}`, { file: path });
    }
  } catch (e) {
    probe.close();
    if (e instanceof BlackstartError) throw e;
    throw new BlackstartError(JournalErrors.OPEN, `${path} is not a readable SQLite journal: ${(e as Error).message}`, { file: path });
  }
  if (version === SCHEMA_VERSION) return { db: probe, writtenVersion: version, close: () => probe.close() };
  probe.close();
  // Older: migrate a copy (with its WAL, so nothing committed is missed).
  const dir = mkdtempSync(join(tmpdir(), "blackstart-journal-"));
  const copy = join(dir, basename(path));
  copyFileSync(path, copy);
  if (existsSync(`${path}-wal`)) copyFileSync(`${path}-wal`, `${copy}-wal`);
  const db = new Database(copy);
  migrate(db);
  return {
    db,
    writtenVersion: version,
    close: () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

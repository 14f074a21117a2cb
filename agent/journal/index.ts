// The agent's journal (docs/journal.md).
export { Journal, decodeDecision, type JournalOptions, type JournalStats, type CheckpointResult } from "./journal.js";
export * from "./records.js";
export { MIGRATIONS, SCHEMA_VERSION, migrate, schemaVersion, TABLES } from "./schema.js";
export { openJournalForReading, type JournalReader } from "./read.js";
export { exportJournal, type ExportFormat, type ExportOptions, type ExportSummary } from "./export.js";
export { JournalErrors } from "./errors.js";

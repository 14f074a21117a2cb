// Error codes of the journal (see shared/errors.ts for the registry).
import { defineError } from "../../shared/errors.js";

export const JournalErrors = {
  OPEN: defineError("JOURNAL_OPEN", "The journal database could not be opened or is not a blackstart journal.", 3),
  NEWER: defineError("JOURNAL_NEWER", "The journal was written by a newer blackstart (a higher schema version) than this one reads."),
  TRANSITION: defineError("JOURNAL_TRANSITION", "A command or reservation was moved to a state its current state cannot lead to.", 4),
  UNKNOWN_COMMAND: defineError("JOURNAL_UNKNOWN_COMMAND", "A command or reservation id is not in the journal.", 4),
  CORRUPT: defineError("JOURNAL_CORRUPT", "SQLite's integrity check found damage in the journal.", 3),
  EXPORT: defineError("JOURNAL_EXPORT", "A journal export option is not valid (format, table, output)."),
} as const;

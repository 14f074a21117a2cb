// One error registry for everything a user can meet (fastify style): each error
// has a stable code users can search for, and says where the problem is
// (file and line, or the field of a validated document).

/** Where a problem sits in the user's input. */
export interface ErrorLocation {
  file?: string;
  line?: number;
  /** Dotted path of a field in a validated document, e.g. `microgrids[1].switches[3]`. */
  field?: string;
}

export interface ErrorDefinition {
  code: string;
  /** Process exit code the CLI uses for this error. 2 = bad input, 3 = runtime/peer failure, 4 = internal. */
  exit: number;
  summary: string;
}

const registry = new Map<string, ErrorDefinition>();

/** Register an error code once; rooms declare their own codes in their own errors module. */
export function defineError(code: string, summary: string, exit = 2): ErrorDefinition {
  const full = code.startsWith("BLACKSTART_ERR_") ? code : `BLACKSTART_ERR_${code}`;
  const existing = registry.get(full);
  if (existing) return existing;
  const def = { code: full, exit, summary };
  registry.set(full, def);
  return def;
}

export function listErrors(): ErrorDefinition[] {
  return [...registry.values()].sort((a, b) => a.code.localeCompare(b.code));
}

export class BlackstartError extends Error {
  readonly code: string;
  readonly exitCode: number;
  readonly location: ErrorLocation;
  /** The message without the location prefix. */
  readonly detail: string;

  constructor(def: ErrorDefinition, detail: string, location: ErrorLocation = {}, options?: { cause?: unknown }) {
    super(formatMessage(def.code, detail, location), options);
    this.name = "BlackstartError";
    this.code = def.code;
    this.exitCode = def.exit;
    this.location = location;
    this.detail = detail;
  }
}

/** `file:line: [field] CODE: detail` on one line, as compilers print. */
export function formatMessage(code: string, detail: string, loc: ErrorLocation): string {
  const where: string[] = [];
  if (loc.file) where.push(loc.line !== undefined ? `${loc.file}:${loc.line}` : loc.file);
  if (loc.field) where.push(`field '${loc.field}'`);
  const prefix = where.length ? `${where.join(": ")}: ` : "";
  return `${prefix}${code}: ${detail.replace(/\s*\n\s*/g, " ")}`;
}

export function isBlackstartError(e: unknown): e is BlackstartError {
  return e instanceof BlackstartError;
}

// Codes shared by several rooms. Rooms add their own next to their code.
export const Errors = {
  FILE_NOT_FOUND: defineError("FILE_NOT_FOUND", "A file named in the input does not exist."),
  INVALID_DOCUMENT: defineError("INVALID_DOCUMENT", "A YAML/JSON document failed schema validation."),
  PARSE: defineError("PARSE", "A YAML/JSON document could not be parsed."),
  UNKNOWN_NAME: defineError("UNKNOWN_NAME", "A name (element, load, bus, scenario) does not exist."),
  BAD_VALUE: defineError("BAD_VALUE", "A value given to an API or command is not a finite number or is out of range."),
  MISMATCH: defineError("MISMATCH", "Two artefacts that must agree do not (policy vs scenario, site vs policy)."),
  INTERNAL: defineError("INTERNAL", "A bug: an invariant of blackstart itself did not hold.", 4),
} as const;

// Secrets (bus password, TLS key passphrase, OPC UA user password, HTTP token)
// come from environment variables or files, never from the site file, and a
// resolved secret cannot be logged or serialised by accident.
import { readFileSync } from "node:fs";
import { inspect } from "node:util";
import { BlackstartError } from "../../shared/errors.js";
import type { SecretRef } from "../../shared/site/schema.js";
import { AgentErrors } from "../errors.js";

const REDACTED = "[redacted]";

export class Secret {
  readonly #value: string;
  /** Where it came from (`env BUS_PASSWORD`, `file /etc/...`): safe to log. */
  readonly source: string;

  constructor(value: string, source: string) {
    this.#value = value;
    this.source = source;
  }

  /** The value, for the one call that needs it (a connect option). */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }
  toJSON(): string {
    return REDACTED;
  }
  [inspect.custom](): string {
    return `Secret(${this.source})`;
  }
}

/**
 * Resolve a secret reference now, so a missing one fails at start naming its
 * field. `resolvePath` makes a relative file name relative to the site file.
 */
export function resolveSecret(
  ref: SecretRef,
  where: { file: string; field: string; line?: number },
  env: NodeJS.ProcessEnv = process.env,
  resolvePath: (p: string) => string = (p) => p,
): Secret {
  const loc = { file: where.file, field: where.field, ...(where.line !== undefined ? { line: where.line } : {}) };
  if ("env" in ref) {
    const v = env[ref.env];
    if (v === undefined || v === "") throw new BlackstartError(AgentErrors.SECRET_MISSING, `environment variable ${ref.env} is not set`, loc);
    return new Secret(v, `env ${ref.env}`);
  }
  const path = resolvePath(ref.file);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new BlackstartError(AgentErrors.SECRET_MISSING, `cannot read secret file ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, loc);
  }
  const v = text.replace(/\r?\n$/, "");
  if (v === "") throw new BlackstartError(AgentErrors.SECRET_MISSING, `secret file ${path} is empty`, loc);
  return new Secret(v, `file ${path}`);
}

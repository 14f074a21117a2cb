// Loading validated YAML/JSON documents (scenarios, profiles, site configs,
// fault files). A bad document fails with one error naming the file, the line
// and the field, never with a stack trace.
import { readFileSync } from "node:fs";
import { isMap, isSeq, LineCounter, parseDocument, type Document, type Node } from "yaml";
import type { z } from "zod";
import { BlackstartError, Errors } from "./errors.js";

export interface LoadedDocument<T> {
  value: T;
  file: string;
  /** Line (1-based) of the node at a path, for errors raised after validation (unknown names, cross-references). */
  lineOf(path: readonly (string | number)[]): number | undefined;
}

/** Render a zod/yaml path as `a.b[2].c`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

function lineLocator(doc: Document, counter: LineCounter) {
  return (path: readonly (string | number)[]): number | undefined => {
    // Walk as deep as the path exists, so a missing field points at its parent.
    let node: unknown = doc.contents;
    let best: Node | undefined = node as Node | undefined;
    for (const key of path) {
      if (isMap(node)) node = node.get(key, true);
      else if (isSeq(node) && typeof key === "number") node = node.get(key, true);
      else break;
      if (node === undefined) break;
      best = node as Node;
    }
    const offset = best?.range?.[0];
    return offset === undefined ? undefined : counter.linePos(offset).line;
  };
}

/** Parse YAML or JSON text (JSON is YAML) and validate it with a zod schema. */
export function parseDocumentText<S extends z.ZodType>(text: string, file: string, schema: S): LoadedDocument<z.infer<S>> {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const err = doc.errors[0]!;
    // Without prettyErrors the yaml library leaves linePos unset: find the line from the offset.
    const line = err.linePos?.[0]?.line ?? (err.pos?.[0] !== undefined ? counter.linePos(err.pos[0]).line : undefined);
    throw new BlackstartError(Errors.PARSE, err.message.split("\n")[0] ?? "invalid YAML", { file, ...(line !== undefined ? { line } : {}) });
  }
  const lineOf = lineLocator(doc, counter);
  const raw = doc.toJS();
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
    const line = lineOf(path);
    throw new BlackstartError(Errors.INVALID_DOCUMENT, issue.message, {
      file,
      ...(line !== undefined ? { line } : {}),
      field: fieldPath(path) || "(root)",
    });
  }
  return { value: parsed.data, file, lineOf };
}

export function loadDocument<S extends z.ZodType>(file: string, schema: S): LoadedDocument<z.infer<S>> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new BlackstartError(Errors.FILE_NOT_FOUND, `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { file });
  }
  return parseDocumentText(text, file, schema);
}

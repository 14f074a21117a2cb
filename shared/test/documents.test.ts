import { describe, expect, it } from "vitest";
import { z } from "zod";
import { parseDocumentText } from "../documents.js";
import { BlackstartError } from "../errors.js";
import { closestNames, unknownNameMessage } from "../names.js";

const Schema = z.object({ name: z.string(), items: z.array(z.object({ kw: z.number().positive() }).strict()) }).strict();

function errorOf(fn: () => unknown): BlackstartError {
  try {
    fn();
  } catch (e) {
    if (e instanceof BlackstartError) return e;
    throw e;
  }
  throw new Error("expected a BlackstartError");
}

describe("validated documents", () => {
  it("accepts a valid document", () => {
    const doc = parseDocumentText("name: a\nitems:\n  - kw: 3\n", "x.yaml", Schema);
    expect(doc.value.items[0]!.kw).toBe(3);
    expect(doc.lineOf(["items", 0, "kw"])).toBe(3);
  });

  it("names the file, line and field of a bad value", () => {
    const e = errorOf(() => parseDocumentText("name: a\nitems:\n  - kw: 3\n  - kw: -1\n", "site.yaml", Schema));
    expect(e.code).toBe("BLACKSTART_ERR_INVALID_DOCUMENT");
    expect(e.location).toMatchObject({ file: "site.yaml", line: 4, field: "items[1].kw" });
    expect(e.message).toMatch(/^site\.yaml:4: field 'items\[1\]\.kw': BLACKSTART_ERR_INVALID_DOCUMENT: /);
    expect(e.exitCode).toBe(2);
  });

  it("names an unknown key", () => {
    const e = errorOf(() => parseDocumentText("name: a\nitems: []\nextra: 1\n", "s.yaml", Schema));
    expect(e.message).toContain("s.yaml");
    expect(e.message).toMatch(/extra/);
  });

  it("reports YAML syntax errors with their line", () => {
    const e = errorOf(() => parseDocumentText("name: a\nitems: [\n", "bad.yaml", Schema));
    expect(e.code).toBe("BLACKSTART_ERR_PARSE");
    expect(e.location.file).toBe("bad.yaml");
  });
});

describe("names", () => {
  it("suggests the closest names", () => {
    expect(closestNames("Line.L4x", ["Line.L45", "Line.L1", "Line.L44", "Line.L100"], 2)).toEqual(["Line.L44", "Line.L45"]);
    expect(unknownNameMessage("switch", "Line.L4x", ["Line.L45"])).toBe("unknown switch 'Line.L4x' (closest: Line.L45)");
  });
});

// docs/dss.md lists every keyword the interpreter accepts and ignores, and
// every OpenDSS class it refuses: this keeps the list honest as tables change.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../../test/support/paths.js";
import { CLASSES, UNSUPPORTED_CLASSES } from "../classes/index.js";
import { COMMAND_NAMES, IGNORED_COMMANDS } from "../commands.js";
import { IGNORED_OPTIONS, OPTION_NAMES } from "../options.js";

const doc = readFileSync(join(REPO_ROOT, "docs/dss.md"), "utf8");
const mentioned = (word: string) => doc.includes(word);

describe("docs/dss.md", () => {
  it("lists every ignored property of every class", () => {
    const missing: string[] = [];
    for (const c of CLASSES) {
      const ign = c.properties.filter((p) => p.ignored).map((p) => p.name);
      if (ign.length === 0) continue;
      const section = doc.slice(doc.indexOf("### Ignored properties"));
      const row = section.split("\n").find((l) => l.startsWith(`| ${c.name} |`) || (l.startsWith("| WireData, CNData, TSData |") && ["WireData", "CNData", "TSData"].includes(c.name)));
      if (!row) missing.push(`${c.name}: no row`);
      else for (const p of ign) if (!row.includes(p)) missing.push(`${c.name}.${p}`);
    }
    expect(missing).toEqual([]);
  });

  it("lists every ignored class, command and option, and every refused class", () => {
    const missing = [
      ...CLASSES.filter((c) => c.ignored).map((c) => c.name),
      ...COMMAND_NAMES.filter((c) => IGNORED_COMMANDS.has(c.toLowerCase())),
      ...OPTION_NAMES.filter((o) => IGNORED_OPTIONS.has(o.toLowerCase())),
      ...UNSUPPORTED_CLASSES,
    ].filter((w) => !mentioned(w));
    expect(missing).toEqual([]);
  });
});

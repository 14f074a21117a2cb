// Bad DSS input through the real command line: one line on stderr naming
// file and line, exit code 2, nothing on stdout.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../../test/support/paths.js";

function blackstart(args: string[]) {
  return spawnSync(process.execPath, [join(REPO_ROOT, "bin/blackstart.mjs"), ...args], { encoding: "utf8", timeout: 60_000 });
}

describe("blackstart powerflow on bad DSS input", () => {
  const dir = mkdtempSync(join(tmpdir(), "dss-cli-"));
  const cases: [string, string, RegExp][] = [
    ["unknown property", "clear\nnew circuit.t\nnew line.l1 bus1=a lenght=3\n", /bad\.dss:3: BLACKSTART_ERR_DSS_UNKNOWN_PROPERTY: .*'lenght'/],
    ["undefined linecode", "clear\nnew circuit.t\n\nnew line.l1 bus1=a bus2=b linecode=mtx601\n", /bad\.dss:4: BLACKSTART_ERR_DSS_UNDEFINED_REFERENCE: .*'mtx601'/],
    ["missing redirected file", "clear\nnew circuit.t\nredirect lines.dss\n", /bad\.dss:3: BLACKSTART_ERR_DSS_FILE_NOT_FOUND: .*lines\.dss/],
  ];
  for (const [what, text, message] of cases) {
    it(what, () => {
      const file = join(dir, "bad.dss");
      writeFileSync(file, text);
      const r = blackstart(["powerflow", file]);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe("");
      const lines = r.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(message);
    });
  }

  it("a missing master", () => {
    const r = blackstart(["powerflow", join(dir, "nothere.dss")]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/BLACKSTART_ERR_DSS_FILE_NOT_FOUND: .*nothere\.dss/);
  });
});

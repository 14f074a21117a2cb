import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../../test/support/paths.js";
import { Journal } from "../index.js";

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "journal-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cli = (...args: string[]) => run(process.execPath, [resolve(REPO_ROOT, "bin/blackstart.mjs"), "journal", ...args]);

describe("blackstart journal", () => {
  it("exports JSON lines and CSV, reports info, and names a bad option", async () => {
    const p = join(dir, "mg1.db");
    const j = Journal.open(p, { microgrid: "mg1", maintenanceIntervalMs: 0 });
    const d = j.decision(4, { policy: { kind: "plan" }, observation: [0, 1], logits: [1, 0, 0, 0, 0, 1], actions: [0, 2], shieldInput: { now_ms: 9 }, verdicts: [] });
    j.commandIntended({ decisionId: d, element: "Line.l1", action: "close" });
    j.close();
    const jsonl = await cli("export", p, "--table", "decisions,commands");
    const rows = jsonl.stdout.trim().split("\n").map((l) => JSON.parse(l) as { table: string });
    expect(rows.map((r) => r.table)).toEqual(["decisions", "commands"]);
    expect(jsonl.stderr).toMatch(/2 rows from .*schema v2/);
    const csv = await cli("export", p, "--format", "csv", "--table", "commands");
    expect(csv.stdout.split("\r\n")[1]).toMatch(/^d-mg1-[0-9a-f]+-1\/Line\.l1,/);
    const info = await cli("info", p, "--json");
    expect(JSON.parse(info.stdout)).toMatchObject({ schema_version: 2, meta: { microgrid: "mg1" }, rows: { decisions: 1 }, unresolved_commands: [{ element: "Line.l1", state: "intended" }] });
    await expect(cli("export", p, "--format", "xml")).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/field '--format': BLACKSTART_ERR_JOURNAL_EXPORT: unknown format 'xml'/) });
  });
});

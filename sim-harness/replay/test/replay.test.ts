// Replay of a real bench run: every decision re-runs the same; a journal with
// one decision tampered reports exactly that divergence; journals copied to
// another folder (their site files gone) replay with --policy; a journal of
// an older schema version (v1) replays from a migrated copy, unchanged.
import { copyFileSync, existsSync, mkdtempSync, readdirSync, renameSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { beforeAll, describe, expect, it } from "vitest";
import { runBench } from "../../bench/run.js";
import { runReplay } from "../run.js";

const run = mkdtempSync(join(tmpdir(), "replay-run-"));
const journals = () => readdirSync(join(run, "journals")).filter((f) => f.endsWith(".db")).map((f) => join(run, "journals", f));

/** A copy of the run's journals in a fresh folder (as if carried to another machine). */
function copyJournals(): string[] {
  const to = mkdtempSync(join(tmpdir(), "replay-copy-"));
  for (const f of readdirSync(join(run, "journals"))) copyFileSync(join(run, "journals", f), join(to, f));
  return readdirSync(to).filter((f) => f.endsWith(".db")).map((f) => join(to, f));
}

let policyDir = "";
beforeAll(async () => {
  // The policy shipped for ieee123-5mg (learned: ONNX actors, so replay meets float noise too).
  const r = await runBench({ scenario: "ieee123-5mg", clock: "lockstep", reportDir: run, plant: "powerflow", optimum: false });
  policyDir = r.summary.policy_dir;
}, 240_000);

describe("replay of a bench run", () => {
  it("re-runs every decision with zero divergences and re-simulates the same served load", async () => {
    const r = await runReplay({ journals: journals(), reportDir: join(run, "replay") });
    expect(r.summary.decisions).toBeGreaterThan(20);
    expect(r.summary.divergences).toEqual([]);
    expect(r.summary.passed).toBe(true);
    expect(r.summary.resimulation.cap_breaches).toBe(0);
    expect(r.summary.resimulation.commands_applied).toBeGreaterThan(5);
    expect(existsSync(r.reportFile)).toBe(true);
  });

  it("reports exactly the one decision that was tampered with", async () => {
    const copies = copyJournals();
    const file = copies.find((f) => f.endsWith("mg3.db"))!;
    const db = new Database(file);
    const row = db.prepare("SELECT id, actions FROM decisions ORDER BY at LIMIT 1 OFFSET 2").get() as { id: string; actions: string };
    const actions = JSON.parse(row.actions) as number[];
    actions[0] = actions[0] === 0 ? 2 : 0;
    db.prepare("UPDATE decisions SET actions = ? WHERE id = ?").run(JSON.stringify(actions), row.id);
    db.close();
    const r = await runReplay({ journals: copies, policy: policyDir, reportDir: join(run, "replay-tampered") });
    expect(r.summary.divergences).toHaveLength(1);
    expect(r.summary.divergences[0]).toMatchObject({ microgrid: "mg3", decision: row.id, kinds: ["action"] });
    expect(r.summary.passed).toBe(false);
  });

  it("finds the policy through the site files, and asks for --policy when they are not on this machine", async () => {
    const copies = copyJournals();
    renameSync(join(run, "sites"), join(run, "sites-elsewhere"));
    try {
      await expect(runReplay({ journals: copies })).rejects.toThrow(/--policy/);
      const r = await runReplay({ journals: copies, policy: policyDir, reportDir: join(run, "replay-copied") });
      expect(r.summary.divergences).toEqual([]);
    } finally {
      renameSync(join(run, "sites-elsewhere"), join(run, "sites"));
    }
  });

  it("reads a journal written with schema v1 through a migrated copy, leaving the file untouched", async () => {
    const copies = copyJournals();
    const v1 = copies.find((f) => f.endsWith("mg2.db"))!;
    const db = new Database(v1);
    db.pragma("wal_checkpoint(TRUNCATE)");
    db.exec("DROP TABLE reservations; DROP TABLE reservation_states; ALTER TABLE commands DROP COLUMN reservation_id; ALTER TABLE peer_messages DROP COLUMN view;");
    db.prepare("UPDATE meta SET value = '1' WHERE key = 'schema_version'").run();
    db.pragma("user_version = 1");
    db.close();
    const before = statSync(v1).mtimeMs;
    const r = await runReplay({ journals: copies, policy: policyDir, reportDir: join(run, "replay-v1") });
    expect(r.summary.journals.find((j) => j.microgrid === "mg2")?.written_schema_version).toBe(1);
    expect(r.summary.divergences).toEqual([]);
    expect(statSync(v1).mtimeMs).toBe(before);
    const check = new Database(v1, { readonly: true });
    expect(check.pragma("user_version", { simple: true })).toBe(1);
    check.close();
  });
});

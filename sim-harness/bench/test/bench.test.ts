// The bench end to end on ieee123-5mg, lockstep, over real Modbus TCP, with
// the embedded broker and five agent processes: everything the run reports
// comes from the simulator, and agrees with what the agents journaled.
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { beforeAll, describe, expect, it } from "vitest";
import { runBench, type BenchResult } from "../run.js";

let r: BenchResult;
const dir = mkdtempSync(join(tmpdir(), "bench-e2e-"));

beforeAll(async () => {
  r = await runBench({ scenario: "ieee123-5mg", clock: "lockstep", reportDir: dir, plant: "powerflow" });
}, 240_000);

function journalRows<T>(mg: string, sql: string): T[] {
  const db = new Database(join(dir, "journals", `${mg}.db`), { readonly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

describe("bench on ieee123-5mg (lockstep, shipped policy)", () => {
  it("summarises with the fields of scenario eval --json, plus wall time and per-agent figures", () => {
    const s = r.summary;
    for (const k of ["scenario", "mode", "policy", "grid", "restored_kw", "weighted_restored", "total_load_kw", "cap_kw", "pct_of_cap", "pct_of_total_load", "pct_of_optimum", "cap_breaches", "violations", "switch_states", "sequence", "tap_positions", "step_ms_mean", "powerflow_commands", "nonconverged", "episodes", "summary", "per_episode"]) {
      expect(s, k).toHaveProperty(k);
    }
    expect(s.scenario).toBe("ieee123-5mg");
    // The policy shipped for the scenario (a trained one first), labelled for what it is.
    expect(s.policy_origin).toBe("shipped");
    expect(s.policy).toMatch(s.policy_kind === "plan" ? /^plan \(replay/ : /policy \(onnx\)$/);
    expect(s.wall_s).toBeGreaterThan(0);
    expect(Object.keys(s.agents).sort()).toEqual(["mg1", "mg2", "mg3", "mg4", "mg5"]);
    for (const a of Object.values(s.agents)) {
      expect(a.lives).toBe(1);
      // The restoration's ticks, plus the watching tick before it.
      expect(a.ticks).toBe(s.ticks + 1);
      expect(a.ticks_failed).toBe(0);
      expect(a.cpu_s).toBeGreaterThan(0);
      expect(a.peak_rss_mb).toBeGreaterThan(20);
    }
    expect(JSON.parse(readFileSync(r.summaryFile, "utf8"))).toMatchObject({ scenario: "ieee123-5mg", kind: "bench" });
  });

  it("never exceeds the cap at any solved instant, and the exit status follows the checks", () => {
    const s = r.summary;
    expect(s.cap_breaches).toBe(0);
    expect(s.peak_restored_kw).toBeLessThanOrEqual(2400);
    expect(s.checks.find((c) => c.name === "cap never exceeded")?.ok).toBe(true);
    expect(s.checks.find((c) => c.name === "no switch operated twice for one decision")?.ok).toBe(true);
    const target = s.checks.find((c) => c.name.startsWith("restored >= 95"))!;
    expect(target.ok).toBe((s.pct_of_cap ?? 0) >= 95);
    expect(r.passed).toBe(s.checks.every((c) => c.ok || c.severity === "info"));
    // The agents served something, the plant shows it.
    expect(s.restored_kw).toBeGreaterThan(s.per_episode[0]!.restored_kw - 1e-6);
    expect(s.sequence.length).toBeGreaterThan(0);
  });

  it("counts on the plant exactly the commands the agents journaled as confirmed", () => {
    const plantOps = r.summary.sequence.flatMap((st) => st.operations.map((o) => `${o.agent} ${o.action} ${o.element.toLowerCase()}`)).sort();
    const confirmed = ["mg1", "mg2", "mg3", "mg4", "mg5"]
      .flatMap((mg) => journalRows<{ element: string; action: string }>(mg, "SELECT c.element, c.action FROM commands c WHERE EXISTS (SELECT 1 FROM command_states s WHERE s.command_id = c.id AND s.state = 'confirmed')").map((c) => `${mg} ${c.action} ${c.element.toLowerCase()}`))
      .sort();
    expect(plantOps).toEqual(confirmed);
    expect(plantOps.length).toBeGreaterThan(5);
  });

  it("heard every agent on the bus, and writes a self-contained HTML report with its four plots", () => {
    expect(r.summary.bus.availability).toEqual({ mg1: "online", mg2: "online", mg3: "online", mg4: "online", mg5: "online" });
    expect(r.summary.bus.by_kind.state).toBeGreaterThanOrEqual(5 * r.summary.ticks);
    const html = readFileSync(r.reportFile, "utf8");
    expect(html.match(/<svg /g)?.length).toBe(4);
    for (const title of ["served load over time", "timeline of switching operations", "final voltage profile", "decisions and vetoes per agent"]) expect(html).toContain(`aria-label="${title}"`);
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    expect(existsSync(join(dir, "sites", "mg1.yaml"))).toBe(true);
  });
});

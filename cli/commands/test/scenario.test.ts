// `blackstart scenario ...` as a user runs it: real process, real exit codes,
// the JSON fields the issue lists, and a policy directory (a plan) evaluated.
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../../test/support/paths.js";

const run = promisify(execFile);
const BIN = join(REPO_ROOT, "bin/blackstart.mjs");

async function cli(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const r = await run(process.execPath, [BIN, "scenario", ...args], { cwd: REPO_ROOT, maxBuffer: 64 << 20 });
    return { ...r, code: 0 };
  } catch (e) {
    const x = e as { stdout: string; stderr: string; code: number };
    return { stdout: x.stdout, stderr: x.stderr, code: x.code };
  }
}

describe("blackstart scenario", () => {
  it("list and sections", async () => {
    const list = await cli("list", "--json");
    expect(list.code).toBe(0);
    const names = (JSON.parse(list.stdout) as { name: string }[]).map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(["ieee123-5mg", "ieee8500-10mg", "ieee123-merge"]));
    const sec = await cli("sections", "ieee123-5mg", "--json");
    const g = JSON.parse(sec.stdout);
    expect(g).toMatchObject({ format: "blackstart-sections/1", scenario: "ieee123-5mg", mode: "paper", cap_kw: 2400 });
    expect(g.sections).toHaveLength(27);
    const human = await cli("sections", "ieee123-5mg");
    expect(human.stdout).toMatch(/27 sections, 26 switches/);
  });

  it("optimum --json has the issue's fields; eval runs the plan it writes as a policy directory", async () => {
    const dir = mkdtempSync(join(tmpdir(), "blackstart-plan-"));
    const r = await cli("optimum", "ieee123-5mg", "--json", "--plan", join(dir, "plan.json"));
    expect(r.code).toBe(0);
    const o = JSON.parse(r.stdout);
    for (const k of ["scenario", "mode", "restored_kw", "weighted_restored", "total_load_kw", "cap_kw", "pct_of_cap", "pct_of_optimum", "cap_breaches", "violations", "switch_states", "sequence", "solve_ms", "step_ms_mean", "tap_positions"]) {
      expect(o).toHaveProperty(k);
    }
    expect(o.restored_kw).toBeLessThanOrEqual(2400);
    expect(o.pct_of_cap).toBeGreaterThan(99);
    expect(o.cap_breaches).toBe(0);
    expect(Object.values(o.switch_states).every((s) => s === "open" || s === "closed")).toBe(true);
    expect(o.sequence[0].operations[0]).toMatchObject({ agent: expect.any(String), element: expect.stringMatching(/^Line\./), action: "close" });
    expect(r.stderr).toMatch(/optimum: iteration 1/);

    // The plan as a policy directory (shared/policy), evaluated like a learned policy.
    const plan = JSON.parse((await import("node:fs")).readFileSync(join(dir, "plan.json"), "utf8"));
    writeFileSync(
      join(dir, "manifest.json"),
      JSON.stringify({
        format: "blackstart-policy/1",
        kind: "plan",
        scenario: "ieee123-5mg",
        scenario_hash: plan.scenario_hash,
        algorithm: "optimum",
        observation: { kind: "switch-states" },
        actions_per_element: 3,
        agents: [
          ["mg1", ["Line.L1", "Line.L2", "Line.L8", "Line.L9", "Line.L12", "Line.L18", "Line.L21", "Line.L23", "Line.L25", "Line.L26"]],
          ["mg2", ["Line.L35", "Line.L40", "Line.L42", "Line.L44", "Line.L45"]],
          ["mg3", ["Line.L57", "Line.L60", "Line.L61"]],
          ["mg4", ["Line.L66", "Line.L72", "Line.L76", "Line.L77", "Line.L96"]],
          ["mg5", ["Line.L100", "Line.L104", "Line.L107"]],
        ].map(([id, elements]) => ({ id, elements, observation_size: (elements as string[]).length })),
        created: new Date(0).toISOString(),
      }),
    );
    const e = await cli("eval", "ieee123-5mg", "--policy", dir, "--episodes", "2", "--json");
    expect(e.code).toBe(0);
    const ev = JSON.parse(e.stdout);
    expect(ev.episodes).toBe(2);
    expect(ev.restored_kw).toBeCloseTo(o.restored_kw, 6);
    expect(ev.pct_of_optimum).toBeCloseTo(100, 3);
    expect(ev.policy).toMatch(/plan/);
  });

  it("greedy and random with --json; bad input exits 2 with one line naming the problem", async () => {
    const g = await cli("eval", "ieee123-5mg", "--policy", "greedy", "--episodes", "1", "--no-optimum", "--json", "--grid", "nominal");
    expect(JSON.parse(g.stdout)).toMatchObject({ policy: "greedy", grid: "nominal", cap_breaches: 0, pct_of_optimum: null });
    const unknown = await cli("optimum", "ieee123-5m");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim()).toMatch(/^blackstart: BLACKSTART_ERR_UNKNOWN_NAME: unknown scenario 'ieee123-5m' \(closest: ieee123-5mg/);
    const badPolicy = await cli("eval", "ieee123-5mg", "--policy", "smart");
    expect(badPolicy.code).toBe(2);
    expect(badPolicy.stderr).toMatch(/unknown policy 'smart'/);
  });
});

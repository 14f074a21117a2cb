import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SectionGraph } from "../../../shared/scenario/sections.js";
import { HAVE_SHARED, PAPER_DIR } from "../../../test/support/paths.js";
import { bindScenarioFile } from "../bind.js";
import { listScenarios, loadScenario } from "../load.js";
import { checkQuotas, poolQuotas } from "../../../shared/scenario/quotas.js";
import { errorOf, shippedText, writeScenario } from "./helpers.js";

/** mg1's quota line in the shipped ieee123-5mg.yaml. */
const MG1_QUOTA = "    quota_kw: 370  # (2400 / 1.0175 - 505) / 5: the static fallback stays under the cap (docs/scenario.md, Quotas)";

/** 1-based line of the first line containing `needle`. */
function lineWith(text: string, needle: string): number {
  return text.split("\n").findIndex((l) => l.includes(needle)) + 1;
}

describe("shipped paper scenarios", () => {
  it("lists every shipped scenario with its mode", () => {
    const all = listScenarios();
    expect(all.map((s) => s.name)).toEqual(expect.arrayContaining(["ieee123-5mg", "ieee8500-10mg"]));
    expect(all.find((s) => s.name === "ieee123-5mg")).toMatchObject({ mode: "paper", microgrids: 5, switches: 26 });
    expect(all.find((s) => s.name === "ieee8500-10mg")).toMatchObject({ mode: "paper", microgrids: 10, switches: 100 });
  });

  it.skipIf(!HAVE_SHARED).each([
    ["ieee123-5mg", "ieee123-5mg.json"],
    ["ieee8500-10mg", "ieee8500-10mg.json"],
  ])("%s carries the paper environment's numbers exactly", (name, json) => {
    const paper = JSON.parse(readFileSync(join(PAPER_DIR, json), "utf8"));
    const { scenario } = loadScenario(name);
    expect(scenario.microgrids.map((m) => m.switches.map((s) => s.replace(/^Line\./, "")))).toEqual(paper.agents);
    expect(scenario.limits.generation_cap_kw).toBe(paper.P_gen_kw);
    expect(scenario.reward.cap_penalty_m).toBe(paper.M);
    expect(scenario.episode.length).toBe(paper.episode_limit);
    if (!("explicit" in scenario.weights)) throw new Error("paper weights are explicit");
    expect(scenario.weights.explicit).toEqual(paper.load_weights);
    // Every load of the feeder has its weight: none falls back to the default.
    const bound = bindScenarioFile(name);
    expect(bound.loads.length).toBe(Object.keys(paper.load_weights).length);
    for (const l of bound.loads) expect(l.weight).toBe(paper.load_weights[l.name]);
  });

  it("derives the 123 section graph: a tree of 27 sections below the source", () => {
    const g = bindScenarioFile("ieee123-5mg").sections;
    expect(SectionGraph.parse(g)).toEqual(g);
    expect(g.sections).toHaveLength(27);
    expect(g.switches).toHaveLength(26);
    expect(g.total_load_kw).toBeCloseTo(3490, 6);
    expect(g.sections[0]!.sources.map((s) => s.id)).toEqual(["source", "pv1", "pv2", "pv3", "pv4", "pv5"]);
    expect(g.sections[0]!.load_kw).toBeCloseTo(505, 6);
    // Every section but the first is reached through exactly one switch: a tree rooted at s0.
    const degree = new Map<string, number>();
    for (const sw of g.switches) {
      expect(sw.sections[0]).not.toBe(sw.sections[1]);
      expect(sw.initial).toBe("open");
      for (const s of sw.sections) degree.set(s, (degree.get(s) ?? 0) + 1);
    }
    expect(degree.get("s0")).toBe(26);
    // Section loads add up to the feeder's.
    expect(g.sections.reduce((t, s) => t + s.load_kw, 0)).toBeCloseTo(3490, 6);
  });

  it("derives the 8500 section graph from the enabled and disabled lines as compiled", () => {
    const g = bindScenarioFile("ieee8500-10mg").sections;
    expect(g.switches).toHaveLength(100);
    expect(g.sections).toHaveLength(101);
    expect(g.total_load_kw).toBeCloseTo(10773.17, 2);
    expect(g.sections[0]!.load_kw).toBeCloseTo(4.07, 2);
  });
});

describe("scenario errors name the field, the line and the closest names", () => {
  it("an unknown switch", () => {
    const text = shippedText("ieee123-5mg").replace("Line.L45]", "Line.L4x]");
    const file = writeScenario(text);
    const e = errorOf(() => bindScenarioFile(file));
    expect(e.code).toBe("BLACKSTART_ERR_UNKNOWN_NAME");
    expect(e.location.field).toBe("microgrids[1].switches[4]");
    expect(e.location.line).toBe(lineWith(text, "Line.L4x"));
    expect(e.location.file).toBe(file);
    expect(e.detail).toBe("unknown switch 'Line.L4x' (closest: Line.l4, Line.l40, Line.l41)");
  });

  it("an unknown load in the weights", () => {
    const text = shippedText("ieee123-5mg").replace('"s12b": 5', '"s12x": 5');
    const file = writeScenario(text);
    const e = errorOf(() => bindScenarioFile(file));
    expect(e.location.field).toBe("weights.explicit.s12x");
    expect(e.location.line).toBe(lineWith(text, '"s12x"'));
    expect(e.detail).toMatch(/unknown load 's12x' \(closest: s12b/);
  });

  it("an unknown bus for a unit", () => {
    const text = shippedText("ieee123-5mg").replace(
      `${MG1_QUOTA}\n  - id: mg2`,
      "    quota_kw: 370\n    units:\n      - {id: d1, kind: diesel, bus: 13x, kv: 4.16, kw: 400, kva: 500}\n  - id: mg2",
    );
    const file = writeScenario(text);
    const e = errorOf(() => bindScenarioFile(file));
    expect(e.location.field).toBe("microgrids[0].units[0].bus");
    expect(e.location.line).toBe(lineWith(text, "bus: 13x"));
    expect(e.detail).toMatch(/unknown bus '13x' \(closest: 13, /);
  });

  it("an unknown faulted element and an unknown shipped name", () => {
    const file = writeScenario(shippedText("ieee123-5mg").replace("  faulted: []", "  faulted: [Line.L999]"));
    const e = errorOf(() => bindScenarioFile(file));
    expect(e.location.field).toBe("outage.faulted[0]");
    expect(e.detail).toMatch(/unknown faulted element 'Line\.L999'/);
    const n = errorOf(() => loadScenario("ieee123-5m"));
    expect(n.message).toMatch(/unknown scenario 'ieee123-5m' \(closest: ieee123-5mg/);
  });

  it("a malformed file: bad value and bad YAML", () => {
    const badText = shippedText("ieee123-5mg").replace("  length: 15", "  length: -3");
    const bad = writeScenario(badText);
    const e = errorOf(() => loadScenario(bad));
    expect(e.code).toBe("BLACKSTART_ERR_INVALID_DOCUMENT");
    expect(e.location).toMatchObject({ field: "episode.length", line: lineWith(badText, "length: -3") });
    const broken = writeScenario(shippedText("ieee123-5mg").replace("mode: paper", "mode: [paper"));
    const p = errorOf(() => loadScenario(broken));
    expect(p.code).toBe("BLACKSTART_ERR_PARSE");
    expect(p.location.line).toBeGreaterThan(0);
  });

  it("a switch in two microgrids, and a forming unit that is not one of the microgrid's", () => {
    const dup = writeScenario(shippedText("ieee123-5mg").replace("[Line.L35,", "[Line.L1, Line.L35,"));
    const e = errorOf(() => loadScenario(dup));
    expect(e.code).toBe("BLACKSTART_ERR_SCENARIO_INCONSISTENT");
    expect(e.location.field).toBe("microgrids[1].switches[0]");
    expect(e.detail).toMatch(/already belongs to microgrid mg1/);
    const forming = writeScenario(
      shippedText("ieee123-5mg").replace(`${MG1_QUOTA}\n  - id: mg2`, "    quota_kw: 370\n    forming_unit: gen9\n  - id: mg2"),
    );
    const f = errorOf(() => loadScenario(forming));
    expect(f.location.field).toBe("microgrids[0].forming_unit");
  });
});

describe("static quotas keep the worst case without the bus within every generation pool", () => {
  it("every shipped scenario's quotas fit (the load served at reset plus every quota, with the 1.75 % load margin)", () => {
    for (const { name } of listScenarios()) {
      const g = bindScenarioFile(name).sections;
      expect(checkQuotas(g), name).toEqual([]);
      for (const p of poolQuotas(g)) expect(p.worst_kw, `${name} ${p.pool}`).toBeLessThanOrEqual(p.capacity_kw);
    }
    // ieee123-5mg: 505 kW at reset, five quotas of 370 kW: 2355 kW nominal, 2396.2 kW with the margin, under 2400.
    const [fleet] = poolQuotas(bindScenarioFile("ieee123-5mg").sections);
    expect(fleet).toMatchObject({ pool: "fleet", capacity_kw: 2400, base_kw: 505, equal_quota_kw: 370, quotas_kw: [370, 370, 370, 370, 370] });
    expect(fleet!.worst_kw).toBeCloseTo(2396.2125, 3);
    expect(poolQuotas(bindScenarioFile("ieee8500-10mg").sections)[0]).toMatchObject({ pool: "fleet", equal_quota_kw: 235 });
  });

  it("quotas that oversubscribe the cap fail naming the field and its line, with the largest quota that fits", () => {
    const text = shippedText("ieee123-5mg").replace(/quota_kw: 370 .*$/gm, "quota_kw: 480");
    const e = errorOf(() => bindScenarioFile(writeScenario(text)));
    expect(e.code).toBe("BLACKSTART_ERR_SCENARIO_QUOTA");
    expect(e.location.field).toBe("microgrids[0].quota_kw");
    expect(e.location.line).toBe(lineWith(text, "quota_kw: 480"));
    expect(e.detail).toMatch(/oversubscribe the 2400 kW generation cap: 505 kW served at the reset plus 2400 kW of quotas .* 2955\.8 kW.*370 kW each/);
    // Five kW more for one agent is enough: (505 + 4 x 370 + 375) x 1.0175 = 2401.3 kW.
    const tight = shippedText("ieee123-5mg").replace(/quota_kw: 370 .*$/m, "quota_kw: 375");
    expect(errorOf(() => bindScenarioFile(writeScenario(tight))).location.field).toBe("microgrids[0].quota_kw");
  });

  it("physics: an island's quotas within its grid-forming units, and no quota without a unit of one's own", () => {
    const over = shippedText("ieee123-fault-lateral").replace(/quota_kw: 529 .*$/m, "quota_kw: 600");
    const e = errorOf(() => bindScenarioFile(writeScenario(over)));
    expect(e.code).toBe("BLACKSTART_ERR_SCENARIO_QUOTA");
    expect(e.location.field).toBe("microgrids[0].quota_kw");
    expect(e.detail).toMatch(/600 kW of grid-forming units in island 'd1'/);
    const unitless = shippedText("ieee123-voltage").replace(/(- id: west\n(?:.*\n)*?\s*)quota_kw: 0/, "$1quota_kw: 50");
    const f = errorOf(() => bindScenarioFile(writeScenario(unitless)));
    expect(f.location.field).toBe("microgrids[1].quota_kw");
    expect(f.detail).toMatch(/'west' has no grid-forming unit/);
  });
});

// The scenario hash covers the decision problem a policy was trained on, not
// run-time deployment settings (docs/policy.md, "Scenario hash").
import { describe, expect, it } from "vitest";
import { decisionProblem, scenarioHash } from "../../../shared/scenario/hash.js";
import { loadScenario } from "../load.js";
import { shippedText, writeScenario } from "./helpers.js";

/** The hash of a variant of a shipped file; written elsewhere, so its feeder path is put back as the shipped file has it. */
const hashOf = (text: string) => {
  const s = loadScenario(writeScenario(text)).scenario;
  return scenarioHash({ ...s, feeder: { ...s.feeder, master: /^\s*master: (\S+)\s*$/m.exec(text)![1]! } });
};

describe("scenario hash", () => {
  const base = shippedText("ieee123-5mg");
  const h0 = hashOf(base);

  it("is the shipped file's, whatever its comments and formatting", () => {
    expect(h0).toBe(loadScenario("ieee123-5mg").hash);
    expect(hashOf(base.replace(/ +#.*$/gm, "").replace(/^#.*\n/gm, ""))).toBe(h0);
    // Element and load names compare as OpenDSS compares them.
    expect(hashOf(base.replace("[Line.L1, Line.L2,", "[line.l1, LINE.L2,"))).toBe(h0);
  });

  it("does not change with deployment settings: quotas, device bindings, points of common coupling, descriptions, the name", () => {
    expect(hashOf(base.replace(/quota_kw: 370/g, "quota_kw: 300"))).toBe(h0);
    expect(hashOf(base.replace(/^description: .*$/m, "description: another text"))).toBe(h0);
    expect(hashOf(base.replace(/^name: ieee123-5mg$/m, "name: renamed"))).toBe(h0);
    expect(hashOf(`${base}\ndevices:\n  switch: {profile: switchgear-opcua, protocol: opcua}\n  modbus_ports: shared\n`)).toBe(h0);
    expect(hashOf(base.replace("  - id: mg1\n", "  - id: mg1\n    pcc: Line.L1\n    description: north\n"))).toBe(h0);
  });

  it("changes with anything that defines the problem: switches or their order, weights, limits, outage, episode, reward, reset, feeder commands, mode", () => {
    const changed = [
      base.replace("[Line.L1, Line.L2,", "[Line.L2, Line.L1,"),
      base.replace('"s1a": 4', '"s1a": 5'),
      base.replace("generation_cap_kw: 2400", "generation_cap_kw: 2300"),
      base.replace("  length: 15", "  length: 16"),
      base.replace("cap_penalty_m: 1 ", "cap_penalty_m: 2 "),
      base.replace("  faulted: []", "  faulted: [Line.L27]"),
      base.replace("random_partial_probability: 0", "random_partial_probability: 0.5"),
      base.replace("mode: paper", "mode: physics"),
      base.replace("  commands: []", "  commands: [\"edit Line.Sw7 bus2=300\"]"),
    ];
    for (const [i, text] of changed.entries()) {
      expect(text, `variant ${i} must differ from the shipped text`).not.toBe(base);
      expect(hashOf(text), `variant ${i}`).not.toBe(h0);
    }
  });

  it("names exactly what it covers", () => {
    expect(Object.keys(decisionProblem(loadScenario("ieee123-5mg").scenario)).sort()).toEqual(
      ["episode", "feeder", "limits", "microgrids", "mode", "outage", "parity", "reset", "reward", "version", "weights"].sort(),
    );
    expect(Object.keys((decisionProblem(loadScenario("ieee123-fault-lateral").scenario).microgrids as object[])[0]!).sort()).toEqual(["forming_unit", "id", "switches", "units"]);
  });
});

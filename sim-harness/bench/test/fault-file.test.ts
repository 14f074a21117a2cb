// Bench fault files: every shipped one is valid and states an end state; a bad
// one fails naming the file, the line and the field.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isBlackstartError } from "../../../shared/errors.js";
import { loadBenchFaults, parseBenchFaults, ticksNeeded } from "../fault-file.js";
import { shippedFaults } from "../faults/index.js";

describe("bench fault files", () => {
  it("ships the suite the issue asks for, each valid with its expected end state", () => {
    const names = shippedFaults().map((f) => f.name);
    expect(names).toEqual(expect.arrayContaining(["kill-agent", "kill-broker", "partition", "packet-loss", "stuck-switch", "trip"]));
    for (const f of shippedFaults()) {
      const doc = loadBenchFaults(f.file);
      expect(doc.name).toBe(f.name);
      expect(doc.expect).toBeDefined();
      // Every fault file checks something besides the invariants every run checks.
      const e = doc.expect;
      const states = [e.restored_pct_of_cap_min, e.pct_of_optimum_min, e.switch_states].filter((x) => x !== undefined).length + e.alarms.length + e.dropped.length + e.quota_fallback.length;
      expect(states, f.name).toBeGreaterThan(0);
    }
  });

  it("names the field of a bad event", () => {
    const text = ["version: 1", "name: bad", "description: x", "events:", "  - {at_tick: 0, action: kill-agent}", "expect: {}"].join("\n");
    try {
      parseBenchFaults(text, "bad.yaml");
      throw new Error("expected an error");
    } catch (e) {
      expect(isBlackstartError(e)).toBe(true);
      expect((e as Error).message).toMatch(/bad\.yaml:5/);
      expect((e as Error).message).toMatch(/microgrid/);
    }
  });

  it("refuses network events without network namespaces asked for", () => {
    const dir = mkdtempSync(join(tmpdir(), "bench-faults-"));
    const file = join(dir, "p.yaml");
    writeFileSync(file, ["name: p", "description: x", "events:", "  - {at_tick: 1, action: partition, microgrid: mg1}", "expect: {}"].join("\n"));
    expect(() => loadBenchFaults(file)).toThrow(/network/);
  });

  it("runs long enough to pass its last event and finish an episode after it", () => {
    const f = parseBenchFaults(["name: k", "description: x", "events:", "  - {at_tick: 4, action: restart-broker}", "expect: {}"].join("\n"), "k.yaml");
    expect(ticksNeeded(f, 15)).toBe(19);
    expect(ticksNeeded({ ...f, min_ticks: 40 }, 15)).toBe(40);
  });
});

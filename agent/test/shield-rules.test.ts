// For every rule of the shield, end to end: the policy proposes the unsafe
// operation, the shield vetoes it, the veto is in the journal with its rule
// and figures, and no operate reaches the device (counted on the device's
// side). The agent, its journal and its devices are real (rig.ts); stale-data
// needs a subscription that goes quiet and is in transports/test/opcua.test.ts.
import { afterEach, describe, expect, it } from "vitest";
import { recloser } from "./support/recloser.js";
import { rig, rows, type RigOptions } from "./support/rig.js";
import { plan, sectionGraph } from "./support/site-fixture.js";

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const addr = (ref: string) => recloser.byRef.get(ref)!.address!;

interface Case {
  rule: string;
  why: string;
  options: RigOptions;
  /** Ticks before the one whose wish is vetoed (the veto must show in the last one). */
  ticks: number;
  /** Operates that legitimately reached the devices before the vetoed wish. */
  operatesBefore: number;
  element: string;
  action: "close" | "open";
  figures?: Record<string, unknown>;
}

/** A graph where section s1 has its own grid-forming source: L1 would parallel two live sections. */
function graphWithLiveS1() {
  const g = sectionGraph();
  g.sections[1]!.sources = [{ id: "gen1", element: "Generator.gen1", kind: "grid-forming", grid_forming: true, kw: 300 }];
  return g;
}

const CASES: Case[] = [
  {
    rule: "missing-data",
    why: "its device does not answer",
    options: { prepare: (b) => (b.hooks.silent = new Set([1])) },
    ticks: 1,
    operatesBefore: 0,
    element: "Line.L1",
    action: "close",
  },
  {
    rule: "inconsistent-data",
    why: "it reads open with 50 A through it",
    options: { prepare: (b) => b.set(1, recloser, "current_a", 50) },
    ticks: 1,
    operatesBefore: 0,
    element: "Line.L1",
    action: "close",
    figures: { closed: false },
  },
  {
    rule: "faulted",
    why: "its fault passage indicator is set",
    options: { prepare: (b) => b.set(1, recloser, "fault_b", true) },
    ticks: 1,
    operatesBefore: 0,
    element: "Line.L1",
    action: "close",
  },
  {
    rule: "faulted",
    why: "it is locked out",
    options: { prepare: (b) => b.set(1, recloser, "lockout", true) },
    ticks: 1,
    operatesBefore: 0,
    element: "Line.L1",
    action: "close",
  },
  {
    rule: "one-operation",
    why: "its last command has not shown its effect yet (a slow mechanism)",
    options: { site: { limits: { min_operation_interval_ms: 0, confirm_ticks: 5 } }, prepare: () => undefined },
    ticks: 2,
    operatesBefore: 1,
    element: "Line.L1",
    action: "close",
  },
  {
    rule: "min-interval",
    why: "it was closed a moment ago and the plan wants it open again",
    options: {
      site: { limits: { min_operation_interval_ms: 60_000 } },
      plan: plan([[{ element: "Line.L1", action: "close" }], [{ element: "Line.L1", action: "open" }]]),
    },
    ticks: 2,
    operatesBefore: 1,
    element: "Line.L1",
    action: "open",
    figures: { min_operation_interval_ms: 60_000 },
  },
  {
    rule: "dead-bus",
    why: "both of its sides are live (no synchronism check)",
    // s1 has its own source: the load-side VTs of L1 read it live too.
    options: { sections: graphWithLiveS1(), prepare: (bank) => ["a", "b", "c"].forEach((ph) => bank.set(1, recloser, `load_voltage_${ph}`, 2399)) },
    ticks: 1,
    operatesBefore: 0,
    element: "Line.L1",
    action: "close",
  },
  {
    rule: "generation",
    why: "its pick-up exceeds the generation left",
    options: { plan: plan([[{ element: "Line.L1", action: "close" }], [{ element: "Line.L2", action: "close" }]]) },
    ticks: 2,
    operatesBefore: 1,
    element: "Line.L2",
    action: "close",
    figures: { pickup_kw: 300, available_kw: 50 },
  },
];

describe("every shield rule, end to end", () => {
  it.each(CASES)("$rule: the wish to $action $element is vetoed when $why; journaled; no write reaches the device", async (c) => {
    const r = await rig(cleanup, c.options);
    if (c.rule === "one-operation") r.stuck.add(1);
    r.agent.restorer.request({ command: "restore", by: "test" });
    let last;
    for (let t = 0; t < c.ticks; t++) last = await r.agent.tick();
    const vetoes = last!.decision!.vetoes.filter((v) => v.element === c.element && v.action === c.action);
    expect(vetoes.map((v) => v.rule)).toContain(c.rule);
    // Nothing but what legitimately came before reached the switches.
    expect(r.operated).toHaveLength(c.operatesBefore);
    const opAddr = addr("ctl_operate");
    expect(r.bank.requests.filter((q) => (q.fc === "fc6" || q.fc === "fc16") && q.address === opAddr)).toHaveLength(c.operatesBefore);
    await r.agent.stop("test");
    const journaled = rows<{ element: string; action: string; rule: string; figures: string }>(r.journalPath, "SELECT element, action, rule, figures FROM verdicts");
    const mine = journaled.filter((v) => v.element === c.element && v.action === c.action && v.rule === c.rule);
    expect(mine.length).toBeGreaterThan(0);
    if (c.figures) expect(JSON.parse(mine.at(-1)!.figures)).toMatchObject(c.figures);
  });

  it("select-before-operate: the agent journals the select before it writes the operate, and a device refuses an operate without one", async () => {
    const r = await rig(cleanup, {});
    r.agent.restorer.request({ command: "restore", by: "test" });
    await r.agent.tick();
    const writes = r.bank.requests.filter((q) => q.fc === "fc6").map((q) => q.address);
    expect(writes).toEqual([addr("ctl_select"), addr("ctl_operate")]);
    await r.agent.stop("test");
    expect(rows<{ state: string }>(r.journalPath, "SELECT state FROM command_states ORDER BY id").map((x) => x.state).slice(0, 3)).toEqual(["intended", "selected", "written"]);
    // The device side of the rule (operate without select -> exception 4) is in transports/test/modbus.test.ts.
  });
});

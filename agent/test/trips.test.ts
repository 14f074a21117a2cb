// Cycle tests of uncommanded changes of position (docs/agent.md): given these
// device states, after one tick, expect these alarms, holds, vetoes and no
// write. Real parts: the agent over real Modbus TCP to simulated reclosers,
// the real journal, the plan policy, the shield.
import { afterEach, describe, expect, it } from "vitest";
import { startAgent } from "../main.js";
import { PositionWatch } from "../runtime/trips.js";
import type { SwitchView } from "../runtime/views.js";
import { recloser } from "./support/recloser.js";
import { rig as rigWith, rows, silent, type RigOptions } from "./support/rig.js";

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});
const rig = (opts: RigOptions = {}) => rigWith(cleanup, opts);

async function post(port: number, path: string, body: unknown) {
  const r = await fetch(`http://127.0.0.1:${port}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

/** The recloser of `unit` opens by itself: position open, no current, no lockout, no fault indicator. */
function trip(bank: Awaited<ReturnType<typeof rig>>["bank"], unit: number): void {
  bank.set(unit, recloser, "closed", false);
  for (const c of ["current_a", "current_b", "current_c"]) bank.set(unit, recloser, c, 0);
}

describe("PositionWatch", () => {
  const view = (element: string, position: SwitchView["position"], readFailed = false): SwitchView => ({
    element,
    device: `sw-${element}`,
    position,
    lockout: false,
    interlock: false,
    fault: false,
    currentA: undefined,
    readAt: 0,
    ageMs: 0,
    readFailed,
    stale: readFailed,
  });

  it("the first read only sets what is known; a move without a command is reported, one with a command is not", () => {
    const w = new PositionWatch();
    expect(w.observe([view("A", "closed"), view("B", "open")])).toEqual([]);
    w.commanded("B", "closed");
    expect(w.observe([view("A", "closed"), view("B", "closed")])).toEqual([]);
    // Travelling and unreadable readings wait for a definite position.
    expect(w.observe([view("A", "intermediate"), view("B", "open", true)])).toEqual([]);
    const ch = w.observe([view("A", "open"), view("B", "closed")]);
    expect(ch.map((c) => [c.element, c.kind, c.from, c.to])).toEqual([["A", "uncommanded-open", "closed", "open"]]);
    // A command that failed (the switch did not move) no longer accounts for a later move.
    w.commanded("A", "closed");
    w.settled("A");
    expect(w.observe([view("A", "closed"), view("B", "closed")]).map((c) => c.kind)).toEqual(["uncommanded-close"]);
  });
});

describe("uncommanded changes of position", () => {
  it("a restored switch that opens by itself: uncommanded-open alarm, counted tripped, never reclosed by the agent, until an operator releases it", async () => {
    const { agent, bank, operated, journalPath } = await rig({ site: { session: { episode_length: 6 } } });
    agent.restorer.request({ command: "restore", by: "test" });
    const t1 = await agent.tick();
    expect(t1.decision?.commands).toEqual([{ element: "Line.L1", action: "close", outcome: "confirmed", ms: expect.any(Number) }]);
    const t2 = await agent.tick();
    // Its own close is no uncommanded change.
    expect(t2.held).toBeUndefined();
    expect(rows(journalPath, "SELECT * FROM alarms")).toEqual([]);

    trip(bank, 1);
    const t3 = await agent.tick();
    expect(t3.switches["Line.L1"]).toBe("open");
    expect(t3.held).toEqual({ "Line.L1": "uncommanded-open" });
    // The plan wants L1 closed again: the shield refuses, nothing reaches the device.
    expect(t3.decision?.vetoes).toContainEqual({ element: "Line.L1", action: "close", rule: "faulted", detail: expect.stringContaining("opened without a command at tick 3") });
    expect(t3.decision?.commands).toEqual([]);
    expect(operated).toEqual([{ unit: 1, value: 2 }]);
    // Its pick-up stays committed while it is held.
    expect(t3.served_kw).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${agent.httpPort}/metrics`)).text();
    expect(metrics).toContain('blackstart_switch_held{element="Line.L1",kind="uncommanded-open"} 1');
    expect(metrics).toContain('blackstart_alarms_total{kind="uncommanded-open"} 1');
    const state = (await (await fetch(`http://127.0.0.1:${agent.httpPort}/state`)).json()) as { held: { element: string; sections: string[] }[] };
    expect(state.held).toMatchObject([{ element: "Line.L1", kind: "uncommanded-open", sections: ["s1"] }]);

    // Still held at the next tick (and in a later session).
    const t4 = await agent.tick();
    expect(t4.decision?.commands).toEqual([]);
    expect(operated).toHaveLength(1);

    // Release: a wrong element and a switch not held are refused at once.
    expect((await post(agent.httpPort, "/release", { element: "Line.L9" })).status).toBe(404);
    expect((await post(agent.httpPort, "/release", { element: "Line.L2" })).status).toBe(409);
    expect((await post(agent.httpPort, "/release", {})).status).toBe(400);
    const rel = await post(agent.httpPort, "/release", { element: "line.l1", reason: "patrolled, nothing found" });
    expect(rel.status).toBe(202);
    expect(rel.body).toMatchObject({ element: "Line.L1", hold: { kind: "uncommanded-open" } });
    const t5 = await agent.tick();
    expect(t5.held).toBeUndefined();
    // Released while open: its load is no longer counted; the plan closes it again.
    expect(t5.decision?.commands).toEqual([{ element: "Line.L1", action: "close", outcome: "confirmed", ms: expect.any(Number) }]);
    expect(operated).toHaveLength(2);
    await agent.stop("test");

    const alarms = rows<{ kind: string; detail: string; cleared_at: number | null }>(journalPath, "SELECT kind, detail, cleared_at FROM alarms");
    expect(alarms).toHaveLength(1);
    expect(alarms[0]!.kind).toBe("uncommanded-open");
    expect(alarms[0]!.cleared_at).not.toBeNull();
    expect(JSON.parse(alarms[0]!.detail)).toMatchObject({ element: "Line.L1", device: "sw-l1", from: "closed", to: "open", tick: 3, sections: ["s1"], fault_indicator: false, lockout: false });
    const released = rows<{ detail: string }>(journalPath, "SELECT detail FROM events WHERE kind = 'switch-released'");
    expect(JSON.parse(released[0]!.detail)).toMatchObject({ element: "Line.L1", by: "http", reason: "patrolled, nothing found" });
    // The decision of tick 3 counted the trip in its shield input: L1 tripped, its section faulted.
    const d3 = rows<{ shield_input: string }>(journalPath, "SELECT shield_input FROM decisions ORDER BY at")[2]!;
    const input = JSON.parse(d3.shield_input) as { switches: { element: string; tripped: boolean }[]; faulted_sections: string[] };
    expect(input.switches[0]).toMatchObject({ element: "Line.L1", tripped: true });
    expect(input.faulted_sections).toEqual(["s1"]);
  });

  it("the section a trip left dead is not re-energized through another switch either", async () => {
    // L1 and L2 closed at the start (the agent did not close them): L2 trips; L1 is its way back... and L1 trips
    // after it: the shield must refuse closing L1 (faulted section s1 left dead by the trips), whatever the plan says.
    const { agent, bank, operated } = await rig({ closed: [true, true], site: { quota_kw: 600 } });
    await agent.tick();
    trip(bank, 2);
    trip(bank, 1);
    const t = await agent.tick();
    expect(t.held).toEqual({ "Line.L1": "uncommanded-open", "Line.L2": "uncommanded-open" });
    // Released L1 only: s1 and s2 stay suspect (left dead by L2's trip too), so L1 still cannot close.
    await post(agent.httpPort, "/release", { element: "Line.L1" });
    agent.restorer.request({ command: "restore", by: "test" });
    const t2 = await agent.tick();
    expect(t2.held).toEqual({ "Line.L2": "uncommanded-open" });
    expect(t2.decision?.vetoes).toContainEqual({ element: "Line.L1", action: "close", rule: "faulted", detail: expect.stringMatching(/faulted section s1/) });
    expect(operated).toEqual([]);
  });

  it("a switch closed by hand: uncommanded-close alarm, its pick-up committed, held (the agent does not open it) ", async () => {
    const { agent, bank, journalPath } = await rig({ plan: { format: "blackstart-plan/1", label: "plan: test, not a learned policy", scenario: "tiny", scenario_hash: "a".repeat(64), source: "test", steps: [{ operations: [{ agent: "mg1", element: "Line.L1", action: "close" }] }, { operations: [{ agent: "mg1", element: "Line.L2", action: "open" }] }] } });
    agent.restorer.request({ command: "restore", by: "test" });
    await agent.tick(); // closes L1: 200 kW
    bank.set(2, recloser, "closed", true); // a crew closes L2 by hand: s2's 300 kW picked up
    const t = await agent.tick();
    expect(t.held).toEqual({ "Line.L2": "uncommanded-close" });
    expect(t.served_kw).toBe(500);
    // The plan wants L2 open: held, so refused, nothing written.
    expect(t.decision?.vetoes).toContainEqual({ element: "Line.L2", action: "open", rule: "held", detail: expect.stringContaining("closed without a command") });
    expect(t.decision?.commands).toEqual([]);
    await agent.stop("test");
    const alarms = rows<{ kind: string; detail: string }>(journalPath, "SELECT kind, detail FROM alarms");
    expect(alarms.map((a) => a.kind)).toEqual(["uncommanded-close"]);
    expect(JSON.parse(alarms[0]!.detail)).toMatchObject({ element: "Line.L2", pickup_kw: 300, committed_kw: 500 });
  });

  it("a hold survives a restart (its alarm is not cleared) until released", async () => {
    const r = await rig();
    r.agent.restorer.request({ command: "restore", by: "test" });
    await r.agent.tick();
    await r.agent.tick();
    trip(r.bank, 1);
    expect((await r.agent.tick()).held).toEqual({ "Line.L1": "uncommanded-open" });
    await r.agent.stop("test");
    const again = await startAgent(r.file, { logDestination: silent() });
    cleanup.push(() => again.stop("test"));
    again.restorer.request({ command: "restore", by: "test" });
    const t = await again.tick();
    expect(t.held).toEqual({ "Line.L1": "uncommanded-open" });
    expect(t.decision?.vetoes.map((v) => `${v.element}/${v.rule}`)).toContain("Line.L1/faulted");
    expect(r.operated).toHaveLength(1);
  });
});

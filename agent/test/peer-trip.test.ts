// A trip seen by one agent is a dead zone for every agent: mg1's recloser L1
// opens by itself, mg1 holds it and counts the section it left dead (s1) as
// faulted, and publishes that in its retained state (`holds`). mg2's tie L2
// could back-feed s1 from mg2's own source: its shield refuses, naming mg1,
// and no operate reaches the device. An operator releases L1 over the bus
// (`request/command`, command `release`): mg1 journals it, drops the hold at
// its next tick, and mg2's view clears with mg1's next state. Real parts: an
// aedes broker, Modbus TCP reclosers, the agents' journals.
import { join } from "node:path";
import mqtt from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import type { SectionGraph } from "../../shared/scenario/sections.js";
import { startBroker } from "../bus/index.js";
import type { RunningAgent } from "../main.js";
import { ModbusBank } from "./support/modbus-bank.js";
import { fillRecloser, recloser, sboLogic } from "./support/recloser.js";
import { rows } from "./support/rig.js";
import { sectionGraph, startRigAgent, writePlanRig } from "./support/site-fixture.js";

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** s0 (mg1's unit, 100 kW) --L1 (mg1)-- s1 200 kW --L2 (mg2)-- s2 (mg2's unit, 50 kW). */
function tieGraph(): SectionGraph {
  const g = sectionGraph();
  const [s0, s1, s2] = g.sections;
  g.cap_kw = 1000;
  g.total_load_kw = 350;
  g.sections = [
    s0!,
    { ...s1!, switches: ["Line.L1", "Line.L2"] },
    {
      ...s2!,
      loads: [{ name: "l2", bus: "3", phases: 3, kw: 50, kvar: 12.5, weight: 1 }],
      load_kw: 50,
      load_kvar: 12.5,
      weighted_kw: 50,
      sources: [{ id: "pv2", element: "PVSystem.pv2", kind: "grid-forming", microgrid: "mg2", grid_forming: true, kw: 400 }],
      microgrid: "mg2",
    },
  ];
  g.switches = [
    { element: "Line.L1", sections: ["s0", "s1"], kind: "agent", microgrid: "mg1", index: 0, initial: "open", locked_open: false },
    { element: "Line.L2", sections: ["s1", "s2"], kind: "agent", microgrid: "mg2", index: 0, initial: "open", locked_open: false },
  ];
  g.microgrids = [
    { id: "mg1", switches: ["Line.L1"], sections: ["s0"], units: ["pv1"], forming_unit: "pv1", quota_kw: 250 },
    { id: "mg2", switches: ["Line.L2"], sections: ["s2"], units: ["pv2"], forming_unit: "pv2", quota_kw: 250 },
  ];
  return g;
}

async function until(what: () => boolean, ms: number, label: string): Promise<void> {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("a trip is a dead zone for every agent, until an operator releases it over the bus", () => {
  it("the peer's tie never back-feeds the tripped section; the release over the bus is journaled and clears the peer's view", async () => {
    const agents = [
      { id: "mg1", element: "Line.L1", unit: 1 },
      { id: "mg2", element: "Line.L2", unit: 2 },
    ];
    const dir = writePlanRig({ prefix: "blackstart-peer-trip-", graph: tieGraph(), agents, label: "plan: peer trip test, not a learned policy", source: "agent/test/peer-trip.test.ts" });
    // L1 closed (s1 restored from mg1's unit); L2 open: its source side (s1) live, its load side (s2, mg2's unit) live too.
    const bank = new ModbusBank();
    fillRecloser(bank, 1, true);
    fillRecloser(bank, 2, false);
    for (const c of ["load_voltage_a", "load_voltage_b", "load_voltage_c"]) bank.set(2, recloser, c, 2400);
    const operated: { unit: number; value: number }[] = [];
    sboLogic(bank, { operated });
    const port = await bank.start();
    cleanup.push(() => bank.stop());
    const broker = await startBroker({ port: 0, baseTopic: "trip" });
    cleanup.push(() => broker.close());

    const running: RunningAgent[] = [];
    for (const a of agents) {
      const agent = await startRigAgent(dir, a, { port, busUrl: broker.url, baseTopic: "trip", episodeLength: 5 });
      cleanup.push(() => agent.stop("test"));
      running.push(agent);
    }
    const [mg1, mg2] = running as [RunningAgent, RunningAgent];
    await Promise.all(running.map((a) => a.tick()));
    await until(() => running.every((a) => a.bus!.peers().every((p) => p.fresh)), 10000, "the agents to hear each other");
    const mg1Seen = () => mg2.bus!.peers().find((p) => p.microgrid === "mg1")!;
    expect(mg1Seen().faulted_sections).toBeUndefined();

    // L1 opens by itself: s1 is dead, and L2's source side with it.
    bank.set(1, recloser, "closed", false);
    for (const c of ["current_a", "current_b", "current_c", "load_voltage_a", "load_voltage_b", "load_voltage_c"]) bank.set(1, recloser, c, 0);
    for (const c of ["voltage_a", "voltage_b", "voltage_c"]) bank.set(2, recloser, c, 0);
    const held = await mg1.tick();
    expect(held.held).toEqual({ "Line.L1": "uncommanded-open" });
    // mg2 hears it through mg1's retained state: s1 counts faulted, L1 held.
    await until(() => (mg1Seen().faulted_sections ?? []).includes("s1"), 5000, "mg2 to see mg1's hold");
    expect(mg1Seen().held).toEqual(["Line.l1"]);

    // mg2's plan closes L2, which would back-feed s1 from mg2's unit: refused, nothing written.
    mg2.restorer.request({ command: "restore", by: "test" });
    const refused = await mg2.tick();
    expect(refused.decision!.commands).toEqual([]);
    expect(refused.decision!.vetoes).toEqual([
      expect.objectContaining({ element: "Line.L2", action: "close", rule: "faulted", detail: "Line.L2: would close onto faulted section s1 (held by mg1 after a trip, until an operator releases it)" }),
    ]);
    expect(operated).toEqual([]);

    // The operator releases over the bus: a switch mg1 does not have is refused, L1 accepted.
    const op = await mqtt.connectAsync(broker.url, { clientId: `op-${Date.now()}`, protocolVersion: 4 });
    cleanup.push(() => op.endAsync(true));
    const answers: Record<string, unknown>[] = [];
    op.on("message", (_t, p) => answers.push(JSON.parse(p.toString()) as Record<string, unknown>));
    await op.subscribeAsync("trip/mg1/response/command", { qos: 1 });
    const release = (id: string, element: string) =>
      op.publishAsync("trip/mg1/request/command", JSON.stringify({ v: 1, type: "command", command: "release", request_id: id, by: "alice", element, reason: "patrolled, no fault found" }), { qos: 1 });
    await release("op-1", "Line.L9");
    await release("op-2", "line.l1");
    await until(() => answers.length === 2, 5000, "the command responses");
    const byId = Object.fromEntries(answers.map((a) => [a.request_id as string, a]));
    expect(byId["op-1"]).toMatchObject({ type: "command-response", from: "mg1", accepted: false, detail: { command: "release", element: "Line.L9", error: "unknown" } });
    expect(byId["op-2"]).toMatchObject({ accepted: true, detail: { command: "release", element: "Line.L1", hold: "uncommanded-open" } });

    // Effective at mg1's next tick; its next state carries no hold, and mg2's view clears.
    const released = await mg1.tick();
    expect(released.held).toBeUndefined();
    await until(() => mg1Seen().faulted_sections === undefined && mg1Seen().held === undefined, 5000, "mg2's view of mg1 to clear");
    const allowed = await mg2.tick();
    expect(allowed.decision!.vetoes).toEqual([]);
    expect(allowed.decision!.commands.map((c) => [c.element, c.action])).toEqual([["Line.L2", "close"]]);
    expect(operated).toEqual([{ unit: 2, value: 2 }]);

    for (const a of running) await a.stop("test");
    const mg1Db = join(dir, "mg1.db");
    const events = rows<{ kind: string; detail: string }>(mg1Db, "SELECT kind, detail FROM events WHERE kind IN ('operator-request', 'release-refused', 'switch-released') ORDER BY id");
    expect(events.map((e) => e.kind)).toEqual(["operator-request", "release-refused", "operator-request", "switch-released"]);
    expect(JSON.parse(events[1]!.detail)).toMatchObject({ element: "Line.L9", by: "bus:alice" });
    expect(JSON.parse(events[3]!.detail)).toMatchObject({ element: "Line.L1", kind: "uncommanded-open", by: "bus:alice", reason: "patrolled, no fault found", sections: ["s1"] });
    const alarms = rows<{ kind: string; cleared_at: string | null }>(mg1Db, "SELECT kind, cleared_at FROM alarms WHERE kind = 'uncommanded-open'");
    expect(alarms).toHaveLength(1);
    expect(alarms[0]!.cleared_at).not.toBeNull();
    // mg2 journaled its refusal with the peer that declared the section faulted.
    const verdicts = rows<{ rule: string; figures: string }>(join(dir, "mg2.db"), "SELECT rule, figures FROM verdicts WHERE rule = 'faulted'");
    expect(verdicts.length).toBeGreaterThan(0);
    expect(JSON.parse(verdicts[0]!.figures)).toEqual({ faulted_sections: ["s1"], declared_by: ["mg1"] });
  }, 60_000);
});

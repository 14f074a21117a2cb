// Two agents racing for the last 300 kW of headroom: each wants to close a
// switch that picks up 400 kW on a 100 kW quota, and the fleet has room for
// one such reservation only. Exactly one wins; the other's pick-up is vetoed
// for generation and journaled; only the winner's operate reaches a device.
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { startBroker } from "../bus/index.js";
import type { RunningAgent } from "../main.js";
import { ModbusBank } from "./support/modbus-bank.js";
import { fillRecloser, sboLogic } from "./support/recloser.js";
import { sectionGraph, startRigAgent, writePlanRig } from "./support/site-fixture.js";

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** s0 (live, 100 kW) with L1 (mg1) to s1 and L2 (mg2) to s2, 400 kW each; cap 600: room for one 300 kW lease. */
function raceGraph() {
  const g = sectionGraph();
  const load = (name: string, kw: number) => ({ name, bus: name, phases: 3, kw, kvar: 0, weight: 1 });
  g.cap_kw = 600;
  g.total_load_kw = 900;
  g.sections = [
    { ...g.sections[0]!, sources: [{ id: "source", element: "Vsource.source", kind: "substation", grid_forming: true }], switches: ["Line.L1", "Line.L2"] },
    { id: "s1", buses: ["2"], loads: [load("l1", 400)], load_kw: 400, load_kvar: 0, weighted_kw: 400, sources: [], switches: ["Line.L1"], faulted: false, microgrid: "mg1" },
    { id: "s2", buses: ["3"], loads: [load("l2", 400)], load_kw: 400, load_kvar: 0, weighted_kw: 400, sources: [], switches: ["Line.L2"], faulted: false, microgrid: "mg2" },
  ];
  g.switches = [
    { element: "Line.L1", sections: ["s0", "s1"], kind: "agent", microgrid: "mg1", index: 0, initial: "open", locked_open: false },
    { element: "Line.L2", sections: ["s0", "s2"], kind: "agent", microgrid: "mg2", index: 0, initial: "open", locked_open: false },
  ];
  g.microgrids = [
    { id: "mg1", switches: ["Line.L1"], sections: [], units: [], quota_kw: 100 },
    { id: "mg2", switches: ["Line.L2"], sections: [], units: [], quota_kw: 100 },
  ];
  return g;
}

describe("two agents racing for the last 300 kW", () => {
  it("exactly one wins; the other's pick-up is vetoed and journaled; one operate reaches the devices", async () => {
    const agents = [
      { id: "mg1", element: "Line.L1", unit: 1 },
      { id: "mg2", element: "Line.L2", unit: 2 },
    ];
    const dir = writePlanRig({ prefix: "blackstart-race-", graph: raceGraph(), agents, label: "plan: race test, not a learned policy", source: "agent/test/race.test.ts" });
    const bank = new ModbusBank();
    fillRecloser(bank, 1, false);
    fillRecloser(bank, 2, false);
    const operated: { unit: number; value: number }[] = [];
    sboLogic(bank, { operated });
    const port = await bank.start();
    cleanup.push(() => bank.stop());
    const broker = await startBroker({ port: 0, baseTopic: "race" });
    cleanup.push(() => broker.close());

    const running: RunningAgent[] = [];
    for (const a of agents) {
      const agent = await startRigAgent(dir, a, { port, busUrl: broker.url, baseTopic: "race", episodeLength: 3 });
      cleanup.push(() => agent.stop("test"));
      running.push(agent);
    }
    await Promise.all(running.map((a) => a.tick()));
    const end = Date.now() + 10000;
    while (!running.every((a) => a.bus!.peers().every((p) => p.fresh))) {
      if (Date.now() > end) throw new Error("the agents did not see each other");
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const a of running) a.restorer.request({ command: "restore", by: "test" });
    // Both decide at once: each asks the fleet for 300 kW.
    const reports = await Promise.all(running.map((a) => a.tick()));
    const granted = reports.filter((r) => r.decision?.reservation?.granted);
    const refused = reports.filter((r) => r.decision?.reservation && !r.decision.reservation.granted);
    expect(granted).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(granted[0]!.decision!.commands).toHaveLength(1);
    expect(refused[0]!.decision!.commands).toEqual([]);
    expect(refused[0]!.decision!.vetoes.map((v) => v.rule)).toEqual(["generation"]);
    // On the devices' side: one operate, the winner's.
    const winner = reports.indexOf(granted[0]!);
    expect(operated).toEqual([{ unit: agents[winner]!.unit, value: 2 }]);
    for (const a of running) await a.stop("test");
    const loser = agents[reports.indexOf(refused[0]!)]!;
    const db = new Database(join(dir, `${loser.id}.db`), { readonly: true });
    const verdicts = db.prepare("SELECT rule, figures FROM verdicts").all() as { rule: string; figures: string }[];
    const reservations = db.prepare("SELECT role, state FROM reservations WHERE role = 'own'").all() as { role: string; state: string }[];
    db.close();
    expect(verdicts.map((v) => v.rule)).toContain("generation");
    expect(JSON.parse(verdicts.find((v) => v.rule === "generation")!.figures)).toMatchObject({ pickup_kw: 400, quota_kw: 100 });
    expect(reservations.map((r) => r.state)).toContain("aborted");
  });
});

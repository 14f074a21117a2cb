// Two agents racing for the last 300 kW of a fleet's headroom, with a third
// looking on, over whatever broker `url` points at (the embedded aedes in the
// unit tests, a real mosquitto with TLS and ACL in interop/). Each racer's
// shield vetoes its close for want of generation, each asks for 300 kW at the
// same moment; exactly one must be granted, and the other's pick-up must stay
// vetoed by the shield and be journaled as such.
import { join } from "node:path";
import { admit, DEFAULT_LIMITS, evaluate, indexGraph, type ShieldInput } from "../../../../shared/shield/index.js";
import { Journal } from "../../../journal/index.js";
import { PeerBus, type PeerBusOptions } from "../../client.js";
import { fleetGraph, OWN_SWITCH, until } from "./fleet.js";

export interface RaceResult {
  winners: string[];
  losers: string[];
  journals: Record<string, Journal>;
  buses: Record<string, PeerBus>;
  decisions: Record<string, string>;
  close(): Promise<void>;
}

export async function raceForHeadroom(dir: string, connect: (mg: string) => Pick<PeerBusOptions, "url"> & Partial<PeerBusOptions>): Promise<RaceResult> {
  const ids = ["mg1", "mg2", "mg3"];
  const journals: Record<string, Journal> = {};
  const buses: Record<string, PeerBus> = {};
  for (const mg of ids) {
    journals[mg] = Journal.open(join(dir, `${mg}.db`), { microgrid: mg, maintenanceIntervalMs: 0 });
    buses[mg] = new PeerBus({
      microgrid: mg,
      graph: fleetGraph,
      quotaKw: 100,
      peerStaleMs: 2000,
      heartbeatMs: 150,
      ackTimeoutMs: 1500,
      backoffMinMs: 50,
      backoffMaxMs: 500,
      journal: journals[mg],
      ...connect(mg),
    });
  }
  const close = async () => {
    for (const mg of ids) await buses[mg]!.close();
    for (const mg of ids) journals[mg]!.close();
  };
  try {
    for (const mg of ids) buses[mg]!.start();
    for (const mg of ids) if (!(await buses[mg]!.ready(10_000))) throw new Error(`${mg} did not connect`);
    for (const mg of ids) void buses[mg]!.publishState({ tick: 0, session: { id: "s1", step: 0, length: 15 }, switches: { [OWN_SWITCH[mg]!]: "open" }, served_kw: 0, health: "ok" });
    await until(() => ids.every((mg) => buses[mg]!.view().members.length === 3 && buses[mg]!.peers().every((p) => p.fresh)), 10_000, "every agent sees the others live");
    const ix = indexGraph(fleetGraph);
    const inputFor = (mg: string): ShieldInput => ({
      now_ms: 10_000,
      microgrid: mg,
      switches: [{ element: OWN_SWITCH[mg]!, closed: false, open: true, read_at_ms: 9_900 }],
      peers: buses[mg]!.peers(),
      generation: buses[mg]!.budget(0),
      limits: DEFAULT_LIMITS,
    });
    // Before: the close is vetoed for want of generation (400 kW pick-up, 100 kW quota).
    const racers = ["mg1", "mg2"];
    for (const mg of racers) {
      const v = evaluate(ix, inputFor(mg)).verdicts;
      if (v.length !== 1 || v[0]!.rule !== "generation") throw new Error(`${mg}: expected one generation veto before reserving, got ${JSON.stringify(v)}`);
    }
    const results = await Promise.all(racers.map((mg) => buses[mg]!.reserve(300, `close ${OWN_SWITCH[mg]}`)));
    const winners = racers.filter((_, i) => results[i]!.granted);
    const losers = racers.filter((_, i) => !results[i]!.granted);
    // After: each decides again with what it got; the loser's pick-up stays vetoed and is journaled.
    const decisions: Record<string, string> = {};
    for (const mg of racers) {
      const input = inputFor(mg);
      const adm = admit(ix, input, [{ index: 0, action: "close" }]);
      decisions[mg] = journals[mg]!.decision(1, {
        session: "s1",
        step: 1,
        policy: { kind: "plan", label: "race" },
        observation: [0],
        logits: [0, -20, -20],
        mask: adm.result.mask,
        actions: adm.actions,
        shieldInput: input,
        verdicts: adm.verdicts,
        outcome: { admitted: adm.admitted, reservation: results[racers.indexOf(mg)] },
      });
    }
    return { winners, losers, journals, buses, decisions, close };
  } catch (e) {
    await close();
    throw e;
  }
}

// The shield and the peer bus:
// 1. Shield: evaluate (mask + vetoes) and admit (the chosen operations
//    together) per agent, on ieee123-5mg and ieee8500-10mg section graphs,
//    with fresh peers and with every peer stale (the pessimistic walks).
// 2. Reservation round trip: reserve() to the grant, five agents over the
//    embedded aedes broker on loopback (and over Debian's mosquitto when it is
//    installed), each grant released before the next.
// 3. State propagation: publishState() on one agent to the state seen by the
//    four others.
// 4. What a decision adds on the bus's side (budget and claim; physics: the
//    commitments mapped to the islands' pools), and the round trip of a
//    reservation that the peers' lending on demand makes fit.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { createServer, type AddressInfo } from "node:net";
import { startBroker } from "../agent/bus/broker.js";
import { PeerBus } from "../agent/bus/client.js";
import { SECTION_GRAPH_FORMAT, SectionGraph } from "../shared/scenario/sections.js";
import { admit, DEFAULT_LIMITS, evaluate, indexGraph, type ShieldInput } from "../shared/shield/index.js";
import { bindScenarioFile } from "../sim-harness/scenarios/bind.js";
import { median, percentile } from "./machine.js";
import type { BenchSuite } from "./suites.js";

const fmt = (v: number[]) => `p50 ${median(v).toFixed(3)} ms, p99 ${percentile(v, 99).toFixed(3)} ms, max ${Math.max(...v).toFixed(3)} ms (n=${v.length})`;

function shieldBench(name: string, samples: number): void {
  const graph = bindScenarioFile(name).sections;
  const t0 = performance.now();
  const ix = indexGraph(graph);
  console.log(`${name}: ${graph.sections.length} sections, ${graph.switches.length} switches; indexGraph ${(performance.now() - t0).toFixed(2)} ms`);
  for (const stale of [false, true]) {
    const evalTimes: number[] = [];
    const admitTimes: number[] = [];
    let vetoes = 0;
    for (let i = 0; i < samples; i++) {
      // Random switch states: a restoration somewhere along the way.
      const state = (e: string) => ((i * 2654435761 + e.length * 97 + e.charCodeAt(e.length - 1)) % 3 === 0 ? "closed" : "open");
      for (const mg of graph.microgrids) {
        const input: ShieldInput = {
          now_ms: 100_000,
          microgrid: mg.id,
          switches: mg.switches.map((e) => ({ element: e, closed: state(e) === "closed", open: state(e) === "open", read_at_ms: 99_500, current_a: 0 })),
          peers: graph.microgrids
            .filter((p) => p.id !== mg.id)
            .map((p) => ({ microgrid: p.id, fresh: !stale, switches: Object.fromEntries(p.switches.map((e) => [e, state(e)])) })),
          generation: { quota_kw: mg.quota_kw, committed_kw: 0, leases: [], bus_up: true },
          limits: DEFAULT_LIMITS,
        };
        const a = performance.now();
        const r = evaluate(ix, input);
        const b = performance.now();
        admit(
          ix,
          input,
          mg.switches.map((_, k) => ({ index: k, action: "close" as const })),
        );
        const c = performance.now();
        vetoes += r.verdicts.length;
        if (i >= 20) {
          evalTimes.push(b - a);
          admitTimes.push(c - b);
        }
      }
    }
    console.log(`  ${stale ? "every peer stale" : "fresh peers     "}: evaluate ${fmt(evalTimes)}; admit (all closes) ${fmt(admitTimes)}; ${(vetoes / samples).toFixed(1)} vetoes per round`);
  }
}

/** Five agents on a star feeder with room to spare: every reservation is granted. */
const starGraph = SectionGraph.parse({
  format: SECTION_GRAPH_FORMAT,
  scenario: "bench-star",
  scenario_hash: "d".repeat(64),
  mode: "paper",
  cap_kw: 100_000,
  total_load_kw: 500,
  sections: ["s0", "s1", "s2", "s3", "s4", "s5"].map((id, i) => ({
    id,
    buses: [id],
    loads: [],
    load_kw: i === 0 ? 0 : 100,
    load_kvar: 0,
    weighted_kw: 0,
    sources: i === 0 ? [{ id: "source", element: "Vsource.source", kind: "substation", grid_forming: true }] : [],
    switches: [],
    faulted: false,
  })),
  switches: [1, 2, 3, 4, 5].map((i) => ({ element: `Line.l${i}`, sections: ["s0", `s${i}`], kind: "agent", microgrid: `mg${i}`, index: 0, initial: "open", locked_open: false })),
  microgrids: [1, 2, 3, 4, 5].map((i) => ({ id: `mg${i}`, switches: [`Line.l${i}`], sections: [], units: [], quota_kw: 100 })),
});

/**
 * The same star, its cap exactly its quotas (10 MW each) and each agent able
 * to reach more than its quota (so none lowers its quota by itself): every
 * reservation needs quota the four peers lend on demand.
 */
const tightGraph = SectionGraph.parse({
  ...starGraph,
  scenario: "bench-star-tight",
  cap_kw: 5 * 10_000,
  total_load_kw: 5 * 20_000,
  sections: starGraph.sections.map((x, i) => ({ ...x, load_kw: i === 0 ? 0 : 20_000 })),
  microgrids: starGraph.microgrids.map((m) => ({ ...m, quota_kw: 10_000 })),
});

/**
 * What a decision adds on the bus's side: bus.budget() (the quota less loans,
 * leases; physics: the agent's commitments mapped to the islands' pools) and
 * bus.claim() after the shield. Five agents of a scenario, one publishing a
 * partly restored state; no broker needed (the client works offline).
 */
function budgetBench(name: string, samples: number): void {
  const graph = bindScenarioFile(name).sections;
  const buses = graph.microgrids.map((m) => new PeerBus({ microgrid: m.id, graph, url: "mqtt://127.0.0.1:9", quotaKw: m.quota_kw }));
  try {
    const b = buses[0]!;
    const mg = graph.microgrids[0]!;
    // Half of its switches closed, each with a commitment: what the budget maps to pools.
    const switches = Object.fromEntries(mg.switches.map((e, k) => [e, k % 2 === 0 ? ("closed" as const) : ("open" as const)]));
    const byElement = Object.fromEntries(mg.switches.filter((_, k) => k % 2 === 0).map((e) => [e, 40]));
    void b.publishState({ tick: 1, session: null, switches, served_kw: 40 * Object.keys(byElement).length, committed_by_element: byElement, health: "ok" });
    const times: number[] = [];
    for (let i = 0; i < samples; i++) {
      const t = performance.now();
      const g = b.budget(100, byElement);
      b.claim(100 + (g.quota_kw > 0 ? 1 : 0));
      times.push(performance.now() - t);
    }
    console.log(`${name} (${graph.mode}, ${b.generationPools().pools.length} pool(s)): bus.budget() + bus.claim() per decision ${fmt(times.slice(100))}`);
  } finally {
    for (const x of buses) void x.close();
  }
}

/** Start five peer buses, publish each one's state and wait for a common view of all five. */
async function startFleet(label: string, make: (mg: string) => PeerBus): Promise<PeerBus[]> {
  const buses = ["mg1", "mg2", "mg3", "mg4", "mg5"].map(make);
  for (const b of buses) b.start();
  for (const b of buses) if (!(await b.ready(10_000))) throw new Error(`${label}: an agent did not connect`);
  buses.forEach((b, i) => void b.publishState({ tick: 0, session: null, switches: { [`Line.l${i + 1}`]: "open" }, served_kw: 0, health: "ok" }));
  const end = Date.now() + 10_000;
  while (!buses.every((b) => b.view().members.length === 5)) {
    if (Date.now() > end) throw new Error(`${label}: no common view`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return buses;
}

async function lendingBench(label: string, url: string, rounds: number): Promise<void> {
  const buses = await startFleet(label, (mg) => new PeerBus({ microgrid: mg, graph: tightGraph, url, quotaKw: 10_000, peerStaleMs: 3000, heartbeatMs: 1000, ackTimeoutMs: 2000, lending: "demand" }));
  try {
    const rtt: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const b = buses[i % buses.length]!;
      // 50 kW more than the pool holds: the four peers must lend it (12.5 kW each, in one round).
      const kw = Math.max(0, b.headroom().headroom_kw) + 50;
      const t = performance.now();
      const r = await b.reserve(kw, "bench");
      if (!r.granted) throw new Error(`${label}: refused ${JSON.stringify(r)}`);
      rtt.push(performance.now() - t);
      b.release(r.id);
      // Let every peer see the release and the lenders' lower quotas before the next round.
      const seen = Date.now() + 5000;
      while (Date.now() < seen && !buses.every((x) => x === b || x.headroom().headroom_kw >= kw - 50 - 1e-6)) await new Promise((res) => setImmediate(res));
    }
    const lent = buses.reduce((a, x) => a + (10_000 - x.quota()), 0);
    console.log(`${label}: reservation round trip lending on demand (5 agents, 4 lenders, 50 kW lent per round, ${lent.toFixed(0)} kW lent in all) ${fmt(rtt)}`);
  } finally {
    for (const b of buses) await b.close();
  }
}

async function busBench(label: string, url: string, rounds: number): Promise<void> {
  const buses = await startFleet(label, (mg) => new PeerBus({ microgrid: mg, graph: starGraph, url, quotaKw: 100, peerStaleMs: 3000, heartbeatMs: 1000, ackTimeoutMs: 2000 }));
  try {
    const rtt: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const b = buses[i % buses.length]!;
      const t = performance.now();
      const r = await b.reserve(50, "bench");
      if (!r.granted) throw new Error(`${label}: refused ${JSON.stringify(r)}`);
      rtt.push(performance.now() - t);
      b.release(r.id);
    }
    // State propagation: one publish, four receipts.
    const prop: number[] = [];
    for (let i = 0; i < 100; i++) {
      const from = buses[i % 5]!;
      const seq = i + 1;
      const t = performance.now();
      await from.publishState({ tick: seq, session: null, switches: { [`Line.l${(i % 5) + 1}`]: "open" }, served_kw: 0, health: "ok" });
      const others = buses.filter((b) => b !== from);
      while (!others.every((b) => b.peerInfo().find((p) => p.microgrid === from.microgrid)?.state?.tick === seq)) await new Promise((r) => setImmediate(r));
      prop.push(performance.now() - t);
    }
    console.log(`${label}: reservation round trip (5 agents, 4 acks) ${fmt(rtt)}`);
    console.log(`${label}: state seen by all 4 peers ${fmt(prop)}`);
  } finally {
    for (const b of buses) await b.close();
  }
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const p = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

async function mosquittoBench(rounds: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "bench-mosquitto-"));
  const port = await freePort();
  writeFileSync(join(dir, "m.conf"), `listener ${port} 127.0.0.1\nallow_anonymous true\nset_tcp_nodelay true\nuser root\n`);
  const proc = spawn("mosquitto", ["-c", join(dir, "m.conf")], { stdio: "ignore" });
  try {
    await new Promise((r) => setTimeout(r, 500));
    if (proc.exitCode !== null) throw new Error("mosquitto did not start");
    await busBench("mosquitto (Debian), plain loopback", `mqtt://127.0.0.1:${port}`, rounds);
  } finally {
    proc.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

export const busSuite: BenchSuite = {
  name: "bus",
  description: "safety shield per agent (ieee123-5mg, ieee8500-10mg), a decision's bus budget and claim, reservation round trip (plain and lending on demand) and state propagation over aedes and mosquitto",
  async run() {
    shieldBench("ieee123-5mg", 400);
    shieldBench("ieee8500-10mg", 200);
    budgetBench("ieee123-5mg", 2000);
    budgetBench("ieee123-voltage", 2000);
    budgetBench("ieee8500-fault-trunk", 1000);
    const broker = await startBroker({ port: 0 });
    try {
      await busBench("aedes (embedded), loopback", broker.url, 300);
      await lendingBench("aedes (embedded), loopback", broker.url, 200);
    } finally {
      await broker.close();
    }
    const have = await new Promise<boolean>((res) => {
      const p = spawn("mosquitto", ["-h"], { stdio: "ignore" });
      p.on("error", () => res(false));
      p.on("exit", () => res(true));
    });
    if (have) await mosquittoBench(300);
    else console.log("mosquitto not installed: skipped (apt-get install -y mosquitto)");
  },
};

// `npm run bench -- agent`: the edge agent's figures.
// 1. Decision latency, observation -> command (policy + shield, then with the
//    decision made durable in the journal), mg1 of ieee123-5mg (10 switches,
//    4 peers), for the plan policy and an ONNX actor of the paper's size
//    (random weights: latency does not depend on them). Target p99 <= 2 ms.
// 2. Full loop over loopback, poll -> verified write: a tick of the real agent
//    that reads two reclosers (Modbus TCP), decides, selects, operates, reads
//    back, journals.
// 3. Resident memory and CPU of the agent process at 1 Hz, per transport mix,
//    against the simulated ieee123-5mg devices (10 reclosers of mg1).
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { Journal } from "../agent/journal/index.js";
import { siteFor } from "../agent/config/generate.js";
import { startAgent } from "../agent/main.js";
import { dispose } from "../agent/runtime/dispose.js";
import { journalPort } from "../agent/runtime/journal-port.js";
import { buildShieldInput, budget, type SwitchContext } from "../agent/runtime/shield-input.js";
import type { SwitchView } from "../agent/runtime/views.js";
import { freePort, ModbusBank } from "../agent/test/support/modbus-bank.js";
import { fillRecloser, sboLogic } from "../agent/test/support/recloser.js";
import { siteObject, writeSite, plan as tinyPlan } from "../agent/test/support/site-fixture.js";
import { encodeSwitchState } from "../shared/encoding/actions.js";
import { loadPolicy } from "../shared/policy/runner.js";
import { DEFAULT_LIMITS, evaluate, indexGraph } from "../shared/shield/index.js";
import { DeviceHarness } from "../sim-harness/devices/harness.js";
import { openPlant, planFromScenario } from "../sim-harness/devices/scenario.js";
import { bindScenarioFile, type BoundScenario } from "../sim-harness/scenarios/bind.js";
import { mlpToOnnx } from "../trainer/export/onnx-mlp.js";
import { initMlp } from "../trainer/model/init.js";
import { Rng } from "../trainer/util/rng.js";
import { percentile } from "./machine.js";
import type { BenchSuite } from "./suites.js";

const ROOT = resolve(fileURLToPath(import.meta.url), "../..");
const silent = () => new Writable({ write: (_c, _e, cb) => cb() });
const fmt = (v: number) => (v < 1 ? v.toFixed(3) : v.toFixed(2));
const line = (s: string) => console.log(s);

function stats(ms: number[]): string {
  return `p50 ${fmt(percentile(ms, 50))} ms, p99 ${fmt(percentile(ms, 99))} ms, max ${fmt(Math.max(...ms))} ms (n=${ms.length})`;
}

function manifest(bound: BoundScenario, kind: "plan" | "onnx") {
  return {
    format: "blackstart-policy/1",
    kind,
    scenario: bound.scenario.name,
    scenario_hash: bound.sections.scenario_hash,
    algorithm: kind === "plan" ? "plan" : "happo",
    observation: { kind: "switch-states" },
    actions_per_element: 3,
    agents: bound.scenario.microgrids.map((m) => ({ id: m.id, elements: m.switches, observation_size: m.switches.length, ...(kind === "onnx" ? { onnx: `${m.id}.onnx` } : {}) })),
    created: new Date().toISOString(),
  };
}

/** A policy directory for the whole scenario: a plan closing every switch, or random ONNX actors (hidden 128, 128). */
function policyDir(bound: BoundScenario, kind: "plan" | "onnx"): string {
  const dir = mkdtempSync(join(tmpdir(), `blackstart-bench-${kind}-`));
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest(bound, kind)));
  if (kind === "plan") {
    writeFileSync(
      join(dir, "plan.json"),
      JSON.stringify({
        format: "blackstart-plan/1",
        label: "plan: close every switch (benchmark), not a learned policy",
        scenario: bound.scenario.name,
        scenario_hash: bound.sections.scenario_hash,
        source: "bench/agent.ts",
        steps: bound.scenario.microgrids.flatMap((m) => m.switches.map((element) => ({ operations: [{ agent: m.id, element, action: "close" }] }))),
      }),
    );
  } else {
    const rng = new Rng(7);
    for (const m of bound.scenario.microgrids) {
      const p = initMlp({ inputSize: m.switches.length, hidden: [128, 128], outputSize: 3 * m.switches.length, activation: "relu", hiddenLayerNorm: true, headGain: 0.01 }, rng);
      writeFileSync(join(dir, `${m.id}.onnx`), mlpToOnnx(p, { name: m.id }));
    }
  }
  return dir;
}

async function decisionLatency(bound: BoundScenario): Promise<void> {
  const mg = bound.scenario.microgrids[0]!;
  const ix = indexGraph(bound.sections);
  const spelled = new Map(bound.sections.switches.map((s) => [s.element.toLowerCase(), s.element]));
  const names = mg.switches.map((e) => spelled.get(e.toLowerCase()) ?? e);
  const peers = bound.scenario.microgrids.slice(1);
  const rng = new Rng(11);
  const jdir = mkdtempSync(join(tmpdir(), "blackstart-bench-journal-"));
  const journal = Journal.open(join(jdir, "j.db"), { microgrid: mg.id, maintenanceIntervalMs: 0 });
  const jport = journalPort(journal, bound.sections);
  for (const kind of ["plan", "onnx"] as const) {
    const policy = await loadPolicy(policyDir(bound, kind), { intraOpThreads: 1, interOpThreads: 1 });
    const actor = await policy.agent({ id: mg.id, elements: mg.switches });
    const pure: number[] = [];
    const durable: number[] = [];
    const N = 3000;
    for (let i = 0; i < N + 300; i++) {
      const now = 1_000_000 + i * 1000;
      const views: SwitchView[] = names.map((element) => ({
        element,
        device: `sw-${element}`,
        position: rng.next() < 0.3 ? "closed" : "open",
        lockout: false,
        interlock: false,
        fault: false,
        currentA: undefined,
        readAt: now - 200,
        ageMs: 200,
        readFailed: false,
        stale: false,
      }));
      const context: SwitchContext[] = views.map(() => ({ pending: null, lastOperationMs: null, selectBeforeOperate: true }));
      const peerStates = peers.map((p) => ({
        microgrid: p.id,
        fresh: true,
        switches: Object.fromEntries(p.switches.map((e) => [e, rng.next() < 0.3 ? ("closed" as const) : ("open" as const)])),
      }));
      const t0 = performance.now();
      const obs = Float32Array.from(views, (v) => encodeSwitchState(v.position === "closed" ? "closed" : "open"));
      const input = buildShieldInput({ now, microgrid: mg.id, switches: views, context, peers: peerStates, generation: budget(mg.quota_kw, rng.next() * 300, [], true), limits: { ...DEFAULT_LIMITS, min_operation_interval_ms: 0 } });
      const result = evaluate(ix, input);
      const wish = await actor.decide(obs);
      const d = dispose(ix, names, wish, input, result);
      const t1 = performance.now();
      jport.decision({
        tick: i,
        sessionId: "bench",
        step: i % 15,
        policy: { kind: actor.kind, label: actor.label },
        observation: Array.from(obs),
        logits: Array.from(wish.logits),
        mask: Array.from(result.mask),
        actions: Array.from(d.admission.actions),
        shieldInput: input,
        outcome: { admitted: d.admission.admitted },
        verdicts: d.verdicts,
      });
      const t2 = performance.now();
      if (i >= 300) {
        pure.push(t1 - t0);
        durable.push(t2 - t0);
      }
      if (i % 200 === 0) actor.reset();
    }
    line(`decision latency, ${kind} policy (${actor.label}), mg1 of ieee123-5mg (10 switches, 4 peers): policy + shield ${stats(pure)}`);
    line(`decision latency, ${kind} policy, including the durable journal write (synchronous=FULL): ${stats(durable)}`);
    await policy.close();
  }
  journal.close();
}

async function fullLoop(): Promise<void> {
  const bank = new ModbusBank();
  fillRecloser(bank, 1, false);
  fillRecloser(bank, 2, false);
  sboLogic(bank);
  const port = await bank.start();
  const N = 300;
  const steps = Array.from({ length: N }, (_, i) => [{ element: "Line.L1", action: i % 2 === 0 ? ("close" as const) : ("open" as const) }]);
  const tcp = (unit: number) => ({ kind: "modbus-tcp", host: "127.0.0.1", port, unit_id: unit, timeout_ms: 300 });
  const file = writeSite(
    siteObject({
      clock: "realtime",
      devices: [
        { id: "sw-l1", profile: "recloser-modbus", transport: tcp(1) },
        { id: "sw-l2", profile: "recloser-modbus", transport: tcp(2) },
      ],
      http: { port: 0 },
      session: { episode_length: N },
      limits: { min_operation_interval_ms: 0, confirm_timeout_ms: 500 },
    }),
    { plan: tinyPlan(steps) },
  );
  const agent = await startAgent(file, { loop: false, logDestination: silent() });
  agent.restorer.request({ command: "restore", by: "bench" });
  const withCommand: number[] = [];
  const poll: number[] = [];
  for (let i = 0; i < N; i++) {
    const r = await agent.tick();
    if (r.decision?.commands.some((c) => c.outcome === "confirmed")) withCommand.push(r.ms.total);
    poll.push(r.ms.poll);
  }
  await agent.stop("bench");
  await bank.stop();
  line(`full loop over loopback (poll 2 reclosers -> decide -> select -> operate -> read-back -> journal), ticks with a confirmed command: ${stats(withCommand)}`);
  line(`  of which the poll of both devices: ${stats(poll)}`);
}

interface ProcFigures {
  rssMb: number;
  hwmMb: number;
  cpuPct: number;
}

function procStatus(pid: number): { rssKb: number; hwmKb: number; cpuTicks: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? NaN);
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { rssKb: kb("VmRSS"), hwmKb: kb("VmHWM"), cpuTicks: Number(fields[11]) + Number(fields[12]) };
}

/**
 * V8 flags the deploy files run the agent with (deploy/systemd, deploy/Containerfile): a small young
 * generation (the agent allocates little per tick) keeps resident memory down on a gateway.
 */
export const AGENT_NODE_FLAGS = ["--max-semi-space-size=2"];

async function measureProcess(args: string[], httpPort: number, seconds: number): Promise<ProcFigures> {
  const child = spawn(process.execPath, [...AGENT_NODE_FLAGS, ...args], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  try {
    const end = Date.now() + 30_000;
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${httpPort}/healthz/live`).then((r) => r.ok, () => false);
      if (ok) break;
      if (Date.now() > end || child.exitCode !== null) throw new Error(`agent did not start: ${err.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await fetch(`http://127.0.0.1:${httpPort}/restore`, { method: "POST" });
    // Settle (a session of 15 decisions runs in the first 15 s), then measure.
    await new Promise((r) => setTimeout(r, 3000));
    const a = procStatus(child.pid!);
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const b = procStatus(child.pid!);
    const wall = (performance.now() - t0) / 1000;
    return { rssMb: b.rssKb / 1024, hwmMb: b.hwmKb / 1024, cpuPct: (100 * (b.cpuTicks - a.cpuTicks)) / 100 / wall };
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
  }
}

async function memoryAndCpu(bound: BoundScenario): Promise<void> {
  const only = process.env.AGENT_BENCH_ONLY;
  const mixes: { name: string; opcua: number; entry: "agent" | "cli" }[] = [
    { name: "Modbus only (10 reclosers), agent entry (agent/bin.ts)", opcua: 0, entry: "agent" },
    { name: "Modbus only (10 reclosers), full CLI (bin/blackstart.mjs agent)", opcua: 0, entry: "cli" },
    { name: "Modbus 9 + OPC UA 1, agent entry", opcua: 1, entry: "agent" },
  ];
  const mg = bound.scenario.microgrids[0]!;
  const policy = policyDir(bound, "plan");
  for (const mix of mixes) {
    if (only && !mix.name.includes(only)) continue;
    const plan = planFromScenario(bound);
    const own = new Set(mg.switches.map((e) => e.toLowerCase()));
    let ua = mix.opcua;
    plan.switches = plan.switches.map((s) => (own.has(s.element.toLowerCase()) && ua-- > 0 ? { ...s, binding: { profile: "switchgear-opcua", protocol: "opcua" } } : s));
    const dir = mkdtempSync(join(tmpdir(), "blackstart-bench-rss-"));
    mkdirSync(dir, { recursive: true });
    const harness = await DeviceHarness.start(plan, openPlant(bound), { clock: "realtime", tickMs: 100, pkiDir: join(dir, "server-pki") });
    try {
      const httpPort = await freePort();
      const site = siteFor({
        scenario: bound.scenario,
        graph: bound.sections,
        microgrid: mg.id,
        endpoints: harness.endpoints(),
        policyDir: policy,
        journalPath: join(dir, "journal.db"),
        clock: "realtime",
        http: { port: httpPort },
        opcua: { auto_accept_server_certificate: true },
      });
      writeFileSync(join(dir, "site.yaml"), stringify({ ...site, log: { level: "warn" } }));
      const args = mix.entry === "agent" ? [join(ROOT, "bin/run-ts.mjs"), join(ROOT, "agent/bin.ts"), "--config", join(dir, "site.yaml")] : [join(ROOT, "bin/blackstart.mjs"), "agent", "--config", join(dir, "site.yaml")];
      const f = await measureProcess(args, httpPort, 20);
      line(`${mix.name}: RSS ${f.rssMb.toFixed(1)} MB (peak ${f.hwmMb.toFixed(1)} MB), CPU ${f.cpuPct.toFixed(2)} % of one core at 1 Hz polling${mix.opcua === 0 && mix.entry === "agent" ? (f.hwmMb <= 150 ? " — target <= 150 MB met" : " — target <= 150 MB MISSED") : ""}`);
    } finally {
      await harness.stop();
    }
  }
}

export const agentBench: BenchSuite = {
  name: "agent",
  description: "edge agent: decision latency (policy + shield), full loop over loopback, memory and CPU per transport mix",
  async run() {
    const bound = bindScenarioFile("ieee123-5mg");
    const parts = (process.env.AGENT_BENCH_PARTS ?? "latency,loop,memory").split(",");
    if (parts.includes("latency")) await decisionLatency(bound);
    if (parts.includes("loop")) await fullLoop();
    if (parts.includes("memory")) await memoryAndCpu(bound);
  },
};

// One bench run, end to end: the scenario's simulated devices on real Modbus
// and OPC UA ports bound to the power flow (in this process: the simulator's
// side, where everything is measured), the broker and one agent per
// microgrid as separate OS processes, a restoration called for, driven in
// lockstep (or left to run in real time), faults applied as their file says,
// then every check, the JSON summary and the HTML report.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { release } from "node:os";
import { join, resolve } from "node:path";
import { stringify } from "yaml";
import { BlackstartError } from "../../shared/errors.js";
import { canonicalElement, unknownNameMessage } from "../../shared/names.js";
import { planDocument, findOptimum, type OptimumResult } from "../baselines/optimum.js";
import { createEnvFromBound } from "../env/create.js";
import type { RestorationEnv } from "../env/env.js";
import { DeviceHarness } from "../devices/harness.js";
import type { Plant } from "../devices/plant.js";
import { openPlant, planFromScenario, type PlantKind } from "../devices/scenario.js";
import { bindScenarioFile, type BoundScenario } from "../scenarios/bind.js";
import { Broker, type BrokerKind } from "./broker.js";
import { evaluateChecks, type Check } from "./checks.js";
import { BenchErrors } from "./errors.js";
import { loadBenchFaults, ticksNeeded, type BenchEvent, type BenchFaultFile } from "./fault-file.js";
import { AgentHandle } from "./fleet.js";
import { LockstepDriver, type FaultActuator } from "./lockstep.js";
import { Meter } from "./meter.js";
import { BenchNetwork, netemAvailable, netnsAvailable } from "./netns.js";
import { BusObserver } from "./observer.js";
import { givenPolicy, shippedPolicies, writePlanPolicy, describe, type ResolvedPolicy } from "./policy.js";
import type { ProgressSink } from "./progress.js";
import { RunRecord } from "./record.js";
import { benchReportModel } from "./report/bench-model.js";
import { writeHtmlReport } from "./report/html.js";
import { benchSummary, type BenchSummary } from "./summary.js";
import { benchSites } from "./sites.js";
import { loadJournal, type LoadedJournal } from "../replay/journals.js";

export interface BenchOptions {
  /** Scenario name or file; default: the fault file's, else ieee123-5mg. */
  scenario?: string;
  /** Default: the fault file's, else lockstep. */
  clock?: "lockstep" | "realtime";
  /** Bench fault file (sim-harness/bench/faults/*.yaml). */
  faults?: string;
  /** Folder for the report, summary, site files, journals and logs. */
  reportDir?: string;
  policy?: string;
  plant?: "auto" | PlantKind;
  broker?: BrokerKind;
  /** Simulated ms per tick (lockstep) or the agents' poll period (realtime). */
  periodMs?: number;
  /** Ticks to run at most (default: the episode, longer with faults). */
  maxTicks?: number;
  /** Target: served load at the end, % of the cap (paper) or of the optimum (physics). */
  targetPct?: number;
  /** Compute the optimum for pct_of_optimum (default true; a plan policy needs it anyway). */
  optimum?: boolean;
  progress?: ProgressSink;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

export interface BenchResult {
  summary: BenchSummary;
  reportFile: string;
  summaryFile: string;
  dir: string;
  passed: boolean;
}

const BASE_TOPIC = "blackstart";

function defaultDir(scenario: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
  return resolve("reports", "bench", `${scenario}-${stamp}`);
}

/** Everything a run starts, so that one place stops it whatever happened. */
class Resources {
  harness: DeviceHarness | undefined;
  broker: Broker | undefined;
  observer: BusObserver | undefined;
  agents: AgentHandle[] = [];
  network: BenchNetwork | undefined;

  async close(): Promise<void> {
    await Promise.allSettled(this.agents.map((a) => a.stop()));
    await this.observer?.close();
    await this.broker?.stop();
    await this.harness?.stop();
    this.network?.close();
  }
}

export async function runBench(o: BenchOptions): Promise<BenchResult> {
  const log = o.log ?? (() => {});
  const wall0 = performance.now();
  const faults: BenchFaultFile | undefined = o.faults ? loadBenchFaults(o.faults) : undefined;
  const scenarioName = o.scenario ?? faults?.scenario ?? "ieee123-5mg";
  log(`bench: binding scenario ${scenarioName}`);
  const bound = bindScenarioFile(scenarioName);
  const s = bound.scenario;
  if (faults) checkFaultsFit(faults, bound, o.faults!);
  const dir = resolve(o.reportDir ?? defaultDir(s.name));
  clearPreviousRun(dir);
  for (const sub of ["sites", "journals", "logs", "pki"]) mkdirSync(join(dir, sub), { recursive: true });
  const clock = o.clock ?? faults?.clock ?? "lockstep";
  const lockstep = clock === "lockstep";
  const periodMs = o.periodMs ?? 1000;

  // --- the plant and the reference optimum
  let plantKind: PlantKind = o.plant === "nominal" ? "nominal" : "powerflow";
  let plant: Plant;
  try {
    plant = openPlant(bound, plantKind);
  } catch (e) {
    if (o.plant === "powerflow") throw e;
    log(`bench: ${(e as Error).message}; using the nominal plant (energization and nominal loads, no voltages)`);
    plantKind = "nominal";
    plant = openPlant(bound, plantKind);
  }
  const env = createEnvFromBound(bound, { grid: plantKind });
  const policySpec = resolvePolicyChoice(o, bound);
  let optimum: OptimumResult | undefined;
  if (o.optimum !== false || policySpec === undefined) {
    log(`bench: computing the optimum (${plantKind === "powerflow" ? "MILP checked by the power flow" : "MILP on nominal loads"})`);
    optimum = await findOptimum(env, { progress: (l) => log(`bench: ${l}`) });
  }
  const policy = policySpec ?? writePlanPolicy(join(dir, "policy"), bound, planDocument(env, optimum!), { optimum_kw: optimum!.replay.final.restored_kw });
  log(`bench: policy ${policy.label} (${policy.origin}) from ${policy.dir}`);
  const fixedOptimum = faults?.expect.optimum_fixed ? await optimumWithFixed(env, faults.expect.optimum_fixed, log) : undefined;

  const res = new Resources();
  const record = new RunRecord(bound);
  const abort = () => void res.close();
  o.signal?.addEventListener("abort", abort, { once: true });
  try {
    // --- network namespaces, when the faults cut or degrade the bus
    const wantsNet = faults?.network === true;
    if (wantsNet) {
      if (!netnsAvailable()) throw new BlackstartError(BenchErrors.NETWORK, `fault file ${o.faults} needs network namespaces (root, ip, tc); run it as root`);
      const userspaceLoss = faults!.events.some((e) => e.action === "packet-loss") && !netemAvailable();
      if (userspaceLoss) log(`bench: this kernel (${release()}) has no netem qdisc: bus links run through the user-space lossy bridge (sim-harness/bench/lossy-link.py)`);
      res.network = new BenchNetwork({ userspaceLoss, logDir: join(dir, "logs") });
      for (const [k, mg] of s.microgrids.entries()) await res.network.add(mg.id, k);
    }
    const listenHost = wantsNet ? "0.0.0.0" : "127.0.0.1";

    // --- devices
    const plan = planFromScenario(bound);
    res.harness = await DeviceHarness.start(plan, plant, {
      clock: lockstep ? "lockstep" : "realtime",
      tickMs: 100,
      host: listenHost,
      pkiDir: join(dir, "pki", "server"),
      faults: faults?.devices ?? [],
      log: (l) => record.event(res.harness?.clock.now() ?? 0, "device", l),
    });
    const harness = res.harness;
    const meter = new Meter(bound, plant);
    record.instant(harness.clock.now(), [], meter.read());
    let stepCount = 0;
    harness.clock.onStep(() => {
      const last = harness.last;
      stepCount++;
      // Lockstep: every step; realtime: every step that operated something, and once a second.
      if (lockstep || last.operations.length > 0 || stepCount % 10 === 0) record.instant(last.nowMs, last.operations, meter.read());
    });
    const endpoints = harness.endpoints();
    log(`bench: ${endpoints.length} simulated devices listening (${plantKind} plant)`);

    // --- broker and observer
    res.broker = await Broker.start(o.broker ?? "embedded", {
      dir,
      host: listenHost,
      ...(res.network ? { reachAt: [...res.network.agents.values()].map((a) => a.busHostIp) } : {}),
      baseTopic: BASE_TOPIC,
      fleet: s.microgrids.map((m) => m.id),
    });
    const broker = res.broker;
    res.observer = new BusObserver({ url: broker.localUrl, base: BASE_TOPIC, fleet: s.microgrids.map((m) => m.id), scenarioHash: bound.hash, ...broker.observerCredentials() });
    await res.observer.start();

    // --- agents
    const sectionsFile = join(dir, "sites", "sections.json");
    writeFileSync(sectionsFile, `${JSON.stringify(bound.sections, null, 1)}\n`);
    const net = res.network;
    const sites = benchSites(bound, endpoints, {
      clock: lockstep ? "external" : "realtime",
      policyDir: policy.dir,
      sectionsFile,
      journalDir: join(dir, "journals"),
      periodMs,
      httpHost: (mg) => (net ? net.agents.get(mg)!.devNsIp : "127.0.0.1"),
      ...(net ? { deviceHost: (mg: string) => net.agents.get(mg)!.devHostIp } : {}),
      pkiDir: join(dir, "pki"),
      bus: (mg) => ({ url: broker.urlFor(net ? net.agents.get(mg)!.busHostIp : undefined), base_topic: BASE_TOPIC, credentials: broker.agentCredentials(mg) }),
    });
    res.agents = sites.map(({ microgrid, site }) => {
      const file = join(dir, "sites", `${microgrid}.yaml`);
      writeFileSync(file, `# Made by blackstart bench for ${s.name} (${clock} clock); see docs/bench.md\n${stringify(site)}`);
      const a = net?.agents.get(microgrid);
      return new AgentHandle({ microgrid, siteFile: file, ...(a ? { netns: { name: a.ns, address: a.devNsIp } } : {}) }, join(dir, "logs"));
    });
    log(`bench: starting ${res.agents.length} agents (one process each)`);
    await Promise.all(res.agents.map((a) => a.start()));
    await res.observer.waitFor(() => s.microgrids.every((m) => res.observer!.availability.get(m.id)?.state === "online"), 15_000);
    for (const m of s.microgrids) if (res.observer.availability.get(m.id)?.state !== "online") record.event(0, "bus-missing", "agent not seen online on the bus: it runs on its static quota alone", m.id);

    // --- the restoration
    const actuator = new Actuator(res, record, harness, log);
    const events = faults?.events ?? [];
    const episode = s.episode.length;
    const minTicks = faults ? ticksNeeded(faults, episode) : episode;
    const maxTicks = o.maxTicks ?? minTicks + episode;
    const wallAtSimZero = Date.now() - harness.clock.now();
    // Agents watch before the outage is handled: one tick (lockstep) or two periods (realtime) in which
    // each publishes its state and hears its peers', so nobody starts from unknown peers.
    if (lockstep) {
      record.tick = -1;
      await new LockstepDriver(harness, res.agents, res.observer, record, actuator, { periodMs, tickTimeoutMs: 120_000, busWaitMs: 20_000 }).tick(-1, []);
    } else await new Promise((r) => setTimeout(r, 2 * periodMs));
    record.tick = 0;
    await actuator.apply({ action: "restore", at_tick: 0 });
    const ticks = lockstep
      ? await runLockstep(res, record, actuator, events, { periodMs, minTicks, maxTicks, progress: o.progress, meter, cap: bound.scenario.limits.generation_cap_kw })
      : await runRealtime(res, record, actuator, events, { periodMs, minTicks, maxTicks, progress: o.progress, meter, cap: bound.scenario.limits.generation_cap_kw });

    // --- the end: final reading, clean shutdown, evidence
    const final = meter.read();
    record.instant(harness.clock.now(), [], final);
    const agentUsage = Object.fromEntries(res.agents.map((a) => [a.microgrid, { ...a.usage(), alive: a.alive }]));
    const liveAtEnd = res.agents.filter((a) => a.alive).map((a) => a.microgrid);
    const busStates = Object.fromEntries([...res.observer.states.entries()]);
    const availability = Object.fromEntries([...res.observer.availability.entries()].map(([k, v]) => [k, v.state]));
    const busStats = { messages: res.observer.messages, dropped: res.observer.dropped, by_kind: { ...res.observer.counts }, connected_at_end: res.observer.connected };
    const brokerUsage = broker.usage();
    await Promise.allSettled(res.agents.map((a) => a.stop()));
    // Realtime: the agents were not asked tick by tick; what they decided is in their journals.
    if (!lockstep) decisionsFromJournals(record, res.agents.map((a) => ({ microgrid: a.microgrid, path: join(dir, "journals", `${a.microgrid}.db`) })), wallAtSimZero);
    const voltages = meter.powerflow ? meter.powerflow.voltages() : undefined;
    const wall_s = (performance.now() - wall0) / 1000;
    const checks: Check[] = evaluateChecks({
      bound,
      record,
      final,
      journals: res.agents.map((a) => ({ microgrid: a.microgrid, path: join(dir, "journals", `${a.microgrid}.db`) })),
      expect: faults?.expect,
      targetPct: o.targetPct ?? 95,
      optimumKw: optimum?.replay.final.restored_kw,
      fixedOptimumKw: fixedOptimum?.replay.final.restored_kw,
      liveAtEnd,
      availabilityLog: res.observer.availabilityLog,
      perTick: lockstep,
    });
    const summary = benchSummary({
      env,
      policy,
      plantKind,
      clock,
      faults,
      record,
      final,
      optimum,
      fixedOptimum,
      checks,
      wall_s,
      ticks,
      targetPct: o.targetPct ?? 95,
      periodMs,
      agents: agentUsage,
      busStates,
      availability,
      bus: { ...busStats, wall_s, broker: brokerUsage, kind: broker.kind },
      taps: meter.powerflow?.tapPositions() ?? {},
      tapCommands: meter.tapCommands(),
      dir,
    });
    const summaryFile = join(dir, "summary.json");
    writeFileSync(summaryFile, `${JSON.stringify(summary, null, 1)}\n`);
    const reportFile = join(dir, "report.html");
    writeHtmlReport(reportFile, benchReportModel(summary, record, bound, voltages));
    return { summary, reportFile, summaryFile, dir, passed: summary.passed };
  } finally {
    o.signal?.removeEventListener("abort", abort);
    await res.close();
  }
}

/**
 * A report folder used before: what a run writes there goes, so that no agent reopens an old journal
 * (its ledger would carry over) and no broker replays old retained states. Other files are left alone.
 */
function clearPreviousRun(dir: string): void {
  for (const name of ["journals", "logs", "sites", "policy", "mosquitto", "summary.json", "report.html", "broker-retained.db", "broker-retained.db-wal", "broker-retained.db-shm"]) {
    rmSync(join(dir, name), { recursive: true, force: true });
  }
}

/** Every microgrid a fault file names is one of the scenario's. */
function checkFaultsFit(f: BenchFaultFile, bound: BoundScenario, file: string): void {
  const ids = bound.scenario.microgrids.map((m) => m.id);
  const bad = (field: string, mg: string) => {
    throw new BlackstartError(BenchErrors.FAULTS, `${unknownNameMessage("microgrid", mg, ids)} of scenario ${bound.scenario.name}`, { file, field });
  };
  f.events.forEach((e, i) => {
    if ("microgrid" in e && !ids.includes(e.microgrid)) bad(`events[${i}].microgrid`, e.microgrid);
    if (e.action === "packet-loss") e.microgrids?.forEach((m, k) => ids.includes(m) || bad(`events[${i}].microgrids[${k}]`, m));
  });
  for (const key of ["dropped", "quota_fallback"] as const) f.expect[key].forEach((m, k) => ids.includes(m) || bad(`expect.${key}[${k}]`, m));
  f.expect.alarms.forEach((a, k) => a.microgrid === undefined || ids.includes(a.microgrid) || bad(`expect.alarms[${k}].microgrid`, a.microgrid));
}

/** Each journaled decision with its commands' outcomes, timed on the harness clock (realtime runs). */
function decisionsFromJournals(record: RunRecord, journals: readonly { microgrid: string; path: string }[], wallAtSimZero: number): void {
  for (const j of journals) {
    let loaded: LoadedJournal;
    try {
      loaded = loadJournal(j.path);
    } catch (e) {
      record.event(0, "journal-unreadable", (e as Error).message, j.microgrid);
      continue;
    }
    const byDecision = new Map<string, LoadedJournal["commands"]>();
    for (const c of loaded.commands) byDecision.set(c.decisionId, [...(byDecision.get(c.decisionId) ?? []), c]);
    for (const d of loaded.decisions) {
      const o = (d.outcome ?? {}) as { hold?: string; reservation?: { kw: number; granted: boolean; reason?: string } };
      record.decisions.push({
        t_s: Math.max(0, (d.at - wallAtSimZero) / 1000),
        microgrid: j.microgrid,
        id: d.id,
        commands: (byDecision.get(d.id) ?? []).map((c) => ({ element: c.element, action: c.action, outcome: c.outcome })),
        vetoes: d.verdicts.map((v) => ({ element: v.element, action: v.action, rule: v.rule, detail: v.detail })),
        ...(o.hold ? { hold: o.hold } : {}),
        ...(o.reservation ? { reservation: o.reservation } : {}),
      });
    }
  }
  record.decisions.sort((a, b) => a.t_s - b.t_s);
}

function resolvePolicyChoice(o: BenchOptions, bound: BoundScenario): ResolvedPolicy | undefined {
  if (o.policy) return givenPolicy(o.policy);
  const shipped = shippedPolicies(bound)[0];
  if (shipped) return { dir: shipped.dir, kind: shipped.manifest.kind, label: describe(shipped.manifest), origin: "shipped" };
  return undefined;
}

/** The optimum with some switches held in a state (a stuck switch): HiGHS with those binaries fixed. */
async function optimumWithFixed(env: RestorationEnv, fixed: Record<string, "open" | "closed">, log: (l: string) => void): Promise<OptimumResult> {
  const graph = env.bound.sections.switches.map((sw) => canonicalElement(sw.element));
  const pins = Object.entries(fixed).map(([el, st]) => {
    const k = graph.indexOf(canonicalElement(el));
    if (k < 0) throw new BlackstartError(BenchErrors.FAULTS, `expect.optimum_fixed: '${el}' is not a switch of ${env.bound.scenario.name}`, { field: `expect.optimum_fixed.${el}` });
    return { k, value: st === "closed" ? 1 : 0 };
  });
  log(`bench: recomputing the optimum with ${Object.entries(fixed).map(([e, st]) => `${e} ${st}`).join(", ")}`);
  return findOptimum(env, { extend: (f) => pins.forEach((p) => f.milp.fix(f.y[p.k]!, p.value)) });
}

// ---------------------------------------------------------------- faults

class Actuator implements FaultActuator {
  constructor(
    private readonly res: Resources,
    private readonly record: RunRecord,
    private readonly harness: DeviceHarness,
    private readonly log: (l: string) => void,
  ) {}

  private agent(mg: string): AgentHandle {
    const a = this.res.agents.find((x) => x.microgrid === mg);
    if (!a) throw new BlackstartError(BenchErrors.FAULTS, `no agent for microgrid '${mg}' (${this.res.agents.map((x) => x.microgrid).join(", ")})`);
    return a;
  }

  private note(kind: string, detail: string, mg?: string): void {
    this.record.event(this.harness.clock.now(), kind, detail, mg);
    this.log(`bench: tick ${this.record.tick}: ${kind}${mg ? ` ${mg}` : ""}: ${detail}`);
  }

  /**
   * Lockstep: after a restart or a heal, simulated time waits (up to 30 s of wall time) until the
   * agents concerned are back on the bus, as the issue's lockstep rule waits for their states.
   */
  private async backOnBus(which: readonly string[], what: string): Promise<void> {
    const obs = this.res.observer;
    if (!obs) return;
    const t0 = performance.now();
    // The broker replays retained `online`s of agents not back yet: ask the agents whether their bus is up.
    const agents = this.res.agents.filter((a) => which.includes(a.microgrid) && a.alive);
    const busUp = async () => (await Promise.all(agents.map((a) => a.health()))).every((h) => h !== undefined && !h.reasons.some((r) => /bus down/.test(r)));
    let ok = false;
    while (!ok && performance.now() - t0 < 30_000) {
      ok = obs.connected && which.every((mg) => obs.availability.get(mg)?.state === "online") && (await busUp());
      if (!ok) await new Promise((r) => setTimeout(r, 100));
    }
    this.note(ok ? "bus-back" : "bus-not-back", `${which.join(", ")} ${ok ? "online again" : "not online"} ${((performance.now() - t0) / 1000).toFixed(1)} s after ${what}`);
  }

  async apply(e: BenchEvent): Promise<void> {
    switch (e.action) {
      case "restore": {
        const live = this.res.agents.filter((a) => a.alive);
        const ok = await Promise.all(live.map((a) => a.restore(`bench: restoration called for at tick ${e.at_tick}`)));
        this.note("restore", `operator command to ${live.filter((_, i) => ok[i]).map((a) => a.microgrid).join(", ")}`);
        return;
      }
      case "kill-agent":
        this.agent(e.microgrid).kill(e.signal);
        this.note("kill-agent", `${e.signal} to pid ${this.agent(e.microgrid).proc?.pid}`, e.microgrid);
        return;
      case "restart-agent": {
        const a = this.agent(e.microgrid);
        if (a.alive) await a.stop();
        await a.start();
        this.note("restart-agent", `life ${a.lives}, pid ${a.proc?.pid}`, e.microgrid);
        // It comes back watching: the operator calls for the restoration again, as in the field.
        await a.restore("bench: restoration called for again after a restart");
        if (this.res.broker?.alive) await this.backOnBus([e.microgrid], "its restart");
        return;
      }
      case "kill-broker":
        this.res.broker!.kill(e.signal);
        this.note("kill-broker", e.signal);
        return;
      case "restart-broker":
        await this.res.broker!.restart();
        this.note("restart-broker", `listening again on ${this.res.broker!.localUrl}`);
        await this.backOnBus(this.res.agents.filter((a) => a.alive).map((a) => a.microgrid), "the broker's restart");
        return;
      case "partition":
        this.res.network!.partition(e.microgrid);
        this.note("partition", "bus link cut (its namespace end down)", e.microgrid);
        return;
      case "heal":
        this.res.network!.heal(e.microgrid);
        this.note("heal", "bus link restored", e.microgrid);
        if (this.res.broker?.alive) await this.backOnBus([e.microgrid], "the heal");
        return;
      case "packet-loss": {
        const which = e.microgrids ?? this.res.agents.map((a) => a.microgrid);
        for (const mg of which) await this.res.network!.busLoss(mg, e.percent);
        this.note("packet-loss", `${e.percent} % on the bus links of ${which.join(", ")} for ${e.duration_s} s`);
        const t = setTimeout(() => {
          void Promise.allSettled(which.map((mg) => this.res.network?.busLoss(mg, 0))).then(() => this.note("packet-loss-end", `bus links of ${which.join(", ")} clean again`));
        }, e.duration_s * 1000);
        t.unref();
        return;
      }
    }
  }
}

// ---------------------------------------------------------------- drivers

interface DriveOptions {
  periodMs: number;
  minTicks: number;
  maxTicks: number;
  progress: ProgressSink | undefined;
  meter: Meter;
  cap: number | undefined;
}

async function runLockstep(res: Resources, record: RunRecord, actuator: Actuator, events: readonly BenchEvent[], d: DriveOptions): Promise<number> {
  const driver = new LockstepDriver(res.harness!, res.agents, res.observer, record, actuator, { periodMs: d.periodMs, tickTimeoutMs: 120_000, busWaitMs: 20_000 });
  const sessionSeen = new Set<string>();
  let n = 0;
  for (; n < d.maxTicks; n++) {
    const t = await driver.tick(n, events.filter((e) => e.at_tick === n));
    record.tickWallMs.push(t.wallMs);
    for (const [mg, r] of t.answered) if (r.session || r.changes.some((c) => c.kind === "started")) sessionSeen.add(mg);
    d.progress?.tick(progressOf(res, record, n, d));
    const pendingEvents = events.some((e) => e.at_tick > n);
    const sessionsOver = [...t.answered.values()].every((r) => r.session === null) && t.failed.size === 0;
    if (n + 1 >= d.minTicks && !pendingEvents && sessionsOver && sessionSeen.size > 0) {
      n++;
      break;
    }
  }
  return n;
}

async function runRealtime(res: Resources, record: RunRecord, actuator: Actuator, events: readonly BenchEvent[], d: DriveOptions): Promise<number> {
  let n = 0;
  const sessionSeen = new Set<string>();
  for (; n < d.maxTicks; n++) {
    record.tick = n;
    for (const e of events.filter((x) => x.at_tick === n)) await actuator.apply(e);
    await new Promise((r) => setTimeout(r, d.periodMs));
    const states = await Promise.all(res.agents.map(async (a) => ({ a, st: (await a.state()) as { session?: unknown } | undefined })));
    for (const { a, st } of states) if (st?.session) sessionSeen.add(a.microgrid);
    d.progress?.tick(progressOf(res, record, n, d));
    const over = states.every(({ a, st }) => !a.alive || (st !== undefined && !st.session));
    if (n + 1 >= d.minTicks && !events.some((e) => e.at_tick > n) && over && sessionSeen.size > 0) {
      n++;
      break;
    }
  }
  return n;
}

function progressOf(res: Resources, record: RunRecord, n: number, d: DriveOptions) {
  const last = record.last;
  const vetoes = new Map<string, number>();
  for (const d of record.decisions) vetoes.set(d.microgrid, (vetoes.get(d.microgrid) ?? 0) + d.vetoes.length);
  return {
    tick: n,
    maxTicks: d.maxTicks,
    restored_kw: last?.restored_kw ?? 0,
    cap_kw: d.cap,
    microgrids: res.agents.map((a) => {
      const st = res.observer?.states.get(a.microgrid);
      return {
        id: a.microgrid,
        alive: a.alive,
        online: res.observer?.availability.get(a.microgrid)?.state === "online",
        operations: record.operations.filter((op) => op.microgrid === a.microgrid && !op.uncommanded).length,
        served_kw: last?.served_by_microgrid[a.microgrid] ?? 0,
        quota_kw: st?.quota_kw,
        leases: st?.leases.length ?? 0,
        leased_kw: st?.leases.reduce((t, l) => t + l.kw, 0) ?? 0,
        vetoes: vetoes.get(a.microgrid) ?? 0,
      };
    }),
  };
}

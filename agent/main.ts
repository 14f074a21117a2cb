// The edge agent as a process: load and check the site, open the journal,
// connect the devices (and the bus), settle what a crash left in flight, then
// tick until told to stop. Ordered shutdown (zigbee2mqtt style, guarded by a
// `stopping` flag): stop taking ticks and let the one in flight finish its
// command, publish offline on the bus, flush and close the journal, close the
// devices and the HTTP port.
import { BlackstartError } from "../shared/errors.js";
import { AgentErrors } from "./errors.js";
import { Journal } from "./journal/index.js";
import { observationSize } from "../shared/encoding/observation.js";
import { loadPolicy } from "../shared/policy/runner.js";
import { loadSite, type LoadOptions, type Site } from "./config/load.js";
import { agentMetrics, type AgentMetrics } from "./ops/agent-metrics.js";
import { AgentHttp, type Health } from "./ops/http.js";
import { agentLogger, type AgentLogger } from "./ops/log.js";
import { systemClock, type Clock } from "./runtime/clock.js";
import { startSiteBus, type SiteBus } from "./runtime/bus-port.js";
import { journalPort } from "./runtime/journal-port.js";
import { TickLoop } from "./runtime/loop.js";
import type { BusPort } from "./runtime/ports.js";
import { Restorer, type TickReport } from "./runtime/restorer.js";
import type { FieldDevice } from "./transports/device.js";
import { createDevices, loadSiteProfiles } from "./transports/factory.js";

export const AGENT_VERSION = "0.1.0";

export interface StartOptions extends LoadOptions {
  clock?: Clock;
  /** Log destination (tests); stdout by default. */
  logDestination?: NodeJS.WritableStream;
  /** How long to wait at start for the first connection to the bus (default 2 poll periods); the agent starts anyway. */
  busWaitMs?: number;
  /** Start the tick loop (default). Off: the caller runs `tick()` itself whatever the site's clock (benchmarks). */
  loop?: boolean;
  /** How long to wait at start for every device to connect (default 3 poll periods); the agent starts anyway after it. */
  connectWaitMs?: number;
}

export interface RunningAgent {
  site: Site;
  log: AgentLogger;
  metrics: AgentMetrics;
  restorer: Restorer;
  devices: readonly FieldDevice[];
  /** Port the HTTP server got. */
  httpPort: number;
  /** External clock: run one tick. */
  tick(): Promise<TickReport>;
  health(): Health;
  /** The peer bus client, when the site has a bus. */
  bus: import("./bus/index.js").PeerBus | undefined;
  /** URL of the embedded broker, when this agent hosts it. */
  brokerUrl: string | undefined;
  /** Ordered shutdown; resolves when everything is closed. */
  stop(reason?: string): Promise<void>;
}

export async function startAgent(siteFile: string, options: StartOptions = {}): Promise<RunningAgent> {
  const site = loadSite(siteFile, options);
  const c = site.config;
  const clock = options.clock ?? systemClock;
  const log = agentLogger(c.microgrid, c.log.level, options.logDestination);
  const profiles = loadSiteProfiles(site);
  const policy = await loadPolicy(site.policy.dir, { intraOpThreads: c.policy.threads, interOpThreads: 1 });
  // The observation the agent builds must be the size the policy was trained on (refused at start otherwise).
  const observation = policy.manifest.observation.kind;
  const actor = await policy.agent({ id: c.microgrid, elements: site.elements, observationSize: observationSize(observation, site.elements.length) });

  const journal = Journal.open(c.journal.path, { microgrid: c.microgrid, scenario: c.scenario, retentionDays: c.journal.retention_days });
  const jport = journalPort(journal, site.sections);
  let bus: BusPort | undefined;
  let siteBus: SiteBus | undefined;
  const { devices, opcua } = await createDevices(site, profiles, clock, log);
  const metrics = agentMetrics(c.microgrid, {
    journalBytes: () => (journal.isOpen ? journal.sizeBytes() : 0),
    busConnected: () => bus?.up() ?? false,
    peersLive: () => bus?.peers().filter((p) => p.fresh).length ?? 0,
    busDropped: () => siteBus?.bus.counters.dropped ?? {},
    busConnects: () => siteBus?.bus.counters.connects ?? 0,
    busWatchdog: () => ({ resets: siteBus?.bus.counters.watchdogResets ?? 0, echoLate: siteBus?.bus.counters.echoLate ?? 0 }),
    busAnswerTime: () => siteBus?.bus.answerTime.figures(),
  });
  metrics.info.set(1, { microgrid: c.microgrid, version: AGENT_VERSION, policy_kind: actor.kind });
  log.info(
    { site: site.file, scenario: c.scenario, policy: actor.label, elements: site.elements, devices: devices.map((d) => `${d.id} (${d.transport}, ${d.profile.id})`), clock: c.clock, opcua_loaded: opcua, quota_kw: site.quotaKw },
    "agent starting",
  );
  jport.event("agent-start", { version: AGENT_VERSION, pid: process.pid, site: site.file, clock: c.clock, policy: actor.label });

  for (const d of devices) await d.start();
  if (c.bus) {
    siteBus = await startSiteBus(site, journal, log);
    bus = siteBus?.port;
    const up = await siteBus?.bus.ready(options.busWaitMs ?? 2 * c.poll.period_ms);
    if (!up) log.warn({ url: c.bus.url }, "peer bus not reachable at start: static quota only until it is");
  }
  const restorer = new Restorer({ site, devices, policy: actor, journal: jport, bus, clock, metrics, log, observation });
  bus?.onCommand((cmd) => {
    if (cmd.command !== "release") return restorer.request(cmd);
    const r = restorer.requestRelease(cmd.element ?? "", cmd.by, cmd.reason);
    return "error" in r ? { accepted: false, detail: { error: r.error, why: r.detail } } : { accepted: true, detail: { element: r.element, hold: r.hold.kind, note: "takes effect at the next tick" } };
  });

  // Give the devices a moment to connect, so the first tick (and the settling of commands a
  // crash left in flight, which reads them) does not meet them all still connecting.
  const wait = options.connectWaitMs ?? 3 * c.poll.period_ms;
  const deadline = Date.now() + wait;
  while (Date.now() < deadline && !devices.every((d) => d.status().state === "connected")) await new Promise((r) => setTimeout(r, 20));
  const notConnected = devices.filter((d) => d.status().state !== "connected").map((d) => `${d.id} (${d.status().lastError ?? d.status().state})`);
  if (notConnected.length) log.warn({ devices: notConnected, waited_ms: wait }, "devices not connected at start: their switches hold until they are");

  let recovered = false;
  const pendingAtStart = jport.unresolved().length;
  if (pendingAtStart > 0) {
    const r = await restorer.recover();
    log.warn({ unresolved_at_start: pendingAtStart, ...r }, "commands left in flight by the last run settled");
  }
  recovered = true;

  let stopping = false;
  let stopped: Promise<void> | undefined;
  const loop = new TickLoop(restorer, c.clock, c.poll.period_ms, metrics, jport, log);
  const startedWall = Date.now();
  const health = (): Health => {
    const reasons: string[] = [];
    let live = true;
    if (stopping) reasons.push("stopping");
    if (!journal.isOpen) {
      live = false;
      reasons.push("journal closed");
    }
    if (c.clock === "realtime") {
      const last = loop.lastTickWall ?? startedWall;
      const silent = Date.now() - last;
      if (silent > 10 * c.poll.period_ms + 5000) {
        live = false;
        reasons.push(`no tick for ${Math.round(silent)} ms`);
      }
    }
    if (!recovered) reasons.push("settling commands left in flight");
    if (restorer.unresolvedCount() > 0) reasons.push(`${restorer.unresolvedCount()} command(s) with unknown outcome: holding`);
    const report = restorer.lastReport();
    if (!report) reasons.push("no tick yet");
    else for (const [id, d] of Object.entries(report.devices)) if (!d.ok) reasons.push(`device ${id}: ${d.error}`);
    if (c.bus && !(bus?.up() ?? false)) reasons.push("peer bus down: static quota only");
    return { live, ready: live && reasons.length === 0, reasons };
  };

  // Without the loop, ticks go straight to the restorer, one at a time (the caller awaits each).
  const tick = options.loop === false ? () => restorer.tick() : () => loop.tick();
  const http = new AgentHttp(
    {
      health,
      metrics: () => metrics.registry.render(),
      state: () => ({
        microgrid: c.microgrid,
        scenario: c.scenario,
        clock: c.clock,
        policy: actor.label,
        session: restorer.sessions.current ?? null,
        served_kw: restorer.servedKw(),
        quota_kw: site.quotaKw,
        unresolved_commands: restorer.unresolvedCount(),
        held: restorer.trips.holds(),
        devices: Object.fromEntries(devices.map((d) => [d.id, { transport: d.transport, profile: d.profile.id, ...d.status() }])),
        last_tick: restorer.lastReport() ?? null,
      }),
      command: (cmd) => restorer.request({ ...cmd, by: "http" }),
      release: (element, reason) => {
        const r = restorer.requestRelease(element, "http", reason);
        if ("error" in r) return { status: r.error === "unknown" ? 404 : 409, body: { error: r.detail } };
        return { status: 202, body: { accepted: "release", element: r.element, hold: r.hold, note: "takes effect at the next tick" } };
      },
      tick,
    },
    { host: c.http.host, port: c.http.port, ...(site.secrets.httpToken ? { token: site.secrets.httpToken.reveal() } : {}) },
  );
  let httpPort: number;
  try {
    httpPort = await http.listen();
  } catch (e) {
    journal.close();
    for (const d of devices) await d.stop();
    await bus?.close();
    await siteBus?.broker?.close();
    const line = site.lineOf(["http", "port"]);
    throw new BlackstartError(AgentErrors.HTTP_LISTEN, `cannot listen on ${c.http.host}:${c.http.port}: ${(e as Error).message}`, {
      file: site.file,
      field: "http.port",
      ...(line !== undefined ? { line } : {}),
    });
  }
  if (options.loop !== false) loop.start();
  log.info({ http: `http://${c.http.host}:${httpPort}`, clock: c.clock, period_ms: c.poll.period_ms }, "agent running");

  const stop = (reason = "stop"): Promise<void> => {
    stopped ??= (async () => {
      stopping = true;
      log.info({ reason }, "agent stopping: finishing the tick in flight");
      await loop.stop();
      await restorer.poller.settle();
      await restorer.finish();
      if (bus) {
        try {
          await bus.close();
        } catch (e) {
          log.warn({ error: (e as Error).message }, "bus close failed");
        }
      }
      await siteBus?.broker?.close();
      jport.event("agent-stop", { reason });
      journal.close();
      for (const d of devices) await d.stop();
      await http.close();
      log.info({ reason }, "agent stopped");
      log.flush();
    })();
    return stopped;
  };

  return { site, log, metrics, restorer, devices, httpPort, tick, health, stop, bus: siteBus?.bus, brokerUrl: siteBus?.broker?.url };
}

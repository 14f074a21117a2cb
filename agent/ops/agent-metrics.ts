// The agent's metric families: what an operator watches on /metrics.
import { cpuUsage, memoryUsage } from "node:process";
import { MetricsRegistry } from "./metrics.js";

const LATENCY_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export interface MetricsSamplers {
  journalBytes(): number;
  busConnected(): boolean;
  peersLive(): number;
  /** Bus messages dropped, by reason (foreign, spoofed, schema ...), and connections made. */
  busDropped?(): Readonly<Record<string, number>>;
  busConnects?(): number;
  /** The bus watchdog: connections torn down, and echoes only late on a link that still delivered. */
  busWatchdog?(): { resets: number; echoLate: number };
  /** Answer times learned from the peers' answers (shared/bus/answer-time.ts); undefined without a bus. */
  busAnswerTime?(): { srtt_ms: number | null; timeout_ms: number } | undefined;
}

export function agentMetrics(microgrid: string, samplers: MetricsSamplers) {
  const r = new MetricsRegistry();
  const started = Date.now() / 1000;
  const m = {
    registry: r,
    info: r.gauge("blackstart_agent_info", "Agent identity (value 1).", ["microgrid", "version", "policy_kind"]),
    pollLatency: r.histogram("blackstart_poll_latency_seconds", "Time to read one device's channels.", LATENCY_BUCKETS_S, ["device"]),
    deviceErrors: r.counter("blackstart_device_errors_total", "Failed device reads and writes, by kind (timeout, exception, disconnected, decode, busy, rejected).", ["device", "kind"]),
    deviceUp: r.gauge("blackstart_device_up", "1 if the device's last read succeeded.", ["device"]),
    ticks: r.counter("blackstart_ticks_total", "Ticks run, by phase (watching or session).", ["phase"]),
    tickOverruns: r.counter("blackstart_tick_overruns_total", "Realtime ticks skipped because the previous tick was still running."),
    tickDuration: r.histogram("blackstart_tick_duration_seconds", "Whole tick: poll, decide, command, journal, publish.", LATENCY_BUCKETS_S),
    decisionLatency: r.histogram("blackstart_decision_latency_seconds", "Observation to command: policy and shield.", LATENCY_BUCKETS_S),
    decisions: r.counter("blackstart_decisions_total", "Per-switch actions decided, by action (close, open, noop).", ["action"]),
    vetoes: r.counter("blackstart_vetoes_total", "Operations the policy proposed that the shield vetoed, by rule.", ["rule"]),
    commands: r.counter("blackstart_commands_total", "Commands by outcome (confirmed, failed, unknown).", ["outcome"]),
    alarms: r.counter("blackstart_alarms_total", "Alarms raised, by kind.", ["kind"]),
    switchHeld: r.gauge("blackstart_switch_held", "1 while a switch is held after an uncommanded change of position (kind uncommanded-open or uncommanded-close), until an operator releases it; 0 after.", ["element", "kind"]),
    reservations: r.counter("blackstart_reservations_total", "Generation reservations asked, by result (granted, refused).", ["result"]),
    sessionActive: r.gauge("blackstart_session_active", "1 while a restoration session runs."),
    sessions: r.counter("blackstart_sessions_total", "Restoration sessions started, by trigger.", ["trigger"]),
    servedKw: r.gauge("blackstart_served_kw", "Load (kW) served by this microgrid's closes, as the ledger counts it."),
    unresolvedCommands: r.gauge("blackstart_unresolved_commands", "Commands whose outcome is unknown (the agent holds while > 0)."),
    busConnected: r.gauge("blackstart_bus_connected", "1 while connected to the peer bus.", [], () => (samplers.busConnected() ? 1 : 0)),
    peersLive: r.gauge("blackstart_peers_live", "Peers heard from recently.", [], () => samplers.peersLive()),
    busDropped: r.counter("blackstart_bus_messages_dropped_total", "Bus messages dropped (and journaled), by reason: foreign topic or microgrid, spoofed sender, not JSON, schema, foreign scenario, too large.", ["reason"], () =>
      Object.entries(samplers.busDropped?.() ?? {}).map(([reason, n]) => [{ reason }, n] as [Record<string, string>, number]),
    ),
    busConnects: r.counter("blackstart_bus_connects_total", "Connections to the broker made (the first and every reconnect).", [], () => samplers.busConnects?.() ?? 0),
    busWatchdogResets: r.counter("blackstart_bus_watchdog_resets_total", "Connections torn down by the watchdog: the own heartbeat not echoed and nothing else arriving, or the echo away 3 watchdog periods.", [], () => samplers.busWatchdog?.().resets ?? 0),
    busEchoLate: r.counter("blackstart_bus_echo_late_total", "Times the own heartbeat's echo was late while other packets still arrived (a lossy link; the connection kept).", [], () => samplers.busWatchdog?.().echoLate ?? 0),
    busAnswerTime: r.gauge("blackstart_bus_answer_time_seconds", "Smoothed time peers took to answer reservations and claims (absent until one answered).", [], () => {
      const ms = samplers.busAnswerTime?.()?.srtt_ms;
      return ms === null || ms === undefined ? [] : [[{}, ms / 1000]];
    }),
    busAnswerTimeout: r.gauge("blackstart_bus_answer_timeout_seconds", "Time each peer is given to answer now: learned from the answers, at least ack_timeout_ms, at most ack_timeout_max_ms (a request waits twice this).", [], () => {
      const a = samplers.busAnswerTime?.();
      return a ? a.timeout_ms / 1000 : [];
    }),
    journalBytes: r.gauge("blackstart_journal_bytes", "Size of the journal database and its WAL (bytes).", [], () => samplers.journalBytes()),
    rss: r.gauge("process_resident_memory_bytes", "Resident memory size in bytes.", [], () => memoryUsage.rss()),
    heap: r.gauge("nodejs_heap_used_bytes", "V8 heap in use (bytes).", [], () => memoryUsage().heapUsed),
    cpu: r.counter("process_cpu_seconds_total", "User and system CPU time spent (s).", [], () => {
      const u = cpuUsage();
      return (u.user + u.system) / 1e6;
    }),
    startTime: r.gauge("process_start_time_seconds", "Start time of the process since the epoch (s).", [], () => started),
  };
  void microgrid;
  return m;
}

export type AgentMetrics = ReturnType<typeof agentMetrics>;

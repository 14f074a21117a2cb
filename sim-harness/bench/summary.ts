// The JSON summary of a bench run: the fields of `blackstart scenario eval
// --json` (sim-harness/baselines/report.ts; one episode, measured on the
// simulator's side), plus what only a bench has: wall time, the checks, the
// faults, and per-agent figures (operations on the plant, decisions, vetoes
// by rule, commands by outcome, reservations, CPU and memory of its process,
// what it claimed on the bus beside what the simulator measured).
import type { TickReport } from "../../agent/runtime/restorer.js";
import type { PeerState } from "../../shared/bus/index.js";
import type { OptimumResult } from "../baselines/optimum.js";
import { powerflowCommands, type EvalReport } from "../baselines/report.js";
import { round, violationList } from "../baselines/evaluate.js";
import type { RestorationEnv } from "../env/env.js";
import { percentile } from "../../bench/machine.js";
import { passed, type Check } from "./checks.js";
import type { BenchFaultFile } from "./fault-file.js";
import type { AgentUsage } from "./fleet.js";
import type { Reading } from "./meter.js";
import type { ResolvedPolicy } from "./policy.js";
import type { RunRecord } from "./record.js";

export interface AgentFigures extends AgentUsage {
  alive: boolean;
  /** On the plant (simulator): operations of its switches. */
  operations: number;
  /** Simulator: load of the energized sections it owns at the end (kW). */
  served_kw: number;
  /** Its own claim: the load its ledger counts (last tick report or bus state). */
  claimed_served_kw: number | null;
  quota_kw: number | null;
  leases: number;
  leased_kw: number;
  ticks: number;
  ticks_failed: number;
  decisions: number;
  holds: number;
  vetoes: Record<string, number>;
  commands: Record<string, number>;
  reservations: { asked: number; granted: number };
  tick_ms_p50: number | null;
  tick_ms_p99: number | null;
}

export interface BenchSummary extends Omit<EvalReport, "grid"> {
  grid: "powerflow" | "nominal";
  kind: "bench";
  clock: "lockstep" | "realtime";
  passed: boolean;
  target_pct: number;
  wall_s: number;
  ticks: number;
  period_ms: number;
  sim_s: number;
  peak_restored_kw: number;
  instants: number;
  policy_kind: "onnx" | "plan";
  policy_origin: ResolvedPolicy["origin"];
  policy_dir: string;
  optimum_kw: number | null;
  fixed_optimum_kw: number | null;
  faults: { name: string; description: string; events: BenchFaultFile["events"]; devices: BenchFaultFile["devices"] } | null;
  checks: Check[];
  events: { t_s: number; tick: number; kind: string; microgrid?: string; detail: string }[];
  agents: Record<string, AgentFigures>;
  bus: { kind: string; messages: number; messages_per_s: number; dropped: number; by_kind: Record<string, number>; broker: { lives: number; cpu_s: number; peak_rss_mb: number }; availability: Record<string, string> };
  report_dir: string;
}

export interface SummaryInput {
  env: RestorationEnv;
  policy: ResolvedPolicy;
  plantKind: "powerflow" | "nominal";
  clock: "lockstep" | "realtime";
  faults: BenchFaultFile | undefined;
  record: RunRecord;
  final: Reading;
  optimum: OptimumResult | undefined;
  fixedOptimum: OptimumResult | undefined;
  checks: Check[];
  wall_s: number;
  ticks: number;
  periodMs: number;
  targetPct: number;
  agents: Record<string, AgentUsage & { alive: boolean }>;
  busStates: Record<string, PeerState>;
  availability: Record<string, string>;
  bus: { kind: string; messages: number; dropped: number; by_kind: Record<string, number>; wall_s: number; broker: { lives: number; cpu_s: number; peak_rss_mb: number } };
  taps: Record<string, number>;
  tapCommands: string[];
  dir: string;
}

function pct(a: number, b: number | undefined | null): number | null {
  return b === undefined || b === null || !(b > 0) ? null : round((100 * a) / b, 3);
}

function agentFigures(mg: string, i: SummaryInput): AgentFigures {
  const ticks = i.record.agentTicks.filter((t) => t.microgrid === mg);
  const reports = ticks.map((t) => t.report).filter((r): r is TickReport => r !== undefined);
  const decisions = i.record.decisions.filter((d) => d.microgrid === mg);
  const vetoes: Record<string, number> = {};
  const commands: Record<string, number> = {};
  let asked = 0;
  let granted = 0;
  let holds = 0;
  for (const d of decisions) {
    if (d.hold) holds++;
    for (const v of d.vetoes) vetoes[v.rule] = (vetoes[v.rule] ?? 0) + 1;
    for (const c of d.commands) commands[c.outcome] = (commands[c.outcome] ?? 0) + 1;
    if (d.reservation) {
      asked++;
      if (d.reservation.granted) granted++;
    }
  }
  const st = i.busStates[mg];
  const lastReport = reports[reports.length - 1];
  const ms = reports.map((r) => r.ms.total);
  const usage = i.agents[mg]!;
  return {
    ...usage,
    operations: i.record.operations.filter((o) => o.microgrid === mg && !o.uncommanded).length,
    served_kw: round(i.final.served_by_microgrid[mg] ?? 0, 3),
    claimed_served_kw: st ? round(st.served_kw, 3) : lastReport ? round(lastReport.served_kw, 3) : null,
    quota_kw: st ? st.quota_kw : null,
    leases: st?.leases.length ?? 0,
    leased_kw: round(st?.leases.reduce((t, l) => t + l.kw, 0) ?? 0, 3),
    ticks: ticks.length,
    ticks_failed: ticks.filter((t) => !t.report).length,
    decisions: decisions.length,
    holds,
    vetoes,
    commands,
    reservations: { asked, granted },
    tick_ms_p50: ms.length ? round(percentile(ms, 50), 2) : null,
    tick_ms_p99: ms.length ? round(percentile(ms, 99), 2) : null,
  };
}

export function benchSummary(i: SummaryInput): BenchSummary {
  const env = i.env;
  const s = env.bound.scenario;
  const cap = s.limits.generation_cap_kw;
  const total = env.bound.sections.total_load_kw;
  const agentSwitches = new Set(env.bound.switches.map((x) => x.ref.toLowerCase()));
  const switch_states = Object.fromEntries(Object.entries(i.final.switches).filter(([el]) => agentSwitches.has(el.toLowerCase())));
  const bySteps = new Map<number, { agent: string; element: string; action: "close" | "open" }[]>();
  for (const op of i.record.operations) {
    if (op.uncommanded) continue;
    const list = bySteps.get(op.tick + 1) ?? [];
    list.push({ agent: op.microgrid ?? "?", element: op.element, action: op.action });
    bySteps.set(op.tick + 1, list);
  }
  const sequence = [...bySteps.entries()].sort((a, b) => a[0] - b[0]).map(([step, operations]) => ({ step, operations }));
  const optKw = i.optimum?.replay.final.restored_kw;
  const optW = i.optimum?.replay.final.weighted_restored;
  const first = i.record.instants[0];
  const capBreaches = i.record.instants.filter((x) => x.cap_exceeded).length;
  const tickMs = i.record.tickWallMs;
  const stepMsMean = tickMs.length ? tickMs.reduce((a, b) => a + b, 0) / tickMs.length : 0;
  const peak = Math.max(0, ...i.record.instants.map((x) => x.restored_kw));
  const ret = (i.final.weighted - (first?.weighted ?? 0)) * s.reward.scale;
  const summaryStats = {
    episodes: 1,
    restored_kw_mean: round(i.final.restored_kw, 3),
    restored_kw_min: round(i.final.restored_kw, 3),
    restored_kw_max: round(i.final.restored_kw, 3),
    weighted_restored_mean: round(i.final.weighted, 3),
    return_mean: round(ret, 3),
    cap_breaches: capBreaches,
    episodes_with_violations: i.final.violations.length > 0 ? 1 : 0,
    step_ms_mean: round(stepMsMean, 3),
  };
  const microgrids = s.microgrids.map((m) => m.id);
  return {
    scenario: s.name,
    mode: s.mode,
    policy: i.policy.label,
    grid: i.plantKind,
    restored_kw: round(i.final.restored_kw, 3),
    weighted_restored: round(i.final.weighted, 3),
    total_load_kw: round(total, 3),
    cap_kw: cap ?? null,
    pct_of_cap: pct(i.final.restored_kw, cap),
    pct_of_total_load: pct(i.final.restored_kw, total) ?? 0,
    pct_of_optimum: optKw !== undefined ? pct(i.final.restored_kw, optKw) : null,
    pct_of_optimum_weighted: optW !== undefined ? pct(i.final.weighted, optW) : null,
    cap_breaches: capBreaches,
    violations: violationList(i.final.violations),
    switch_states,
    sequence,
    tap_positions: i.taps,
    step_ms_mean: round(stepMsMean, 3),
    powerflow_commands: powerflowCommands(env, switch_states, i.tapCommands),
    nonconverged: !i.final.converged,
    episodes: 1,
    seed: 0,
    summary: summaryStats,
    per_episode: [{ seed: 0, restored_kw: round(i.final.restored_kw, 3), weighted_restored: round(i.final.weighted, 3), return: round(ret, 3), steps: i.ticks, cap_breaches: capBreaches, violations: i.final.violations.length }],
    kind: "bench",
    clock: i.clock,
    passed: passed(i.checks),
    target_pct: i.targetPct,
    wall_s: round(i.wall_s, 3),
    ticks: i.ticks,
    period_ms: i.periodMs,
    sim_s: round(i.record.last?.t_s ?? 0, 3),
    peak_restored_kw: round(peak, 3),
    instants: i.record.instants.length,
    policy_kind: i.policy.kind,
    policy_origin: i.policy.origin,
    policy_dir: i.policy.dir,
    optimum_kw: optKw !== undefined ? round(optKw, 3) : null,
    fixed_optimum_kw: i.fixedOptimum ? round(i.fixedOptimum.replay.final.restored_kw, 3) : null,
    faults: i.faults ? { name: i.faults.name, description: i.faults.description, events: i.faults.events, devices: i.faults.devices } : null,
    checks: i.checks,
    events: i.record.events.filter((e) => e.kind !== "device").map((e) => ({ ...e, t_s: round(e.t_s, 3) })),
    agents: Object.fromEntries(microgrids.map((mg) => [mg, agentFigures(mg, i)])),
    bus: {
      kind: i.bus.kind,
      messages: i.bus.messages,
      messages_per_s: round(i.bus.messages / Math.max(1e-9, i.bus.wall_s), 2),
      dropped: i.bus.dropped,
      by_kind: i.bus.by_kind,
      broker: i.bus.broker,
      availability: i.availability,
    },
    report_dir: i.dir,
  };
}

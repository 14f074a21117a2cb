// The report model of a bench run: the simulator's record (served load,
// operations), the agents' tick reports (decisions, vetoes), the final
// voltages, the checks and the summary.
import type { NodeVoltage } from "../../powerflow/index.js";
import type { BoundScenario } from "../../scenarios/bind.js";
import type { RunRecord } from "../record.js";
import type { BenchSummary } from "../summary.js";
import type { ReportModel } from "./html.js";
import { voltageProfile } from "./profile.js";

export function benchReportModel(summary: BenchSummary, record: RunRecord, bound: BoundScenario, voltages: readonly NodeVoltage[] | undefined): ReportModel {
  const microgrids = bound.scenario.microgrids.map((m) => m.id);
  const cap = summary.cap_kw ?? undefined;
  const failed = summary.checks.filter((c) => !c.ok && c.severity === "fail");
  const tiles: ReportModel["tiles"] = [
    { label: "result", value: summary.passed ? "target met" : `FAILED (${failed.length})`, ok: summary.passed },
    { label: "served at the end", value: `${summary.restored_kw.toFixed(1)} kW` },
    ...(summary.pct_of_cap !== null ? [{ label: "of the cap", value: `${summary.pct_of_cap.toFixed(2)} %`, ok: summary.pct_of_cap >= summary.target_pct && summary.cap_breaches === 0 }] : []),
    ...(summary.pct_of_optimum !== null ? [{ label: "of the optimum", value: `${summary.pct_of_optimum.toFixed(2)} %` }] : []),
    { label: "peak served", value: `${summary.peak_restored_kw.toFixed(1)} kW` },
    { label: "instants above the cap", value: String(summary.cap_breaches), ok: summary.cap_breaches === 0 },
    { label: "operations", value: String(record.operations.filter((o) => !o.uncommanded).length) },
    { label: "ticks / wall", value: `${summary.ticks} / ${summary.wall_s.toFixed(1)} s` },
  ];
  const decisions: ReportModel["decisions"] = record.decisions.map((d) => ({
    t: d.t_s,
    microgrid: d.microgrid,
    operations: d.commands.map((c) => `${c.action} ${c.element} (${c.outcome})`),
    vetoes: d.vetoes,
    ...(d.hold ? { hold: d.hold } : {}),
  }));
  const agentRows = microgrids.map((mg) => {
    const a = summary.agents[mg]!;
    return [
      mg,
      a.alive ? "yes" : "no",
      a.lives,
      a.operations,
      a.served_kw,
      a.claimed_served_kw ?? "-",
      a.quota_kw ?? "-",
      `${a.leases} (${a.leased_kw} kW)`,
      a.decisions,
      Object.entries(a.vetoes).map(([r, n]) => `${r} ${n}`).join(", ") || "0",
      Object.entries(a.commands).map(([r, n]) => `${r} ${n}`).join(", ") || "0",
      `${a.reservations.granted}/${a.reservations.asked}`,
      a.tick_ms_p50 ?? "-",
      Number(a.cpu_s.toFixed(2)),
      Number(a.peak_rss_mb.toFixed(1)),
    ];
  });
  const profile = voltages ? voltageProfile(bound, voltages) : undefined;
  const notes = [
    `Policy: ${summary.policy} (${summary.policy_origin === "optimum-plan" ? "made from the optimum for this run: no trained policy ships for this scenario yet" : summary.policy_origin}).`,
    summary.clock === "lockstep"
      ? `Lockstep: tick n at simulated time n x ${summary.period_ms} ms; writes applied in device order at their operate time; the time axis is simulated seconds.`
      : "Realtime: the devices' clock and the agents' run on the wall clock; the time axis is seconds since the start.",
    `Plant: ${summary.grid === "powerflow" ? "the full power flow" : "the nominal model (no voltages)"}; served load is the ${summary.mode} mode's measure.`,
  ];
  return {
    title: `blackstart bench — ${summary.scenario}${summary.faults ? ` — fault: ${summary.faults.name}` : ""}`,
    subtitle: `${summary.mode} mode, ${microgrids.length} agents, ${summary.clock} clock, ${summary.policy}${summary.faults ? ` — ${summary.faults.description}` : ""}`,
    tiles,
    timeLabel: summary.clock === "lockstep" ? "simulated time (s)" : "time (s)",
    microgrids,
    ...(cap !== undefined ? { capKw: cap } : {}),
    ...(summary.optimum_kw !== null ? { optimumKw: summary.optimum_kw } : {}),
    served: record.instants.map((i) => ({ t: i.t_s, total: i.restored_kw, byMicrogrid: i.served_by_microgrid })),
    operations: record.operations.map((o) => ({ t: o.t_s, microgrid: o.microgrid, element: o.element, action: o.action, uncommanded: o.uncommanded })),
    decisions,
    events: record.events.filter((e) => e.kind !== "device").map((e) => ({ t: e.t_s, kind: e.kind, ...(e.microgrid ? { microgrid: e.microgrid } : {}), detail: e.detail })),
    ...(profile ? { voltage: { ...profile, band: bound.scenario.limits.voltage_pu } } : {}),
    checks: summary.checks,
    tables: [
      {
        title: "Agents (simulator's figures beside the agents' claims)",
        header: ["microgrid", "alive", "lives", "ops (plant)", "served kW (sim)", "served kW (claimed)", "quota kW", "leases", "decisions", "vetoes", "commands", "reservations granted/asked", "tick ms p50", "CPU s", "peak RSS MB"],
        rows: agentRows,
      },
      {
        title: "Operations on the plant (simulator)",
        header: ["t (s)", "tick", "microgrid", "operation", "cause"],
        rows: record.operations.map((o) => [Number(o.t_s.toFixed(3)), o.tick, o.microgrid ?? "-", `${o.action} ${o.element}`, o.uncommanded ? "no command (trip)" : "command"]),
      },
      {
        title: "Bus",
        header: ["broker", "messages", "per second", "dropped (invalid)", "broker lives", "broker CPU s", "broker peak RSS MB"],
        rows: [[summary.bus.kind, summary.bus.messages, summary.bus.messages_per_s, summary.bus.dropped, summary.bus.broker.lives, Number(summary.bus.broker.cpu_s.toFixed(2)), Number(summary.bus.broker.peak_rss_mb.toFixed(1))]],
      },
    ],
    notes,
    json: summary,
  };
}

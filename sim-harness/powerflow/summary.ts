// What `blackstart powerflow` prints and writes: the JSON summary (field
// names as issue 2 fixes them), the readable summary, and voltages.csv with
// exactly the references' header.
import type { PowerFlow, SolveSummary } from "./index.js";
import type { Violation } from "./results.js";

export interface PowerflowJson {
  converged: boolean;
  iterations: number;
  control_iterations: number;
  total_power_kw: number;
  total_power_kvar: number;
  losses_kw: number;
  losses_kvar: number;
  num_buses: number;
  num_nodes: number;
  parse_ms: number;
  solve_ms: number;
  tap_positions: Record<string, number>;
  cap_states: Record<string, number[]>;
  deenergized_buses: string[];
  violations: Violation[];
  messages: string[];
}

export function summaryJson(pf: PowerFlow, solve: SolveSummary, parseMs: number, solveMs: number): PowerflowJson {
  const tot = pf.totalPower();
  const loss = pf.losses();
  const volts = pf.voltages();
  return {
    converged: solve.converged,
    iterations: solve.iterations,
    control_iterations: solve.controlIterations,
    total_power_kw: tot.kW,
    total_power_kvar: tot.kvar,
    losses_kw: loss.kW,
    losses_kvar: loss.kvar,
    num_buses: new Set(volts.map((v) => v.bus)).size,
    num_nodes: volts.length,
    parse_ms: parseMs,
    solve_ms: solveMs,
    tap_positions: pf.tapPositions(),
    cap_states: pf.capacitorStates(),
    deenergized_buses: pf.deenergizedBuses(),
    violations: pf.violations(),
    messages: solve.messages,
  };
}

/** voltages.csv: `bus,node,vmag_volts,vang_deg,vmag_pu`, pu empty where a bus has no base. */
export function voltagesCsv(pf: PowerFlow): string {
  const lines = ["bus,node,vmag_volts,vang_deg,vmag_pu"];
  for (const v of pf.voltages()) {
    const pu = v.vpu === undefined ? "" : fmt(v.vpu, 10);
    lines.push(`${v.bus},${v.node},${fmt(v.vmag, 10)},${fmt(v.vangDeg, 8)},${pu}`);
  }
  return lines.join("\n") + "\n";
}

function fmt(x: number, digits: number): string {
  return Number.isFinite(x) ? Number(x.toPrecision(digits)).toString() : "nan";
}

/** A readable summary for people. */
/** Lowest and highest per-unit voltage among energized nodes with a base. */
export function voltageRange(pf: PowerFlow): { min: { at: string; pu: number }; max: { at: string; pu: number } } | undefined {
  let min: { at: string; pu: number } | undefined;
  let max: { at: string; pu: number } | undefined;
  for (const v of pf.voltages()) {
    if (v.vpu === undefined || v.vmag === 0) continue;
    const at = `${v.bus}.${v.node}`;
    if (!min || v.vpu < min.pu) min = { at, pu: v.vpu };
    if (!max || v.vpu > max.pu) max = { at, pu: v.vpu };
  }
  return min && max ? { min, max } : undefined;
}

export function summaryText(
  j: PowerflowJson,
  title: string,
  islands: { sources: string[]; buses: string[] }[],
  range?: ReturnType<typeof voltageRange>,
): string {
  const out: string[] = [];
  const f = (x: number, d = 1) => x.toFixed(d);
  out.push(`${title}`);
  out.push(
    `  ${j.converged ? "converged" : "DID NOT CONVERGE"} in ${j.iterations} iterations, ${j.control_iterations} control iteration(s); parse ${f(j.parse_ms)} ms, solve ${f(j.solve_ms, 2)} ms`,
  );
  for (const m of j.messages) out.push(`  ! ${m}`);
  out.push(`  ${j.num_buses} buses, ${j.num_nodes} nodes`);
  out.push(`  source power ${f(j.total_power_kw)} kW, ${f(j.total_power_kvar)} kvar; losses ${f(j.losses_kw)} kW, ${f(j.losses_kvar)} kvar`);
  if (range) out.push(`  voltage ${range.min.pu.toFixed(4)} pu (${range.min.at}) to ${range.max.pu.toFixed(4)} pu (${range.max.at})`);
  const taps = Object.entries(j.tap_positions);
  if (taps.length) out.push(`  regulator taps: ${taps.map(([k, v]) => `${k} ${v}`).join(", ")}`);
  const caps = Object.entries(j.cap_states);
  if (caps.length) out.push(`  capacitors: ${caps.map(([k, v]) => `${k} [${v.join(" ")}]`).join(", ")}`);
  if (islands.length > 1) out.push(`  ${islands.length} islands: ${islands.map((i) => `${i.sources.join("+")} (${i.buses.length} buses)`).join("; ")}`);
  if (j.deenergized_buses.length) {
    const shown = j.deenergized_buses.slice(0, 12).join(", ");
    out.push(`  de-energized buses (${j.deenergized_buses.length}): ${shown}${j.deenergized_buses.length > 12 ? ", ..." : ""}`);
  }
  if (j.violations.length === 0) out.push("  no violations (voltage 0.95-1.05 pu at load buses, line normal amps, transformer kVA)");
  else {
    const byKind = new Map<string, Violation[]>();
    for (const v of j.violations) byKind.set(v.kind, [...(byKind.get(v.kind) ?? []), v]);
    out.push(`  violations (${j.violations.length}):`);
    for (const [kind, list] of byKind) {
      const worst = [...list].sort((a, b) => Math.abs(b.value - b.limit) - Math.abs(a.value - a.limit)).slice(0, 8);
      const unit = kind.startsWith("voltage") ? " pu" : kind === "thermal-line" ? " A" : " kVA";
      out.push(`    ${kind} (${list.length}): ${worst.map((v) => `${v.element} ${v.value.toFixed(kind.startsWith("voltage") ? 4 : 1)}${unit} (limit ${v.limit})`).join("; ")}${list.length > worst.length ? "; ..." : ""}`);
    }
  }
  return out.join("\n");
}

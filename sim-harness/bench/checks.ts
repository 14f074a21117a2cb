// Pass or fail of a bench run, from the simulator's record (never from what
// the agents claimed) and from the journals (what each agent wrote down):
// the cap, every island's rating and its units' floors (reverse power) at
// every solved instant, faulted sections never closed onto, no switch
// operated twice for one decision, the target reached, and the end state a
// fault file states.
import { openJournalForReading } from "../../agent/journal/read.js";
import { canonicalElement } from "../../shared/names.js";
import type { BoundScenario } from "../scenarios/bind.js";
import type { Expectation } from "./fault-file.js";
import { KW_TOLERANCE, type Reading } from "./meter.js";
import type { AvailabilityEvent } from "./observer.js";
import type { RunRecord } from "./record.js";

export interface Check {
  name: string;
  ok: boolean;
  /** `fail` checks decide the exit code; `info` ones are reported only. */
  severity: "fail" | "info";
  detail: string;
}

export interface JournalRef {
  microgrid: string;
  path: string;
}

export interface CheckInput {
  bound: BoundScenario;
  record: RunRecord;
  final: Reading;
  journals: readonly JournalRef[];
  expect: Expectation | undefined;
  /** % of the cap (paper) or of the optimum (physics) to reach. */
  targetPct: number;
  optimumKw: number | undefined;
  fixedOptimumKw: number | undefined;
  liveAtEnd: readonly string[];
  availabilityLog: readonly AvailabilityEvent[];
  /** Simulator-side per-tick check of repeated operations (lockstep: one decision per agent per tick). */
  perTick?: boolean;
}

/** What the journals say, for the checks: commands per decision and element, alarms, decisions on the static quota. */
export interface JournalFacts {
  microgrid: string;
  readable: boolean;
  error?: string;
  repeatedCommands: { decision: string; element: string; count: number }[];
  alarms: { kind: string; element?: string }[];
  decisions: number;
  quotaOnlyDecisions: number;
}

export function journalFacts(j: JournalRef): JournalFacts {
  let reader;
  try {
    reader = openJournalForReading(j.path);
  } catch (e) {
    return { microgrid: j.microgrid, readable: false, error: (e as Error).message, repeatedCommands: [], alarms: [], decisions: 0, quotaOnlyDecisions: 0 };
  }
  try {
    const db = reader.db;
    const repeated = db
      .prepare("SELECT decision_id AS decision, element, count(*) AS count FROM commands GROUP BY decision_id, element HAVING count(*) > 1")
      .all() as { decision: string; element: string; count: number }[];
    const alarms = (db.prepare("SELECT kind, detail FROM alarms ORDER BY id").all() as { kind: string; detail: string }[]).map((a) => {
      let element: string | undefined;
      try {
        const d = JSON.parse(a.detail) as { element?: unknown };
        if (typeof d.element === "string") element = canonicalElement(d.element);
      } catch {
        // detail is free text
      }
      return { kind: a.kind, ...(element ? { element } : {}) };
    });
    let decisions = 0;
    let quotaOnly = 0;
    for (const row of db.prepare("SELECT shield_input FROM decisions").iterate() as Iterable<{ shield_input: string }>) {
      decisions++;
      try {
        const si = JSON.parse(row.shield_input) as { generation?: { bus_up?: boolean } };
        if (si.generation && si.generation.bus_up === false) quotaOnly++;
      } catch {
        // counted as a decision only
      }
    }
    return { microgrid: j.microgrid, readable: true, repeatedCommands: repeated, alarms, decisions, quotaOnlyDecisions: quotaOnly };
  } finally {
    reader.close();
  }
}

const kw = (x: number) => `${x.toFixed(1)} kW`;

export function evaluateChecks(i: CheckInput): Check[] {
  const out: Check[] = [];
  const add = (name: string, ok: boolean, detail: string, severity: Check["severity"] = "fail") => out.push({ name, ok, severity, detail });
  const s = i.bound.scenario;
  const cap = s.limits.generation_cap_kw;
  const inst = i.record.instants;
  const peak = inst.reduce((m, x) => (x.restored_kw > m.restored_kw ? x : m), inst[0] ?? { restored_kw: 0, t_s: 0, tick: 0 });

  if (cap !== undefined) {
    const over = inst.filter((x) => x.cap_exceeded);
    add("cap never exceeded", over.length === 0, over.length === 0 ? `peak ${kw(peak.restored_kw)} at t=${peak.t_s.toFixed(3)} s of the ${cap} kW cap, over ${inst.length} solved instants` : `${over.length} instant(s) above the ${cap} kW cap, first at t=${over[0]!.t_s.toFixed(3)} s with ${kw(over[0]!.restored_kw)}`);
  }
  // Within the units' range at both ends: no island above its grid-forming units' rating, no unit below its floor
  // (a diesel driven backwards trips on reverse power, and its island collapses).
  const islandsOver = inst.filter((x) => x.islands_exceeded.length > 0 || (x.reverse_power?.length ?? 0) > 0);
  const what = (x: (typeof inst)[number]) => [
    ...x.islands_exceeded.map((y) => `${y.source} ${kw(y.generation_kw)} > ${kw(y.rating_kw)}`),
    ...(x.reverse_power ?? []).map((v) => `${v.element} ${kw(v.value)} < ${kw(v.limit)} (reverse power)`),
  ];
  add(
    "island generation never exceeded",
    islandsOver.length === 0,
    islandsOver.length === 0
      ? `every energized island within its grid-forming units' ratings, and no unit below its floor (reverse power), at all ${inst.length} instants`
      : `${islandsOver.length} instant(s), first at t=${islandsOver[0]!.t_s.toFixed(3)} s: ${what(islandsOver[0]!).join(", ")}`,
  );
  // Closes only onto a dead bus: a close that joins two live islands parallels their sources unsynchronized.
  const paralleled = inst.filter((x) => (x.paralleled?.length ?? 0) > 0);
  add(
    "no two live islands paralleled",
    paralleled.length === 0,
    paralleled.length === 0
      ? `no close joined grid-forming units of two live islands, at all ${inst.length} instants`
      : `${paralleled.length} instant(s), first at t=${paralleled[0]!.t_s.toFixed(3)} s: ${paralleled[0]!.paralleled!.join(", ")} joined`,
  );
  const lockedClosed = inst.filter((x) => x.locked_closed.length > 0);
  add("no faulted section closed onto", lockedClosed.length === 0, lockedClosed.length === 0 ? "switches held open by the outage stayed open" : `${lockedClosed[0]!.locked_closed.join(", ")} closed at t=${lockedClosed[0]!.t_s.toFixed(3)} s`);

  const facts = i.journals.map(journalFacts);
  const repeatedJ = facts.flatMap((f) => f.repeatedCommands.map((r) => `${f.microgrid}: ${r.element} ${r.count}x in decision ${r.decision}`));
  const repeatedSim = i.perTick ? i.record.repeatedOperations() : [];
  add(
    "no switch operated twice for one decision",
    repeatedJ.length === 0 && repeatedSim.length === 0,
    repeatedJ.length === 0 && repeatedSim.length === 0
      ? `${i.record.operations.filter((o) => !o.uncommanded).length} operation(s) on the plant, at most one command per switch per decision in ${facts.filter((f) => f.readable).length} journal(s)${i.perTick ? ", at most one operation per switch per tick" : ""}`
      : [...repeatedJ, ...repeatedSim.map((r) => `plant: ${r.element} operated ${r.count}x in tick ${r.tick}`)].slice(0, 5).join("; "),
  );
  for (const f of facts) if (!f.readable) add(`journal of ${f.microgrid} readable`, false, f.error ?? "unreadable");

  const nonconv = inst.filter((x) => !x.converged);
  add("power flow converged at every instant", nonconv.length === 0, nonconv.length === 0 ? "yes" : `${nonconv.length} instant(s) did not converge (first t=${nonconv[0]!.t_s.toFixed(3)} s)`, "info");

  // The target: the scenario mode's measure at the end.
  const e = i.expect;
  const finalKw = i.final.restored_kw;
  if (cap !== undefined) {
    const pct = (100 * finalKw) / cap;
    const want = e?.restored_pct_of_cap_min ?? (e ? undefined : i.targetPct);
    if (want !== undefined) add(`restored >= ${want} % of the cap`, pct >= want - 1e-9, `${kw(finalKw)} = ${pct.toFixed(2)} % of ${cap} kW`);
  } else if (!e) {
    const opt = i.optimumKw;
    add(`restored >= ${i.targetPct} % of the optimum`, opt !== undefined && finalKw >= (i.targetPct / 100) * opt - KW_TOLERANCE, opt === undefined ? "no optimum computed" : `${kw(finalKw)} = ${((100 * finalKw) / opt).toFixed(2)} % of the optimum's ${kw(opt)}`);
  }
  if (!e) return out;

  if (e.pct_of_optimum_min !== undefined) {
    const opt = e.optimum_fixed ? i.fixedOptimumKw : i.optimumKw;
    const label = e.optimum_fixed ? `the optimum with ${Object.entries(e.optimum_fixed).map(([el, st]) => `${el} ${st}`).join(", ")}` : "the optimum";
    add(`restored >= ${e.pct_of_optimum_min} % of ${label}`, opt !== undefined && opt > 0 && finalKw >= (e.pct_of_optimum_min / 100) * opt - KW_TOLERANCE, opt === undefined ? "no optimum computed" : `${kw(finalKw)} = ${((100 * finalKw) / opt).toFixed(2)} % of ${kw(opt)}`);
  }
  for (const [el, want] of Object.entries(e.switch_states ?? {})) {
    const got = i.final.switches[canonicalElement(el)];
    add(`${canonicalElement(el)} ${want} at the end`, got === want, `the plant shows it ${got ?? "absent"}`);
  }
  for (const a of e.alarms) {
    const hits = facts.filter((f) => !a.microgrid || f.microgrid === a.microgrid).flatMap((f) => f.alarms.filter((x) => x.kind === a.kind && (!a.element || x.element === canonicalElement(a.element))).map(() => f.microgrid));
    add(`alarm ${a.kind}${a.element ? ` on ${canonicalElement(a.element)}` : ""}${a.microgrid ? ` by ${a.microgrid}` : ""}`, hits.length > 0, hits.length ? `journaled by ${[...new Set(hits)].join(", ")}` : "no such alarm in any journal");
  }
  for (const mg of e.quota_fallback) {
    const f = facts.find((x) => x.microgrid === mg);
    add(`${mg} fell back to its static quota`, (f?.quotaOnlyDecisions ?? 0) > 0, f ? `${f.quotaOnlyDecisions} of ${f.decisions} decision(s) made with the bus down (static quota only)` : "no journal");
  }
  for (const mg of e.dropped) {
    const gone = i.availabilityLog.filter((x) => x.microgrid === mg && x.state === "offline");
    add(`${mg} seen offline on the bus (last will or broker)`, gone.length > 0, gone.length ? gone.map((g) => `offline (${g.reason ?? "?"})`).join(", ") : "never seen offline");
  }
  if (e.all_live_at_end) {
    const all = s.microgrids.map((m) => m.id);
    const missing = all.filter((m) => !i.liveAtEnd.includes(m));
    add("every agent alive at the end", missing.length === 0, missing.length ? `not running: ${missing.join(", ")}` : `${all.length} agent process(es) running`);
  }
  return out;
}

export function passed(checks: readonly Check[]): boolean {
  return checks.every((c) => c.ok || c.severity === "info");
}

// `blackstart replay`: the journals of a run (all agents) re-run decision by
// decision through the policy and the shield, divergences reported, the
// feeder re-simulated from the journaled commands, and the bench's HTML
// report and a JSON summary written.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { loadDocument } from "../../shared/documents.js";
import { BlackstartError } from "../../shared/errors.js";
import { loadPolicy, type Policy } from "../../shared/policy/runner.js";
import { SiteConfig } from "../../shared/site/schema.js";
import { round } from "../baselines/evaluate.js";
import { evaluateChecks, passed, type Check } from "../bench/checks.js";
import { BenchErrors } from "../bench/errors.js";
import { writeHtmlReport, type ReportModel } from "../bench/report/html.js";
import { voltageProfile } from "../bench/report/profile.js";
import type { PlantKind } from "../devices/scenario.js";
import { bindScenarioFile } from "../scenarios/bind.js";
import { loadRun, type LoadedJournal } from "./journals.js";
import { resimulate } from "./resimulate.js";
import { LOGIT_NOISE, rerunJournal, type Divergence, type RerunResult } from "./rerun.js";

export interface ReplayOptions {
  journals: readonly string[];
  /** Policy directory; default: the one the journal's site file names, when that file is still there. */
  policy?: string;
  /** Scenario name or file; default: the journals' own (meta.scenario). */
  scenario?: string;
  reportDir?: string;
  plant?: PlantKind | "auto";
  log?: (line: string) => void;
}

export interface ReplaySummary {
  kind: "replay";
  scenario: string;
  policy: string;
  policy_dir: string;
  journals: { path: string; microgrid: string; written_schema_version: number; decisions: number; commands: number; divergences: number; noise: number }[];
  decisions: number;
  divergences: Divergence[];
  noise: { decisions: number; max_gap: number; threshold: number };
  resimulation: { plant: PlantKind; commands_applied: number; restored_kw: number; peak_restored_kw: number; cap_kw: number | null; cap_breaches: number; switch_states: Record<string, "open" | "closed"> };
  checks: Check[];
  passed: boolean;
  report_dir: string;
}

export interface ReplayResult {
  summary: ReplaySummary;
  reportFile: string;
  summaryFile: string;
}

/** The policy the agents ran: given, else the one their site file names. */
function policyDirFor(journals: readonly LoadedJournal[], given: string | undefined): string {
  if (given) return resolve(given);
  for (const j of journals) {
    for (const life of [...j.lives].reverse()) {
      if (!life.site || !existsSync(life.site)) continue;
      try {
        const site = loadDocument(life.site, SiteConfig).value;
        const dir = resolve(dirname(life.site), site.policy.dir);
        if (existsSync(join(dir, "manifest.json"))) return dir;
      } catch {
        // a site file edited since: try the next
      }
    }
  }
  throw new BlackstartError(BenchErrors.REPLAY, `the journals do not lead to their policy (their site files are not on this machine): give it with --policy <dir>`, { field: "--policy" });
}

export async function runReplay(o: ReplayOptions): Promise<ReplayResult> {
  const log = o.log ?? (() => {});
  const journals = loadRun(o.journals.map((p) => resolve(p)));
  const scenarioName = o.scenario ?? journals[0]!.scenario;
  log(`replay: ${journals.length} journal(s) of ${scenarioName}: ${journals.map((j) => `${j.microgrid} (${j.decisions.length} decisions, schema v${j.writtenVersion})`).join(", ")}`);
  const bound = bindScenarioFile(scenarioName);
  const policyDir = policyDirFor(journals, o.policy);
  const policy: Policy = await loadPolicy(policyDir, { intraOpThreads: 1, interOpThreads: 1 });
  log(`replay: policy ${policy.label} from ${policyDir}`);
  let reruns: RerunResult[];
  try {
    reruns = [];
    for (const j of journals) reruns.push(await rerunJournal(j, policy));
  } finally {
    await policy.close();
  }
  const divergences = reruns.flatMap((r) => r.divergences).sort((a, b) => a.at - b.at);
  log(`replay: ${reruns.reduce((t, r) => t + r.decisions, 0)} decisions re-run, ${divergences.length} divergence(s); re-simulating the feeder from the journaled commands`);
  const sim = resimulate(bound, journals, o.plant ?? "auto");
  const dir = resolve(o.reportDir ?? join("reports", "replay", `${scenarioName}-${new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19)}`));
  mkdirSync(dir, { recursive: true });

  const checks: Check[] = [
    { name: "every journaled decision re-runs the same", ok: divergences.length === 0, severity: "fail", detail: divergences.length === 0 ? `${reruns.reduce((t, r) => t + r.decisions, 0)} decisions: same logits (within ${LOGIT_NOISE}), mask, actions and vetoes` : `${divergences.length} divergence(s): ${divergences.slice(0, 3).map((d) => `${d.microgrid} ${d.decision} (${d.kinds.join(", ")})`).join("; ")}` },
    ...evaluateChecks({ bound, record: sim.record, final: sim.final, journals: journals.map((j) => ({ microgrid: j.microgrid, path: j.path })), expect: undefined, targetPct: 0, optimumKw: undefined, fixedOptimumKw: undefined, liveAtEnd: [], availabilityLog: [] }).filter((c) => !c.name.startsWith("restored >=")),
  ];
  const cap = bound.scenario.limits.generation_cap_kw;
  const agentSwitches = new Set(bound.switches.map((s) => s.ref.toLowerCase()));
  const summary: ReplaySummary = {
    kind: "replay",
    scenario: scenarioName,
    policy: policy.label,
    policy_dir: policyDir,
    journals: journals.map((j, i) => ({ path: j.path, microgrid: j.microgrid, written_schema_version: j.writtenVersion, decisions: j.decisions.length, commands: j.commands.length, divergences: reruns[i]!.divergences.length, noise: reruns[i]!.noise })),
    decisions: reruns.reduce((t, r) => t + r.decisions, 0),
    divergences,
    noise: { decisions: reruns.reduce((t, r) => t + r.noise, 0), max_gap: Math.max(0, ...reruns.map((r) => r.maxNoiseGap)), threshold: LOGIT_NOISE },
    resimulation: {
      plant: sim.plantKind,
      commands_applied: sim.applied,
      restored_kw: round(sim.final.restored_kw, 3),
      peak_restored_kw: round(Math.max(0, ...sim.record.instants.map((x) => x.restored_kw)), 3),
      cap_kw: cap ?? null,
      cap_breaches: sim.record.instants.filter((x) => x.cap_exceeded).length,
      switch_states: Object.fromEntries(Object.entries(sim.final.switches).filter(([el]) => agentSwitches.has(el.toLowerCase()))),
    },
    checks,
    passed: passed(checks),
    report_dir: dir,
  };
  const summaryFile = join(dir, "replay.json");
  writeFileSync(summaryFile, `${JSON.stringify(summary, null, 1)}\n`);
  const reportFile = join(dir, "report.html");
  writeHtmlReport(reportFile, replayReportModel(summary, journals, sim, bound));
  return { summary, reportFile, summaryFile };
}

function replayReportModel(s: ReplaySummary, journals: readonly LoadedJournal[], sim: ReturnType<typeof resimulate>, bound: ReturnType<typeof bindScenarioFile>): ReportModel {
  const t = (at: number) => Math.max(0, (at - sim.t0) / 1000);
  const divergent = new Map(s.divergences.map((d) => [d.decision, d]));
  const decisions: ReportModel["decisions"] = journals.flatMap((j) =>
    j.decisions.map((d) => {
      const outcome = (d.outcome ?? {}) as { admitted?: { element: string; action: string }[]; hold?: string };
      const div = divergent.get(d.id);
      return {
        t: t(d.at),
        microgrid: j.microgrid,
        operations: (outcome.admitted ?? []).map((a) => `${a.action} ${a.element}`),
        vetoes: d.verdicts.map((v) => ({ element: v.element, action: v.action, rule: v.rule, detail: v.detail })),
        ...(outcome.hold ? { hold: outcome.hold } : {}),
        ...(div ? { divergence: `${d.id}: ${div.details.join("; ")}` } : {}),
      };
    }),
  );
  const events: ReportModel["events"] = journals.flatMap((j) => [
    ...j.lives.slice(1).map((l) => ({ t: t(l.at), kind: "agent-restart", microgrid: j.microgrid, detail: "the agent process started again on this journal" })),
    ...j.alarms.map((a) => ({ t: t(a.at), kind: `alarm ${a.kind}`, microgrid: j.microgrid, detail: JSON.stringify(a.detail).slice(0, 200) })),
  ]);
  const profile = sim.meter.powerflow ? voltageProfile(bound, sim.meter.powerflow.voltages()) : undefined;
  return {
    title: `blackstart replay — ${s.scenario}`,
    subtitle: `${journals.length} journal(s), ${s.decisions} decisions re-run through ${s.policy} and the shield; feeder re-simulated from the journaled commands (${sim.plantKind} plant)`,
    tiles: [
      { label: "divergences", value: String(s.divergences.length), ok: s.divergences.length === 0 },
      { label: "decisions re-run", value: String(s.decisions) },
      { label: "logit noise (< 1e-4)", value: `${s.noise.decisions} (max ${s.noise.max_gap.toExponential(1)})` },
      { label: "served at the end (re-simulated)", value: `${s.resimulation.restored_kw.toFixed(1)} kW` },
      { label: "instants above the cap", value: String(s.resimulation.cap_breaches), ok: s.resimulation.cap_breaches === 0 },
    ],
    timeLabel: "seconds since the first decision (journal wall clock)",
    microgrids: journals.map((j) => j.microgrid),
    ...(s.resimulation.cap_kw !== null ? { capKw: s.resimulation.cap_kw } : {}),
    served: sim.record.instants.map((i) => ({ t: i.t_s, total: i.restored_kw, byMicrogrid: i.served_by_microgrid })),
    operations: sim.record.operations.map((o) => ({ t: o.t_s, microgrid: o.microgrid, element: o.element, action: o.action, uncommanded: o.uncommanded })),
    decisions,
    events,
    ...(profile ? { voltage: { ...profile, band: bound.scenario.limits.voltage_pu } } : {}),
    checks: s.checks,
    tables: [
      { title: "Journals", header: ["microgrid", "file", "written schema", "decisions", "commands", "divergences", "noise"], rows: s.journals.map((j) => [j.microgrid, j.path, `v${j.written_schema_version}`, j.decisions, j.commands, j.divergences, j.noise]) },
      ...(s.divergences.length ? [{ title: "Divergences", header: ["microgrid", "decision", "tick", "kind", "detail"], rows: s.divergences.map((d) => [d.microgrid, d.decision, d.tick, d.kinds.join(", "), d.details.join("; ")]) }] : []),
    ],
    notes: ["Decisions are shown as journaled; a violet cross marks one whose re-run differs. The served load is re-simulated from the confirmed commands only (a trip no command made does not appear)."],
    json: s,
  };
}

// The HTML report of a bench run or of a replay: one self-contained file
// (inline CSS and SVG, no script, no network), with the headline figures and
// checks, the timeline of operations, the served load over time, the final
// voltage profile, each agent's decisions and vetoes, the run's events and
// tables, and the JSON summary embedded at the end for tools.
import { writeFileSync } from "node:fs";
import type { Check } from "../checks.js";
import { esc, laneChart, lineChart, PALETTE, scatterChart, type LaneMark } from "./svg.js";

export interface ReportDecision {
  t: number;
  microgrid: string;
  /** Operations it made (`close Line.l35`). */
  operations: string[];
  vetoes: { element: string; action: string; rule: string; detail: string }[];
  hold?: string;
  /** Replay: this decision diverged. */
  divergence?: string;
}

export interface ReportModel {
  title: string;
  subtitle: string;
  tiles: { label: string; value: string; ok?: boolean }[];
  timeLabel: string;
  microgrids: string[];
  capKw?: number;
  optimumKw?: number;
  served: { t: number; total: number; byMicrogrid: Record<string, number> }[];
  operations: { t: number; microgrid: string | undefined; element: string; action: "close" | "open"; uncommanded: boolean }[];
  decisions: ReportDecision[];
  events: { t: number; kind: string; microgrid?: string; detail: string }[];
  voltage?: { points: { bus: string; node: number; distance: number; pu: number }[]; unit: string; band: { min: number; max: number } };
  checks: Check[];
  tables: { title: string; header: string[]; rows: (string | number)[][] }[];
  notes: string[];
  json: unknown;
}

const CSS = `
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:960px;color:#222;padding:0 12px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.sub{color:#555;margin-bottom:14px}.tiles{display:flex;flex-wrap:wrap;gap:8px}
.tile{border:1px solid #ddd;border-radius:6px;padding:8px 12px;min-width:120px}.tile b{display:block;font-size:18px}
.ok{color:#1a7f37}.bad{color:#cf222e}.tile.ok{border-color:#1a7f37}.tile.bad{border-color:#cf222e}
table{border-collapse:collapse;width:100%;font-size:12.5px;margin:6px 0}th,td{border-bottom:1px solid #eee;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f6f6f6}td.n{text-align:right;font-variant-numeric:tabular-nums}
.legend{font-size:12px;color:#555}details{margin:8px 0}pre{background:#f6f8fa;padding:8px;overflow:auto;font-size:11.5px;max-height:400px}
`;

function tileHtml(t: ReportModel["tiles"][number]): string {
  const cls = t.ok === undefined ? "" : t.ok ? " ok" : " bad";
  return `<div class="tile${cls}"><span>${esc(t.label)}</span><b>${esc(t.value)}</b></div>`;
}

function table(t: ReportModel["tables"][number]): string {
  const head = t.header.map((h) => `<th>${esc(h)}</th>`).join("");
  const rows = t.rows.map((r) => `<tr>${r.map((c) => (typeof c === "number" ? `<td class="n">${esc(String(c))}</td>` : `<td>${esc(c)}</td>`)).join("")}</tr>`).join("");
  return `<h3>${esc(t.title)}</h3><table><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table>`;
}

const EVENT_COLOR = "#cf222e";

function eventLines(m: ReportModel) {
  return m.events.map((e) => ({ x: e.t, label: `${e.kind}${e.microgrid ? ` ${e.microgrid}` : ""}: ${e.detail}`, color: EVENT_COLOR }));
}

export function servedChart(m: ReportModel): string {
  const colorOf = (i: number) => PALETTE[i % PALETTE.length]!;
  const series = [
    { name: "served (all)", color: "#111", width: 2.2, step: true, points: m.served.map((p) => ({ x: p.t, y: p.total })) },
    ...m.microgrids.map((mg, i) => ({ name: mg, color: colorOf(i), step: true, width: 1.2, points: m.served.map((p) => ({ x: p.t, y: p.byMicrogrid[mg] ?? 0 })) })),
  ];
  const hlines = [
    ...(m.capKw !== undefined ? [{ y: m.capKw, label: `cap ${m.capKw} kW`, color: "#cf222e" }] : []),
    ...(m.optimumKw !== undefined ? [{ y: m.optimumKw, label: `optimum ${m.optimumKw.toFixed(0)} kW`, color: "#1a7f37", dash: "2 3" }] : []),
  ];
  return lineChart({ series, xLabel: m.timeLabel, yLabel: "kW served", hlines, vlines: eventLines(m), title: "served load over time" });
}

export function operationsChart(m: ReportModel): string {
  const lanes = [...m.microgrids];
  if (m.operations.some((o) => o.microgrid === undefined)) lanes.push("other");
  const marks: LaneMark[] = m.operations.map((o) => ({
    lane: o.microgrid ?? "other",
    x: o.t,
    shape: o.uncommanded ? "cross" : o.action === "close" ? "up" : "down",
    color: o.uncommanded ? "#cf222e" : o.action === "close" ? "#1a7f37" : "#bc4c00",
    tip: `t=${o.t.toFixed(3)}: ${o.uncommanded ? "uncommanded " : ""}${o.action} ${o.element}`,
    label: o.element.replace(/^Line\./, ""),
  }));
  return laneChart({ lanes, marks, xLabel: m.timeLabel, vlines: eventLines(m), title: "timeline of switching operations", xMax: Math.max(0, ...m.served.map((p) => p.t)) });
}

export function decisionsChart(m: ReportModel): string {
  const marks: LaneMark[] = [];
  for (const d of m.decisions) {
    const lane = d.microgrid;
    if (d.divergence) marks.push({ lane, x: d.t, shape: "cross", color: "#8250df", tip: `divergence: ${d.divergence}` });
    else if (d.operations.length) marks.push({ lane, x: d.t, shape: "up", color: "#1a7f37", tip: `t=${d.t.toFixed(3)}: ${d.operations.join(", ")}`, label: String(d.operations.length) });
    else if (d.hold) marks.push({ lane, x: d.t, shape: "bar", color: "#888", tip: `hold: ${d.hold}` });
    else marks.push({ lane, x: d.t, shape: "dot", color: "#bbb", tip: `t=${d.t.toFixed(3)}: no operation` });
    if (d.vetoes.length) marks.push({ lane, x: d.t, shape: "cross", color: "#cf222e", tip: d.vetoes.map((v) => `veto ${v.action} ${v.element} (${v.rule}): ${v.detail}`).join("\n"), label: `${d.vetoes.length}v` });
  }
  return laneChart({ lanes: m.microgrids, marks, xLabel: m.timeLabel, vlines: eventLines(m), title: "decisions and vetoes per agent", xMax: Math.max(0, ...m.served.map((p) => p.t)) });
}

export function voltageChart(m: ReportModel): string {
  const v = m.voltage;
  if (!v || v.points.length === 0) return `<p class="legend">No voltage profile: the run used the nominal plant (energization and nominal loads; voltages are not solved).</p>`;
  const phase = ["A", "B", "C"];
  const groups = [1, 2, 3].map((node, i) => ({
    name: `phase ${phase[i]}`,
    color: PALETTE[i]!,
    points: v.points.filter((p) => p.node === node).map((p) => ({ x: p.distance, y: p.pu, tip: `${p.bus}.${p.node}: ${p.pu.toFixed(4)} pu at ${p.distance.toFixed(3)} ${v.unit}` })),
  }));
  return scatterChart({
    groups,
    xLabel: `distance from the source (${v.unit})`,
    yLabel: "voltage (pu)",
    hlines: [
      { y: v.band.min, label: `${v.band.min} pu`, color: "#cf222e" },
      { y: v.band.max, label: `${v.band.max} pu`, color: "#cf222e" },
    ],
    title: "final voltage profile",
  });
}

export function renderReport(m: ReportModel): string {
  const checks = m.checks
    .map((c) => `<tr><td class="${c.ok ? "ok" : c.severity === "info" ? "" : "bad"}">${c.ok ? "pass" : c.severity === "info" ? "note" : "FAIL"}</td><td>${esc(c.name)}</td><td>${esc(c.detail)}</td></tr>`)
    .join("");
  const events = m.events.length
    ? `<table><thead><tr><th>t</th><th>kind</th><th>microgrid</th><th>detail</th></tr></thead><tbody>${m.events.map((e) => `<tr><td class="n">${e.t.toFixed(3)}</td><td>${esc(e.kind)}</td><td>${esc(e.microgrid ?? "")}</td><td>${esc(e.detail)}</td></tr>`).join("")}</tbody></table>`
    : "<p class=\"legend\">None.</p>";
  const vetoRows = m.decisions.flatMap((d) => d.vetoes.map((v) => [d.t.toFixed(3), d.microgrid, `${v.action} ${v.element}`, v.rule, v.detail]));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(m.title)}</title><style>${CSS}</style></head><body>
<h1>${esc(m.title)}</h1><div class="sub">${esc(m.subtitle)}</div>
<div class="tiles">${m.tiles.map(tileHtml).join("")}</div>
<h2>Checks</h2><table><thead><tr><th></th><th>check</th><th>detail</th></tr></thead><tbody>${checks}</tbody></table>
<h2>Served load over time</h2>${servedChart(m)}
<p class="legend">Measured on the simulator's side after every solve (the agents' own figures are in the tables below). Dashed red verticals: events (hover for what).</p>
<h2>Timeline of operations</h2>${operationsChart(m)}
<p class="legend">Green up: close; orange down: open; red cross: a change no command caused (a trip).</p>
<h2>Final voltage profile</h2>${voltageChart(m)}
<h2>Decisions and vetoes per agent</h2>${decisionsChart(m)}
<p class="legend">Green: a decision that operated (count); grey dot: no operation; grey bar: hold; red cross: shield vetoes (count; hover for rule and values)${m.decisions.some((d) => d.divergence) ? "; violet cross: replay divergence" : ""}.</p>
${vetoRows.length ? table({ title: "Vetoes", header: ["t", "microgrid", "operation", "rule", "detail"], rows: vetoRows }) : ""}
<h2>Events</h2>${events}
${m.tables.map(table).join("\n")}
${m.notes.length ? `<h2>Notes</h2><ul>${m.notes.map((n) => `<li>${esc(n)}</li>`).join("")}</ul>` : ""}
<details><summary>JSON summary</summary><pre>${esc(JSON.stringify(m.json, null, 1))}</pre></details>
</body></html>
`;
}

export function writeHtmlReport(file: string, m: ReportModel): void {
  writeFileSync(file, renderReport(m));
}

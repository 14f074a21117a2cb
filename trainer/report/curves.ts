// Learning curves: curves.csv (one row per iteration) and curves.html with
// inline SVG plots (no scripts, no network), rewritten at every checkpoint.
import { writeFileSync } from "node:fs";
import { join } from "node:path";

export type CurveRow = Record<string, number | string | null>;

export function toCsv(rows: readonly CurveRow[]): string {
  if (rows.length === 0) return "";
  const cols = Object.keys(rows[0]!);
  const cell = (v: number | string | null | undefined) => (v === null || v === undefined ? "" : typeof v === "number" ? String(+v.toPrecision(6)) : JSON.stringify(v));
  return [cols.join(","), ...rows.map((r) => cols.map((c) => cell(r[c])).join(","))].join("\n") + "\n";
}

interface Series {
  label: string;
  color: string;
  points: [number, number][];
}

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** A line chart as an SVG string; `hline` draws a dashed reference (e.g. 95 % of cap). */
export function lineChart(title: string, xLabel: string, series: Series[], hline?: { y: number; label: string }): string {
  const W = 640;
  const H = 260;
  const L = 60;
  const R = 16;
  const Tp = 28;
  const B = 40;
  const pts = series.flatMap((s) => s.points);
  if (pts.length === 0) return `<svg width="${W}" height="60"><text x="10" y="30">${esc(title)}: no data yet</text></svg>`;
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]).concat(hline ? [hline.y] : []);
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (x0 === x1) x1 = x0 + 1;
  if (y0 === y1) [y0, y1] = [y0 - 1, y1 + 1];
  const pad = (y1 - y0) * 0.05;
  y0 -= pad;
  y1 += pad;
  const sx = (x: number) => L + ((x - x0) / (x1 - x0)) * (W - L - R);
  const sy = (y: number) => H - B - ((y - y0) / (y1 - y0)) * (H - Tp - B);
  const ticks = (a: number, b: number) => Array.from({ length: 5 }, (_, i) => a + ((b - a) * i) / 4);
  const fmt = (v: number) => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-2 && v !== 0) ? v.toExponential(1) : +v.toPrecision(3) + "");
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`];
  out.push(`<text x="${L}" y="16" font-size="13" font-weight="bold">${esc(title)}</text>`);
  for (const t of ticks(y0, y1)) out.push(`<line x1="${L}" x2="${W - R}" y1="${sy(t)}" y2="${sy(t)}" stroke="#eee"/><text x="${L - 4}" y="${sy(t) + 4}" text-anchor="end">${fmt(t)}</text>`);
  for (const t of ticks(x0, x1)) out.push(`<text x="${sx(t)}" y="${H - B + 14}" text-anchor="middle">${fmt(t)}</text>`);
  out.push(`<text x="${(L + W - R) / 2}" y="${H - 6}" text-anchor="middle">${esc(xLabel)}</text>`);
  out.push(`<rect x="${L}" y="${Tp}" width="${W - L - R}" height="${H - Tp - B}" fill="none" stroke="#999"/>`);
  if (hline) out.push(`<line x1="${L}" x2="${W - R}" y1="${sy(hline.y)}" y2="${sy(hline.y)}" stroke="#c00" stroke-dasharray="4 3"/><text x="${W - R - 4}" y="${sy(hline.y) - 4}" text-anchor="end" fill="#c00">${esc(hline.label)}</text>`);
  series.forEach((s, i) => {
    if (s.points.length === 0) return;
    const d = s.points.map((p, j) => `${j ? "L" : "M"}${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join("");
    out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.5"/>`);
    if (s.points.length < 60) for (const p of s.points) out.push(`<circle cx="${sx(p[0]).toFixed(1)}" cy="${sy(p[1]).toFixed(1)}" r="2" fill="${s.color}"/>`);
    out.push(`<text x="${L + 8 + i * 170}" y="${Tp + 14}" fill="${s.color}">${esc(s.label)}</text>`);
  });
  out.push("</svg>");
  return out.join("");
}

function series(rows: readonly CurveRow[], key: string, label: string, color: string): Series {
  return { label, color, points: rows.filter((r) => typeof r[key] === "number").map((r) => [r.env_steps as number, r[key] as number]) };
}

export function curvesHtml(rows: readonly CurveRow[], o: { title: string; capKw?: number | undefined }): string {
  const charts = [
    lineChart("Restored load, % of the generation cap", "environment steps", [series(rows, "pct_cap", "training episodes (mean)", "#1f77b4"), series(rows, "eval_pct_cap", "deterministic evaluation", "#2ca02c")], { y: 95, label: "95 %" }),
    lineChart("Weighted restored load, % of the optimum", "environment steps", [series(rows, "pct_optimum", "training episodes (mean)", "#1f77b4"), series(rows, "eval_pct_optimum", "deterministic evaluation", "#2ca02c")], { y: 98, label: "98 %" }),
    lineChart("Episode return", "environment steps", [series(rows, "return", "training episodes (mean)", "#1f77b4")]),
    lineChart("Cap breaches (fraction of training episodes)", "environment steps", [series(rows, "breach_rate", "breach rate", "#d62728")]),
    lineChart("Policy entropy (mean per switch head)", "environment steps", [series(rows, "entropy", "entropy", "#9467bd")]),
    lineChart("Critic loss", "environment steps", [series(rows, "value_loss", "value loss", "#8c564b")]),
  ];
  const last = rows[rows.length - 1];
  const facts = last
    ? `<p>${rows.length} iterations, ${last.env_steps} environment steps, ${last.wall_s} s wall time${o.capKw ? `, cap ${o.capKw} kW` : ""}.</p>`
    : "<p>No iterations yet.</p>";
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(o.title)}</title><style>body{font-family:sans-serif;margin:24px}svg{margin:8px 8px 0 0}</style></head><body><h1>${esc(o.title)}</h1>${facts}<div>${charts.join("\n")}</div><p>Data: <a href="curves.csv">curves.csv</a></p></body></html>\n`;
}

export function writeCurves(dir: string, rows: readonly CurveRow[], o: { title: string; capKw?: number | undefined }): void {
  writeFileSync(join(dir, "curves.csv"), toCsv(rows));
  writeFileSync(join(dir, "curves.html"), curvesHtml(rows, o));
}

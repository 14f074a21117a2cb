// Small inline-SVG charts for the bench and replay reports: no script, no
// external file, readable when printed. Each chart is a function of plain
// data returning an <svg> string; every mark carries a <title> tooltip.

export const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

export function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

export interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export interface Scale {
  (v: number): number;
  domain: [number, number];
}

export function linear(d0: number, d1: number, r0: number, r1: number): Scale {
  const span = d1 - d0 || 1;
  const f = ((v: number) => r0 + ((v - d0) / span) * (r1 - r0)) as Scale;
  f.domain = [d0, d1];
  return f;
}

/** Round tick values covering [lo, hi] (about `count` of them). */
export function ticks(lo: number, hi: number, count = 6): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function fmt(v: number): string {
  return Math.abs(v) >= 1000 ? v.toFixed(0) : Number(v.toPrecision(4)).toString();
}

export function axes(f: Frame, x: Scale, y: Scale, xLabel: string, yLabel: string, yTicks = ticks(y.domain[0], y.domain[1], 5)): string {
  const parts: string[] = [];
  const x0 = f.left;
  const x1 = f.width - f.right;
  const y0 = f.height - f.bottom;
  const y1 = f.top;
  for (const t of yTicks) {
    const yy = y(t);
    parts.push(`<line x1="${x0}" x2="${x1}" y1="${yy}" y2="${yy}" stroke="#e5e5e5"/>`, `<text x="${x0 - 6}" y="${yy + 4}" text-anchor="end">${fmt(t)}</text>`);
  }
  for (const t of ticks(x.domain[0], x.domain[1], 8)) {
    const xx = x(t);
    parts.push(`<line x1="${xx}" x2="${xx}" y1="${y0}" y2="${y0 + 4}" stroke="#666"/>`, `<text x="${xx}" y="${y0 + 16}" text-anchor="middle">${fmt(t)}</text>`);
  }
  parts.push(
    `<line x1="${x0}" x2="${x1}" y1="${y0}" y2="${y0}" stroke="#666"/>`,
    `<line x1="${x0}" x2="${x0}" y1="${y0}" y2="${y1}" stroke="#666"/>`,
    `<text x="${(x0 + x1) / 2}" y="${f.height - 4}" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text transform="translate(12 ${(y0 + y1) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`,
  );
  return parts.join("");
}

export function svg(f: Frame, body: string, title: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${f.width} ${f.height}" width="100%" role="img" aria-label="${esc(title)}" font-family="system-ui, sans-serif" font-size="11">${body}</svg>`;
}

export interface Series {
  name: string;
  color: string;
  points: { x: number; y: number }[];
  /** Drawn as steps (held until the next point) rather than straight segments. */
  step?: boolean;
  dash?: string;
  width?: number;
}

export function lineChart(o: { series: Series[]; xLabel: string; yLabel: string; hlines?: { y: number; label: string; color: string; dash?: string }[]; vlines?: { x: number; label: string; color: string }[]; yMin?: number; title: string; width?: number; height?: number }): string {
  const f: Frame = { width: o.width ?? 900, height: o.height ?? 320, left: 60, right: 150, top: 16, bottom: 40 };
  const xs = o.series.flatMap((s) => s.points.map((p) => p.x)).concat((o.vlines ?? []).map((v) => v.x));
  const ys = o.series.flatMap((s) => s.points.map((p) => p.y)).concat((o.hlines ?? []).map((h) => h.y));
  const xMin = Math.min(0, ...xs);
  const xMax = Math.max(xMin + 1, ...xs);
  const yMax = Math.max(1, ...ys) * 1.05;
  const yMin = o.yMin ?? 0;
  const x = linear(xMin, xMax, f.left, f.width - f.right);
  const y = linear(yMin, yMax, f.height - f.bottom, f.top);
  const parts = [axes(f, x, y, o.xLabel, o.yLabel)];
  for (const v of o.vlines ?? []) parts.push(`<line x1="${x(v.x)}" x2="${x(v.x)}" y1="${f.top}" y2="${f.height - f.bottom}" stroke="${v.color}" stroke-dasharray="3 3"><title>${esc(v.label)}</title></line>`);
  let prevLabelY = -Infinity;
  for (const h of [...(o.hlines ?? [])].sort((a, b) => b.y - a.y)) {
    const ly = Math.max(y(h.y) + 4, prevLabelY + 13);
    prevLabelY = ly;
    parts.push(`<line x1="${f.left}" x2="${f.width - f.right}" y1="${y(h.y)}" y2="${y(h.y)}" stroke="${h.color}" stroke-dasharray="${h.dash ?? "6 4"}"/>`, `<text x="${f.width - f.right + 4}" y="${ly}" fill="${h.color}">${esc(h.label)}</text>`);
  }
  o.series.forEach((s, i) => {
    if (s.points.length === 0) return;
    const pts: string[] = [];
    s.points.forEach((p, k) => {
      if (s.step && k > 0) pts.push(`${x(p.x).toFixed(1)},${y(s.points[k - 1]!.y).toFixed(1)}`);
      pts.push(`${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`);
    });
    parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="${s.width ?? 1.5}"${s.dash ? ` stroke-dasharray="${s.dash}"` : ""} points="${pts.join(" ")}"><title>${esc(s.name)}</title></polyline>`);
    const ly = f.top + 44 + i * 15;
    parts.push(`<line x1="${f.width - f.right + 8}" x2="${f.width - f.right + 24}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ""}/>`, `<text x="${f.width - f.right + 28}" y="${ly}">${esc(s.name)}</text>`);
  });
  return svg(f, parts.join(""), o.title);
}

export interface LaneMark {
  lane: string;
  x: number;
  /** `up` triangle, `down` triangle, `dot`, `cross`, `bar` (a tick mark). */
  shape: "up" | "down" | "dot" | "cross" | "bar";
  color: string;
  tip: string;
  /** Small label drawn beside the mark. */
  label?: string;
}

/** Swimlanes: one row per lane, marks along time (operations, decisions, vetoes), vertical event lines. */
export function laneChart(o: { lanes: string[]; marks: LaneMark[]; xLabel: string; vlines?: { x: number; label: string; color: string }[]; title: string; xMax?: number; width?: number }): string {
  const lane = 28;
  const f: Frame = { width: o.width ?? 900, height: 40 + 16 + lane * Math.max(1, o.lanes.length), left: 70, right: 20, top: 16, bottom: 40 };
  const xs = o.marks.map((m) => m.x).concat((o.vlines ?? []).map((v) => v.x));
  const xMax = Math.max(o.xMax ?? 0, 1, ...xs);
  const x = linear(0, xMax, f.left, f.width - f.right);
  const laneY = (name: string) => f.top + lane * (o.lanes.indexOf(name) + 0.5);
  const parts: string[] = [];
  o.lanes.forEach((l, i) => {
    const yy = f.top + lane * i;
    parts.push(`<rect x="${f.left}" y="${yy}" width="${f.width - f.left - f.right}" height="${lane}" fill="${i % 2 ? "#fafafa" : "#f2f2f2"}"/>`, `<text x="${f.left - 6}" y="${yy + lane / 2 + 4}" text-anchor="end">${esc(l)}</text>`);
  });
  const y0 = f.height - f.bottom;
  for (const t of ticks(0, xMax, 8)) parts.push(`<line x1="${x(t)}" x2="${x(t)}" y1="${y0}" y2="${y0 + 4}" stroke="#666"/>`, `<text x="${x(t)}" y="${y0 + 16}" text-anchor="middle">${fmt(t)}</text>`);
  parts.push(`<line x1="${f.left}" x2="${f.width - f.right}" y1="${y0}" y2="${y0}" stroke="#666"/>`, `<text x="${(f.left + f.width - f.right) / 2}" y="${f.height - 4}" text-anchor="middle">${esc(o.xLabel)}</text>`);
  for (const v of o.vlines ?? []) parts.push(`<line x1="${x(v.x)}" x2="${x(v.x)}" y1="${f.top}" y2="${y0}" stroke="${v.color}" stroke-dasharray="3 3"><title>${esc(v.label)}</title></line>`);
  // A label that would overlap the previous one in its lane is left to the tooltip.
  const lastLabel = new Map<string, number>();
  for (const m of o.marks) {
    if (!o.lanes.includes(m.lane)) continue;
    const cx = x(m.x);
    const cy = laneY(m.lane);
    const tip = `<title>${esc(m.tip)}</title>`;
    const r = 5;
    if (m.shape === "up") parts.push(`<path d="M${cx} ${cy - r} L${cx + r} ${cy + r} L${cx - r} ${cy + r} Z" fill="${m.color}">${tip}</path>`);
    else if (m.shape === "down") parts.push(`<path d="M${cx} ${cy + r} L${cx + r} ${cy - r} L${cx - r} ${cy - r} Z" fill="${m.color}">${tip}</path>`);
    else if (m.shape === "dot") parts.push(`<circle cx="${cx}" cy="${cy}" r="${r - 1.5}" fill="${m.color}">${tip}</circle>`);
    else if (m.shape === "bar") parts.push(`<rect x="${cx - 1}" y="${cy - 9}" width="2" height="18" fill="${m.color}">${tip}</rect>`);
    else parts.push(`<path d="M${cx - r} ${cy - r} L${cx + r} ${cy + r} M${cx + r} ${cy - r} L${cx - r} ${cy + r}" stroke="${m.color}" stroke-width="2.5">${tip}</path>`);
    if (m.label && cx - (lastLabel.get(m.lane) ?? -Infinity) > 7 + 6 * m.label.length) {
      parts.push(`<text x="${cx + 7}" y="${cy - 6}" font-size="9" fill="#444">${esc(m.label)}</text>`);
      lastLabel.set(m.lane, cx);
    }
  }
  return svg(f, parts.join(""), o.title);
}

/** Scatter of points (voltage profile: pu against distance), one colour per group, with horizontal band lines. */
export function scatterChart(o: { groups: { name: string; color: string; points: { x: number; y: number; tip: string }[] }[]; xLabel: string; yLabel: string; hlines?: { y: number; label: string; color: string }[]; title: string; yRange?: [number, number] }): string {
  const f: Frame = { width: 900, height: 340, left: 60, right: 150, top: 16, bottom: 40 };
  const pts = o.groups.flatMap((g) => g.points);
  const xMax = Math.max(1e-9, ...pts.map((p) => p.x));
  const ysAll = pts.map((p) => p.y).concat((o.hlines ?? []).map((h) => h.y));
  const lo = o.yRange?.[0] ?? Math.min(...ysAll) - 0.005;
  const hi = o.yRange?.[1] ?? Math.max(...ysAll) + 0.005;
  const x = linear(0, xMax, f.left, f.width - f.right);
  const y = linear(lo, hi, f.height - f.bottom, f.top);
  const parts = [axes(f, x, y, o.xLabel, o.yLabel)];
  for (const h of o.hlines ?? []) parts.push(`<line x1="${f.left}" x2="${f.width - f.right}" y1="${y(h.y)}" y2="${y(h.y)}" stroke="${h.color}" stroke-dasharray="6 4"/>`, `<text x="${f.width - f.right + 4}" y="${y(h.y) + 4}" fill="${h.color}">${esc(h.label)}</text>`);
  o.groups.forEach((g, i) => {
    for (const p of g.points) parts.push(`<circle cx="${x(p.x).toFixed(1)}" cy="${y(p.y).toFixed(1)}" r="2.2" fill="${g.color}" fill-opacity="0.8"><title>${esc(p.tip)}</title></circle>`);
    const ly = f.top + 54 + i * 15;
    parts.push(`<circle cx="${f.width - f.right + 14}" cy="${ly - 4}" r="4" fill="${g.color}"/>`, `<text x="${f.width - f.right + 24}" y="${ly}">${esc(g.name)}</text>`);
  });
  return svg(f, parts.join(""), o.title);
}

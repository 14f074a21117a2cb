// Prometheus metrics in the text exposition format (version 0.0.4): counters,
// gauges (set, or sampled at scrape time) and histograms, with labels. Small
// on purpose: the agent needs a handful of series, not a client library.

type Labels = Readonly<Record<string, string>>;

interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: "counter" | "gauge" | "histogram";
  render(out: string[]): void;
}

function labelKey(names: readonly string[], labels: Labels): string {
  return names.map((n) => labels[n] ?? "").join("\u0000");
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function formatLabels(names: readonly string[], values: readonly string[], extra?: [string, string]): string {
  const parts = names.map((n, i) => `${n}="${escapeLabel(values[i] ?? "")}"`);
  if (extra) parts.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

function checkLabels(name: string, names: readonly string[], labels: Labels): void {
  for (const k of Object.keys(labels)) {
    if (!names.includes(k)) throw new Error(`metric ${name} has no label '${k}' (labels: ${names.join(", ") || "none"})`);
  }
}

export class Counter implements Family {
  readonly type = "counter" as const;
  private readonly values = new Map<string, { labels: string[]; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[] = [],
    /** Totals kept elsewhere (process CPU time, the bus client's counters), read at scrape time. */
    private readonly sample?: () => number | ReadonlyArray<[Labels, number]>,
  ) {}

  inc(labels: Labels = {}, by = 1): void {
    if (by < 0) throw new Error(`counter ${this.name} cannot decrease`);
    checkLabels(this.name, this.labelNames, labels);
    const key = labelKey(this.labelNames, labels);
    const cur = this.values.get(key);
    if (cur) cur.value += by;
    else this.values.set(key, { labels: this.labelNames.map((n) => labels[n] ?? ""), value: by });
  }

  get(labels: Labels = {}): number {
    return this.values.get(labelKey(this.labelNames, labels))?.value ?? 0;
  }

  render(out: string[]): void {
    if (this.sample) {
      const v = this.sample();
      if (typeof v === "number") this.values.set("", { labels: [], value: v });
      else for (const [labels, n] of v) this.values.set(labelKey(this.labelNames, labels), { labels: this.labelNames.map((k) => labels[k] ?? ""), value: n });
    }
    for (const { labels, value } of this.values.values()) out.push(`${this.name}${formatLabels(this.labelNames, labels)} ${formatValue(value)}`);
  }
}

export class Gauge implements Family {
  readonly type = "gauge" as const;
  private readonly values = new Map<string, { labels: string[]; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[] = [],
    /** Sampled at scrape time instead of set (journal size, memory). */
    private readonly sample?: () => number | ReadonlyArray<[Labels, number]>,
  ) {}

  set(value: number, labels: Labels = {}): void {
    checkLabels(this.name, this.labelNames, labels);
    this.values.set(labelKey(this.labelNames, labels), { labels: this.labelNames.map((n) => labels[n] ?? ""), value });
  }

  get(labels: Labels = {}): number | undefined {
    return this.values.get(labelKey(this.labelNames, labels))?.value;
  }

  render(out: string[]): void {
    if (this.sample) {
      const s = this.sample();
      if (typeof s === "number") this.set(s);
      else for (const [labels, v] of s) this.set(v, labels);
    }
    for (const { labels, value } of this.values.values()) out.push(`${this.name}${formatLabels(this.labelNames, labels)} ${formatValue(value)}`);
  }
}

export class Histogram implements Family {
  readonly type = "histogram" as const;
  private readonly series = new Map<string, { labels: string[]; counts: number[]; sum: number; count: number }>();
  readonly buckets: readonly number[];
  constructor(
    readonly name: string,
    readonly help: string,
    buckets: readonly number[],
    private readonly labelNames: readonly string[] = [],
  ) {
    this.buckets = [...buckets].sort((a, b) => a - b);
  }

  observe(value: number, labels: Labels = {}): void {
    checkLabels(this.name, this.labelNames, labels);
    const key = labelKey(this.labelNames, labels);
    let s = this.series.get(key);
    if (!s) {
      s = { labels: this.labelNames.map((n) => labels[n] ?? ""), counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }

  count(labels: Labels = {}): number {
    return this.series.get(labelKey(this.labelNames, labels))?.count ?? 0;
  }

  render(out: string[]): void {
    for (const s of this.series.values()) {
      this.buckets.forEach((b, i) => out.push(`${this.name}_bucket${formatLabels(this.labelNames, s.labels, ["le", formatValue(b)])} ${s.counts[i]}`));
      out.push(`${this.name}_bucket${formatLabels(this.labelNames, s.labels, ["le", "+Inf"])} ${s.count}`);
      out.push(`${this.name}_sum${formatLabels(this.labelNames, s.labels)} ${formatValue(s.sum)}`);
      out.push(`${this.name}_count${formatLabels(this.labelNames, s.labels)} ${s.count}`);
    }
  }
}

export class MetricsRegistry {
  private readonly families = new Map<string, Family>();

  private add<F extends Family>(f: F): F {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(f.name)) throw new Error(`invalid metric name '${f.name}'`);
    if (this.families.has(f.name)) throw new Error(`metric ${f.name} registered twice`);
    this.families.set(f.name, f);
    return f;
  }

  counter(name: string, help: string, labels: readonly string[] = [], sample?: () => number | ReadonlyArray<[Labels, number]>): Counter {
    return this.add(new Counter(name, help, labels, sample));
  }
  gauge(name: string, help: string, labels: readonly string[] = [], sample?: () => number | ReadonlyArray<[Labels, number]>): Gauge {
    return this.add(new Gauge(name, help, labels, sample));
  }
  histogram(name: string, help: string, buckets: readonly number[], labels: readonly string[] = []): Histogram {
    return this.add(new Histogram(name, help, buckets, labels));
  }

  /** The exposition text, `Content-Type: text/plain; version=0.0.4`. */
  render(): string {
    const out: string[] = [];
    for (const f of this.families.values()) {
      out.push(`# HELP ${f.name} ${f.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`);
      out.push(`# TYPE ${f.name} ${f.type}`);
      f.render(out);
    }
    return out.join("\n") + "\n";
  }
}

export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

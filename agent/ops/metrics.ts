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

type Sampler = () => number | ReadonlyArray<[Labels, number]>;

/** One value per label set: what counters and gauges share (set, read, sample at scrape, render). */
abstract class ScalarFamily implements Family {
  abstract readonly type: "counter" | "gauge";
  private readonly values = new Map<string, { labels: string[]; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    protected readonly labelNames: readonly string[],
    /** Values kept elsewhere (journal size, memory, CPU time, the bus client's counters), read at scrape time. */
    private readonly sample?: Sampler,
  ) {}

  protected put(value: number, labels: Labels): void {
    checkLabels(this.name, this.labelNames, labels);
    this.values.set(labelKey(this.labelNames, labels), { labels: this.labelNames.map((n) => labels[n] ?? ""), value });
  }

  protected value(labels: Labels): number | undefined {
    return this.values.get(labelKey(this.labelNames, labels))?.value;
  }

  render(out: string[]): void {
    if (this.sample) {
      const s = this.sample();
      if (typeof s === "number") this.put(s, {});
      else for (const [labels, v] of s) this.put(v, labels);
    }
    for (const { labels, value } of this.values.values()) out.push(`${this.name}${formatLabels(this.labelNames, labels)} ${formatValue(value)}`);
  }
}

export class Counter extends ScalarFamily {
  readonly type = "counter" as const;
  constructor(name: string, help: string, labelNames: readonly string[] = [], sample?: Sampler) {
    super(name, help, labelNames, sample);
  }

  inc(labels: Labels = {}, by = 1): void {
    if (by < 0) throw new Error(`counter ${this.name} cannot decrease`);
    this.put((this.value(labels) ?? 0) + by, labels);
  }

  get(labels: Labels = {}): number {
    return this.value(labels) ?? 0;
  }
}

export class Gauge extends ScalarFamily {
  readonly type = "gauge" as const;
  constructor(name: string, help: string, labelNames: readonly string[] = [], sample?: Sampler) {
    super(name, help, labelNames, sample);
  }

  set(value: number, labels: Labels = {}): void {
    this.put(value, labels);
  }

  get(labels: Labels = {}): number | undefined {
    return this.value(labels);
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

  counter(name: string, help: string, labels: readonly string[] = [], sample?: Sampler): Counter {
    return this.add(new Counter(name, help, labels, sample));
  }
  gauge(name: string, help: string, labels: readonly string[] = [], sample?: Sampler): Gauge {
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

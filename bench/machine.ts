// One line describing the machine a benchmark ran on, for BENCHMARKS.md.
import { cpus, loadavg, totalmem } from "node:os";

export function machineSummary(): string {
  const cpu = cpus();
  const model = cpu[0]?.model.trim() ?? "unknown cpu";
  const [l1] = loadavg();
  return `${cpu.length} x ${model}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, load ${l1?.toFixed(2)}`;
}

/** Median and percentiles of a sample (sorted copy). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const idx = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[idx]!;
}
export const median = (v: readonly number[]) => percentile(v, 50);

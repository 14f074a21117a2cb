// Static quotas are what each agent may spend when it can reach no peer, so
// they must keep the worst case within every generation pool (the cap, or an
// island's grid-forming units): the load served at the reset plus every
// owner's whole quota, drawing the load margin more than nominal, fits the
// pool's capacity. Checked when a scenario is bound (docs/scenario.md, Quotas).
import { DEFAULT_LOAD_MARGIN_PCT, equalQuotaKw, quotaOversubscription } from "../bus/ledger.js";
import { generationPools } from "../bus/pools.js";
import { indexGraph } from "../shield/graph.js";
import type { SectionGraph } from "./sections.js";

export interface QuotaIssue {
  /** Microgrid whose `quota_kw` the issue names (the pool's largest quota). */
  microgrid: string;
  message: string;
}

export interface PoolQuotas {
  pool: string;
  capacity_kw: number;
  base_kw: number;
  owners: string[];
  quotas_kw: number[];
  /** Worst case without the bus: (base + quotas) x (1 + margin). */
  worst_kw: number;
  /** The largest equal quota per owner that fits. */
  equal_quota_kw: number;
}

/** Each pool's quotas against its capacity. */
export function poolQuotas(graph: SectionGraph, marginPct = DEFAULT_LOAD_MARGIN_PCT): PoolQuotas[] {
  const quota = new Map(graph.microgrids.map((m) => [m.id, m.quota_kw]));
  return generationPools(indexGraph(graph)).pools.map((p) => {
    const quotas = p.owners.map((m) => quota.get(m) ?? 0);
    return {
      pool: p.id,
      capacity_kw: p.capacity_kw,
      base_kw: p.base_kw,
      owners: p.owners,
      quotas_kw: quotas,
      worst_kw: (p.base_kw + quotas.reduce((a, b) => a + b, 0)) * (1 + marginPct / 100),
      equal_quota_kw: equalQuotaKw(p.capacity_kw, p.base_kw, p.owners.length, marginPct),
    };
  });
}

/** Quotas that oversubscribe a pool, or that a microgrid holds with no pool to hold them in. */
export function checkQuotas(graph: SectionGraph, marginPct = DEFAULT_LOAD_MARGIN_PCT): QuotaIssue[] {
  const issues: QuotaIssue[] = [];
  const pools = poolQuotas(graph, marginPct);
  const fmt = (kw: number) => (Math.round(kw * 10) / 10).toString();
  for (const p of pools) {
    const total = p.quotas_kw.reduce((a, b) => a + b, 0);
    if (quotaOversubscription(p.capacity_kw, p.base_kw, p.quotas_kw, marginPct) <= 1e-9) continue;
    const largest = p.owners.reduce((best, m, i) => (p.quotas_kw[i]! > (p.quotas_kw[p.owners.indexOf(best)] ?? -1) ? m : best), p.owners[0]!);
    const what = p.pool === "fleet" ? `the ${fmt(p.capacity_kw)} kW generation cap` : `the ${fmt(p.capacity_kw)} kW of grid-forming units in island '${p.pool}'`;
    issues.push({
      microgrid: largest,
      message:
        `static quotas oversubscribe ${what}: ${fmt(p.base_kw)} kW served at the reset plus ${fmt(total)} kW of quotas (${p.owners.map((m, i) => `${m} ${fmt(p.quotas_kw[i]!)}`).join(", ")}), ` +
        `with the ${marginPct} % load margin, is ${fmt(p.worst_kw)} kW; agents cut off from their peers could exceed it. ` +
        `At most ${Math.floor((p.capacity_kw / (1 + marginPct / 100) - p.base_kw) * 10) / 10} kW in all` +
        (p.owners.length > 1 ? ` (e.g. ${p.equal_quota_kw} kW each)` : ""),
    });
  }
  if (!pools.some((p) => p.pool === "fleet")) {
    const owned = new Set(pools.flatMap((p) => p.owners));
    for (const m of graph.microgrids) {
      if (m.quota_kw > 0 && !owned.has(m.id)) {
        issues.push({
          microgrid: m.id,
          message: `microgrid '${m.id}' has no grid-forming unit, so no island's generation is its own: its pick-ups draw on a peer's island by lease, and its quota_kw must be 0 (it is ${fmt(m.quota_kw)})`,
        });
      }
    }
  }
  return issues;
}

// A generation pool's ledger as one agent sees it, for deciding on a
// reservation: how much of the pool's capacity is left once the load it may be
// serving, every live agent's unused allocation in it (static quota plus
// leases, minus what its closes committed: it may spend that at any time, even
// cut off from the bus) and every reservation acknowledged but not yet visible
// in its holder's state are counted.
//
//   headroom = capacity - used - sum over live agents of max(0, quota + leases - committed) - holds
//
// A pool is the fleet's cap (paper mode), or one island's grid-forming units
// (physics mode): shared/bus/pools.ts.

export interface AgentLedger {
  microgrid: string;
  /** Live (in the view). A stale or offline agent's switches already count as closed in `used`. */
  live: boolean;
  /** Its static quota in this pool (0 where it holds none). */
  quota_kw: number;
  /** Leases it holds in this pool (kW), as it published them and not yet expired. */
  leases_kw: number;
  /** Load its closes committed in this pool. */
  committed_kw: number;
  /** It lends unused quota on demand (default true: unknown peers are asked; they may refuse). */
  lends?: boolean;
  /** Requests its published quota already lent to (their shares are not counted again). */
  lent_to?: readonly string[];
}

export interface LedgerInput {
  cap_kw: number;
  /** Load the pool may be serving (shared/shield fleetLoadKw: stale peers' switches closed). */
  used_kw: number;
  agents: readonly AgentLedger[];
  /** Reservations acknowledged here but not (yet) in their holder's published leases. */
  holds: readonly { id: string; holder: string; kw: number }[];
}

export interface Headroom {
  cap_kw: number;
  used_kw: number;
  /** Unused allocations of live agents. */
  reserved_kw: number;
  held_kw: number;
  headroom_kw: number;
}

export function headroom(l: LedgerInput): Headroom {
  let reserved = 0;
  for (const a of l.agents) if (a.live) reserved += Math.max(0, a.quota_kw + a.leases_kw - a.committed_kw);
  let held = 0;
  for (const h of l.holds) held += h.kw;
  return {
    cap_kw: round3(l.cap_kw),
    used_kw: round3(l.used_kw),
    reserved_kw: round3(reserved),
    held_kw: round3(held),
    // Rounded down, never up: a headroom rounded up by 0.5 W let a lease be granted on
    // shares that together lent 0.5 W less than it (ieee123-5mg: 2400.0003 kW worst case).
    headroom_kw: floor3(l.cap_kw - l.used_kw - reserved - held),
  };
}

/** Static quota an agent holds and does not use: what it committed is covered by its leases first. */
export function unusedQuotaKw(a: { quota_kw: number; leases_kw: number; committed_kw: number }): number {
  return Math.max(0, a.quota_kw - Math.max(0, a.committed_kw - a.leases_kw));
}

/**
 * Shares of `deficitKw` for the lenders to lend, taken from whoever has the
 * most unused quota first, down to a common level (water-filling): every
 * lender keeps at least that level, so each keeps what it can for its own
 * pick-ups as evenly as the deficit allows. Null when they cannot cover it.
 */
export function lendingShares(unusedKw: ReadonlyMap<string, number>, deficitKw: number): Map<string, number> | null {
  const lenders = [...unusedKw.entries()].filter(([, u]) => u > 0).sort((a, b) => b[1] - a[1]);
  const total = lenders.reduce((s, [, u]) => s + u, 0);
  if (!(deficitKw > 0)) return new Map();
  if (total + 1e-9 < deficitKw) return null;
  // Lower the level past each lender's unused quota until what lies above it covers the deficit.
  let above = 0;
  let level = 0;
  for (let i = 0; i < lenders.length; i++) {
    const u = lenders[i]![1];
    const next = i + 1 < lenders.length ? lenders[i + 1]![1] : 0;
    // With the first i+1 lenders lending down to `next`, they give above + (i+1) * (u - next).
    const give = above + (i + 1) * (u - next);
    if (give + 1e-12 >= deficitKw) {
      level = u - (deficitKw - above) / (i + 1);
      break;
    }
    above = give;
  }
  const out = new Map<string, number>();
  for (const [m, u] of lenders) if (u > level) out.set(m, u - level);
  return out;
}

/**
 * How much the power flow's load may exceed the section graph's nominal kW:
 * ZIP loads at the voltages the feeders hold draw up to 1.72 % more than
 * nominal (ieee123-5mg at its reset, 505 -> 513.7 kW; at most 0.6 % above
 * 2000 kW; ieee8500-10mg at most 0.35 %: docs/scenario.md, Quotas).
 */
export const DEFAULT_LOAD_MARGIN_PCT = 1.75;

/**
 * Static quotas must keep the worst case under a pool's capacity when no peer
 * can be reached: every owner spending its whole quota on top of the load
 * served at the start, all of it drawing `marginPct` more than nominal.
 * Returns by how much (kW of capacity) they exceed it; 0 when they fit.
 */
export function quotaOversubscription(capKw: number, baseKw: number, quotasKw: readonly number[], marginPct = 0): number {
  const total = quotasKw.reduce((a, b) => a + b, 0);
  return Math.max(0, (baseKw + total) * (1 + marginPct / 100) - capKw);
}

/** The largest equal quota for `owners` microgrids that fits a pool (kW, rounded down to a whole kW). */
export function equalQuotaKw(capKw: number, baseKw: number, owners: number, marginPct = DEFAULT_LOAD_MARGIN_PCT): number {
  if (owners <= 0) return 0;
  return Math.max(0, Math.floor((capKw / (1 + marginPct / 100) - baseKw) / owners + 1e-9));
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Down to the watt (a hair of float noise above a whole watt keeps that watt). */
function floor3(kw: number): number {
  return Number.isFinite(kw) ? Math.floor(kw * 1000 + 1e-6) / 1000 : kw;
}

// The fleet's generation ledger as one agent sees it, for deciding on a
// reservation: how much of the cap is left once the load the fleet may be
// serving, every live agent's unused allocation (static quota plus leases,
// minus what its closes committed: it may spend that at any time, even cut off
// from the bus) and every reservation acknowledged but not yet visible in its
// holder's state are counted.
//
//   headroom = cap - used - sum over live agents of max(0, quota + leases - committed) - holds

export interface AgentLedger {
  microgrid: string;
  /** Live (in the view). A stale or offline agent's switches already count as closed in `used`. */
  live: boolean;
  quota_kw: number;
  /** Leases it holds (kW), as it published them and not yet expired. */
  leases_kw: number;
  committed_kw: number;
}

export interface LedgerInput {
  cap_kw: number;
  /** Load the fleet may be serving (shared/shield fleetLoadKw: stale peers' switches closed). */
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
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return {
    cap_kw: r(l.cap_kw),
    used_kw: r(l.used_kw),
    reserved_kw: r(reserved),
    held_kw: r(held),
    headroom_kw: r(l.cap_kw - l.used_kw - reserved - held),
  };
}

/** Static quotas must fit under the cap with the load served at the start, or fallback alone could exceed it. */
export function quotaOversubscription(capKw: number, baseKw: number, quotasKw: readonly number[]): number {
  const total = quotasKw.reduce((a, b) => a + b, 0);
  return Math.max(0, baseKw + total - capKw);
}

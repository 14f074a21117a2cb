// Generation reservations between peers, as a pure state machine: events in
// (a call to reserve, a message received, time passing), effects out (messages
// to publish, journal records, a settled request). The client (agent/bus)
// carries the effects out; tests drive it with any delivery order.
//
// The protocol is Ricart-Agrawala mutual exclusion with a capacity check:
// - A request carries the kW, the requester's view number and a Lamport clock.
// - Each live peer answers in the same view: ack if the kW fits in its ledger's
//   headroom, nack if not or if its view differs. A peer with its own earlier
//   request outstanding (lower (lamport, id)) defers its answer until its own
//   request is settled, so of two requests racing for the same headroom the
//   earlier is decided first and the later is judged with it counted by the
//   one agent that surely knows: the earlier requester, which counts its own
//   leases. Every answer carries the responder's own leases, so a requester
//   knows every earlier grant before it judges a request deferred behind its
//   own. Bystanders do not hold the kW of a request they acked (that would let
//   two bystanders each favour a different racer and fail both); they count a
//   lease once its outcome says granted, or when no outcome came in time.
// - The request is granted only when every peer of its view acked; any nack,
//   a view change or a timeout aborts it. The requester publishes the outcome
//   so the peers turn their hold into a lease or drop it.
// - A grant is a lease of relative duration (no clocks need to agree); the
//   holder lists its leases in its retained state, republished on reconnect.
// - Quota lending on demand: when the pool's headroom is short, the requester
//   names in its request the share each peer should lend of its unused static
//   quota (lendingShares: the most unused first). A peer named lends exactly
//   its share, durably, before it acks, or nacks; so when every peer acked,
//   every share was lent, and each peer judged the request with all of them
//   counted. An agent lends nothing while it decides on its own budget (from
//   `beginDecision` to `claim`: the request waits for the claim) or while its
//   own request is out.
// - Every amount is in one generation pool (pools.ts): the fleet's cap, or an
//   island's grid-forming units.
import type { ReservationState } from "./states.js";
import { headroom, lendingShares, unusedQuotaKw, type Headroom, type LedgerInput } from "./ledger.js";
import { FLEET_POOL } from "./pools.js";
import { OwnRequests, type AnswerTime } from "./answer-time.js";
import type { LeaseInfo, ReservationOutcome, ReservationRequest, ReservationResponse } from "./messages.js";
import type { View } from "./view.js";

type Body<T> = Omit<T, "v" | "from" | "incarnation" | "sent_at">;
export type RequestBody = Body<ReservationRequest>;
export type ResponseBody = Body<ReservationResponse>;
export type OutcomeBody = Body<ReservationOutcome>;

export interface ReservationResult {
  id: string;
  granted: boolean;
  kw: number;
  reason?: string;
  detail?: Record<string, unknown>;
}

export interface ReservationRecordRef {
  id: string;
  requester: string;
  kw: number;
  view: number | null;
  leaseMs: number | null;
  role: "own" | "peer";
  /** Generation pool (absent: the fleet's). */
  pool?: string;
}

export type Effect =
  | { kind: "publish"; topic: "reservation/request"; body: RequestBody }
  | { kind: "publish"; topic: "reservation/response"; body: ResponseBody }
  | { kind: "publish"; topic: "reservation/outcome"; body: OutcomeBody }
  | { kind: "journal"; record: ReservationRecordRef; state: ReservationState; detail: Record<string, unknown> }
  | { kind: "settle"; result: ReservationResult }
  /** Lower this agent's static quota by `kw` (lent to the pool), durably, before the effects after it. */
  | { kind: "lend"; kw: number; request_id: string; requester: string; pool: string };

/** What the engine needs to know about the fleet at the moment of an event. */
export interface FleetContext {
  /** The current view, self included. */
  view: View;
  /** Microgrids of the live peers that must answer (view members other than self). */
  peers: readonly string[];
  /** A pool's ledger now, without the engine's holds (it adds them). */
  ledger(pool: string): Omit<LedgerInput, "holds">;
  /** Lease ids the peers list in their latest states (already in their allocation: not held twice). */
  publishedLeaseIds: ReadonlySet<string>;
  /**
   * What each peer's latest state (any age) says of its own requests: every one of that incarnation
   * up to `seq` is settled, and one granted and still running is in that state's leases. A hold on
   * such a request that the state does not list is no lease at all (its outcome was lost here).
   */
  settledRequests?: ReadonlyMap<string, { incarnation: string; seq: number }>;
  /** The pool this agent's static quota is in (what it can lend from); none: it lends nothing. */
  quotaPool?: string | null;
  /** What this agent's closes committed in all pools (physics: its state's total), to tell its claim in the quota pool. */
  ownCommittedKw?: number;
}

export interface ReservationConfig {
  self: string;
  incarnation: string;
  /** Each peer should answer within this; a request waits twice as long (a deferred answer waits for one settled request). */
  ackTimeoutMs: number;
  /**
   * Learned answer times (shared with the close claims): each peer is then given
   * `answerTime.timeoutMs()`, at least `ackTimeoutMs`. Without it, always `ackTimeoutMs`.
   */
  answerTime?: AnswerTime;
  leaseMs: number;
  /** Lend unused static quota towards a request that does not fit (docs/bus.md, quota lending). */
  lendOnDemand?: boolean;
}

/** A request waiting for this agent's decision to claim its budget before it is answered. */
interface Waiting {
  req: ReservationRequest;
}

interface Pending {
  id: string;
  /** Its number among this incarnation's requests (the id's last part). */
  seq: number;
  pool: string;
  kw: number;
  view: number;
  peers: Set<string>;
  acks: Set<string>;
  lamport: number;
  sentAt: number;
  /** It settles as timed out after this long (ms): twice the answer time when it was sent. */
  waitMs: number;
  reason: string;
}

interface Hold {
  id: string;
  pool: string;
  holder: string;
  kw: number;
  view: number;
  state: "tentative" | "lease";
  ackedAt: number;
  expiresAt: number;
  leaseMs: number;
}

/** Rounding slack (kW): amounts are sums of floats and travel as JSON. */
const KW_EPS = 1e-6;

export class ReservationEngine {
  private lamport = 0;
  private seq = 0;
  private pending: Pending | null = null;
  private readonly leases = new Map<string, { id: string; pool: string; kw: number; expiresAt: number }>();
  private readonly holds = new Map<string, Hold>();
  private deferred: ReservationRequest[] = [];
  /** Deciding on its own budget since (ms), or null: nothing is lent meanwhile. */
  private decidingSince: number | null = null;
  /** What its last decision took (committed plus admitted pick-ups, kW): never lent. */
  private claimedKw = 0;
  private waitingForClaim: Waiting[] = [];
  /** Requests it lent to (id -> when), until their outcome is heard: its published state lists them. */
  private readonly lentTo = new Map<string, number>();
  /** Peers' requests whose outcome it has heard (id -> when): an answer still owed to one is never given. */
  private readonly settledIds = new Map<string, number>();
  /** Peers' requests received (id -> when), kept a lease's time: an answer held back says for how long. */
  private readonly receivedAt = new Map<string, number>();
  private readonly ownRequests: OwnRequests;

  constructor(private readonly cfg: ReservationConfig) {
    this.ownRequests = new OwnRequests(cfg.ackTimeoutMs, cfg.answerTime);
  }

  // ------------------------------------------------------------ own budget

  /** The agent decides on its budget now: lend nothing until `claim`. */
  beginDecision(now: number): void {
    this.decidingSince = now;
  }

  /** The decision took `kw` in all (committed plus admitted pick-ups); requests waiting for it are answered. */
  claim(kw: number, now: number, fleet: FleetContext): Effect[] {
    this.decidingSince = null;
    this.claimedKw = Number.isFinite(kw) ? Math.max(0, kw) : this.claimedKw;
    return this.answerWaiting(now, fleet, true);
  }

  get deciding(): boolean {
    return this.decidingSince !== null;
  }

  /**
   * When `tick` next has something to do (ms, the engine's clock): its own
   * request's timeout, the answers waiting on a decision that has not claimed,
   * an ack whose outcome is overdue. Null when nothing waits. The client arms a
   * timer for it, so a timeout does not wait for the next heartbeat.
   */
  nextDeadline(): number | null {
    let t = Infinity;
    if (this.pending) t = Math.min(t, this.pending.sentAt + this.pending.waitMs + 1);
    if (this.decidingSince !== null && this.waitingForClaim.length) t = Math.min(t, this.decidingSince + this.cfg.ackTimeoutMs + 1);
    for (const h of this.holds.values()) if (h.state === "tentative") t = Math.min(t, h.expiresAt + 1);
    return Number.isFinite(t) ? t : null;
  }

  /** Requests this agent lent quota to and has not heard the outcome of (published in its state). */
  lentToIds(): string[] {
    return [...this.lentTo.keys()];
  }

  // ------------------------------------------------------------ own requests

  /** Ask the live peers for `kw` more generation from `pool`. The result comes as a `settle` effect (now or later). */
  request(kw: number, reason: string, now: number, fleet: FleetContext, pool: string = FLEET_POOL): Effect[] {
    const id = `${this.cfg.self}-${this.cfg.incarnation}-${++this.seq}`;
    const record = this.ownRecord(id, kw, fleet.view.view, pool);
    if (this.pending) {
      return [{ kind: "settle", result: { id, granted: false, kw, reason: "busy", detail: { outstanding: this.pending.id } } }];
    }
    if (!(kw > 0) || !Number.isFinite(kw)) return [{ kind: "settle", result: { id, granted: false, kw, reason: "invalid-kw" } }];
    // Requests that waited for this agent's decision are answered first (they came
    // earlier), without lending: it now wants generation itself.
    const effects: Effect[] = this.answerWaiting(now, fleet, false);
    // This agent is a member of the view too: its own ledger must have room first,
    // counting what its peers could lend when they lend on demand.
    const h = this.headroom(fleet, pool);
    const deficit = kw - h.headroom_kw;
    let shares: Map<string, number> | null = new Map();
    if (deficit > KW_EPS) shares = this.cfg.lendOnDemand ? lendingShares(this.peersUnused(fleet, pool), deficit) : null;
    if (shares === null) {
      const detail = { reason: "no-headroom", pool, ...h, lendable_kw: round3(sumValues(this.peersUnused(fleet, pool))) };
      return [
        ...effects,
        { kind: "journal", record, state: "requested", detail: { reason } },
        { kind: "journal", record, state: "aborted", detail },
        { kind: "settle", result: { id, granted: false, kw, reason: "no-headroom", detail } },
      ];
    }
    const lamport = ++this.lamport;
    const waitMs = this.ownRequests.send(id, now);
    this.pending = { id, seq: this.seq, pool, kw, view: fleet.view.view, peers: new Set(fleet.peers), acks: new Set(), lamport, sentAt: now, waitMs, reason };
    const shareObj = Object.fromEntries([...shares].map(([m, kwShare]) => [m, kwShare]));
    effects.push(
      { kind: "journal", record, state: "requested", detail: { reason, pool, peers: [...fleet.peers], ...h, answer_ms: waitMs, ...(shares.size ? { shares: shareObj } : {}) } },
      {
        kind: "publish",
        topic: "reservation/request",
        body: {
          type: "reservation-request",
          id,
          kw,
          view: fleet.view.view,
          members: fleet.view.members,
          lamport,
          lease_ms: this.cfg.leaseMs,
          answer_ms: waitMs,
          reason,
          ...(pool !== FLEET_POOL ? { pool } : {}),
          ...(deficit > KW_EPS ? { deficit_kw: round3(deficit) } : {}),
          ...(shares.size ? { shares: shareObj } : {}),
        },
      },
    );
    // Alone in the view: nobody else can be spending the headroom.
    if (fleet.peers.length === 0) effects.push(...this.grant(now, fleet));
    return effects;
  }

  /** Give a lease back (the load it covered was shed, or the session ended). */
  release(id: string, now: number): Effect[] {
    const l = this.leases.get(id);
    if (!l) return [];
    this.leases.delete(id);
    return [
      { kind: "publish", topic: "reservation/outcome", body: { type: "reservation-outcome", request_id: id, outcome: "released", kw: l.kw, lease_ms: 0, lamport: ++this.lamport } },
      { kind: "journal", record: this.ownRecord(id, l.kw, null, l.pool), state: "released", detail: { remaining_ms: Math.max(0, l.expiresAt - now) } },
    ];
  }

  /** Leases held now, with the time left (what the shield counts and the state publishes). */
  ownLeases(now: number): LeaseInfo[] {
    const out: LeaseInfo[] = [];
    for (const l of this.leases.values()) {
      if (l.expiresAt > now) out.push({ id: l.id, kw: l.kw, remaining_ms: Math.floor(l.expiresAt - now), ...(l.pool !== FLEET_POOL ? { pool: l.pool } : {}) });
    }
    return out;
  }

  /** Leases from before a restart (journal), with the time they had left. */
  restoreLeases(leases: readonly { id: string; kw: number; remainingMs: number; pool?: string }[], now: number): void {
    for (const l of leases) if (l.remainingMs > 0) this.leases.set(l.id, { id: l.id, pool: l.pool ?? FLEET_POOL, kw: l.kw, expiresAt: now + l.remainingMs });
  }

  get outstanding(): string | null {
    return this.pending?.id ?? null;
  }

  /**
   * Every own request of this incarnation up to this number is settled (published in the state): a
   * peer holding one of them that the state's leases do not list drops its hold (`settledRequests`).
   * Requests are asked one at a time, so only the outstanding one, if any, is above it.
   */
  settledSeq(): number {
    return this.pending ? this.pending.seq - 1 : this.seq;
  }

  // ------------------------------------------------------------ messages in

  onRequest(req: ReservationRequest, now: number, fleet: FleetContext): Effect[] {
    if (req.from === this.cfg.self) return [];
    this.lamport = Math.max(this.lamport, req.lamport) + 1;
    const record = this.peerRecord(req);
    this.receivedAt.set(req.id, now);
    const effects: Effect[] = [{ kind: "journal", record, state: "received", detail: { lamport: req.lamport, reason: req.reason ?? null } }];
    const mine = this.pending;
    if (mine && mine.view === req.view && before(mine.lamport, this.cfg.self, req.lamport, req.from)) {
      this.deferred.push(req);
      effects.push({ kind: "journal", record, state: "deferred", detail: { behind: mine.id } });
      return effects;
    }
    return [...effects, ...this.answer(req, now, fleet)];
  }

  onResponse(resp: ReservationResponse, now: number, fleet: FleetContext): Effect[] {
    this.lamport = Math.max(this.lamport, resp.lamport) + 1;
    // Every answer to an own request, in time or late, teaches how long answers take.
    if (resp.requester === this.cfg.self) this.ownRequests.answered(resp.request_id, now, resp.held_ms);
    const p = this.pending;
    if (!p || resp.request_id !== p.id || resp.requester !== this.cfg.self) return [];
    if (!p.peers.has(resp.from)) return []; // not in the view it was asked in
    for (const l of resp.leases ?? []) this.learnLease(l.id, resp.from, l.kw, l.remaining_ms, now, p.view, l.pool ?? FLEET_POOL);
    if (resp.view !== p.view) return this.abort("view-mismatch", { peer: resp.from, peer_view: resp.view, view: p.view }, now, fleet);
    if (resp.verdict === "nack") {
      return this.abort(resp.reason ?? "nack", { peer: resp.from, headroom_kw: resp.headroom_kw ?? null, ...(resp.figures ?? {}) }, now, fleet);
    }
    p.acks.add(resp.from);
    for (const peer of p.peers) if (!p.acks.has(peer)) return [];
    return this.grant(now, fleet);
  }

  onOutcome(out: ReservationOutcome, now: number): Effect[] {
    if (out.from === this.cfg.self) return [];
    this.lamport = Math.max(this.lamport, out.lamport) + 1;
    this.lentTo.delete(out.request_id);
    // An outcome can overtake an answer still deferred here (behind its own request, or its decision):
    // the requester has settled, so no answer is owed, and acking now would leave a hold no outcome ends.
    this.settledIds.set(out.request_id, now);
    this.deferred = this.deferred.filter((r) => r.id !== out.request_id);
    this.waitingForClaim = this.waitingForClaim.filter((w) => w.req.id !== out.request_id);
    const hold = this.holds.get(out.request_id);
    const pool = hold?.pool ?? FLEET_POOL;
    const record: ReservationRecordRef = { id: out.request_id, requester: out.from, kw: out.kw, view: hold?.view ?? null, leaseMs: out.lease_ms, role: "peer", ...(pool !== FLEET_POOL ? { pool } : {}) };
    if (out.outcome === "granted") {
      if (out.lease_ms <= 0) return [];
      this.learnLease(out.request_id, out.from, out.kw, out.lease_ms, now, hold?.view ?? -1, pool);
      return [{ kind: "journal", record, state: "held", detail: { lease_ms: out.lease_ms } }];
    }
    if (!hold) return [];
    this.holds.delete(out.request_id);
    return [{ kind: "journal", record, state: out.outcome === "released" ? "released" : "dropped", detail: { outcome: out.outcome, reason: out.reason ?? null } }];
  }

  // ------------------------------------------------------------ time

  /** Timeouts, view changes and expiries. Call on every tick and on every view change. */
  tick(now: number, fleet: FleetContext): Effect[] {
    const effects: Effect[] = [];
    const p = this.pending;
    if (p) {
      if (fleet.view.view !== p.view) effects.push(...this.abort("view-changed", { view: p.view, now_view: fleet.view.view }, now, fleet));
      else if (now - p.sentAt > p.waitMs) {
        effects.push(...this.abort("timeout", { missing: [...p.peers].filter((x) => !p.acks.has(x)), waited_ms: now - p.sentAt, answer_ms: p.waitMs }, now, fleet));
      }
    }
    // A decision that never claimed its budget (it failed): answer what waited for it, lending nothing.
    if (this.decidingSince !== null && now - this.decidingSince > this.cfg.ackTimeoutMs) effects.push(...this.answerWaiting(now, fleet, false));
    // An outcome never heard: by a lease's time every judge of that request has long answered.
    for (const [id, at] of this.lentTo) if (now - at > this.cfg.leaseMs) this.lentTo.delete(id);
    for (const [id, at] of this.settledIds) if (now - at > this.cfg.leaseMs) this.settledIds.delete(id);
    for (const [id, at] of this.receivedAt) if (now - at > this.cfg.leaseMs) this.receivedAt.delete(id);
    for (const h of [...this.holds.values()]) {
      const record: ReservationRecordRef = { id: h.id, requester: h.holder, kw: h.kw, view: h.view, leaseMs: h.leaseMs, role: "peer", ...(h.pool !== FLEET_POOL ? { pool: h.pool } : {}) };
      if (settledWithoutLease(h, fleet)) {
        // Its outcome (aborted, released) never came here, or the lease ran out: the holder's state says so.
        this.holds.delete(h.id);
        effects.push({ kind: "journal", record, state: "dropped", detail: { reason: "holder's state shows it settled without a lease", was: h.state } });
        continue;
      }
      if (h.state === "tentative" && now > h.expiresAt) {
        // No outcome heard: assume it was granted (the safe side) and keep it for a lease's time from the ack.
        h.state = "lease";
        h.expiresAt = h.ackedAt + h.leaseMs;
        effects.push({ kind: "journal", record, state: "held", detail: { assumed: "granted (no outcome heard)" } });
      }
      if (h.state === "lease" && now >= h.expiresAt) {
        this.holds.delete(h.id);
        effects.push({ kind: "journal", record, state: "expired", detail: {} });
      }
    }
    for (const l of [...this.leases.values()]) {
      if (now >= l.expiresAt) {
        this.leases.delete(l.id);
        effects.push({ kind: "journal", record: this.ownRecord(l.id, l.kw, null, l.pool), state: "expired", detail: {} });
      }
    }
    // A deferred requester that left the view has aborted already: no answer owed.
    const members = new Set(fleet.view.members.map((m) => m.split("@")[0]));
    this.deferred = this.deferred.filter((r) => members.has(r.from));
    this.waitingForClaim = this.waitingForClaim.filter((w) => members.has(w.req.from));
    return effects;
  }

  /**
   * Peers' leases counted against a pool's headroom now: granted, not yet in their holder's published
   * leases, and not shown settled without a lease by the holder's latest state (`settledRequests`).
   */
  activeHolds(publishedLeaseIds: ReadonlySet<string>, pool: string = FLEET_POOL, settled?: FleetContext["settledRequests"]): { id: string; holder: string; kw: number }[] {
    const out: { id: string; holder: string; kw: number }[] = [];
    for (const h of this.holds.values()) {
      if (h.pool !== pool || h.state !== "lease" || publishedLeaseIds.has(h.id)) continue;
      if (settledWithoutLease(h, { publishedLeaseIds, ...(settled ? { settledRequests: settled } : {}) })) continue;
      out.push({ id: h.id, holder: h.holder, kw: h.kw });
    }
    return out;
  }

  headroom(fleet: FleetContext, pool: string = FLEET_POOL): Headroom {
    return headroom({ ...fleet.ledger(pool), holds: this.activeHolds(fleet.publishedLeaseIds, pool, fleet.settledRequests) });
  }

  /** Static quota this agent could lend now: its quota less what its decisions claimed beyond its leases. */
  lendableKw(fleet: FleetContext): number {
    const pool = fleet.quotaPool === undefined ? FLEET_POOL : fleet.quotaPool;
    if (pool === null || this.decidingSince !== null || this.pending) return 0;
    const self = fleet.ledger(pool).agents.find((a) => a.microgrid === this.cfg.self);
    if (!self) return 0;
    // The claim covers every pool; what it committed in other pools (on leases from them) is not
    // taken from this quota. Admitted pick-ups not yet committed all count here (never lends too much).
    const outside = Math.max(0, (fleet.ownCommittedKw ?? self.committed_kw) - self.committed_kw);
    return unusedQuotaKw({ ...self, committed_kw: Math.max(self.committed_kw, this.claimedKw - outside) });
  }

  // ------------------------------------------------------------ inside

  /** `may-wait`: a lender deciding on its budget holds the answer until its claim; `no-lend`: it wants generation itself. */
  private answer(req: ReservationRequest, now: number, fleet: FleetContext, mode: "may-wait" | "lend" | "no-lend" = "may-wait"): Effect[] {
    const record = this.peerRecord(req);
    const pool = req.pool ?? FLEET_POOL;
    // Held back behind its own request or decision: the requester should not count that as the link's time.
    const heldMs = Math.max(0, Math.round(now - (this.receivedAt.get(req.id) ?? now)));
    const respond = (verdict: "ack" | "nack", reason: string | undefined, h: Headroom | null, extra: Record<string, number> = {}): Effect => ({
      kind: "publish",
      topic: "reservation/response",
      body: {
        type: "reservation-response",
        request_id: req.id,
        requester: req.from,
        verdict,
        view: fleet.view.view,
        lamport: ++this.lamport,
        ...(reason ? { reason } : {}),
        ...(h ? { headroom_kw: h.headroom_kw, figures: { cap_kw: h.cap_kw, used_kw: h.used_kw, reserved_kw: h.reserved_kw, held_kw: h.held_kw, ...extra } } : {}),
        leases: this.ownLeases(now),
        ...(heldMs > 0 ? { held_ms: heldMs } : {}),
      },
    });
    if (this.settledIds.has(req.id)) return [{ kind: "journal", record, state: "dropped", detail: { reason: "settled before it was answered" } }];
    if (req.view !== fleet.view.view) {
      return [respond("nack", "view-mismatch", null), { kind: "journal", record, state: "nacked", detail: { reason: "view-mismatch", my_view: fleet.view.view } }];
    }
    const share = req.shares?.[this.cfg.self] ?? 0;
    // Asked to lend while deciding on its own budget: answer once the decision has claimed what it takes.
    if (share > 0 && mode === "may-wait" && this.decidingSince !== null && !this.pending && this.cfg.lendOnDemand) {
      this.waitingForClaim.push({ req });
      return [{ kind: "journal", record, state: "deferred", detail: { behind: "own decision", share_kw: share } }];
    }
    const h = this.headroom(fleet, pool);
    const lending: Effect[] = [];
    let credited = 0;
    if (share > 0) {
      const inPool = fleet.quotaPool !== null && (fleet.quotaPool ?? FLEET_POOL) === pool;
      const lendable = this.cfg.lendOnDemand && inPool && mode !== "no-lend" ? this.lendableKw(fleet) : 0;
      if (share > lendable + KW_EPS) {
        const busy = mode === "no-lend" || this.pending !== null || this.decidingSince !== null;
        const why = !this.cfg.lendOnDemand || !inPool ? "not-lending" : busy ? "lender-busy" : "cannot-lend";
        return [respond("nack", why, h, { share_kw: round3(share), lendable_kw: round3(lendable) }), { kind: "journal", record, state: "nacked", detail: { reason: why, share_kw: share, lendable_kw: lendable, ...h } }];
      }
    }
    // Every other share counts as lent too: a grant needs every lender's ack, and a lender acks only
    // once it lent. A lender whose published quota already shows this request's share is not credited twice.
    const ledger = fleet.ledger(pool);
    for (const [m, kw] of Object.entries(req.shares ?? {})) {
      if (m === this.cfg.self || m === req.from) continue;
      const a = ledger.agents.find((x) => x.microgrid === m);
      if (a?.live && !a.lent_to?.includes(req.id)) credited += Math.min(kw, unusedQuotaKw(a));
    }
    const room = h.headroom_kw + share + credited;
    if (room + KW_EPS < req.kw) {
      return [respond("nack", "no-headroom", h, { with_shares_kw: round3(room) }), { kind: "journal", record, state: "nacked", detail: { reason: "no-headroom", ...h, with_shares_kw: room } }];
    }
    if (share > 0) {
      lending.push({ kind: "lend", kw: share, request_id: req.id, requester: req.from, pool });
      this.lentTo.set(req.id, now);
    }
    this.holds.set(req.id, {
      id: req.id,
      pool,
      holder: req.from,
      kw: req.kw,
      view: req.view,
      state: "tentative",
      ackedAt: now,
      // Its outcome is due when the requester stops waiting (the time it said, else twice the ack timeout), plus a margin.
      expiresAt: now + (req.answer_ms ?? 2 * this.cfg.ackTimeoutMs) + this.cfg.ackTimeoutMs,
      leaseMs: req.lease_ms,
    });
    const figures: Record<string, number> = share > 0 || credited > 0 ? { lent_kw: round3(share), with_shares_kw: round3(room) } : {};
    return [...lending, respond("ack", undefined, h, figures), { kind: "journal", record, state: "acked", detail: { ...h, ...figures } }];
  }

  /** Answer the requests that waited for this agent's decision (in arrival order); `lend`: it may lend now. */
  private answerWaiting(now: number, fleet: FleetContext, lend: boolean): Effect[] {
    if (!this.waitingForClaim.length) return [];
    const queue = this.waitingForClaim;
    this.waitingForClaim = [];
    const members = new Set(fleet.view.members.map((m) => m.split("@")[0]));
    const out: Effect[] = [];
    // Not lending: it wants generation itself (or its decision never claimed); the requester asks again later.
    for (const w of queue) if (members.has(w.req.from)) out.push(...this.answer(w.req, now, fleet, lend ? "lend" : "no-lend"));
    return out;
  }

  private peersUnused(fleet: FleetContext, pool: string): Map<string, number> {
    const out = new Map<string, number>();
    for (const a of fleet.ledger(pool).agents) {
      if (!a.live || a.microgrid === this.cfg.self || a.lends === false) continue;
      const u = unusedQuotaKw(a);
      if (u > KW_EPS) out.set(a.microgrid, u);
    }
    return out;
  }

  /** A peer's lease, heard of by its outcome or in an answer: counted until it expires or its holder's state lists it. */
  private learnLease(id: string, holder: string, kw: number, remainingMs: number, now: number, view: number, pool: string): void {
    const h = this.holds.get(id) ?? { id, pool, holder, kw, view, state: "lease" as const, ackedAt: now, expiresAt: 0, leaseMs: remainingMs };
    h.state = "lease";
    h.expiresAt = Math.max(h.expiresAt, now + remainingMs);
    this.holds.set(id, h);
  }

  private grant(now: number, fleet: FleetContext): Effect[] {
    const p = this.pending!;
    this.pending = null;
    // The lease runs from when it was asked: the holder's lease ends before any peer's.
    const expiresAt = p.sentAt + this.cfg.leaseMs;
    this.leases.set(p.id, { id: p.id, pool: p.pool, kw: p.kw, expiresAt });
    const record = this.ownRecord(p.id, p.kw, p.view, p.pool);
    return [
      {
        kind: "publish",
        topic: "reservation/outcome",
        body: { type: "reservation-outcome", request_id: p.id, outcome: "granted", kw: p.kw, lease_ms: Math.max(0, Math.floor(expiresAt - now)), lamport: ++this.lamport },
      },
      { kind: "journal", record, state: "granted", detail: { acks: [...p.acks], waited_ms: now - p.sentAt } },
      { kind: "settle", result: { id: p.id, granted: true, kw: p.kw, detail: { acks: [...p.acks], lease_ms: this.cfg.leaseMs, ...(p.pool !== FLEET_POOL ? { pool: p.pool } : {}) } } },
      ...this.releaseDeferred(now, fleet),
    ];
  }

  private abort(reason: string, detail: Record<string, unknown>, now: number, fleet: FleetContext): Effect[] {
    const p = this.pending!;
    this.pending = null;
    const record = this.ownRecord(p.id, p.kw, p.view, p.pool);
    return [
      { kind: "publish", topic: "reservation/outcome", body: { type: "reservation-outcome", request_id: p.id, outcome: "aborted", kw: p.kw, lease_ms: 0, lamport: ++this.lamport, reason } },
      { kind: "journal", record, state: "aborted", detail: { reason, ...detail } },
      { kind: "settle", result: { id: p.id, granted: false, kw: p.kw, reason, detail } },
      ...this.releaseDeferred(now, fleet),
    ];
  }

  /** Answer the requests deferred behind the one just settled, earliest first. */
  private releaseDeferred(now: number, fleet: FleetContext): Effect[] {
    const queue = this.deferred.sort((a, b) => (before(a.lamport, a.from, b.lamport, b.from) ? -1 : 1));
    this.deferred = [];
    return queue.flatMap((r) => this.answer(r, now, fleet));
  }

  private ownRecord(id: string, kw: number, view: number | null, pool: string): ReservationRecordRef {
    return { id, requester: this.cfg.self, kw, view, leaseMs: this.cfg.leaseMs, role: "own", ...(pool !== FLEET_POOL ? { pool } : {}) };
  }

  private peerRecord(r: ReservationRequest): ReservationRecordRef {
    return { id: r.id, requester: r.from, kw: r.kw, view: r.view, leaseMs: r.lease_ms, role: "peer", ...(r.pool ? { pool: r.pool } : {}) };
  }
}

/**
 * The holder's latest state (of the life that asked) was published after it settled this request and
 * does not list it among its leases: it holds no such lease (aborted, released or run out), whatever
 * outcome this agent heard or assumed. Request ids are `<holder>-<incarnation>-<seq>` (request()).
 */
function settledWithoutLease(h: { id: string; holder: string }, fleet: Pick<FleetContext, "publishedLeaseIds" | "settledRequests">): boolean {
  if (fleet.publishedLeaseIds.has(h.id)) return false;
  const st = fleet.settledRequests?.get(h.holder);
  if (!st) return false;
  const prefix = `${h.holder}-${st.incarnation}-`;
  if (!h.id.startsWith(prefix)) return false;
  const seq = Number(h.id.slice(prefix.length));
  return Number.isInteger(seq) && seq > 0 && seq <= st.seq;
}

function sumValues(m: ReadonlyMap<string, number>): number {
  let s = 0;
  for (const v of m.values()) s += v;
  return s;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Request (la, a) comes before (lb, b): Lamport order, ties broken by microgrid id. */
export function before(la: number, a: string, lb: number, b: string): boolean {
  return la < lb || (la === lb && a < b);
}

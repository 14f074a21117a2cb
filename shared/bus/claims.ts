// Close claims on dead regions, as a pure state machine (like reservation.ts:
// events in, effects out; the client carries the effects out, tests drive it
// with any delivery order).
//
// Two agents closing into one dead region from different sides in the same
// tick would energize it from two live islands at once (no synchronism check):
// each decides on the other's state of a tick ago and neither sees the other's
// close coming. Before such a close (the shield's region-claim rule says when),
// an agent claims the region's sections:
// - The request carries the sections, the switch to close, the requester's
//   view of the other microgrids' switches bounding the region, its view
//   number and a Lamport clock.
// - Every live peer answers in the same view. It nacks when it holds a claim
//   on an overlapping region (`claimed`), when it asked for one itself first,
//   lower (lamport, microgrid) (`earlier-claim`), when one of its own
//   switches the request lists is not as listed (`view-outdated`: it closed or
//   is closing it), when it is closing a switch onto the region (`closing`),
//   or when the views differ. Otherwise it acks and, until the
//   claim ends, closes no switch onto those sections (the shield reads its
//   acked claims). Refusing rather than deferring keeps anybody from waiting
//   on anybody: of concurrent requests on one region the earliest is acked by
//   every other requester, so it wins; the others ask again at their next
//   tick and by then usually see the winner's switch closed (dead-bus).
// - All acks in the view: granted, a claim of relative duration (`lease_ms`,
//   counted by the holder from when it asked, so it ends there first). Any
//   nack, a view change or a timeout aborts it.
// - The holder releases it once its published state shows the close
//   confirmed or failed (or the decision did not close after all); the
//   release names that state's seq, and a peer keeps the claim until it has
//   seen that state (an outcome may overtake a state on another topic). A
//   claim no outcome ends expires: a peer that heard no outcome assumes a
//   grant and keeps it for a lease from its ack.
// No claim without the bus: the shield then refuses every contested close.
import type { ClaimHeld, PeerClaim } from "../shield/types.js";
import type { ClaimOutcome, ClaimRequest, ClaimResponse } from "./messages.js";
import { before } from "./reservation.js";
import { OwnRequests, type AnswerTime } from "./answer-time.js";
import type { View } from "./view.js";

type Body<T> = Omit<T, "v" | "from" | "incarnation" | "sent_at">;

export interface ClaimResult {
  id: string;
  granted: boolean;
  reason?: string;
  detail?: Record<string, unknown>;
}

export type ClaimEffect =
  | { kind: "publish"; topic: "claim/request"; body: Body<ClaimRequest> }
  | { kind: "publish"; topic: "claim/response"; body: Body<ClaimResponse> }
  | { kind: "publish"; topic: "claim/outcome"; body: Body<ClaimOutcome> }
  /** Journal one step of a claim (own or a peer's), with the values behind it. */
  | { kind: "journal"; detail: Record<string, unknown> & { id: string; requester: string; role: "own" | "peer"; state: string } }
  | { kind: "settle"; result: ClaimResult };

export interface ClaimFleet {
  view: View;
  /** Microgrids of the live peers that must answer (view members other than self). */
  peers: readonly string[];
  /** This agent's own switches now (canonical element -> state; `unknown` while a command on it is in flight). */
  ownSwitches: Readonly<Record<string, "open" | "closed" | "unknown">>;
  /** Sections at either terminal of its own switches with a close about to be written or in flight. */
  closingSections: ReadonlySet<string>;
  /** The seq of the latest state heard from a peer of its current life, or null. */
  peerStateSeq(microgrid: string): number | null;
}

export interface ClaimConfig {
  self: string;
  incarnation: string;
  ackTimeoutMs: number;
  /** Learned answer times (shared with the reservations); without it, always `ackTimeoutMs`. */
  answerTime?: AnswerTime;
  leaseMs: number;
}

interface Pending {
  id: string;
  sections: Set<string>;
  element: string;
  view: number;
  peers: Set<string>;
  acks: Set<string>;
  lamport: number;
  sentAt: number;
  /** It settles as timed out after this long (ms): twice the answer time when it was sent. */
  waitMs: number;
}

interface Own {
  id: string;
  sections: string[];
  element: string;
  expiresAt: number;
}

interface Acked {
  id: string;
  holder: string;
  sections: string[];
  element: string;
  state: "tentative" | "claim" | "releasing";
  ackedAt: number;
  expiresAt: number;
  leaseMs: number;
  /** Releasing: kept until the holder's state with this seq is seen. */
  seq?: number;
}

export class ClaimEngine {
  private lamport = 0;
  private seq = 0;
  private pending: Pending | null = null;
  private readonly own = new Map<string, Own>();
  private readonly acked = new Map<string, Acked>();
  /** Peers' requests whose outcome came before the request (id -> when): never acked afterwards. */
  private readonly settledIds = new Map<string, number>();
  private readonly ownRequests: OwnRequests;

  constructor(private readonly cfg: ClaimConfig) {
    this.ownRequests = new OwnRequests(cfg.ackTimeoutMs, cfg.answerTime);
  }

  // ------------------------------------------------------------ own claims

  /** Ask every live peer for a claim on `sections` to close `element`. The result comes as a `settle` effect (now or later). */
  request(sections: readonly string[], element: string, switches: Readonly<Record<string, "open" | "closed" | "unknown">>, reason: string, now: number, fleet: ClaimFleet): ClaimEffect[] {
    const id = `${this.cfg.self}-${this.cfg.incarnation}-c${++this.seq}`;
    const refuse = (why: string, detail: Record<string, unknown>): ClaimEffect[] => [
      { kind: "journal", detail: { id, requester: this.cfg.self, role: "own", state: "refused", element, reason: why, ...detail } },
      { kind: "settle", result: { id, granted: false, reason: why, detail } },
    ];
    if (this.pending) return refuse("busy", { outstanding: this.pending.id });
    if (!sections.length) return refuse("invalid", { sections: 0 });
    // A peer's claim it acked overlaps: that peer may be closing into the region now.
    const mine = new Set(sections);
    for (const a of this.acked.values()) {
      const overlap = a.sections.filter((s) => mine.has(s));
      if (overlap.length) return refuse("claimed", { claimed_by: a.holder, claim: a.id, sections: overlap.slice(0, 16) });
    }
    const lamport = ++this.lamport;
    const waitMs = this.ownRequests.send(id, now);
    this.pending = { id, sections: mine, element, view: fleet.view.view, peers: new Set(fleet.peers), acks: new Set(), lamport, sentAt: now, waitMs };
    const effects: ClaimEffect[] = [
      { kind: "journal", detail: { id, requester: this.cfg.self, role: "own", state: "requested", element, sections: [...sections], switches: { ...switches }, peers: [...fleet.peers], view: fleet.view.view, lamport, reason } },
      {
        kind: "publish",
        topic: "claim/request",
        body: { type: "claim-request", id, sections: [...sections], element, switches: { ...switches }, view: fleet.view.view, members: fleet.view.members, lamport, lease_ms: this.cfg.leaseMs, answer_ms: waitMs, reason },
      },
    ];
    // Alone in the view: nobody else can be closing into it (every other microgrid's switches count unknown then).
    if (fleet.peers.length === 0) effects.push(...this.grant(now));
    return effects;
  }

  /**
   * End an own claim: its close is confirmed or failed and the state with seq
   * `stateSeq` shows it, or the decision did not close after all.
   */
  release(id: string, stateSeq: number, why: string, now: number): ClaimEffect[] {
    const c = this.own.get(id);
    if (!c) return [];
    this.own.delete(id);
    return [
      { kind: "publish", topic: "claim/outcome", body: { type: "claim-outcome", request_id: id, outcome: "released", lease_ms: 0, lamport: ++this.lamport, state_seq: stateSeq, reason: why } },
      { kind: "journal", detail: { id, requester: this.cfg.self, role: "own", state: "released", element: c.element, reason: why, state_seq: stateSeq, remaining_ms: Math.max(0, Math.floor(c.expiresAt - now)) } },
    ];
  }

  /** Claims held now, with the time left (what the shield counts). */
  ownClaims(now: number): (ClaimHeld & { element: string })[] {
    const out: (ClaimHeld & { element: string })[] = [];
    for (const c of this.own.values()) if (c.expiresAt > now) out.push({ id: c.id, sections: c.sections, remaining_ms: Math.floor(c.expiresAt - now), element: c.element });
    return out;
  }

  /** Peers' claims this agent acked and that have not ended: it closes nothing onto their sections. */
  peerClaims(): PeerClaim[] {
    return [...this.acked.values()].map((a) => ({ id: a.id, microgrid: a.holder, sections: a.sections }));
  }

  get outstanding(): string | null {
    return this.pending?.id ?? null;
  }

  /** When `tick` next has something to do: its request's timeout, a tentative ack's overdue outcome. */
  nextDeadline(): number | null {
    let t = Infinity;
    if (this.pending) t = Math.min(t, this.pending.sentAt + this.pending.waitMs + 1);
    for (const a of this.acked.values()) if (a.state === "tentative") t = Math.min(t, a.expiresAt + 1);
    return Number.isFinite(t) ? t : null;
  }

  // ------------------------------------------------------------ messages in

  onRequest(req: ClaimRequest, now: number, fleet: ClaimFleet): ClaimEffect[] {
    if (req.from === this.cfg.self) return [];
    this.lamport = Math.max(this.lamport, req.lamport) + 1;
    const base = { id: req.id, requester: req.from, role: "peer" as const, element: req.element };
    if (this.settledIds.has(req.id)) return [{ kind: "journal", detail: { ...base, state: "dropped", reason: "settled before it was answered" } }];
    const nack = (reason: string, detail: Record<string, string | number | boolean | null>): ClaimEffect[] => [
      { kind: "publish", topic: "claim/response", body: { type: "claim-response", request_id: req.id, requester: req.from, verdict: "nack", view: fleet.view.view, lamport: ++this.lamport, reason, detail } },
      { kind: "journal", detail: { ...base, state: "nacked", reason, ...detail } },
    ];
    if (req.view !== fleet.view.view) return nack("view-mismatch", { view: fleet.view.view, requester_view: req.view });
    const theirs = new Set(req.sections);
    for (const c of this.own.values()) {
      const overlap = c.sections.filter((s) => theirs.has(s));
      if (overlap.length) return nack("claimed", { claim: c.id, element: c.element, sections: overlap.slice(0, 8).join(",") });
    }
    const mine = this.pending;
    if (mine && mine.view === req.view && [...mine.sections].some((s) => theirs.has(s)) && before(mine.lamport, this.cfg.self, req.lamport, req.from)) {
      return nack("earlier-claim", { claim: mine.id, element: mine.element, lamport: mine.lamport });
    }
    // It is closing a switch onto the region right now, whatever the requester counted on.
    const closing = req.sections.filter((x) => fleet.closingSections.has(x));
    if (closing.length) return nack("closing", { sections: closing.slice(0, 8).join(",") });
    // Its own switches the requester counted on: one closed or closing since makes the request's picture wrong.
    for (const [element, assumed] of Object.entries(req.switches)) {
      const actual = fleet.ownSwitches[element];
      if (actual !== undefined && actual !== assumed) return nack("view-outdated", { element, assumed, actual });
    }
    this.acked.set(req.id, { id: req.id, holder: req.from, sections: [...req.sections], element: req.element, state: "tentative", ackedAt: now, expiresAt: now + (req.answer_ms ?? 2 * this.cfg.ackTimeoutMs) + this.cfg.ackTimeoutMs, leaseMs: req.lease_ms });
    return [
      { kind: "publish", topic: "claim/response", body: { type: "claim-response", request_id: req.id, requester: req.from, verdict: "ack", view: fleet.view.view, lamport: ++this.lamport } },
      { kind: "journal", detail: { ...base, state: "acked", sections: [...req.sections], lamport: req.lamport } },
    ];
  }

  onResponse(resp: ClaimResponse, now: number, fleet: ClaimFleet): ClaimEffect[] {
    this.lamport = Math.max(this.lamport, resp.lamport) + 1;
    if (resp.requester === this.cfg.self) this.ownRequests.answered(resp.request_id, now, resp.held_ms);
    const p = this.pending;
    if (!p || resp.request_id !== p.id || resp.requester !== this.cfg.self || !p.peers.has(resp.from)) return [];
    if (resp.view !== p.view) return this.abort("view-mismatch", { peer: resp.from, peer_view: resp.view, view: p.view });
    if (resp.verdict === "nack") return this.abort(resp.reason ?? "nack", { peer: resp.from, ...(resp.detail ?? {}) });
    p.acks.add(resp.from);
    for (const peer of p.peers) if (!p.acks.has(peer)) return [];
    void fleet;
    return this.grant(now);
  }

  onOutcome(out: ClaimOutcome, now: number, fleet: ClaimFleet): ClaimEffect[] {
    if (out.from === this.cfg.self) return [];
    this.lamport = Math.max(this.lamport, out.lamport) + 1;
    this.settledIds.set(out.request_id, now);
    const a = this.acked.get(out.request_id);
    if (!a) return [];
    const base = { id: a.id, requester: a.holder, role: "peer" as const, element: a.element };
    if (out.outcome === "granted") {
      a.state = "claim";
      a.expiresAt = now + out.lease_ms;
      return [{ kind: "journal", detail: { ...base, state: "held", lease_ms: out.lease_ms } }];
    }
    if (out.outcome === "released" && out.state_seq !== undefined && (fleet.peerStateSeq(a.holder) ?? -1) < out.state_seq) {
      // Keep it until the holder's state that shows the close has arrived here too.
      a.state = "releasing";
      a.seq = out.state_seq;
      return [{ kind: "journal", detail: { ...base, state: "releasing", state_seq: out.state_seq } }];
    }
    this.acked.delete(a.id);
    return [{ kind: "journal", detail: { ...base, state: out.outcome === "released" ? "released" : "dropped", reason: out.reason ?? null } }];
  }

  // ------------------------------------------------------------ time

  /** Timeouts, view changes, expiries, releases whose state has arrived. Call on every tick, view change and state received. */
  tick(now: number, fleet: ClaimFleet): ClaimEffect[] {
    const effects: ClaimEffect[] = [];
    const p = this.pending;
    if (p) {
      if (fleet.view.view !== p.view) effects.push(...this.abort("view-changed", { view: p.view, now_view: fleet.view.view }));
      else if (now - p.sentAt > p.waitMs) effects.push(...this.abort("timeout", { missing: [...p.peers].filter((x) => !p.acks.has(x)).join(","), waited_ms: now - p.sentAt, answer_ms: p.waitMs }));
    }
    for (const [id, at] of this.settledIds) if (now - at > this.cfg.leaseMs) this.settledIds.delete(id);
    for (const a of [...this.acked.values()]) {
      const base = { id: a.id, requester: a.holder, role: "peer" as const, element: a.element };
      if (a.state === "tentative" && now > a.expiresAt) {
        // No outcome heard: assume it was granted (the safe side), for a lease from the ack.
        a.state = "claim";
        a.expiresAt = a.ackedAt + a.leaseMs;
        effects.push({ kind: "journal", detail: { ...base, state: "held", assumed: "granted (no outcome heard)" } });
      }
      if (a.state === "releasing" && (fleet.peerStateSeq(a.holder) ?? -1) >= (a.seq ?? 0)) {
        this.acked.delete(a.id);
        effects.push({ kind: "journal", detail: { ...base, state: "released", state_seq: a.seq ?? null } });
      } else if (a.state !== "tentative" && now >= a.expiresAt) {
        this.acked.delete(a.id);
        effects.push({ kind: "journal", detail: { ...base, state: "expired" } });
      }
    }
    for (const c of [...this.own.values()]) {
      if (now >= c.expiresAt) {
        this.own.delete(c.id);
        effects.push({ kind: "journal", detail: { id: c.id, requester: this.cfg.self, role: "own", state: "expired", element: c.element } });
      }
    }
    return effects;
  }

  // ------------------------------------------------------------ inside

  private grant(now: number): ClaimEffect[] {
    const p = this.pending!;
    this.pending = null;
    const expiresAt = p.sentAt + this.cfg.leaseMs;
    this.own.set(p.id, { id: p.id, sections: [...p.sections], element: p.element, expiresAt });
    return [
      { kind: "publish", topic: "claim/outcome", body: { type: "claim-outcome", request_id: p.id, outcome: "granted", lease_ms: Math.max(0, Math.floor(expiresAt - now)), lamport: ++this.lamport } },
      { kind: "journal", detail: { id: p.id, requester: this.cfg.self, role: "own", state: "granted", element: p.element, acks: [...p.acks], waited_ms: now - p.sentAt } },
      { kind: "settle", result: { id: p.id, granted: true, detail: { acks: [...p.acks], lease_ms: this.cfg.leaseMs } } },
    ];
  }

  private abort(reason: string, detail: Record<string, unknown>): ClaimEffect[] {
    const p = this.pending!;
    this.pending = null;
    return [
      { kind: "publish", topic: "claim/outcome", body: { type: "claim-outcome", request_id: p.id, outcome: "aborted", lease_ms: 0, lamport: ++this.lamport, reason } },
      { kind: "journal", detail: { id: p.id, requester: this.cfg.self, role: "own", state: "aborted", element: p.element, reason, ...detail } },
      { kind: "settle", result: { id: p.id, granted: false, reason, detail } },
    ];
  }
}

// What the tick pipeline needs from the parts around it, stated narrowly:
// the peer bus (agent/bus) and the journal (agent/journal). The policy
// (shared/policy/runner.ts) and the shield (shared/shield) are called
// directly. agent/runtime/adapters binds these ports to the real
// implementations; pipeline tests may use the dummies in agent/test/support.
import type { ClaimHeld, GenerationBudget, LeaseHeld, PeerClaim, PeerSwitches, Verdict } from "../../shared/shield/index.js";

// ------------------------------------------------------------------ bus

export interface OperatorCommand {
  /** `release`: let go of a switch held after an uncommanded change of position (docs/agent.md). */
  command: "restore" | "abort" | "release";
  /** Who asked (`http`, `bus:<client>`), for the journal. */
  by: string;
  reason?: string;
  /** `release`: the element (`Line.L61`). */
  element?: string;
}

/**
 * What the agent publishes each tick: the content of the bus's retained
 * `state` message (shared/bus PeerState); the bus client adds the envelope,
 * its sequence number, the membership view and the leases it holds.
 */
export interface AgentStatePayload {
  tick: number;
  session: { active: boolean; id: string | null; step: number; length: number };
  /** Own switches, canonical element (`Line.l35`) -> state; `unknown` when stale or unreadable. */
  switches: Record<string, "open" | "closed" | "unknown">;
  /** Load it serves (kW): the ledger's count of what its confirmed closes picked up. */
  served_kw: number;
  quota_kw: number;
  committed_kw: number;
  /** The same per own switch (the ledger): physics mode publishes it per generation pool. */
  committed_by_element?: Readonly<Record<string, number>>;
  health: "ok" | "degraded" | "holding";
  /** Switches held after an uncommanded change of position, until an operator releases them: peers never close onto an open's sections. */
  holds?: readonly { element: string; kind: "uncommanded-open" | "uncommanded-close"; sections: readonly string[]; tick: number }[];
}

export interface ClaimResult {
  id: string;
  granted: boolean;
  /** Why not (claimed, earlier-claim, view-outdated, timeout, bus-down). */
  reason?: string;
  detail?: Record<string, unknown>;
}

export interface ReservationResult {
  granted: boolean;
  kw: number;
  id?: string;
  /** Why not (timeout, refused by a peer, bus down). */
  reason?: string;
}

export interface BusPort {
  /** Connected to the broker (leases count only then). */
  up(): boolean;
  /** Every peer of the fleet, fresh or not. */
  peers(): readonly PeerSwitches[];
  /** Reservations granted and still leased, with the time left. */
  leases(): readonly LeaseHeld[];
  /**
   * The generation the shield may count: the static quota in force (the site's,
   * less what this agent lent its peers), the leases granted, whether the bus is
   * up. A decision is being made on it: nothing is lent to peers until `claim`.
   */
  budget(committedKw: number, committedByElement?: Readonly<Record<string, number>>): GenerationBudget;
  /** The static quota in force: the site's, less what this agent lent its peers. */
  quota(): number;
  /** A new restoration: take back what it lent, if none of it can still be in use; whether it did. */
  renewQuota(reason: string): boolean;
  /** The decision is made and takes `kw` in all (committed plus admitted pick-ups): only the rest may be lent. */
  claim(kw: number): void;
  /** Ask every live peer for `kw` more generation (from `pool`, physics mode); resolves within the acknowledgement timeout. */
  reserve(kw: number, reason: string, pool?: string): Promise<ReservationResult>;
  /**
   * Ask every live peer for a claim on a dead region before closing `element`
   * into it (docs/bus.md, close claims); `switches`: the other microgrids'
   * switches bounding it as this agent sees them.
   */
  claimRegion(sections: readonly string[], element: string, switches: Readonly<Record<string, "open" | "closed" | "unknown">>, reason: string): Promise<ClaimResult>;
  /** End an own claim: its close is confirmed or failed (the next published state shows it), or was not made. */
  releaseClaim(id: string, why: string): void;
  /** Claims for the shield: own (with the switch each was asked for), the peers' it acked, bus up. */
  regionClaims(): { own: readonly (ClaimHeld & { element: string })[]; peers: readonly PeerClaim[]; bus_up: boolean };
  /** Closes of these own switches are about to be written: a peer's claim counting on them open is refused until the next state. */
  closingSwitches(elements: readonly string[]): void;
  publishState(state: AgentStatePayload): Promise<void>;
  /** Raise an alarm on the bus (`<base>/<mg>/alarm`, kept in the outbox until delivered). */
  alarm(kind: string, severity: "info" | "warning" | "critical", detail: Record<string, unknown>): void;
  /** Operator requests over the bus; the handler's answer (none: accepted) goes into the command response. */
  onCommand(handler: (c: OperatorCommand) => { accepted: boolean; detail?: Record<string, unknown> } | void): void;
  /** Publish `offline` and disconnect. */
  close(): Promise<void>;
}

// ------------------------------------------------------------------ journal

export type CommandState = "intended" | "selected" | "written" | "confirmed" | "failed" | "unknown" | "resolved";

export interface CommandRecord {
  id: string;
  decisionId: string;
  element: string;
  device: string;
  action: "close" | "open";
  /** Load (kW) the shield counted for a close: committed to the ledger once confirmed. */
  pickupKw: number;
  state: CommandState;
}

export interface DecisionRecord {
  tick: number;
  sessionId: string;
  step: number;
  /** `kind` and label of the policy. */
  policy: { kind: string; label: string };
  observation: readonly number[];
  logits: readonly number[];
  mask: readonly number[];
  /** Final action per element after the shield (0 close, 1 open, 2 no-op). */
  actions: readonly number[];
  /** The shield's full input (shared/shield ShieldInput). */
  shieldInput: unknown;
  /** Admitted operations, hold reason, reservation asked. */
  outcome: Readonly<Record<string, unknown>>;
  /** Every veto of an operation the policy proposed. */
  verdicts: readonly Verdict[];
}

export interface JournalPort {
  sessionStarted(id: string, reason: string, detail: Readonly<Record<string, unknown>>): void;
  sessionEnded(id: string, outcome: string, detail: Readonly<Record<string, unknown>>): void;
  observation(tick: number, body: unknown): void;
  /** A decision with its verdicts; returns its id. Durable before any command of it is written. */
  decision(d: DecisionRecord): string;
  /** Record a new command as intended (durable before anything is written). */
  commandIntended(c: Omit<CommandRecord, "state" | "id">): string;
  /** Move a command on (durable, synchronous=FULL, before the next step acts). */
  commandState(id: string, state: CommandState, detail?: Readonly<Record<string, unknown>>): void;
  /** Commands left short of `resolved` (a crash, or an unreadable device); oldest first. */
  unresolved(): CommandRecord[];
  /** The detail of the latest event of a kind (the ledger, after a restart). */
  lastEvent(kind: string): Readonly<Record<string, unknown>> | undefined;
  /** Raise an alarm (durable); returns its id. */
  alarm(kind: string, detail: Readonly<Record<string, unknown>>): number;
  /** Mark an alarm cleared (durable). */
  clearAlarm(id: number): void;
  /** Alarms not cleared, oldest first. */
  activeAlarms(): { id: number; at: number; kind: string; detail: Record<string, unknown> }[];
  event(kind: string, detail: Readonly<Record<string, unknown>>): void;
  /** Database plus WAL size (bytes). */
  sizeBytes(): number;
  /** Flush batched rows, checkpoint, close. */
  close(): void;
}

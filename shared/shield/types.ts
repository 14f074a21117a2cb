// The safety shield's contract: what it reads (one agent's view of the feeder
// at one instant) and what it returns (per switch, which of close/open/no-op
// is allowed, and why not). Everything here is plain JSON-serializable data so
// that the journal can store a decision's full shield input and offline replay
// can re-run it on another machine. Documented in docs/shield.md.

/** The rules, one module each under shared/shield/rules/. */
export const RULE_IDS = [
  "missing-data",
  "stale-data",
  "inconsistent-data",
  "one-operation",
  "min-interval",
  "select-before-operate",
  "faulted",
  "dead-bus",
  "dead-to-dead",
  "region-claim",
  "generation",
  "held",
] as const;
export type RuleId = (typeof RULE_IDS)[number];

export type Operation = "close" | "open";
export type KnownState = "open" | "closed";

/** One of this agent's switches as its device reported it. */
export interface SwitchReading {
  /** Feeder element, `Line.L45` (as in the section graph). */
  element: string;
  /**
   * Position contacts. `closed` is the normally-open auxiliary contact (52a),
   * `open` the normally-closed one (52b). A profile with a single position
   * point sets only `closed`; `null` means the point could not be read.
   */
  closed: boolean | null;
  open?: boolean | null;
  /** Monotonic time (ms, same clock as `now_ms`) of the last good read; null = never read. */
  read_at_ms: number | null;
  /** Largest phase current through the switch (A), when the device measures it. */
  current_a?: number | null;
  /** The protection has tripped this switch, or it opened without a command (it must not be reclosed by the agent). */
  tripped?: boolean;
  /** Why it counts as tripped, when the agent knows more than the protection's flags (journaled in the veto). */
  tripped_detail?: string;
  /** The agent holds this switch until an operator releases it (it closed without a command): no operation at all. */
  hold?: { kind: string; detail: string; since_ms: number | null } | null;
  /** Lockout: the protection gave up reclosing, or an operator locked it. */
  locked_out?: boolean;
  /** Voltage at terminal 1 and terminal 2 (pu of nominal), when the device measures it. */
  terminal_pu?: readonly [number | null, number | null];
  /** A command on this switch that has not reached a final state yet (journal state). */
  pending?: { command_id: string; state: string } | null;
  /** Monotonic time (ms) the last operation of this switch was written; null = none this run. */
  last_operation_ms?: number | null;
  /** The device's profile requires select-before-operate for this switch. */
  select_before_operate?: boolean;
  /** Select-before-operate state, when a selection is armed. */
  selection?: { action: Operation; armed_at_ms: number; command_id: string } | null;
}

/** What a peer published about its switches (the bus's retained state). */
export interface PeerSwitches {
  microgrid: string;
  /** Live and recent. A stale, offline or never-heard peer's switches count as closed. */
  fresh: boolean;
  /** Its switches' last published states (absent or `unknown` switches count as unknown). */
  switches: Readonly<Record<string, KnownState | "unknown">>;
  /**
   * Switches it holds until an operator releases them (it will not operate
   * them), and the sections it counts faulted after an uncommanded open: every
   * agent counts those faulted too, fresh peer or not (docs/bus.md, `holds`).
   */
  held?: readonly string[];
  faulted_sections?: readonly string[];
}

/** A granted generation reservation this agent holds (a lease of relative duration). */
export interface LeaseHeld {
  id: string;
  kw: number;
  /** Milliseconds of the lease left at `now_ms`. */
  remaining_ms: number;
  /** Generation pool it was granted from (shared/bus/pools.ts); absent: the fleet's. */
  pool?: string;
}

/**
 * The generation this agent may commit: its static quota, plus the leases
 * granted by every live peer while the bus is up. `committed_kw` is the load
 * its own closes picked up (net of its own opens), as recorded by the ledger.
 */
export interface GenerationBudget {
  quota_kw: number;
  committed_kw: number;
  leases: readonly LeaseHeld[];
  /** False when the bus is down or the view is not settled: leases are not counted (static quota only). */
  bus_up: boolean;
  /**
   * Physics mode, per island (docs/bus.md, generation pools): the load its
   * closes committed in each pool. When given, a pick-up must fit the pool of
   * the island it joins: the quota counts only in `quota_pool`, a lease only
   * in its own pool.
   */
  committed_by_pool?: Readonly<Record<string, number>>;
  /** The pool its static quota is in (its own grid-forming units' island); null: none. */
  quota_pool?: string | null;
}

/** Thresholds of the rules. Defaults in `DEFAULT_LIMITS`. */
export interface ShieldLimits {
  /** A reading older than this is stale. */
  stale_after_ms: number;
  /** Minimum time between two operations of one switch. */
  min_operation_interval_ms: number;
  /** A terminal below this (pu) is dead. */
  dead_below_pu: number;
  /** More than this (A) through a switch that reads open is inconsistent. */
  open_current_max_a: number;
  /** A select-before-operate selection is valid this long. */
  select_timeout_ms: number;
  /** A lease with less than this left is not counted (the close and its read-back must fit in it). */
  lease_margin_ms: number;
}

export const DEFAULT_LIMITS: ShieldLimits = {
  stale_after_ms: 3000,
  min_operation_interval_ms: 5000,
  dead_below_pu: 0.1,
  open_current_max_a: 1,
  select_timeout_ms: 1000,
  lease_margin_ms: 5000,
};

/** Everything the shield reads for one decision of one agent. JSON-serializable. */
export interface ShieldInput {
  /** Monotonic time (ms) of the decision; all ages are measured against it. */
  now_ms: number;
  /** This agent's microgrid id. */
  microgrid: string;
  /** Its switches in action order (the policy's element list). */
  switches: readonly SwitchReading[];
  peers: readonly PeerSwitches[];
  generation: GenerationBudget;
  limits: ShieldLimits;
  /** Grid-forming sources known to be down (by source id); others count as live. */
  sources_down?: readonly string[];
  /** Sections the protection or an operator declared faulted now, besides the graph's own. */
  faulted_sections?: readonly string[];
  /**
   * Close claims on dead regions (docs/shield.md, "Two closes into one dead
   * region"): the claims this agent holds, granted by every live peer, and the
   * peers' claims it acknowledged. Absent: no claim can be held, so a close
   * into a dead region another microgrid's switch could also energize this
   * tick is refused (the static rule).
   */
  claims?: RegionClaims;
}

/** A claim on a dead region this agent holds (a lease of relative duration). */
export interface ClaimHeld {
  id: string;
  /** The region's sections (section ids), as it asked for them. */
  sections: readonly string[];
  /** Milliseconds of the claim left at `now_ms`. */
  remaining_ms: number;
}

/** A peer's claim this agent acknowledged: it closes no switch onto those sections until the claim ends. */
export interface PeerClaim {
  id: string;
  microgrid: string;
  sections: readonly string[];
}

export interface RegionClaims {
  own: readonly ClaimHeld[];
  peers: readonly PeerClaim[];
  /** False when the bus is down: the agent's own claims do not count (the static rule applies). */
  bus_up: boolean;
}

export type VerdictValue = number | string | boolean | null | readonly string[];

/** A veto: one rule forbade one operation on one switch, with the values that triggered it. */
export interface Verdict {
  element: string;
  /** Index of the element in the agent's action vector. */
  index: number;
  action: Operation;
  rule: RuleId;
  /** One line for people. */
  detail: string;
  /** The numbers and names the rule compared (journaled, shown in replay reports). */
  values: Readonly<Record<string, VerdictValue>>;
}

/** What the shield knows about one switch after evaluating it. */
export interface SwitchAssessment {
  element: string;
  index: number;
  /** The state the shield believes (null: it does not know, so the switch holds). */
  state: KnownState | null;
  allowed: { close: boolean; open: boolean; noop: true };
  /** Load (kW) a close would pick up, as counted against the budget (0 if already closed or onto a live bus). */
  pickup_kw: number;
  /** Physics mode: the generation pool (island) a close's pick-up draws on. */
  pickup_pool?: string | null;
  /** The close or open must go through select-before-operate. */
  select_required: boolean;
  vetoes: Verdict[];
}

export interface ShieldResult {
  /** `mask[3k + a]`: 1 if action a (0 close, 1 open, 2 no-op) is allowed on switch k. The layout of the policy's logits. */
  mask: Uint8Array;
  switches: SwitchAssessment[];
  /** Every veto, in switch order. */
  verdicts: Verdict[];
  /** Generation left for pick-ups: allocation (quota + counted leases) minus committed. */
  available_kw: number;
}

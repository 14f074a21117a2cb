// The peer bus's messages (JSON, zod-validated on receipt). Every message
// names its sender (`from`) and that sender's process incarnation; a message
// whose `from` differs from the microgrid in its topic is dropped as foreign,
// whatever the broker's ACL let through. Documented in docs/bus.md.
import { z } from "zod";
import type { TopicKind } from "./topics.js";

export const BUS_PROTOCOL = 1;

const Id = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/);
const Kw = z.number().finite().nonnegative();
const Ms = z.number().int().nonnegative();

const envelope = {
  v: z.literal(BUS_PROTOCOL),
  from: Id,
  /** Random per process start: tells a restarted agent from its previous life. */
  incarnation: z.string().min(1).max(64),
  /** Wall clock of the sender (informative only: nothing is timed by peers' clocks). */
  sent_at: z.string().optional(),
};

export const Availability = z
  .object({
    ...envelope,
    type: z.literal("availability"),
    state: z.enum(["online", "offline"]),
    client_id: z.string().optional(),
    /** Why offline: its own shutdown, its last will, or the broker saw it disconnect. */
    reason: z.enum(["shutdown", "will", "broker"]).optional(),
  })
  .strict();
export type Availability = z.infer<typeof Availability>;

export const LeaseInfo = z
  .object({
    id: z.string().min(1),
    kw: Kw,
    /** Milliseconds left when sent: relative, so no clocks need agreeing. */
    remaining_ms: Ms,
    /** Generation pool it draws on (docs/bus.md); absent: the fleet's. */
    pool: z.string().min(1).max(128).optional(),
  })
  .strict();
export type LeaseInfo = z.infer<typeof LeaseInfo>;

/**
 * A switch the agent holds until an operator releases it, after it changed
 * position without a command (docs/agent.md, "Uncommanded changes"). Every
 * agent's shield counts an `uncommanded-open`'s sections as faulted and never
 * closes onto them (docs/shield.md).
 */
export const HoldInfo = z
  .object({
    element: z.string().min(1).max(128),
    kind: z.enum(["uncommanded-open", "uncommanded-close"]),
    /** uncommanded-open: the sections it left without supply, suspect until released. */
    sections: z.array(z.string().min(1).max(128)).max(256),
    /** The holder's tick when it saw the change. */
    tick: z.number().int().nonnegative().optional(),
  })
  .strict();
export type HoldInfo = z.infer<typeof HoldInfo>;

export const PeerState = z
  .object({
    ...envelope,
    type: z.literal("state"),
    /** Increases with every state this incarnation publishes. */
    seq: z.number().int().nonnegative(),
    tick: z.number().int().nonnegative(),
    /** sha256 of the scenario: a state from another scenario is foreign. */
    scenario_hash: z.string().optional(),
    session: z
      .object({ active: z.boolean(), id: z.string().nullable(), step: z.number().int().nonnegative(), length: z.number().int().nonnegative() })
      .strict(),
    /** Its switches (canonical element -> state); `unknown` counts as closed for the others. */
    switches: z.record(z.string(), z.enum(["open", "closed", "unknown"])),
    /** Load it serves now (kW, as measured or computed). */
    served_kw: Kw,
    /** Generation ledger: its static quota, the leases it holds, and the load its own closes committed. */
    quota_kw: Kw,
    leases: z.array(LeaseInfo),
    committed_kw: z.number().finite(),
    /** Physics mode: its committed load per generation pool (island), when it serves more than one. */
    committed_by_pool: z.record(z.string(), z.number().finite()).optional(),
    /** Requests it lent quota to whose outcome it has not heard yet: its `quota_kw` already shows those shares. */
    lent_to: z.array(z.string().min(1).max(128)).max(64).optional(),
    /**
     * Its own reservation requests of this incarnation up to this number (their ids' last part) are
     * settled: one granted and still running is in `leases`, any other is held by nobody. A peer that
     * kept a hold on one (its outcome lost) drops it (docs/bus.md). Absent from older agents.
     */
    settled_seq: z.number().int().nonnegative().optional(),
    /** Whether it lends unused quota towards peers' requests (docs/bus.md, quota lending). */
    lending: z.enum(["demand", "reachable", "off"]).optional(),
    health: z.enum(["ok", "degraded", "holding"]),
    /** Switches it holds after an uncommanded change of position, until an operator releases them (absent: none; older agents never send it). */
    holds: z.array(HoldInfo).max(64).optional(),
    /** The membership view it is in (docs/bus.md). */
    view: z.number().int().nonnegative(),
  })
  .strict();
export type PeerState = z.infer<typeof PeerState>;

// Reservations and close claims are the same agreement (docs/bus.md): a request in a view, answered by
// every live peer, settled by one outcome. Their common fields, once.
const Lamport = z.number().int().nonnegative();
const Reason = z.string().max(200).optional();
const RequestId = z.string().min(1).max(128);
/** Figures for people and the journal (a ledger's kW, the claim or switch seen). */
const Figures = z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()]));
const requestFields = {
  id: RequestId,
  view: z.number().int().nonnegative(),
  /** The view's members (`mg@incarnation`), for diagnosing a view mismatch. */
  members: z.array(z.string()),
  /** Lamport clock: with `from`, orders competing requests. */
  lamport: Lamport,
  lease_ms: z.number().int().positive(),
  /** How long the requester waits for every answer (ms; it learns it from earlier answers): a judge expects the outcome by then. At most 10 min. */
  answer_ms: z.number().int().positive().max(600_000).optional(),
  reason: Reason,
};
const responseFields = {
  request_id: RequestId,
  requester: Id,
  verdict: z.enum(["ack", "nack"]),
  view: z.number().int().nonnegative(),
  lamport: Lamport,
  reason: Reason,
  /** How long the responder held the request back before answering (ms), behind its own request or decision. */
  held_ms: z.number().int().nonnegative().max(600_000).optional(),
};
const outcomeFields = {
  request_id: RequestId,
  outcome: z.enum(["granted", "aborted", "released"]),
  lamport: Lamport,
  reason: Reason,
};

export const ReservationRequest = z
  .object({
    ...envelope,
    type: z.literal("reservation-request"),
    ...requestFields,
    kw: z.number().finite().positive(),
    /** What the requester's own ledger lacks (kW). */
    deficit_kw: z.number().finite().nonnegative().optional(),
    /** Generation pool asked from (docs/bus.md); absent: the fleet's. */
    pool: z.string().min(1).max(128).optional(),
    /** Quota each peer is asked to lend (microgrid -> kW), together covering the deficit: a peer listed lends exactly its share before it acks, or nacks. */
    shares: z.record(Id, Kw).optional(),
  })
  .strict();
export type ReservationRequest = z.infer<typeof ReservationRequest>;

export const ReservationResponse = z
  .object({
    ...envelope,
    type: z.literal("reservation-response"),
    ...responseFields,
    /** The acknowledging agent's ledger when it decided (kW). */
    headroom_kw: z.number().finite().optional(),
    figures: Figures.optional(),
    /** The responder's own leases: a requester learns of a grant that came just before its own this way, before any state shows it. */
    leases: z.array(LeaseInfo).optional(),
  })
  .strict();
export type ReservationResponse = z.infer<typeof ReservationResponse>;

export const ReservationOutcome = z
  .object({
    ...envelope,
    type: z.literal("reservation-outcome"),
    ...outcomeFields,
    kw: Kw,
    lease_ms: Ms,
  })
  .strict();
export type ReservationOutcome = z.infer<typeof ReservationOutcome>;

const SectionIds = z.array(z.string().min(1).max(128)).min(1).max(2048);

/**
 * A claim on a dead region (docs/bus.md, close claims): the requester wants to
 * close `element` into the region, which another microgrid's switch could
 * energize in the same tick. Granted when every live peer of the view acks.
 */
export const ClaimRequest = z
  .object({
    ...envelope,
    type: z.literal("claim-request"),
    ...requestFields,
    /** The region's sections. */
    sections: SectionIds,
    /** The switch the requester would close. */
    element: z.string().min(1).max(128),
    /** The other microgrids' switches bounding the region, as the requester sees them: an owner whose switch is not so nacks. */
    switches: z.record(z.string().min(1).max(128), z.enum(["open", "closed", "unknown"])),
  })
  .strict();
export type ClaimRequest = z.infer<typeof ClaimRequest>;

export const ClaimResponse = z
  .object({
    ...envelope,
    type: z.literal("claim-response"),
    ...responseFields,
    /** Why, for people and the journal: the claim it holds or asked for, the switch it sees otherwise. */
    detail: Figures.optional(),
  })
  .strict();
export type ClaimResponse = z.infer<typeof ClaimResponse>;

export const ClaimOutcome = z
  .object({
    ...envelope,
    type: z.literal("claim-outcome"),
    ...outcomeFields,
    /** Granted: milliseconds of the claim left. */
    lease_ms: Ms,
    /** Released: the holder's state from this seq on shows its close (or that it did not close): peers keep the claim until they have seen it. */
    state_seq: z.number().int().nonnegative().optional(),
  })
  .strict();
export type ClaimOutcome = z.infer<typeof ClaimOutcome>;

export const AlarmMessage = z
  .object({
    ...envelope,
    type: z.literal("alarm"),
    id: z.string().min(1),
    kind: z.string().min(1),
    severity: z.enum(["info", "warning", "critical"]),
    detail: z.record(z.string(), z.unknown()),
  })
  .strict();
export type AlarmMessage = z.infer<typeof AlarmMessage>;

/** Operator -> agent. Not from an agent: `from` is the operator's name, no incarnation needed. */
export const OperatorRequest = z
  .object({
    v: z.literal(BUS_PROTOCOL),
    type: z.literal("command"),
    /** `release`: let go of a switch held after an uncommanded change of position (needs `element`). */
    command: z.enum(["restore", "abort", "status", "release"]),
    request_id: z.string().min(1).max(128),
    by: z.string().min(1).max(64),
    reason: z.string().max(200).optional(),
    /** `release`: the switch (`Line.L61`). */
    element: z.string().min(1).max(128).optional(),
  })
  .strict()
  .refine((r) => r.command !== "release" || r.element !== undefined, { message: "a release names the switch: element", path: ["element"] });
export type OperatorRequest = z.infer<typeof OperatorRequest>;

export const OperatorResponse = z
  .object({
    ...envelope,
    type: z.literal("command-response"),
    request_id: z.string().min(1).max(128),
    accepted: z.boolean(),
    detail: z.record(z.string(), z.unknown()),
  })
  .strict();
export type OperatorResponse = z.infer<typeof OperatorResponse>;

/** One typed map of topic kind -> payload schema. */
export const SCHEMAS = {
  availability: Availability,
  state: PeerState,
  "reservation/request": ReservationRequest,
  "reservation/response": ReservationResponse,
  "reservation/outcome": ReservationOutcome,
  "claim/request": ClaimRequest,
  "claim/response": ClaimResponse,
  "claim/outcome": ClaimOutcome,
  alarm: AlarmMessage,
  "request/command": OperatorRequest,
  "response/command": OperatorResponse,
} as const satisfies Record<TopicKind, z.ZodType>;

export type MessageOf<K extends TopicKind> = z.infer<(typeof SCHEMAS)[K]>;
export type AnyMessage = { [K in TopicKind]: { kind: K; microgrid: string; msg: MessageOf<K> } }[TopicKind];

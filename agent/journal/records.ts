// What the journal records, as the agent hands it over and as readers get it
// back. Everything a decision depends on is kept with it, so that offline
// replay can re-run it through the policy and the shield on another machine.
import type { ReservationRecordRef } from "../../shared/bus/reservation.js";
import { reservationFinal, RESERVATION_STATES, type ReservationState } from "../../shared/bus/states.js";

export { reservationFinal, RESERVATION_STATES, type ReservationState };

/** intended -> (selected) -> written -> confirmed | failed | unknown -> resolved. */
export const COMMAND_STATES = ["intended", "selected", "written", "confirmed", "failed", "unknown", "resolved"] as const;
export type CommandState = (typeof COMMAND_STATES)[number];

/** Where each state may lead. A write error may skip `written`; `unknown` is settled by reading the device. */
export const COMMAND_TRANSITIONS: Readonly<Record<CommandState, readonly CommandState[]>> = {
  intended: ["selected", "written", "confirmed", "failed", "unknown", "resolved"],
  selected: ["written", "confirmed", "failed", "unknown", "resolved"],
  written: ["confirmed", "failed", "unknown"],
  confirmed: ["resolved"],
  failed: ["resolved"],
  unknown: ["confirmed", "failed", "resolved"],
  resolved: [],
};

export interface CommandRecord {
  id: string;
  decisionId: string;
  /** The reservation whose lease this close draws on, if any. */
  reservationId: string | null;
  element: string;
  device: string | null;
  action: "close" | "open";
  state: CommandState;
  /** Wall clock (ms) of its creation and of its last state. */
  createdAt: number;
  at: number;
}

export interface CommandStateRecord {
  state: CommandState;
  at: number;
  detail: Record<string, unknown> | null;
}

/** A reservation as the journal keeps it: its identity (`role` own: this agent asked; peer: a peer asked) and its state. */
export interface ReservationRecord extends ReservationRecordRef {
  state: ReservationState;
  createdAt: number;
  at: number;
}

/** A shield veto as journaled (shared/shield Verdict, or any rule/values pair). */
export interface VerdictInput {
  element: string;
  action: string;
  rule: string;
  detail?: string;
  values: Readonly<Record<string, unknown>>;
}

/** One decision with every input needed to re-run it. */
export interface DecisionInput {
  /** Unique id; default `<microgrid>-<incarnation>-<n>`. */
  id?: string;
  session?: string | null;
  step?: number | null;
  /** The policy that decided: kind (`onnx` | `plan`), label, manifest hash, plan step... */
  policy: Readonly<Record<string, unknown>>;
  /** The encoded observation the policy saw. */
  observation: ArrayLike<number>;
  /** The policy's raw scores, 3 per switch. */
  logits: ArrayLike<number>;
  /** The shield's mask the decision was taken under. */
  mask?: ArrayLike<number> | null;
  /** Final action per switch after the shield (0 close, 1 open, 2 no-op). */
  actions: ArrayLike<number>;
  /** The shield's full input (JSON); a member named `graph` is stored once as a blob. */
  shieldInput: unknown;
  /** Every veto of this decision. */
  verdicts: readonly VerdictInput[];
  /** What came of it: admitted operations, the proposed actions, a reservation shortfall... */
  outcome?: unknown;
}

export interface DecisionRecord {
  id: string;
  at: number;
  tick: number;
  session: string | null;
  step: number | null;
  policy: Record<string, unknown>;
  observation: number[];
  logits: number[];
  mask: number[] | null;
  actions: number[];
  /** With its graph put back in place. */
  shieldInput: unknown;
  outcome: unknown;
  verdicts: (VerdictInput & { detail: string })[];
}

export type PeerDirection = "in" | "out";

export interface PeerMessageInput {
  direction: PeerDirection;
  topic: string;
  peer?: string | null;
  type?: string | null;
  valid: boolean;
  /** Why it was dropped (invalid, foreign), if it was. */
  reason?: string | null;
  /** The payload: parsed JSON when it was JSON, else its text (truncated). */
  body: unknown;
  view?: number | null;
}

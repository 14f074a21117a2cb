// The shield's input (shared/shield ShieldInput) from the pipeline's views:
// what the devices said, what the agent is doing, what the peers published.
// Pure, so a decision's input can be journaled whole and replayed.
import type { GenerationBudget, LeaseHeld, PeerSwitches, RegionClaims, ShieldInput, ShieldLimits, SwitchReading } from "../../shared/shield/index.js";
import { holdReading, type SwitchHold } from "./trips.js";
import type { SwitchView } from "./views.js";

export interface SwitchContext {
  /** A command on this switch not yet resolved. */
  pending: { command_id: string; state: string } | null;
  /** Agent clock (ms) of its last operation written in this run. */
  lastOperationMs: number | null;
  selectBeforeOperate: boolean;
  /** The agent holds this switch after an uncommanded change of position (trips.ts). */
  hold?: SwitchHold | undefined;
}

/**
 * One switch as the shield reads it. A position enum becomes the two
 * contacts (intermediate: neither; bad: both); a read that failed this tick
 * makes them unreadable, so the switch holds even while its last reading is
 * young. Fault passage indicators count as tripped (closing would re-energize
 * a fault), and so does an uncommanded open the agent holds; an uncommanded
 * close it holds is `hold` (no operation at all); an active close interlock
 * counts as locked out. Terminal voltages go in where the device measures
 * them (source and load side VTs), so dead-bus is judged on measurements.
 */
export function switchReading(v: SwitchView, c: SwitchContext): SwitchReading {
  const known = v.position !== "unknown" && !v.readFailed;
  const r: SwitchReading = {
    element: v.element,
    closed: known ? v.position === "closed" || v.position === "bad" : null,
    open: known ? v.position === "open" || v.position === "bad" : null,
    read_at_ms: v.readAt ?? null,
    tripped: v.fault,
    locked_out: v.lockout || v.interlock,
    ...holdReading(c.hold),
    pending: c.pending,
    last_operation_ms: c.lastOperationMs,
    select_before_operate: c.selectBeforeOperate,
    selection: null,
  };
  if (v.currentA !== undefined) r.current_a = v.currentA;
  // Terminal voltages where the device measures them (its highest phase: a side with any live phase is live).
  if (v.terminalPu) r.terminal_pu = [v.terminalPu[0]?.max ?? null, v.terminalPu[1]?.max ?? null];
  return r;
}

export function buildShieldInput(args: {
  now: number;
  microgrid: string;
  switches: readonly SwitchView[];
  context: readonly SwitchContext[];
  peers: readonly PeerSwitches[];
  generation: GenerationBudget;
  limits: ShieldLimits;
  /** Sections counted faulted now besides the graph's own (left without supply by an uncommanded open). */
  faultedSections?: readonly string[];
  /** Close claims held and acked (the bus's; without a bus, none and bus down). Absent: no claim, contested closes refused. */
  claims?: RegionClaims;
}): ShieldInput {
  return {
    now_ms: args.now,
    microgrid: args.microgrid,
    switches: args.switches.map((v, k) => switchReading(v, args.context[k]!)),
    peers: args.peers,
    generation: args.generation,
    limits: args.limits,
    ...(args.faultedSections?.length ? { faulted_sections: [...args.faultedSections] } : {}),
    ...(args.claims
      ? {
          claims: {
            own: args.claims.own.map((c) => ({ id: c.id, sections: [...c.sections], remaining_ms: c.remaining_ms })),
            peers: args.claims.peers.map((c) => ({ id: c.id, microgrid: c.microgrid, sections: [...c.sections] })),
            bus_up: args.claims.bus_up,
          },
        }
      : {}),
  };
}

export function budget(quotaKw: number, committedKw: number, leases: readonly LeaseHeld[], busUp: boolean): GenerationBudget {
  return { quota_kw: quotaKw, committed_kw: committedKw, leases: [...leases], bus_up: busUp };
}

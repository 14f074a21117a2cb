// Uncommanded changes of position: a switch seen open that was closed (or the
// reverse) when no command of this agent was moving it there. A spontaneous
// trip, a protection operation without a fault indicator, a crew operating the
// switch by hand. The agent raises an alarm and holds the switch until an
// operator releases it (docs/agent.md, "Uncommanded changes"):
//
//   uncommanded-open   the switch counts as tripped (the shield's faulted rule
//                      refuses its close) and the sections it left without
//                      supply count as faulted (no other close re-energizes
//                      them either);
//   uncommanded-close  the switch is held (the shield's held rule refuses any
//                      operation: the agent does not fight whoever closed it)
//                      and the load it picked up is committed to the ledger.
//
// Pure state: the restorer feeds it each tick's positions and the targets of
// the commands it writes, and acts on what it reports.
import type { SwitchView } from "./views.js";

export type KnownPosition = "open" | "closed";
export type HoldKind = "uncommanded-open" | "uncommanded-close";

export const HOLD_KINDS: readonly HoldKind[] = ["uncommanded-open", "uncommanded-close"];

/** One switch the agent holds until an operator releases it. JSON (journaled in the alarm's detail, restored at start). */
export interface SwitchHold {
  element: string;
  device: string;
  kind: HoldKind;
  from: KnownPosition;
  to: KnownPosition;
  /** Tick, agent clock (ms) and session of the change. */
  tick: number;
  at_ms: number;
  session: string | null;
  /** uncommanded-open: sections it left without supply, counted faulted until released. */
  sections: string[];
  /** uncommanded-close: load (kW) it picked up, committed to the ledger. */
  pickup_kw?: number;
  /** Journal alarm ids raised for this switch (cleared on release). */
  alarms: number[];
}

export interface UncommandedChange {
  element: string;
  device: string;
  kind: HoldKind;
  from: KnownPosition;
  to: KnownPosition;
  /** The view that showed it (lockout, fault indicators, current, age). */
  view: SwitchView;
}

export class PositionWatch {
  /** Last position read, per element. */
  private readonly known = new Map<string, KnownPosition>();
  /** Positions a command of this agent is moving a switch to, until a read shows it there. */
  private readonly expected = new Map<string, KnownPosition>();
  private readonly held = new Map<string, SwitchHold>();

  /** A command of this agent is about to move `element` to `target` (registered before it is written). */
  commanded(element: string, target: KnownPosition): void {
    this.expected.set(element, target);
  }

  /**
   * Its command ended without moving the switch (failed, or rejected): a later
   * move is no longer its doing. A command whose outcome is unknown keeps its
   * expectation until it is settled.
   */
  settled(element: string): void {
    this.expected.delete(element);
  }

  /**
   * This tick's positions against the last ones read. Only fresh reads of a
   * definite position count (a failed read keeps the last known; travelling
   * or inconsistent contacts wait for a definite one). Returns the
   * uncommanded changes; the first read of a switch only sets what is known.
   */
  observe(switches: readonly SwitchView[]): UncommandedChange[] {
    const out: UncommandedChange[] = [];
    for (const v of switches) {
      if (v.readFailed || (v.position !== "open" && v.position !== "closed")) continue;
      const now = v.position;
      const before = this.known.get(v.element);
      this.known.set(v.element, now);
      const target = this.expected.get(v.element);
      if (target === now) this.expected.delete(v.element);
      if (before === undefined || before === now || target === now) continue;
      out.push({ element: v.element, device: v.device, kind: now === "open" ? "uncommanded-open" : "uncommanded-close", from: before, to: now, view: v });
    }
    return out;
  }

  /** Hold a switch (a new change on a held switch replaces its kind and adds its alarm; suspect sections accumulate). */
  hold(h: SwitchHold): SwitchHold {
    const prev = this.held.get(h.element);
    const merged: SwitchHold = prev ? { ...h, sections: [...new Set([...prev.sections, ...h.sections])], alarms: [...prev.alarms, ...h.alarms] } : h;
    this.held.set(h.element, merged);
    return merged;
  }

  holdOf(element: string): SwitchHold | undefined {
    return this.held.get(element);
  }

  holds(): SwitchHold[] {
    return [...this.held.values()];
  }

  /** Sections counted faulted because of held trips. */
  suspectSections(): string[] {
    return [...new Set(this.holds().flatMap((h) => h.sections))];
  }

  /** An operator released the switch: the hold is dropped and returned (undefined if it was not held). */
  release(element: string): SwitchHold | undefined {
    const h = this.held.get(element);
    this.held.delete(element);
    return h;
  }
}

/** The shield's view of a held switch: tripped (uncommanded open) or held (uncommanded close). */
export function holdReading(h: SwitchHold | undefined): { tripped?: true; tripped_detail?: string; hold?: { kind: string; detail: string; since_ms: number | null } } {
  if (!h) return {};
  const what = `${h.kind === "uncommanded-open" ? "opened" : "closed"} without a command at tick ${h.tick}; held until an operator releases it`;
  return h.kind === "uncommanded-open" ? { tripped: true, tripped_detail: what } : { hold: { kind: h.kind, detail: what, since_ms: h.at_ms } };
}

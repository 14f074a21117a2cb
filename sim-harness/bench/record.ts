// Everything a bench run records as it goes: each instant the simulator
// solved (after every step of the device harness: the served load, the
// islands, whether the cap or an island's rating was exceeded), every
// switching operation the plant saw, what each agent reported per tick, and
// the run's events (faults applied, agents dropped or restarted). The checks,
// the JSON summary and the HTML report are computed from it afterwards.
import type { TickReport } from "../../agent/runtime/restorer.js";
import { canonicalElement } from "../../shared/names.js";
import type { IslandInfo, Violation } from "../env/types.js";
import type { BoundScenario } from "../scenarios/bind.js";
import type { Reading } from "./meter.js";

export interface Instant {
  /** Simulated time (s) of the harness clock. */
  t_s: number;
  /** Bench tick it belongs to (0: before the first). */
  tick: number;
  restored_kw: number;
  weighted: number;
  served_by_microgrid: Record<string, number>;
  /** Operations the plant applied in this step, in order (`close Line.l35`). */
  operations: string[];
  cap_exceeded: boolean;
  islands_exceeded: IslandInfo[];
  /** Grid-forming units below their floor (reverse power); absent in records made before it was metered. */
  reverse_power?: Violation[];
  locked_closed: string[];
  /**
   * Islands that joined grid-forming units which were in separate live islands at the instant
   * before (`d1+d3`): two islands paralleled by a close, with no synchronism check. Absent in
   * records made before it was metered.
   */
  paralleled?: string[];
  converged: boolean;
}

export interface Operation {
  t_s: number;
  tick: number;
  element: string;
  action: "close" | "open";
  /** The microgrid whose agent operates it (undefined: a switch no agent owns). */
  microgrid: string | undefined;
  /** A trip or other change no command caused (detected by the meter between steps). */
  uncommanded: boolean;
}

export interface AgentTickRecord {
  tick: number;
  microgrid: string;
  t_s: number;
  report?: TickReport;
  error?: string;
  /** Its bus state for this tick arrived (or the run has no bus). */
  onBus: boolean;
}

/** One decision of one agent, as it reported it (lockstep: its tick report; realtime: its journal). */
export interface AgentDecision {
  t_s: number;
  microgrid: string;
  id: string;
  commands: { element: string; action: string; outcome: string }[];
  vetoes: { element: string; action: string; rule: string; detail: string }[];
  hold?: string;
  reservation?: { kw: number; granted: boolean; reason?: string };
}

export interface RunEvent {
  t_s: number;
  tick: number;
  kind: string;
  microgrid?: string;
  detail: string;
}

export class RunRecord {
  readonly instants: Instant[] = [];
  readonly operations: Operation[] = [];
  readonly agentTicks: AgentTickRecord[] = [];
  readonly decisions: AgentDecision[] = [];
  readonly events: RunEvent[] = [];
  /** Wall milliseconds each bench tick took (lockstep). */
  readonly tickWallMs: number[] = [];
  private readonly owner = new Map<string, string>();
  private lastSwitches: Record<string, "open" | "closed"> | undefined;
  /** Each grid-forming unit's island (its index in the reading) at the last instant. */
  private lastIslandOfUnit = new Map<string, number>();
  tick = 0;

  constructor(readonly bound: BoundScenario) {
    bound.switches.forEach((s) => this.owner.set(canonicalElement(s.ref), bound.scenario.microgrids[s.agent]!.id));
  }

  microgridOf(element: string): string | undefined {
    return this.owner.get(canonicalElement(element));
  }

  /** One solved instant; operations are those the harness applied in the step. */
  instant(tMs: number, operations: readonly string[], r: Reading): Instant {
    const t_s = tMs / 1000;
    const commanded = new Set<string>();
    for (const op of operations) {
      const m = /^(close|open) (\S+)$/.exec(op);
      if (!m) continue;
      const element = canonicalElement(m[2]!);
      commanded.add(element);
      this.operations.push({ t_s, tick: this.tick, element, action: m[1] as "close" | "open", microgrid: this.microgridOf(element), uncommanded: false });
    }
    // A change the plant shows that no write caused (a spontaneous trip): recorded as such.
    if (this.lastSwitches) {
      for (const [el, st] of Object.entries(r.switches)) {
        if (this.lastSwitches[el] !== st && !commanded.has(el)) {
          this.operations.push({ t_s, tick: this.tick, element: el, action: st === "closed" ? "close" : "open", microgrid: this.microgridOf(el), uncommanded: true });
        }
      }
    }
    this.lastSwitches = r.switches;
    const paralleled = this.paralleledIslands(r);
    const i: Instant = {
      t_s,
      tick: this.tick,
      restored_kw: r.restored_kw,
      weighted: r.weighted,
      served_by_microgrid: r.served_by_microgrid,
      operations: [...operations],
      cap_exceeded: r.cap_exceeded,
      islands_exceeded: r.islands_exceeded,
      reverse_power: r.reverse_power,
      locked_closed: r.locked_closed,
      paralleled,
      converged: r.converged,
    };
    this.instants.push(i);
    return i;
  }

  /** Islands whose units were in two or more different islands at the last instant (units named in `source`, joined by "+"). */
  private paralleledIslands(r: Reading): string[] {
    const out: string[] = [];
    const now = new Map<string, number>();
    r.islands.forEach((isl, k) => {
      const units = isl.source.split("+");
      for (const u of units) now.set(u, k);
      const before = new Set(units.map((u) => this.lastIslandOfUnit.get(u)).filter((x) => x !== undefined));
      if (before.size > 1) out.push(isl.source);
    });
    this.lastIslandOfUnit = now;
    return out;
  }

  event(tMs: number, kind: string, detail: string, microgrid?: string): void {
    this.events.push({ t_s: tMs / 1000, tick: this.tick, kind, detail, ...(microgrid ? { microgrid } : {}) });
  }

  agentTick(r: AgentTickRecord): void {
    this.agentTicks.push(r);
    const d = r.report?.decision;
    if (d) {
      this.decisions.push({
        t_s: r.t_s,
        microgrid: r.microgrid,
        id: d.id,
        commands: d.commands.map((c) => ({ element: c.element, action: c.action, outcome: c.outcome })),
        vetoes: d.vetoes,
        ...(d.hold ? { hold: d.hold } : {}),
        ...(d.reservation ? { reservation: d.reservation } : {}),
      });
    }
  }

  get last(): Instant | undefined {
    return this.instants[this.instants.length - 1];
  }

  /** Switches operated more than once within one bench tick (one decision per agent per tick). */
  repeatedOperations(): { tick: number; element: string; count: number }[] {
    const n = new Map<string, number>();
    for (const op of this.operations) {
      if (op.uncommanded) continue;
      const k = `${op.tick}\u0000${op.element}`;
      n.set(k, (n.get(k) ?? 0) + 1);
    }
    return [...n.entries()].filter(([, c]) => c > 1).map(([k, count]) => {
      const [tick, element] = k.split("\u0000");
      return { tick: Number(tick), element: element!, count };
    });
  }
}

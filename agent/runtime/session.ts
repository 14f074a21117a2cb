// When the agent restores: it watches until its point of common coupling goes
// dead (and stays dead for `confirm_ms`), or an operator asks, then runs one
// bounded session of decisions (the scenario's episode length) and goes back
// to watching. A dead PCC starts one session per outage: it must come back
// before its death starts another. Pure state; the restorer drives it.
import { randomUUID } from "node:crypto";
import type { OperatorCommand } from "./ports.js";
import type { PccView } from "./views.js";

export interface Session {
  id: string;
  /** Decisions made so far. */
  step: number;
  length: number;
  trigger: "pcc-dead" | "operator";
  by: string;
  reason: string;
}

export type SessionChange =
  | { kind: "started"; session: Session }
  | { kind: "ended"; session: Session; outcome: "complete" | "aborted" };

export interface SessionOptions {
  length: number;
  autoStart: boolean;
  confirmMs: number;
}

export class SessionControl {
  private session: Session | undefined;
  private deadSince: number | undefined;
  /** A dead PCC may start a session (re-armed when the PCC is seen live). */
  private armed = true;
  private queued: OperatorCommand[] = [];

  constructor(private readonly o: SessionOptions) {}

  get current(): Session | undefined {
    return this.session;
  }

  /** A command is queued (a session may start at this tick). */
  pending(): boolean {
    return this.queued.length > 0;
  }

  /** An operator command; takes effect at the next tick. */
  request(c: OperatorCommand): void {
    this.queued.push(c);
  }

  /** At the start of a tick: apply queued commands and the PCC's state. */
  update(now: number, pcc: PccView | undefined): SessionChange[] {
    const changes: SessionChange[] = [];
    for (const c of this.queued.splice(0)) {
      if (c.command === "abort" && this.session) {
        changes.push({ kind: "ended", session: this.session, outcome: "aborted" });
        this.session = undefined;
      } else if (c.command === "restore" && !this.session) {
        this.session = this.open("operator", c.by, c.reason ?? "operator command");
        changes.push({ kind: "started", session: this.session });
      }
    }
    if (pcc && !pcc.stale) {
      if (!pcc.dead) {
        this.deadSince = undefined;
        this.armed = true;
      } else {
        this.deadSince ??= now;
        if (this.o.autoStart && this.armed && !this.session && now - this.deadSince >= this.o.confirmMs) {
          this.armed = false;
          this.session = this.open("pcc-dead", `pcc:${pcc.device}`, `PCC dead (${pcc.voltagePu?.toFixed(3)} pu) for ${Math.round(now - this.deadSince)} ms`);
          changes.push({ kind: "started", session: this.session });
        }
      }
    }
    return changes;
  }

  /** After a decision: the session moves on, and ends when its length is reached. */
  stepDone(): SessionChange | undefined {
    const s = this.session;
    if (!s) return undefined;
    s.step++;
    if (s.step < s.length) return undefined;
    this.session = undefined;
    return { kind: "ended", session: s, outcome: "complete" };
  }

  private open(trigger: Session["trigger"], by: string, reason: string): Session {
    return { id: randomUUID(), step: 0, length: this.o.length, trigger, by, reason };
  }
}

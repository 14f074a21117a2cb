// A simulated recloser / sectionalising switch: select-before-operate (or
// direct) open and close as its profile describes them, lockout, interlock,
// per-phase fault indicators, and measurements from the solved plant. The
// position it reports is the plant's: an operate changes the plant after the
// mechanism's operate time, and the next solve shows it.
import type { PointValue } from "../../shared/profile/codec.js";
import type { ResolvedPoint } from "../../shared/profile/resolve.js";
import type { Command, Rejection, SboCommand } from "../../shared/profile/schema.js";
import type { SimClock } from "./clock.js";
import { OK, SimDevice, type DeviceSpec, type WriteOutcome } from "./device.js";
import type { Plant } from "./plant.js";

/** Why a control was refused or what it did: the symbols a profile's status point may name. */
export type ControlStatus =
  | "idle"
  | "selected"
  | "operated"
  | "not_selected"
  | "select_expired"
  | "blocked_interlock"
  | "blocked_lockout"
  | "too_soon"
  | "mismatch"
  | "cancelled"
  | "failed";

export interface SwitchInit {
  /** The element is on the faulted section: the recloser tripped to lockout and its fault indicators are set. */
  faulted: boolean;
  /** Phases (0-2) the element has, for its fault indicators. */
  phases: readonly number[];
}

type Sbo = { id: "open" | "close"; cmd: SboCommand };

export class SwitchDevice extends SimDevice {
  private lockout = false;
  private interlock = false;
  private readonly faultSeen = [false, false, false];
  private selection: { sbo: Sbo; at: number } | undefined;
  /** A selection that timed out: an operate for it is refused as expired, not as never selected. */
  private expired: Sbo | undefined;
  private lastOperationAt = -Infinity;
  private readonly sbo: Sbo[] = [];
  private readonly direct: { id: string; cmd: Extract<Command, { kind: "direct" }> }[] = [];
  private readonly selectPoints = new Set<string>();
  private tripAtMs: number | undefined;

  constructor(spec: DeviceSpec, clock: SimClock, init: SwitchInit) {
    super(spec, clock);
    for (const [id, cmd] of this.profile.commands) {
      if (cmd.kind === "select-before-operate" && (id === "open" || id === "close")) {
        this.sbo.push({ id, cmd });
        this.selectPoints.add(cmd.select.point);
      } else if (cmd.kind === "direct") this.direct.push({ id, cmd });
    }
    if (init.faulted) {
      this.lockout = true;
      for (const ph of init.phases) this.faultSeen[ph] = true;
    }
    this.showState();
    this.setStatus("idle");
  }

  // ---- what the bench and fault injection may change ----

  /** Block (or free) closing, as an interlock would. */
  setInterlock(on: boolean): void {
    this.interlock = on;
    this.showState();
  }

  /** Open by itself at `atMs` (simulated), without a command: a spontaneous trip. */
  scheduleTrip(atMs: number): void {
    this.tripAtMs = atMs;
  }

  get locked(): boolean {
    return this.lockout;
  }

  // ---- writes ----

  protected override keepsOwnValue(p: ResolvedPoint): boolean {
    return this.selectPoints.has(p.ref);
  }

  protected onWrite(p: ResolvedPoint, value: PointValue): WriteOutcome {
    for (const s of this.sbo) {
      if (p.ref === s.cmd.select.point && this.matches(p, value, s.cmd.select.value)) return this.select(s);
    }
    if (this.selectPoints.has(p.ref)) return this.cancel(); // a select point written with no command's value ("none")
    for (const s of this.sbo) {
      if (p.ref === s.cmd.operate.point && this.matches(p, value, s.cmd.operate.value)) return this.operate(s);
    }
    for (const s of this.sbo) if (p.ref === s.cmd.operate.point) return this.refuse(s.cmd.operate_without_select, "mismatch", `operate value ${String(value)} matches no selected control`);
    for (const s of this.sbo) if (s.cmd.cancel && p.ref === s.cmd.cancel.point) return this.cancel();
    for (const d of this.direct) {
      const last = d.cmd.writes[d.cmd.writes.length - 1]!;
      if (p.ref === last.point && (last.value === "$value" || this.matches(p, value, last.value))) return this.execute(d.id);
    }
    return OK;
  }

  private select(s: Sbo): WriteOutcome {
    const now = this.clock.now();
    const blocked = this.blockedReason(s, now);
    if (blocked) return this.refuse(s.cmd.blocked ?? s.cmd.operate_without_select, blocked, `select ${s.id} refused: ${blocked}`);
    this.selection = { sbo: s, at: now };
    this.expired = undefined;
    this.set(s.cmd.select.point, s.cmd.select.value);
    this.showSelection(true);
    this.setStatus("selected");
    return OK;
  }

  private operate(s: Sbo): WriteOutcome {
    const now = this.clock.now();
    const sel = this.selection;
    if (!sel) {
      const expired = this.expired === s;
      this.expired = undefined;
      if (expired) return this.refuse(s.cmd.operate_without_select, "select_expired", `operate ${s.id}: the select expired`);
      return this.refuse(s.cmd.operate_without_select, "not_selected", `operate ${s.id} without a select`);
    }
    if (now - sel.at > sel.sbo.cmd.select_timeout_ms) {
      this.clearSelection();
      return this.refuse(s.cmd.operate_without_select, "select_expired", `operate ${s.id}: the select expired ${now - sel.at - sel.sbo.cmd.select_timeout_ms} ms ago`);
    }
    if (sel.sbo !== s) {
      this.clearSelection();
      return this.refuse(s.cmd.operate_without_select, "mismatch", `operate ${s.id} but ${sel.sbo.id} is selected`);
    }
    const blocked = this.blockedReason(s, now);
    if (blocked) {
      this.clearSelection();
      return this.refuse(s.cmd.blocked ?? s.cmd.operate_without_select, blocked, `operate ${s.id} refused: ${blocked}`);
    }
    this.clearSelection();
    this.startOperation(s.id === "close");
    this.setStatus("operated");
    return OK;
  }

  private cancel(): WriteOutcome {
    this.clearSelection();
    this.expired = undefined;
    this.setStatus("cancelled");
    return OK;
  }

  private execute(id: string): WriteOutcome {
    const now = this.clock.now();
    if (id === "reset_lockout") {
      this.lockout = false;
      this.faultSeen.fill(false);
      this.showState();
      return OK;
    }
    if (id !== "open" && id !== "close") return OK;
    const cmd = this.profile.commands.get(id)!;
    const blocked = this.blockedReason({ id, cmd: cmd as unknown as SboCommand }, now);
    if (blocked) return this.refuse(this.profile.protocol === "modbus" ? { modbus_exception: 4 } : { opcua_status: "BadNotExecutable" }, blocked, `${id} refused: ${blocked}`);
    this.startOperation(id === "close");
    this.setStatus("operated");
    return OK;
  }

  private blockedReason(s: Sbo, now: number): ControlStatus | undefined {
    if (now - this.lastOperationAt < this.profile.profile.timing.min_operation_interval_ms) return "too_soon";
    if (s.id === "close" && this.lockout) return "blocked_lockout";
    if (s.id === "close" && this.interlock) return "blocked_interlock";
    return undefined;
  }

  private startOperation(close: boolean): void {
    this.lastOperationAt = this.clock.now();
    if (this.faults.stuck) return; // accepted; the mechanism does not move
    const el = this.element;
    this.queue(`${close ? "close" : "open"} ${el}`, (plant) => plant.setClosed(el, close), this.profile.profile.timing.operate_time_ms);
  }

  private refuse(rejection: Rejection, status: ControlStatus, reason: string): WriteOutcome {
    this.setStatus(status);
    return { ok: false, kind: "refused", rejection, reason };
  }

  private clearSelection(): void {
    if (!this.selection) return;
    const none = this.selection.sbo.cmd.select.point;
    this.selection = undefined;
    this.showSelection(false);
    const p = this.point(none);
    // A select point that is an enum shows "none" (or 0) when nothing is selected.
    if (p.type === "enum") this.set(none, "none" in (p.values ?? {}) ? "none" : 0);
  }

  private showSelection(on: boolean): void {
    for (const s of this.sbo) if (s.cmd.selected) this.set(s.cmd.selected, on);
  }

  private setStatus(status: ControlStatus): void {
    const refs = new Set(this.sbo.map((s) => s.cmd.status).filter((r): r is string => r !== undefined));
    for (const ref of refs) {
      const p = this.point(ref);
      const values = p.values ?? {};
      if (status in values) this.set(ref, status);
      else if ("none" in values && (status === "idle" || status === "selected" || status === "operated")) this.set(ref, "none");
    }
  }

  /** Lockout, interlock and fault indicators onto their points (after a fault flag changed, too). */
  showState(): void {
    this.setChannel("lockout", this.lockout);
    this.setChannel("interlock", this.interlock);
    ["fault_a", "fault_b", "fault_c"].forEach((ch, i) => this.setChannel(ch, this.faultSeen[i]! && !this.faults.lostFaultIndicator[i]));
  }

  // ---- physics ----

  advance(plant: Plant, nowMs: number): void {
    if (this.selection && nowMs - this.selection.at > this.selection.sbo.cmd.select_timeout_ms) {
      this.expired = this.selection.sbo;
      this.clearSelection();
      this.setStatus("select_expired");
    }
    if (this.tripAtMs !== undefined && nowMs >= this.tripAtMs) {
      this.tripAtMs = undefined;
      plant.setClosed(this.element, false);
    }
  }

  refresh(plant: Plant): void {
    const closed = plant.isClosed(this.element);
    this.setChannel("position", closed ? "closed" : "open");
    this.showMeasurement(plant.measure(this.element));
    this.showState();
  }
}

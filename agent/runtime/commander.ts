// Making one switching operation, with every state in the journal before the
// next step acts on it: intended -> (selected) -> written -> confirmed |
// failed | unknown -> resolved. The new position is only ever known by
// reading the device, never assumed from an acknowledged write; a write whose
// fate is unclear (timeout, lost connection) is settled by reading too, never
// by writing again.
import type { ChannelSnapshot, FieldDevice } from "../transports/device.js";
import { isDeviceFault } from "../transports/device.js";
import type { Clock } from "./clock.js";
import type { CommandRecord, JournalPort } from "./ports.js";

export type CommandOutcome = "confirmed" | "failed" | "unknown";

/** `pending`: written, the new position not seen yet; confirmed later from the polls (external clock). */
export type ExecuteOutcome = CommandOutcome | "pending";

export interface CommandResult {
  id: string;
  element: string;
  device: string;
  action: "close" | "open";
  outcome: ExecuteOutcome;
  /** Why, for failed and unknown (and a refused write). */
  detail: Record<string, unknown>;
  /** The last position read, if any. */
  position: string | undefined;
  /** Agent clock (ms) from intended to the outcome. */
  ms: number;
}

export interface CommanderOptions {
  /** How long the read-back may take to show the new position. */
  confirmTimeoutMs: number;
  /** Pause between read-backs. */
  readbackIntervalMs: number;
}

export function targetPosition(action: "close" | "open"): "closed" | "open" {
  return action === "close" ? "closed" : "open";
}

export class Commander {
  constructor(
    private readonly journal: JournalPort,
    private readonly clock: Clock,
    private readonly options: CommanderOptions,
    /** Each read-back snapshot, so the pipeline's views see the new position at once. */
    private readonly onSnapshot: (s: ChannelSnapshot) => void = () => {},
  ) {}

  /**
   * Carry out one operation. With `defer`, the read-back is a single read: if
   * the switch has not moved yet the command stays `written` and the outcome
   * is `pending` (the caller confirms it from later polls).
   */
  async execute(decisionId: string, element: string, device: FieldDevice, action: "close" | "open", pickupKw = 0, defer = false): Promise<CommandResult> {
    const started = this.clock.now();
    const id = this.journal.commandIntended({ decisionId, element, device: device.id, action, pickupKw });
    const detail: Record<string, unknown> = {};
    let selected = false;
    try {
      if (device.commandKind(action) === "select-before-operate") {
        await device.command(action, "select");
        selected = true;
        this.journal.commandState(id, "selected");
      }
      await device.command(action, "operate");
      this.journal.commandState(id, "written");
    } catch (e) {
      // A refusal means the device did not act; a timeout or a lost connection
      // means we cannot tell. Either way the read-back below decides.
      detail.write_error = e instanceof Error ? e.message : String(e);
      if (isDeviceFault(e)) {
        detail.write_fault = e.kind;
        if (e.code !== undefined) detail.write_code = e.code;
      }
      if (selected) await this.cancelQuietly(device, action, detail);
    }
    const written = detail.write_error === undefined;
    const check = await this.readBack(device, targetPosition(action), defer && written ? 0 : this.options.confirmTimeoutMs);
    Object.assign(detail, check.detail);
    if (defer && written && check.outcome !== "confirmed") {
      return { id, element, device: device.id, action, outcome: "pending", detail, position: check.position, ms: this.clock.now() - started };
    }
    this.journal.commandState(id, check.outcome, detail);
    if (check.outcome !== "unknown") this.journal.commandState(id, "resolved", { outcome: check.outcome });
    return { id, element, device: device.id, action, outcome: check.outcome, detail, position: check.position, ms: this.clock.now() - started };
  }

  /** Finish a `pending` command from what a later poll showed. */
  settle(id: string, outcome: CommandOutcome, detail: Readonly<Record<string, unknown>>): void {
    this.journal.commandState(id, outcome, detail);
    if (outcome !== "unknown") this.journal.commandState(id, "resolved", { outcome });
  }

  /**
   * Settle a command found unresolved (after a crash, or an earlier `unknown`)
   * by reading its device: confirmed if the switch shows the target position,
   * failed if it shows the other one, unknown if the device cannot be read.
   * Never writes.
   */
  async resolve(record: CommandRecord, device: FieldDevice, timeoutMs: number): Promise<CommandOutcome> {
    if (record.state === "confirmed" || record.state === "failed") {
      this.journal.commandState(record.id, "resolved", { outcome: record.state, by: "restart" });
      return record.state;
    }
    const check = await this.readBack(device, targetPosition(record.action), timeoutMs);
    const detail = { ...check.detail, by: "read-back after restart", was: record.state };
    if (check.outcome === "unknown") {
      if (record.state !== "unknown") this.journal.commandState(record.id, "unknown", detail);
      return "unknown";
    }
    this.journal.commandState(record.id, check.outcome, detail);
    this.journal.commandState(record.id, "resolved", { outcome: check.outcome });
    return check.outcome;
  }

  /** Read until the target shows, the deadline passes, or (settled position, other than the target) it is clear it will not. */
  private async readBack(
    device: FieldDevice,
    target: "open" | "closed",
    timeoutMs: number,
  ): Promise<{ outcome: CommandOutcome; position: string | undefined; detail: Record<string, unknown> }> {
    const deadline = this.clock.now() + timeoutMs;
    let position: string | undefined;
    let lastError: string | undefined;
    let reads = 0;
    for (;;) {
      try {
        const snap = await device.read();
        reads++;
        this.onSnapshot(snap);
        const p = snap.invalid.includes("position") ? "bad" : snap.values.position;
        position = typeof p === "string" ? p : "bad";
        lastError = undefined;
        if (position === target) return { outcome: "confirmed", position, detail: { readbacks: reads } };
      } catch (e) {
        lastError = e instanceof Error ? e.message : String(e);
      }
      if (this.clock.now() >= deadline) break;
      await this.clock.sleep(Math.min(this.options.readbackIntervalMs, Math.max(0, deadline - this.clock.now())));
    }
    if (position === undefined || lastError !== undefined) {
      // The last attempt could not read it: whatever we saw before may have changed since.
      return { outcome: "unknown", position, detail: { readbacks: reads, read_error: lastError, reason: "device unreadable: position unknown" } };
    }
    return { outcome: "failed", position, detail: { readbacks: reads, reason: `position is '${position}' after ${timeoutMs} ms, expected '${target}'` } };
  }

  private async cancelQuietly(device: FieldDevice, action: "close" | "open", detail: Record<string, unknown>): Promise<void> {
    try {
      await device.command(action, "cancel");
      detail.cancelled = true;
    } catch (e) {
      // The selection expires by itself (select_timeout_ms); note and move on.
      detail.cancel_error = e instanceof Error ? e.message : String(e);
    }
  }
}

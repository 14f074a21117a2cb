// The one device interface the agent's pipeline sees, whatever the wire:
// a field device reports the standard channels of its kind
// (shared/profile/channels.ts) and makes the standard commands of its profile.
// Registers, node ids, scale factors and select-before-operate sequences stay
// below this line (OpenEMS Edge: controllers see channels, bridges own wires).
import type { Profile } from "../../shared/profile/schema.js";

export type ChannelValue = number | boolean | string;

/** One complete read of a device's channels. */
export interface ChannelSnapshot {
  device: string;
  /** When the read completed, on the agent's monotonic clock (ms). */
  at: number;
  /** Standard channel id -> value in the channel's unit (enum channels: their symbol). */
  values: Readonly<Record<string, ChannelValue>>;
  /** Channels whose point was out of its limits or "not implemented": present but not trusted. */
  invalid: readonly string[];
}

export type DeviceFaultKind =
  /** No reply within the deadline (shorter than the poll period). */
  | "timeout"
  /** The device answered with a protocol exception / Bad status. */
  | "exception"
  /** No connection (refused, reset, reconnecting in backoff). */
  | "disconnected"
  /** A reply that cannot be decoded or does not fit the profile. */
  | "decode"
  /** The device refused a command (interlock, lockout, operate without select). */
  | "rejected"
  /** The profile has no such channel or command. */
  | "unsupported";

export class DeviceFault extends Error {
  constructor(
    readonly device: string,
    readonly kind: DeviceFaultKind,
    detail: string,
    /** Modbus exception code or OPC UA status name, when the device gave one. */
    readonly code?: number | string,
  ) {
    super(`device ${device}: ${kind}: ${detail}`);
    this.name = "DeviceFault";
  }
}

export function isDeviceFault(e: unknown): e is DeviceFault {
  return e instanceof DeviceFault;
}

export type CommandStep = "select" | "operate" | "cancel";

export interface DeviceStatus {
  state: "connecting" | "connected" | "backoff" | "stopped";
  /** Successful connections after the first (reconnects). */
  reconnects: number;
  lastError?: string;
}

export interface FieldDevice {
  readonly id: string;
  readonly profile: Profile;
  /** `modbus-tcp`, `modbus-rtu`, `opcua` (for metrics and logs). */
  readonly transport: string;
  /** Start connecting in the background (reconnects with jittered backoff until stopped). Never throws for a dead device. */
  start(): Promise<void>;
  /** Close the connection; pending requests fail with `disconnected`. */
  stop(): Promise<void>;
  /** Read every mapped channel. Rejects with a DeviceFault. */
  read(): Promise<ChannelSnapshot>;
  /** How a standard command is made, or undefined if the profile has none. */
  commandKind(name: string): "direct" | "select-before-operate" | undefined;
  /**
   * One step of a command. Direct commands have only `operate` (all their
   * writes); select-before-operate commands `select`, then `operate` (or `cancel`).
   * Resolves when the device acknowledged the write; the new position is
   * checked by reading, never assumed. Rejects with a DeviceFault.
   */
  command(name: string, step: CommandStep, argument?: number): Promise<void>;
  status(): DeviceStatus;
}

// What the pipeline knows about each switch, unit and the PCC at one tick,
// built from the devices' last channel snapshots. Pure: the same snapshots
// and time give the same views (cycle tests rely on it).
import type { ChannelSnapshot, DeviceFaultKind } from "../transports/device.js";

export type Position = "open" | "closed" | "intermediate" | "bad" | "unknown";

/** Voltage at one terminal of a switch, per unit of the device's nominal voltage: lowest and highest live phase (0 and 0 when dead). */
export interface TerminalPu {
  min: number;
  max: number;
}

/** The poller's record of one device. */
export interface DeviceState {
  id: string;
  /** Last good read. */
  snapshot?: ChannelSnapshot;
  /** The read of this tick failed (or is still in flight from an earlier tick). */
  error?: { kind: DeviceFaultKind | "busy"; message: string };
}

export interface SwitchView {
  /** Canonical element (`Line.l45`). */
  element: string;
  device: string;
  position: Position;
  lockout: boolean;
  interlock: boolean;
  /** Any phase's fault passage indicator. */
  fault: boolean;
  /** Largest phase current (A), if the device reports currents. */
  currentA: number | undefined;
  /**
   * Voltage at terminal 1 (source side) and terminal 2 (load side), where the
   * device measures it and knows its nominal voltage; undefined where not.
   */
  terminalPu?: readonly [TerminalPu | undefined, TerminalPu | undefined];
  /** Active power through the switch (kW, source to load positive), if the device measures it. */
  pKw?: number;
  /** Agent clock (ms) of the last good read, undefined if never read. */
  readAt: number | undefined;
  /** Age of the reading (ms), undefined if never read. */
  ageMs: number | undefined;
  /** This tick's read failed (or is still outstanding): the last reading is not current. */
  readFailed: boolean;
  /** Not fresh enough to act on: never read, older than stale_after, or this tick's read failed. */
  stale: boolean;
  /** Why it is stale, for the journal and alarms. */
  staleReason?: string;
}

export interface UnitView {
  id: string;
  device: string;
  pKw: number | undefined;
  ratingKw: number | undefined;
  connected: boolean | undefined;
  stale: boolean;
}

export interface PccView {
  device: string;
  /** Largest phase voltage in pu of nominal, undefined if unread. */
  voltagePu: number | undefined;
  dead: boolean;
  stale: boolean;
}

function freshness(state: DeviceState | undefined, now: number, staleAfterMs: number): { ageMs: number | undefined; stale: boolean; reason?: string } {
  const snap = state?.snapshot;
  const ageMs = snap ? now - snap.at : undefined;
  if (!snap) return { ageMs, stale: true, reason: state?.error ? `never read (${state.error.kind}: ${state.error.message})` : "never read" };
  if (state?.error) return { ageMs, stale: true, reason: `read failed (${state.error.kind}: ${state.error.message})` };
  if (ageMs! > staleAfterMs) return { ageMs, stale: true, reason: `reading is ${Math.round(ageMs!)} ms old (limit ${staleAfterMs} ms)` };
  return { ageMs, stale: false };
}

const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
const maxOf = (...vs: (number | undefined)[]): number | undefined => {
  const ok = vs.filter((v): v is number => v !== undefined);
  return ok.length ? Math.max(...ok.map(Math.abs)) : undefined;
};
function trusted(snap: ChannelSnapshot | undefined, channel: string): unknown {
  if (!snap || snap.invalid.includes(channel)) return undefined;
  return snap.values[channel];
}

export function switchView(element: string, device: string, state: DeviceState | undefined, now: number, staleAfterMs: number): SwitchView {
  const f = freshness(state, now, staleAfterMs);
  const snap = state?.snapshot;
  const pos = trusted(snap, "position");
  const position: Position = snap === undefined ? "unknown" : pos === "open" || pos === "closed" || pos === "intermediate" ? pos : "bad";
  const v: SwitchView = {
    element,
    device,
    position,
    lockout: trusted(snap, "lockout") === true,
    interlock: trusted(snap, "interlock") === true,
    fault: ["fault_a", "fault_b", "fault_c"].some((c) => trusted(snap, c) === true),
    currentA: maxOf(num(trusted(snap, "current_a")), num(trusted(snap, "current_b")), num(trusted(snap, "current_c"))),
    readAt: snap?.at,
    ageMs: f.ageMs,
    readFailed: state?.error !== undefined,
    stale: f.stale,
  };
  if (f.reason) v.staleReason = f.reason;
  const nominal = num(trusted(snap, "nominal_voltage_v"));
  if (nominal !== undefined && nominal > 0) {
    const t1 = terminalPu(snap, "voltage", nominal);
    const t2 = terminalPu(snap, "load_voltage", nominal);
    if (t1 || t2) v.terminalPu = [t1, t2];
  }
  const p = num(trusted(snap, "p_kw"));
  if (p !== undefined) v.pKw = p;
  return v;
}

/** One terminal's phase voltages in pu: the lowest and highest live phase; undefined when the device reports none. */
function terminalPu(snap: ChannelSnapshot | undefined, prefix: "voltage" | "load_voltage", nominalV: number): TerminalPu | undefined {
  const phases = ["a", "b", "c"].map((ph) => num(trusted(snap, `${prefix}_${ph}`))).filter((x): x is number => x !== undefined);
  if (phases.length === 0) return undefined;
  // A phase the switch does not have, or a dead one, reads 0.
  const live = phases.filter((x) => x > 0).map((x) => x / nominalV);
  return live.length ? { min: Math.min(...live), max: Math.max(...live) } : { min: 0, max: 0 };
}

export function unitView(id: string, device: string, state: DeviceState | undefined, now: number, staleAfterMs: number, ratingKw?: number): UnitView {
  const f = freshness(state, now, staleAfterMs);
  const snap = state?.snapshot;
  const connected = trusted(snap, "connected");
  return {
    id,
    device,
    pKw: num(trusted(snap, "p_kw")),
    ratingKw: num(trusted(snap, "p_rating_kw")) ?? ratingKw,
    connected: typeof connected === "boolean" ? connected : undefined,
    stale: f.stale,
  };
}

export function pccView(device: string, state: DeviceState | undefined, now: number, staleAfterMs: number, nominalV: number, deadBelowPu: number): PccView {
  const f = freshness(state, now, staleAfterMs);
  const snap = state?.snapshot;
  const v = maxOf(num(trusted(snap, "voltage_a")), num(trusted(snap, "voltage_b")), num(trusted(snap, "voltage_c")));
  const voltagePu = v === undefined ? undefined : v / nominalV;
  // Dead only on evidence: a stale or unreadable PCC never starts a restoration by itself.
  return { device, voltagePu, dead: !f.stale && voltagePu !== undefined && voltagePu < deadBelowPu, stale: f.stale };
}

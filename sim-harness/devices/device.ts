// One simulated field device serving a hardware profile: its point values
// (engineering units, the one truth), their Modbus encoding (kept current in
// a register image), writes checked against the profile, and the plant
// actions those writes cause, queued until the harness's next step so that a
// run does not depend on when packets arrive.
import { decodePoint, notImplementedRegisters, rawToRegisters, registerCount, toRaw, type PointValue } from "../../shared/profile/codec.js";
import { pointValueOf, type ResolvedPoint, type ResolvedProfile } from "../../shared/profile/resolve.js";
import type { Literal, ModbusTable, Rejection } from "../../shared/profile/schema.js";
import { sunspecFrame } from "../../shared/profile/sunspec.js";
import type { SimClock } from "./clock.js";
import { RegisterImage } from "./image.js";
import type { ElementMeasurement, Plant } from "./plant.js";

export interface DeviceSpec {
  /** Device name (`sw-l35`, `der-pv1`): the endpoint table's first column and the OPC UA logical device. */
  id: string;
  /** Position in the harness: writes of one step are applied in this order. */
  index: number;
  profile: ResolvedProfile;
  /** Canonical feeder element the device is bound to (`Line.l35`). */
  element: string;
  /** Modbus unit id it answers to. */
  unitId: number;
  /** Scale-factor exponents chosen for this device's ratings (SunSpec), by point ref. */
  scaleFactors?: ReadonlyMap<string, number>;
}

/** Why a write was refused: an address that is not there (exception 2), or the device's own refusal (the profile's rejection). */
export type WriteOutcome =
  | { ok: true }
  | { ok: false; kind: "address"; reason: string }
  | { ok: false; kind: "value"; reason: string }
  | { ok: false; kind: "refused"; rejection: Rejection; reason: string };

export const OK: WriteOutcome = { ok: true };

/** A change to the plant a device asked for, applied at the next step in (device index, seq) order. */
export interface PlantAction {
  device: number;
  seq: number;
  /** Simulated time at which it takes effect (operate time of a mechanism). */
  dueMs: number;
  description: string;
  apply(plant: Plant): void;
}

/** Device-level faults (wire faults live in the servers). */
export interface DeviceFaultFlags {
  /** Commands accepted, position unchanged. */
  stuck: boolean;
  /** Fault indicators that never set, by phase index 0-2. */
  lostFaultIndicator: boolean[];
}

export abstract class SimDevice {
  readonly id: string;
  readonly index: number;
  readonly profile: ResolvedProfile;
  readonly element: string;
  readonly unitId: number;
  readonly image = new RegisterImage();
  readonly faults: DeviceFaultFlags = { stuck: false, lostFaultIndicator: [false, false, false] };
  protected readonly clock: SimClock;
  private readonly values = new Map<string, PointValue | null>();
  private readonly sf = new Map<string, number>();
  /** table -> address -> the point covering it. */
  private readonly byAddress: Record<ModbusTable, Map<number, ResolvedPoint>> = { coil: new Map(), discrete: new Map(), holding: new Map(), input: new Map() };
  /** Point ref -> points that show the same value (`same_as`). */
  private readonly mirrors = new Map<string, string[]>();
  private actions: PlantAction[] = [];
  private seq = 0;

  constructor(spec: DeviceSpec, clock: SimClock) {
    this.id = spec.id;
    this.index = spec.index;
    this.profile = spec.profile;
    this.element = spec.element;
    this.unitId = spec.unitId;
    this.clock = clock;
    for (const [ref, v] of spec.scaleFactors ?? []) this.sf.set(ref, v);
    for (const p of this.profile.points) if (p.sameAs !== undefined) this.mirrors.set(p.sameAs, [...(this.mirrors.get(p.sameAs) ?? []), p.ref]);
    for (const p of this.profile.points) {
      if (p.table !== undefined && p.address !== undefined) {
        this.image.tables[p.table].map(p.address, p.size);
        for (let i = 0; i < p.size; i++) this.byAddress[p.table].set(p.address + i, p);
      }
    }
    // SunSpec's marker, model headers and end marker.
    if (this.profile.sunspec) {
      const bank = this.image.tables.holding;
      for (const [addr, word] of sunspecFrame(this.profile)) {
        bank.map(addr, 1);
        bank.write(addr, [word]);
      }
    }
    // Scale factors first: the fixed values of scaled points are encoded with them.
    const scaled: ResolvedPoint[] = [];
    for (const p of this.profile.points) {
      const fixed = this.sf.get(p.ref);
      if (fixed !== undefined) this.set(p.ref, fixed);
      else if (p.value !== undefined && p.scaleFactor === undefined) this.set(p.ref, p.value);
      else if (p.value !== undefined) scaled.push(p);
      else this.set(p.ref, p.notImplemented ? null : initialValue(p));
    }
    for (const p of scaled) this.set(p.ref, p.value as PointValue);
  }

  // ---- values ----

  point(ref: string): ResolvedPoint {
    const p = this.profile.byRef.get(ref);
    if (!p) throw new Error(`device ${this.id}: profile ${this.profile.id} has no point '${ref}'`);
    return p;
  }

  get(ref: string): PointValue | null {
    return this.values.get(ref) ?? null;
  }

  /** The value of a point's scale factor (undefined when the point is not scaled by one). */
  scaleFactorOf(p: ResolvedPoint): number | null | undefined {
    if (p.scaleFactor === undefined) return undefined;
    const v = this.values.get(p.scaleFactor);
    return typeof v === "number" ? v : null;
  }

  /**
   * Set a point's engineering value (null: not implemented). A value outside
   * the point's range saturates at the range's end, as a transducer does.
   */
  set(ref: string, value: PointValue | null): void {
    const p = this.point(ref);
    let stored = value;
    if (p.table !== undefined && p.address !== undefined) {
      let regs: number[];
      if (value === null) regs = notImplementedRegisters(p);
      else {
        const sf = this.scaleFactorOf(p);
        const clamped = saturate(p, value, sf);
        stored = clamped.value;
        regs = rawToRegisters(p, clamped.raw);
      }
      this.image.tables[p.table].write(p.address, regs);
    } else if (value !== null) {
      stored = saturate(p, value, this.scaleFactorOf(p)).value;
    }
    this.values.set(ref, stored);
    for (const m of this.mirrors.get(ref) ?? []) this.set(m, stored);
  }

  /** Set a standard channel, if the profile maps it. */
  setChannel(id: string, value: PointValue | null): void {
    const ch = this.profile.channels.get(id);
    if (!ch) return;
    this.set(ch.point.ref, value === null ? null : pointValueOf(ch, value));
  }

  /** A standard channel's value as the device holds it. */
  channel(id: string): PointValue | null {
    const ch = this.profile.channels.get(id);
    if (!ch) return null;
    const v = this.get(ch.point.ref);
    if (v === null) return null;
    if (ch.spec.type === "number") return typeof v === "number" ? v * ch.factor : null;
    if (ch.map) {
      const m = ch.map[String(v)];
      return m === undefined ? null : ch.spec.type === "bool" ? m === "true" : m;
    }
    return v;
  }

  // ---- Modbus access ----

  /** Registers (or bits) of a table, or undefined when part of the range is not mapped. */
  readRegisters(table: ModbusTable, address: number, count: number): number[] | undefined {
    const bank = this.image.tables[table];
    if (!bank.covers(address, count)) return undefined;
    return bank.read(address, count);
  }

  /** A Modbus write (FC5/6/15/16): every register must be mapped and writable; points are applied in address order. */
  writeRegisters(table: ModbusTable, address: number, words: readonly number[]): WriteOutcome {
    if (table !== "holding" && table !== "coil") return { ok: false, kind: "address", reason: `${table} is read-only` };
    const bank = this.image.tables[table];
    if (!bank.covers(address, words.length)) return { ok: false, kind: "address", reason: `${table} ${address}..${address + words.length - 1} is not mapped` };
    const touched: ResolvedPoint[] = [];
    for (let a = address; a < address + words.length; a++) {
      const p = this.byAddress[table].get(a);
      if (!p) return { ok: false, kind: "address", reason: `${table} ${a} is not a point` };
      if (p.access === "read") return { ok: false, kind: "address", reason: `point '${p.ref}' is read-only` };
      if (touched[touched.length - 1] !== p) touched.push(p);
    }
    for (const p of touched) {
      // The point's registers after the write: what was there, overlaid with what was written.
      const regs = bank.read(p.address!, p.size);
      for (let i = 0; i < p.size; i++) {
        const a = p.address! + i;
        if (a >= address && a < address + words.length) regs[i] = words[a - address]!;
      }
      const value = decodePoint(p, regs, this.scaleFactorOf(p));
      if (value === null) return { ok: false, kind: "value", reason: `point '${p.ref}': not-implemented value written` };
      const out = this.write(p, value);
      if (!out.ok) return out;
    }
    return OK;
  }

  /** A write of one point's engineering value (OPC UA, and each point of a Modbus write). */
  write(p: ResolvedPoint, value: PointValue): WriteOutcome {
    if (p.access === "read") return { ok: false, kind: "address", reason: `point '${p.ref}' is read-only` };
    try {
      toRaw(p, value, this.scaleFactorOf(p));
    } catch (e) {
      return { ok: false, kind: "value", reason: (e as Error).message };
    }
    const out = this.onWrite(p, value);
    if (out.ok && !this.keepsOwnValue(p)) {
      this.set(p.ref, value);
      this.afterWrite(p);
    }
    return out;
  }

  /** After an accepted write is stored (a DER recomputes its limit). */
  protected afterWrite(_p: ResolvedPoint): void {}

  /** A command point the device answers itself (its reads show the device's state, not the last write). */
  protected keepsOwnValue(_p: ResolvedPoint): boolean {
    return false;
  }

  /** The device's reaction to an accepted-looking write; refuse it, or accept and queue plant actions. */
  protected abstract onWrite(p: ResolvedPoint, value: PointValue): WriteOutcome;

  // ---- physics ----

  /** Queue a plant change for the next step (or later: `delayMs`). */
  protected queue(description: string, apply: (plant: Plant) => void, delayMs = 0): void {
    this.actions.push({ device: this.index, seq: this.seq++, dueMs: this.clock.now() + delayMs, description, apply });
  }

  /** Simulated time at which the earliest queued plant action is due, if any (the bench steps a lockstep clock to it). */
  nextDueMs(): number | undefined {
    let t: number | undefined;
    for (const a of this.actions) if (t === undefined || a.dueMs < t) t = a.dueMs;
    return t;
  }

  /** Plant actions due by `nowMs`, removed from the queue, in the order they were made. */
  takeDueActions(nowMs: number): PlantAction[] {
    const due = this.actions.filter((a) => a.dueMs <= nowMs);
    if (due.length) this.actions = this.actions.filter((a) => a.dueMs > nowMs);
    return due;
  }

  /** Before the plant is solved: the device's own dynamics over dtMs (a battery's energy, a spontaneous trip). */
  abstract advance(plant: Plant, nowMs: number, dtMs: number): void;

  /** After the plant is solved: measurements into channels. */
  abstract refresh(plant: Plant, nowMs: number): void;

  /** The standard measurement channels every kind shares: per-phase currents and voltages, P, Q, frequency. */
  protected showMeasurement(m: ElementMeasurement): void {
    (["a", "b", "c"] as const).forEach((ph, i) => {
      this.setChannel(`current_${ph}`, m.currentA[i]!);
      this.setChannel(`voltage_${ph}`, m.voltageV[i]!);
    });
    this.setChannel("p_kw", m.pKw);
    this.setChannel("q_kvar", m.qKvar);
    this.setChannel("frequency_hz", m.frequencyHz);
    // Where the profile has them: the load-side VTs and the nominal voltage setting.
    if (m.voltage2V) (["a", "b", "c"] as const).forEach((ph, i) => this.setChannel(`load_voltage_${ph}`, m.voltage2V![i]!));
    if (m.nominalV !== undefined) this.setChannel("nominal_voltage_v", m.nominalV);
  }

  /** Compare a written value with a profile literal (enum symbols, numbers and booleans alike). */
  protected matches(p: ResolvedPoint, value: PointValue, literal: Literal): boolean {
    try {
      const a = toRaw(p, value, this.scaleFactorOf(p));
      const b = toRaw(p, literal, this.scaleFactorOf(p));
      return a === b;
    } catch {
      return false;
    }
  }
}

/** The value a point starts with when the profile gives none: false, 0, "", or the enum's first symbol. */
function initialValue(p: ResolvedPoint): PointValue {
  if (p.type === "bool") return false;
  if (p.type === "string") return "";
  if (p.type === "enum") return Object.keys(p.values ?? {})[0] ?? 0;
  return 0;
}

/** Encode, saturating a number at its type's range (and its limits): a transducer pins, it does not wrap. */
function saturate(p: ResolvedPoint, value: PointValue, sf: number | null | undefined): { value: PointValue; raw: ReturnType<typeof toRaw> } {
  try {
    const raw = toRaw({ ...p, limits: undefined }, value, sf);
    rawToRegisters(p, raw);
    return { value, raw };
  } catch (e) {
    if (typeof value !== "number" || p.type === "f32") throw e;
    const [lo, hi] = rawRange(p);
    const scale = (p.scale ?? 1) * (p.scaleFactor !== undefined && typeof sf === "number" ? 10 ** sf : 1);
    const rawWanted = value / scale;
    const raw = Math.max(lo, Math.min(hi, Math.round(rawWanted)));
    const bigRaw = p.type === "u64" || p.type === "i64" ? BigInt(raw) : raw;
    return { value: raw * scale, raw: bigRaw };
  }
}

function rawRange(p: ResolvedPoint): [number, number] {
  const bits = registerCount(p) * 16;
  const t = p.type === "enum" ? (p.base ?? "u16") : p.type;
  if (t.startsWith("i")) return [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1];
  return [0, 2 ** bits - 1];
}

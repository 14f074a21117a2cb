// The point codec: a point's engineering value <-> its Modbus registers or
// its OPC UA variant, by data type, byte and word order, and scale (fixed, or
// a SunSpec scale-factor point's value). Pure; the drivers and the simulated
// devices both use it, so they cannot disagree about a bit.
import { BlackstartError } from "../errors.js";
import { ProfileErrors } from "./errors.js";
import type { DataType, EnumBase, ModbusTable, Order } from "./schema.js";

/** What the codec needs to know about a point (a ResolvedPoint has all of it). */
export interface CodecPoint {
  /** Qualified name, used in error messages. */
  ref: string;
  type: DataType;
  /** string: registers. */
  length?: number | undefined;
  /** enum: symbol -> wire value. */
  values?: Readonly<Record<string, number>> | undefined;
  base?: EnumBase | undefined;
  table?: ModbusTable | undefined;
  byteOrder: Order;
  wordOrder: Order;
  scale?: number | undefined;
  /** Set when the point is scaled by a scale-factor point: the caller passes that point's value. */
  scaleFactor?: string | undefined;
  limits?: { min?: number | undefined; max?: number | undefined } | undefined;
  /** Registers meaning "not implemented" (decoded as null). */
  notImplemented?: readonly number[] | undefined;
}

export type PointValue = number | boolean | string;
/** A raw wire value before scaling: integers as number (or bigint for 64-bit), strings, booleans. */
type Raw = number | bigint | string | boolean;

const INT_RANGE: Record<string, [bigint, bigint, number]> = {
  u16: [0n, 0xffffn, 1],
  i16: [-0x8000n, 0x7fffn, 1],
  u32: [0n, 0xffffffffn, 2],
  i32: [-0x80000000n, 0x7fffffffn, 2],
  u64: [0n, 0xffffffffffffffffn, 4],
  i64: [-0x8000000000000000n, 0x7fffffffffffffffn, 4],
};

function valueError(p: CodecPoint, detail: string): BlackstartError {
  return new BlackstartError(ProfileErrors.POINT_VALUE, `point '${p.ref}': ${detail}`);
}

/** The integer type a point is stored as (enum: its base; bool in a register: u16). */
function storageType(p: CodecPoint): DataType {
  if (p.type === "enum") return p.base ?? "u16";
  if (p.type === "bool") return "u16";
  return p.type;
}

export function isBitTable(table: ModbusTable | undefined): boolean {
  return table === "coil" || table === "discrete";
}

/** Number of registers (or bits, in coil/discrete tables) a point occupies. */
export function registerCount(p: Pick<CodecPoint, "type" | "length" | "base" | "table">): number {
  if (p.type === "bool") return 1;
  if (p.type === "string") return p.length ?? 1;
  if (p.type === "f32") return 2;
  const t = p.type === "enum" ? (p.base ?? "u16") : p.type;
  return INT_RANGE[t]![2];
}

// ---- registers <-> bytes, honouring byte and word order ----

function wordsToBytes(p: CodecPoint, regs: ArrayLike<number>, n: number): Uint8Array {
  if (regs.length < n) throw valueError(p, `needs ${n} registers, got ${regs.length}`);
  const out = new Uint8Array(n * 2);
  for (let i = 0; i < n; i++) {
    // Word order: "big" = most significant word first on the wire.
    const w = regs[p.wordOrder === "big" || p.type === "string" ? i : n - 1 - i]! & 0xffff;
    const hi = w >> 8;
    const lo = w & 0xff;
    out[2 * i] = p.byteOrder === "big" ? hi : lo;
    out[2 * i + 1] = p.byteOrder === "big" ? lo : hi;
  }
  return out;
}

function bytesToWords(p: CodecPoint, bytes: Uint8Array): number[] {
  const n = bytes.length / 2;
  const words = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const a = bytes[2 * i]!;
    const b = bytes[2 * i + 1]!;
    const w = p.byteOrder === "big" ? (a << 8) | b : (b << 8) | a;
    words[p.wordOrder === "big" || p.type === "string" ? i : n - 1 - i] = w;
  }
  return words;
}

/** Raw value -> registers (no scaling). */
export function rawToRegisters(p: CodecPoint, raw: Raw): number[] {
  if (p.type === "string") {
    const n = p.length ?? 1;
    const bytes = Buffer.from(String(raw), "utf8");
    if (bytes.length > n * 2) throw valueError(p, `string '${String(raw)}' is longer than ${n * 2} bytes`);
    const padded = new Uint8Array(n * 2);
    padded.set(bytes);
    return bytesToWords(p, padded);
  }
  if (p.type === "f32") {
    const buf = Buffer.alloc(4);
    buf.writeFloatBE(Number(raw));
    return bytesToWords(p, buf);
  }
  const t = storageType(p);
  const [lo, hi, n] = INT_RANGE[t]!;
  let v: bigint;
  if (typeof raw === "boolean") v = raw ? 1n : 0n;
  else if (typeof raw === "bigint") v = raw;
  else if (typeof raw === "number" && Number.isInteger(raw)) v = BigInt(raw);
  else throw valueError(p, `raw value ${String(raw)} is not an integer`);
  if (p.type === "bool" && isBitTable(p.table)) return [v !== 0n ? 1 : 0];
  if (v < lo || v > hi) throw valueError(p, `raw value ${v} is outside the range of ${t} (${lo}..${hi})`);
  if (v < 0n) v += 1n << BigInt(16 * n);
  const bytes = new Uint8Array(n * 2);
  for (let i = n * 2 - 1; i >= 0; i--) {
    bytes[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return bytesToWords(p, bytes);
}

/** Registers -> raw value (no scaling). 64-bit integers come back as bigint. */
export function registersToRaw(p: CodecPoint, regs: ArrayLike<number>): Raw {
  if (p.type === "bool") {
    if (regs.length < 1) throw valueError(p, "needs 1 register");
    return regs[0] !== 0;
  }
  const n = registerCount(p);
  const bytes = wordsToBytes(p, regs, n);
  if (p.type === "string") {
    const end = bytes.indexOf(0);
    return Buffer.from(end < 0 ? bytes : bytes.subarray(0, end)).toString("utf8");
  }
  if (p.type === "f32") return Buffer.from(bytes).readFloatBE(0);
  const t = storageType(p);
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  if (t.startsWith("i") && (bytes[0]! & 0x80) !== 0) v -= 1n << BigInt(16 * n);
  return n === 4 ? v : Number(v);
}

// ---- scaling ----

/**
 * The multiplier raw -> engineering: `scale` times 10^sf for a scale-factor
 * point. A scale-factor point that is itself not implemented gives undefined.
 */
export function effectiveScale(p: CodecPoint, sf?: number | null): number | undefined {
  let s = p.scale ?? 1;
  if (p.scaleFactor !== undefined) {
    if (sf === undefined || sf === null || !Number.isInteger(sf) || sf < -10 || sf > 10) return undefined;
    s *= 10 ** sf;
  }
  return s;
}

/** raw * scale without binary noise for decimal scales (1234 * 0.1 -> 123.4, not 123.40000000000001). */
function applyScale(raw: number, scale: number): number {
  if (scale === 1) return raw;
  const inv = 1 / scale;
  if (Math.abs(scale) < 1 && Number.isInteger(Math.round(inv * 1e9) / 1e9)) return raw / Math.round(inv);
  return raw * scale;
}

function removeScale(value: number, scale: number): number {
  if (scale === 1) return value;
  const inv = 1 / scale;
  if (Math.abs(scale) < 1 && Number.isInteger(Math.round(inv * 1e9) / 1e9)) return value * Math.round(inv);
  return value / scale;
}

/** The smallest step of a point's engineering value: its least significant digit. */
export function resolution(p: CodecPoint, sf?: number | null): number | undefined {
  if (p.type === "f32") return 0;
  const s = effectiveScale(p, sf);
  return s === undefined ? undefined : Math.abs(s);
}

function sameRegisters(a: ArrayLike<number>, b: readonly number[]): boolean {
  if (a.length < b.length) return false;
  for (let i = 0; i < b.length; i++) if ((a[i]! & 0xffff) !== b[i]) return false;
  return true;
}

/**
 * Registers -> engineering value. Enums decode to their symbol (or the number
 * when the device sends a value the profile does not name). Null: not
 * implemented (SunSpec's sentinel values, or an unusable scale factor).
 */
export function decodePoint(p: CodecPoint, regs: ArrayLike<number>, sf?: number | null): PointValue | null {
  if (p.notImplemented && sameRegisters(regs, p.notImplemented)) return null;
  const raw = registersToRaw(p, regs);
  if (p.type === "bool" || p.type === "string") return raw as boolean | string;
  if (p.type === "enum") {
    const n = Number(raw);
    for (const [sym, v] of Object.entries(p.values ?? {})) if (v === n) return sym;
    return n;
  }
  const num = typeof raw === "bigint" ? Number(raw) : (raw as number);
  if (p.type === "f32" && Number.isNaN(num)) return null;
  const s = effectiveScale(p, sf);
  if (s === undefined) return null;
  return applyScale(num, s);
}

/** Engineering value -> raw value, checking the enum symbols, the type's range and the limits. */
export function toRaw(p: CodecPoint, value: PointValue, sf?: number | null): Raw {
  if (p.type === "string") return String(value);
  if (p.type === "bool") {
    if (typeof value === "boolean") return value;
    if (value === 0 || value === 1) return value === 1;
    if (value === "true" || value === "false") return value === "true";
    throw valueError(p, `expected a boolean, got ${JSON.stringify(value)}`);
  }
  if (p.type === "enum") {
    if (typeof value === "string") {
      const v = p.values?.[value];
      if (v === undefined) throw valueError(p, `unknown symbol '${value}' (known: ${Object.keys(p.values ?? {}).join(", ")})`);
      return v;
    }
    if (typeof value === "number" && Number.isInteger(value)) return value;
    throw valueError(p, `expected an enum symbol, got ${JSON.stringify(value)}`);
  }
  const num = typeof value === "boolean" ? (value ? 1 : 0) : Number(value);
  if (!Number.isFinite(num)) throw valueError(p, `expected a number, got ${JSON.stringify(value)}`);
  const lim = checkLimits(p, num);
  if (lim) throw valueError(p, lim);
  const s = effectiveScale(p, sf);
  if (s === undefined) throw valueError(p, `scale factor '${p.scaleFactor}' is not usable (${String(sf)})`);
  const unscaled = removeScale(num, s);
  if (p.type === "f32") return unscaled;
  const rounded = Math.round(unscaled);
  if (p.type === "u64" || p.type === "i64") return BigInt(rounded);
  return rounded;
}

/** Engineering value -> registers (or a bit). */
export function encodePoint(p: CodecPoint, value: PointValue, sf?: number | null): number[] {
  return rawToRegisters(p, toRaw(p, value, sf));
}

/** Registers a point reads as when it is not implemented (or zeros when it has no sentinel). */
export function notImplementedRegisters(p: CodecPoint): number[] {
  if (p.notImplemented) return [...p.notImplemented];
  return new Array<number>(registerCount(p)).fill(0);
}

/** Why a value is outside the point's limits, or undefined. */
export function checkLimits(p: Pick<CodecPoint, "limits">, value: number): string | undefined {
  const { min, max } = p.limits ?? {};
  if (min !== undefined && value < min) return `${value} is below the minimum ${min}`;
  if (max !== undefined && value > max) return `${value} is above the maximum ${max}`;
  return undefined;
}

/** SunSpec's "not implemented" sentinel of each wire type. */
export function sunspecNotImplemented(p: CodecPoint): number[] | undefined {
  const t = p.type;
  if (t === "bool") return undefined;
  if (t === "string") return new Array<number>(p.length ?? 1).fill(0);
  if (t === "f32") return rawToRegisters({ ...p, notImplemented: undefined }, NaN);
  const st = storageType(p);
  const n = INT_RANGE[st]![2];
  const words = new Array<number>(n).fill(st.startsWith("i") ? 0 : 0xffff);
  if (st.startsWith("i")) words[0] = 0x8000;
  // The sentinel is a value, so it follows the point's word and byte order.
  const bytes = new Uint8Array(n * 2);
  words.forEach((w, i) => {
    bytes[2 * i] = w >> 8;
    bytes[2 * i + 1] = w & 0xff;
  });
  return bytesToWords({ ...p, byteOrder: p.byteOrder, wordOrder: p.wordOrder }, bytes);
}

// ---- OPC UA variants ----

/** node-opcua DataType names (`DataType[name]` in node-opcua). */
export type VariantType = "Boolean" | "UInt16" | "Int16" | "UInt32" | "Int32" | "UInt64" | "Int64" | "Float" | "String";
export interface VariantLike {
  dataType: VariantType;
  /** 64-bit integers as node-opcua holds them: [high, low] 32-bit words. */
  value: number | boolean | string | [number, number];
}

const VARIANT_OF: Record<string, VariantType> = {
  bool: "Boolean",
  u16: "UInt16",
  i16: "Int16",
  u32: "UInt32",
  i32: "Int32",
  u64: "UInt64",
  i64: "Int64",
  f32: "Float",
  string: "String",
};

export function variantType(p: Pick<CodecPoint, "type" | "base">): VariantType {
  return VARIANT_OF[p.type === "enum" ? (p.base ?? "u16") : p.type]!;
}

/** Engineering value -> OPC UA variant (integers carry the raw, scaled value). */
export function encodeVariant(p: CodecPoint, value: PointValue, sf?: number | null): VariantLike {
  const raw = toRaw(p, value, sf);
  const dataType = variantType(p);
  if (typeof raw === "bigint") {
    const u = raw < 0n ? raw + (1n << 64n) : raw;
    return { dataType, value: [Number(u >> 32n), Number(u & 0xffffffffn)] };
  }
  if (p.type !== "string" && p.type !== "bool" && p.type !== "f32") {
    // Range check through the register encoder: one rule for both protocols.
    rawToRegisters(p, raw);
  }
  return { dataType, value: raw as number | boolean | string };
}

/** OPC UA variant value -> engineering value. */
export function decodeVariant(p: CodecPoint, value: unknown, sf?: number | null): PointValue | null {
  if (value === null || value === undefined) return null;
  if (p.type === "bool") return Boolean(value);
  if (p.type === "string") return String(value);
  let num: number;
  if (Array.isArray(value) && value.length === 2) {
    const u = (BigInt(value[0] as number) << 32n) | BigInt(value[1] as number);
    num = Number(p.type === "i64" && u >= 1n << 63n ? u - (1n << 64n) : u);
  } else num = Number(value);
  if (p.type === "enum") {
    for (const [sym, v] of Object.entries(p.values ?? {})) if (v === num) return sym;
    return num;
  }
  if (Number.isNaN(num)) return null;
  const s = effectiveScale(p, sf);
  return s === undefined ? null : applyScale(num, s);
}

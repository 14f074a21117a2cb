import { describe, expect, it } from "vitest";
import {
  decodePoint,
  decodeVariant,
  encodePoint,
  encodeVariant,
  rawToRegisters,
  registerCount,
  registersToRaw,
  resolution,
  sunspecNotImplemented,
  type CodecPoint,
} from "../codec.js";
import { BlackstartError } from "../../errors.js";

const pt = (over: Partial<CodecPoint>): CodecPoint => ({ ref: "p", type: "u16", byteOrder: "big", wordOrder: "big", ...over });

describe("point codec: registers", () => {
  it("encodes every integer type big-endian, high word first, as Modbus and SunSpec do", () => {
    expect(encodePoint(pt({ type: "u16" }), 0x1234)).toEqual([0x1234]);
    expect(encodePoint(pt({ type: "i16" }), -2)).toEqual([0xfffe]);
    expect(encodePoint(pt({ type: "u32" }), 0x12345678)).toEqual([0x1234, 0x5678]);
    expect(encodePoint(pt({ type: "i32" }), -1)).toEqual([0xffff, 0xffff]);
    expect(encodePoint(pt({ type: "i32" }), -65536)).toEqual([0xffff, 0x0000]);
    expect(encodePoint(pt({ type: "u64" }), 2 ** 40 + 5)).toEqual([0x0000, 0x0100, 0x0000, 0x0005]);
    expect(encodePoint(pt({ type: "i64" }), -2)).toEqual([0xffff, 0xffff, 0xffff, 0xfffe]);
  });

  it("honours word order (CDAB) and byte order (BADC, DCBA)", () => {
    expect(encodePoint(pt({ type: "u32", wordOrder: "little" }), 0x12345678)).toEqual([0x5678, 0x1234]);
    expect(encodePoint(pt({ type: "u32", byteOrder: "little" }), 0x12345678)).toEqual([0x3412, 0x7856]);
    expect(encodePoint(pt({ type: "u32", byteOrder: "little", wordOrder: "little" }), 0x12345678)).toEqual([0x7856, 0x3412]);
    expect(encodePoint(pt({ type: "u16", byteOrder: "little" }), 0x1234)).toEqual([0x3412]);
    for (const byteOrder of ["big", "little"] as const)
      for (const wordOrder of ["big", "little"] as const)
        for (const [type, v] of [["i32", -123456789], ["f32", 1.5], ["u64", 123456789012], ["i16", -300]] as const) {
          const p = pt({ type, byteOrder, wordOrder });
          expect(decodePoint(p, encodePoint(p, v))).toBe(v);
        }
  });

  it("encodes IEEE 754 floats", () => {
    expect(encodePoint(pt({ type: "f32" }), 1.0)).toEqual([0x3f80, 0x0000]);
    expect(encodePoint(pt({ type: "f32", wordOrder: "little" }), -2.5)).toEqual([0x0000, 0xc020]);
    expect(decodePoint(pt({ type: "f32" }), [0x4049, 0x0fdb])).toBeCloseTo(Math.PI, 6);
  });

  it("encodes strings two characters a register, NUL padded, and refuses too long ones", () => {
    const s = pt({ type: "string", length: 4 });
    expect(registerCount(s)).toBe(4);
    expect(encodePoint(s, "SunS")).toEqual([0x5375, 0x6e53, 0, 0]);
    expect(decodePoint(s, [0x5375, 0x6e53, 0x4100, 0])).toBe("SunSA");
    expect(() => encodePoint(s, "123456789")).toThrow(/longer than 8 bytes/);
  });

  it("scales with a fixed scale and with a SunSpec scale factor, without binary noise", () => {
    const a = pt({ type: "u16", scale: 0.1 });
    expect(encodePoint(a, 123.4)).toEqual([1234]);
    expect(decodePoint(a, [1234])).toBe(123.4);
    const w = pt({ type: "i16", scaleFactor: "W_SF" });
    expect(encodePoint(w, 52000, 2)).toEqual([520]);
    expect(decodePoint(w, [520], 2)).toBe(52000);
    expect(decodePoint(w, [12345], -2)).toBe(123.45);
    expect(decodePoint(w, [0xfffe], -1)).toBe(-0.2);
    expect(resolution(w, 2)).toBe(100);
    expect(resolution(a)).toBe(0.1);
    // A scale factor that is missing or not implemented makes the value unknown, not wrong.
    expect(decodePoint(w, [520], null)).toBeNull();
    expect(() => encodePoint(w, 1, undefined)).toThrow(/scale factor/);
  });

  it("rounds to the nearest step and refuses values out of the type's range", () => {
    const a = pt({ type: "u16", scale: 0.1 });
    expect(encodePoint(a, 0.06)).toEqual([1]);
    expect(() => encodePoint(a, 6553.6)).toThrow(BlackstartError);
    expect(() => encodePoint(pt({ type: "i16" }), 40000)).toThrow(/outside the range of i16/);
    expect(() => encodePoint(pt({ type: "u16" }), -1)).toThrow(/outside the range/);
  });

  it("checks limits in engineering units", () => {
    const p = pt({ type: "u16", scale: 0.1, limits: { min: 0, max: 100 } });
    expect(() => encodePoint(p, 100.1)).toThrow(/above the maximum 100/);
    expect(encodePoint(p, 100)).toEqual([1000]);
  });

  it("maps enums to symbols both ways and keeps unknown values as numbers", () => {
    const e = pt({ type: "enum", values: { off: 1, on: 2 } });
    expect(encodePoint(e, "on")).toEqual([2]);
    expect(decodePoint(e, [1])).toBe("off");
    expect(decodePoint(e, [7])).toBe(7);
    expect(() => encodePoint(e, "maybe")).toThrow(/unknown symbol 'maybe'/);
    const e32 = pt({ type: "enum", base: "u32", values: { big: 70000 } });
    expect(encodePoint(e32, "big")).toEqual([1, 70000 - 65536]);
  });

  it("decodes bools from bits and registers", () => {
    expect(encodePoint(pt({ type: "bool", table: "coil" }), true)).toEqual([1]);
    expect(encodePoint(pt({ type: "bool", table: "holding" }), true)).toEqual([1]);
    expect(decodePoint(pt({ type: "bool" }), [0])).toBe(false);
    expect(decodePoint(pt({ type: "bool" }), [5])).toBe(true);
  });

  it("knows SunSpec's not-implemented values and decodes them as null", () => {
    for (const [type, regs] of [
      ["u16", [0xffff]],
      ["i16", [0x8000]],
      ["u32", [0xffff, 0xffff]],
      ["i32", [0x8000, 0]],
      ["u64", [0xffff, 0xffff, 0xffff, 0xffff]],
      ["string", [0, 0]],
    ] as const) {
      const p = pt({ type, length: type === "string" ? 2 : undefined });
      const ni = sunspecNotImplemented(p)!;
      expect(ni).toEqual(regs);
      expect(decodePoint({ ...p, notImplemented: ni }, regs)).toBeNull();
    }
    expect(decodePoint(pt({ type: "f32" }), rawToRegisters(pt({ type: "f32" }), NaN))).toBeNull();
  });

  it("returns 64-bit raws as bigint", () => {
    expect(registersToRaw(pt({ type: "u64" }), [0xffff, 0xffff, 0xffff, 0xffff])).toBe(0xffffffffffffffffn);
  });
});

describe("point codec: OPC UA variants", () => {
  it("maps data types to variant types and carries scaled integers", () => {
    expect(encodeVariant(pt({ type: "bool" }), true)).toEqual({ dataType: "Boolean", value: true });
    expect(encodeVariant(pt({ type: "f32" }), 12.5)).toEqual({ dataType: "Float", value: 12.5 });
    expect(encodeVariant(pt({ type: "i16", scale: 0.01 }), -1.5)).toEqual({ dataType: "Int16", value: -150 });
    expect(encodeVariant(pt({ type: "enum", base: "i32", values: { off: 1, on: 2 } }), "on")).toEqual({ dataType: "Int32", value: 2 });
    expect(encodeVariant(pt({ type: "u64" }), 2 ** 33 + 1)).toEqual({ dataType: "UInt64", value: [2, 1] });
    expect(() => encodeVariant(pt({ type: "i16" }), 40000)).toThrow(/range/);
  });

  it("decodes variants back", () => {
    expect(decodeVariant(pt({ type: "i16", scale: 0.01 }), -150)).toBe(-1.5);
    expect(decodeVariant(pt({ type: "enum", base: "i32", values: { off: 1, on: 2 } }), 1)).toBe("off");
    expect(decodeVariant(pt({ type: "u64" }), [2, 1])).toBe(2 ** 33 + 1);
    expect(decodeVariant(pt({ type: "i64" }), [0xffffffff, 0xfffffffe])).toBe(-2);
    expect(decodeVariant(pt({ type: "bool" }), null)).toBeNull();
  });
});

import { describe, expect, it } from "vitest";
import { splitParams } from "../tokenizer.js";
import { evalRpn, parseNumber, symMatrix, toBool, toInteger, toMatrixRows, toNumber, toNumbers, toStrings, ValueError } from "../values.js";
import { NameList } from "../names.js";
import { fillNodes, parseBusSpec } from "../buses.js";

describe("tokenizer (OpenDSS TParser rules)", () => {
  it("splits name=value and positional values, blanks or commas, spaces around =", () => {
    expect(splitParams("New Line.L1 Bus1=a, bus2 = b.1.2  length=1.5")).toEqual([
      { name: "", value: "New", quoted: false },
      { name: "", value: "Line.L1", quoted: false },
      { name: "Bus1", value: "a", quoted: false },
      { name: "bus2", value: "b.1.2", quoted: false },
      { name: "length", value: "1.5", quoted: false },
    ]);
  });

  it("reads quoted values with () [] {} \"\" '' without nesting", () => {
    const p = splitParams(`rmatrix=(0.3465 | 0.1560 0.3375) kvs="14.376 14.376" conns='wye wye' buses=[a b] x={1 2 +}`);
    expect(p.map((x) => [x.name, x.value, x.quoted])).toEqual([
      ["rmatrix", "0.3465 | 0.1560 0.3375", true],
      ["kvs", "14.376 14.376", true],
      ["conns", "wye wye", true],
      ["buses", "a b", true],
      ["x", "1 2 +", true],
    ]);
  });

  it("stops at ! and // outside quotes, and at the first empty value", () => {
    expect(splitParams("Set voltagebases=[115, 4.16] ! comment kv=1").map((p) => p.value)).toEqual(["Set", "115, 4.16"]);
    expect(splitParams("solve // mode=daily").map((p) => p.value)).toEqual(["solve"]);
    expect(splitParams('name="a ! b"')[0]!.value).toBe("a ! b");
    expect(splitParams("kv=12 ! x")).toHaveLength(1);
  });
});

describe("values", () => {
  it("numbers as Pascal's Val reads them", () => {
    expect(parseNumber("1e-4")).toBe(1e-4);
    expect(parseNumber(".48")).toBe(0.48);
    expect(parseNumber("5.")).toBe(5);
    expect(parseNumber("-3")).toBe(-3);
    for (const bad of ["", "1x", "0x10", "Infinity", "1e", "."]) expect(parseNumber(bad)).toBeNaN();
  });

  it("in-line RPN expressions", () => {
    expect(evalRpn("8 1000 /")).toBeCloseTo(0.008, 15);
    expect(evalRpn("1.051 0.88 0.001 3 * - - 115 12.47 / sqr *")).toBeCloseTo((1.051 - (0.88 - 0.003)) * (115 / 12.47) ** 2, 12);
    expect(evalRpn("0.4 3 sqrt /")).toBeCloseTo(0.4 / Math.sqrt(3), 15);
    expect(evalRpn("2 10 ^")).toBe(1024);
    expect(evalRpn("30 sin")).toBeCloseTo(0.5, 15);
    expect(toNumber("2475", true)).toBe(2475);
    expect(() => evalRpn("1 foo +")).toThrow(ValueError);
  });

  it("integers, yes/no", () => {
    expect(toInteger("3", false)).toBe(3);
    expect(toInteger("2.6", false)).toBe(3);
    expect(toInteger("$1A", false)).toBe(26);
    expect(toBool("Yes")).toBe(true);
    expect(toBool("t")).toBe(true);
    expect(toBool("no")).toBe(false);
    expect(toBool("False")).toBe(false);
    expect(() => toBool("maybe")).toThrow(ValueError);
    expect(() => toNumber("12kV", false)).toThrow(ValueError);
  });

  it("vectors, string lists and lower-triangle matrices", () => {
    expect(toNumbers("115, 12.47,  0.48 .208")).toEqual([115, 12.47, 0.48, 0.208]);
    expect(toNumbers("1 (2 3 *) 4")).toEqual([1, 6, 4]);
    expect(toStrings("SourceBus, 650")).toEqual(["SourceBus", "650"]);
    const rows = toMatrixRows("0.3465 | 0.1560 0.3375 | 0.1580 0.1535 0.3414");
    expect(rows).toEqual([[0.3465], [0.156, 0.3375], [0.158, 0.1535, 0.3414]]);
    const m = symMatrix(rows, 3);
    expect(Array.from(m)).toEqual([0.3465, 0.156, 0.158, 0.156, 0.3375, 0.1535, 0.158, 0.1535, 0.3414]);
    // a full matrix: the lower triangle wins, as in OpenDSS
    expect(Array.from(symMatrix(toMatrixRows("1 9 | 2 3"), 2))).toEqual([1, 2, 2, 3]);
  });
});

describe("names and buses", () => {
  it("resolve abbreviations to the first name in list order", () => {
    const l = new NameList(["bus1", "bus2", "linecode", "length", "phases", "r1", "x1"]);
    expect(l.find("bus")).toBe(0);
    expect(l.find("LENGTH")).toBe(3);
    expect(l.find("le")).toBe(3);
    expect(l.find("l")).toBe(2);
    expect(l.find("r")).toBe(5);
    expect(l.find("zz")).toBe(-1);
    expect(l.find("le", false)).toBe(-1);
  });

  it("fill in nodes as OpenDSS: phases 1..n, extra conductors 0, user nodes first", () => {
    expect(parseBusSpec("RG60.1.2.3")).toEqual({ bus: "rg60", nodes: [1, 2, 3] });
    expect(fillNodes([], 3, 3)).toEqual([1, 2, 3]);
    expect(fillNodes([], 3, 4)).toEqual([1, 2, 3, 0]);
    expect(fillNodes([2, 3], 1, 2)).toEqual([2, 3]);
    expect(fillNodes([3], 3, 3)).toEqual([3, 2, 3]);
    expect(fillNodes([1, 2, 3, 0], 3, 4)).toEqual([1, 2, 3, 0]);
  });
});

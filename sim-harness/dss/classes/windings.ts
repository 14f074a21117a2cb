// Winding data shared by Transformer and XfmrCode, and OpenDSS's edit rules
// for it (TTransf.Edit / TXfmrCode.Edit): `wdg=` picks the winding that
// bus/conn/kV/kVA/tap/%R/Rneut/Xneut/MaxTap/MinTap/NumTaps apply to; the array
// forms (buses, conns, kVs, kVAs, taps, %Rs) walk the windings and leave the
// last one active; kVA on winding 1 sets every winding's kVA (on a 2-winding
// unit, kVA on winding 2 sets winding 1's too); %loadloss splits evenly into
// %R of windings 1 and 2 and %R updates %loadloss; a zero reactance is
// replaced by OpenDSS's default (XHL 7, XHT 35, XLT 30 %).
import type { DssElement, EditContext } from "../model.js";
import { busSpecError } from "../buses.js";

export interface Winding {
  /** Bus spec as given (Transformer only). */
  bus: string;
  conn: "wye" | "delta";
  /** Rated kV: line-to-line for 2- and 3-phase, winding kV for 1-phase. */
  kV: number;
  kVA: number;
  /** Per-unit tap. */
  tap: number;
  /** Resistance in per unit on the winding's own kVA (OpenDSS Rpu = %R / 100). */
  rPu: number;
  /** Neutral impedance to ground, ohms; rNeut < 0 means solidly grounded (no neutral impedance). */
  rNeut: number;
  xNeut: number;
  maxTap: number;
  minTap: number;
  numTaps: number;
  rdcOhms: number | undefined;
}

export interface TransformerData {
  phases: number;
  windings: Winding[];
  /** 1-based winding that wdg-scoped properties apply to. */
  activeWinding: number;
  /** Per-unit reactances on winding 1's kVA. */
  xhl: number;
  xht: number;
  xlt: number;
  /** Per-unit short-circuit reactances between winding pairs, order x12 x13 .. x23 ..; set from XHL/XHT/XLT for up to 3 windings. */
  xsc: number[];
  xhlChanged: boolean;
  pctLoadLoss: number;
  pctNoLoadLoss: number;
  pctImag: number;
  /** ppm_antifloat as a factor (ppm * 1e-6). */
  ppmFloatFactor: number;
  normHkVA: number;
  emergHkVA: number;
  /** HV leads LV (Euro / lead) instead of ANSI 30 degree lag. */
  hvLeadsLV: boolean;
  xfmrCode: string;
  bank: string;
  isSubstation: boolean;
}

export function newWinding(): Winding {
  return {
    bus: "",
    conn: "wye",
    kV: 12.47,
    kVA: 1000,
    tap: 1.0,
    rPu: 0.002,
    rNeut: -1,
    xNeut: 0,
    maxTap: 1.1,
    minTap: 0.9,
    numTaps: 32,
    rdcOhms: undefined,
  };
}

export const xscSize = (n: number) => ((n - 1) * n) / 2;

export function newTransformerData(): TransformerData {
  const d: TransformerData = {
    phases: 3,
    windings: [],
    activeWinding: 1,
    xhl: 0.07,
    xht: 0.35,
    xlt: 0.3,
    xsc: [],
    xhlChanged: true,
    pctLoadLoss: 0,
    pctNoLoadLoss: 0,
    pctImag: 0,
    ppmFloatFactor: 1e-6,
    normHkVA: 0,
    emergHkVA: 0,
    hvLeadsLV: false,
    xfmrCode: "",
    bank: "",
    isSubstation: false,
  };
  setNumWindings(d, 2);
  d.activeWinding = 1;
  d.normHkVA = 1.1 * d.windings[0]!.kVA;
  d.emergHkVA = 1.5 * d.windings[0]!.kVA;
  d.pctLoadLoss = 2.0 * d.windings[0]!.rPu * 100.0;
  return d;
}

/** OpenDSS SetNumWindings: fresh default windings (buses kept), XSC resized with 0.30 for new pairs. */
export function setNumWindings(d: TransformerData, n: number): void {
  const oldSize = xscSize(d.windings.length);
  const buses = d.windings.map((w) => w.bus);
  const windings: Winding[] = [];
  for (let k = 0; k < n; k++) {
    const w = newWinding();
    w.bus = buses[k] ?? "";
    windings.push(w);
  }
  d.windings = windings;
  const newSize = xscSize(n);
  const xsc = d.xsc.slice(0, newSize);
  for (let k = xsc.length; k < newSize; k++) xsc[k] = 0.3;
  for (let k = oldSize; k < newSize; k++) xsc[k] = 0.3;
  d.xsc = xsc;
}

export function copyTransformerData(o: TransformerData): TransformerData {
  return { ...o, windings: o.windings.map((w) => ({ ...w })), xsc: [...o.xsc] };
}

function trapZero(v: number, dflt: number): number {
  return v === 0 ? dflt : v;
}

/**
 * Applies one winding/impedance property by its lower-case OpenDSS name.
 * Returns false when the name is not a winding property (caller handles it).
 */
export function applyWindingProp(d: TransformerData, el: DssElement, index: number, ctx: EditContext): boolean {
  const name = lowerName(el, index);
  const v = el.values[index];
  const x = typeof v === "number" ? v : Number.NaN;
  switch (name) {
    case "phases":
      d.phases = x;
      return true;
    case "windings":
      if (x < 2) throw ctx.badValue(index, `a transformer needs at least 2 windings, not ${x}`);
      setNumWindings(d, x);
      d.activeWinding = 1;
      return true;
    case "wdg":
      if (x < 1 || x > d.windings.length) throw ctx.badValue(index, `wdg=${x} is outside 1..${d.windings.length}`);
      d.activeWinding = x;
      return true;
    case "bus":
      active(d).bus = String(v);
      return true;
    case "conn": {
      const c = parseWdgConn(String(v));
      if (!c) throw ctx.badValue(index, `'${String(v)}' is not a connection (wye, delta, ln, ll)`);
      active(d).conn = c;
      return true;
    }
    case "kv":
      active(d).kV = x;
      return true;
    case "kva":
      active(d).kVA = x;
      if (d.activeWinding === 1) {
        for (const o of d.windings) o.kVA = x;
        d.normHkVA = 1.1 * x;
        d.emergHkVA = 1.5 * x;
      } else if (d.windings.length === 2) d.windings[0]!.kVA = d.windings[1]!.kVA;
      return true;
    case "tap":
      active(d).tap = x;
      return true;
    case "%r":
      active(d).rPu = x * 0.01;
      d.pctLoadLoss = (d.windings[0]!.rPu + d.windings[1]!.rPu) * 100.0;
      return true;
    case "rneut":
      active(d).rNeut = x;
      return true;
    case "xneut":
      active(d).xNeut = x;
      return true;
    case "buses": {
      const bad = (v as string[]).map(busSpecError).find((e) => e !== undefined);
      if (bad) throw ctx.badValue(index, bad);
      for (let k = walk(d, v); k >= 0; k = next(d, v, k)) d.windings[k]!.bus = (v as string[])[k]!;
      return true;
    }
    case "conns": {
      const bad = (v as string[]).find((s) => !parseWdgConn(s));
      if (bad !== undefined) throw ctx.badValue(index, `'${bad}' is not a connection (wye, delta, ln, ll)`);
      for (let k = walk(d, v); k >= 0; k = next(d, v, k)) d.windings[k]!.conn = parseWdgConn((v as string[])[k]!)!;
      return true;
    }
    case "kvs":
      for (let k = walk(d, v); k >= 0; k = next(d, v, k)) d.windings[k]!.kV = (v as number[])[k]!;
      return true;
    case "kvas":
      for (let k = walk(d, v); k >= 0; k = next(d, v, k)) d.windings[k]!.kVA = (v as number[])[k]!;
      d.normHkVA = 1.1 * d.windings[0]!.kVA;
      d.emergHkVA = 1.5 * d.windings[0]!.kVA;
      return true;
    case "taps":
      for (let k = walk(d, v); k >= 0; k = next(d, v, k)) d.windings[k]!.tap = (v as number[])[k]!;
      return true;
    case "%rs":
      for (let k = walk(d, v); k >= 0; k = next(d, v, k)) d.windings[k]!.rPu = (v as number[])[k]! * 0.01;
      d.pctLoadLoss = (d.windings[0]!.rPu + d.windings[1]!.rPu) * 100.0;
      return true;
    case "xhl":
    case "x12":
      d.xhl = trapZero(x, 7.0) * 0.01;
      d.xhlChanged = true;
      return true;
    case "xht":
    case "x13":
      d.xht = trapZero(x, 35.0) * 0.01;
      d.xhlChanged = true;
      return true;
    case "xlt":
    case "x23":
      d.xlt = trapZero(x, 30.0) * 0.01;
      d.xhlChanged = true;
      return true;
    case "xscarray": {
      const n = xscSize(d.windings.length);
      const arr = v as number[];
      for (let k = 0; k < n; k++) d.xsc[k] = (arr[k] ?? 0) * 0.01;
      return true;
    }
    case "%loadloss":
      d.pctLoadLoss = x;
      d.windings[0]!.rPu = d.pctLoadLoss / 2.0 / 100.0;
      d.windings[1]!.rPu = d.windings[0]!.rPu;
      return true;
    case "%noloadloss":
      d.pctNoLoadLoss = x;
      return true;
    case "normhkva":
      d.normHkVA = x;
      return true;
    case "emerghkva":
      d.emergHkVA = x;
      return true;
    case "maxtap":
      active(d).maxTap = x;
      return true;
    case "mintap":
      active(d).minTap = x;
      return true;
    case "numtaps":
      active(d).numTaps = x;
      return true;
    case "%imag":
      d.pctImag = x;
      return true;
    case "ppm_antifloat":
      d.ppmFloatFactor = x * 1e-6;
      return true;
    case "rdcohms":
      active(d).rdcOhms = x;
      return true;
    case "leadlag": {
      const s = String(v).toLowerCase();
      d.hvLeadsLV = s.length > 0 && ("lead".startsWith(s) || "euro".startsWith(s) || s.startsWith("lead") || s.startsWith("euro"));
      return true;
    }
    case "thermal":
    case "n":
    case "m":
    case "flrise":
    case "hsrise":
    case "seasons":
    case "ratings":
      return true;
    default:
      return false;
  }
}

function active(d: TransformerData): Winding {
  return d.windings[d.activeWinding - 1]!;
}

const lowerNames = new WeakMap<object, string[]>();
function lowerName(el: DssElement, index: number): string {
  let names = lowerNames.get(el.cls);
  if (!names) {
    names = el.cls.properties.map((p) => p.name.toLowerCase());
    lowerNames.set(el.cls, names);
  }
  return names[index]!;
}

/**
 * Array forms walk every winding, making each active in turn (OpenDSS leaves
 * the last one active), and set those the array has values for.
 * walk/next give the next winding index to set, -1 at the end.
 */
function walk(d: TransformerData, v: unknown): number {
  return next(d, v, -1);
}
function next(d: TransformerData, v: unknown, k: number): number {
  const list = v as unknown[];
  for (let j = k + 1; j < d.windings.length; j++) {
    d.activeWinding = j + 1;
    if (j < list.length) return j;
  }
  return -1;
}

/** OpenDSS RecalcElementData's part that matters to the model: XSC from XHL/XHT/XLT. */
export function finishWindingEdit(d: TransformerData): void {
  if (d.xhlChanged) {
    if (d.windings.length <= 3) {
      const vals = [d.xhl, d.xht, d.xlt];
      for (let k = 0; k < xscSize(d.windings.length); k++) d.xsc[k] = vals[k]!;
    }
    d.xhlChanged = false;
  }
}

/** wye / y / ln -> wye, delta / d / ll -> delta (the first letter decides, as in OpenDSS). */
export function parseWdgConn(t: string): "wye" | "delta" | undefined {
  const s = t.toLowerCase();
  const c = s[0];
  if (c === "y" || c === "w") return "wye";
  if (c === "d") return "delta";
  if (c === "l") return s[1] === "n" ? "wye" : s[1] === "l" ? "delta" : undefined;
  return undefined;
}

// Line (OpenDSS Line): a multi-phase PI section. Its impedance is defined,
// last definition winning, by a LineCode, by sequence values r1/x1/r0/x0/
// c1/c0 (b1/b0), by R/X/C matrices, by a LineGeometry, or by a LineSpacing
// with wires / CN cables / TS cables. The edit rules below follow OpenDSS's
// TLine.Edit property by property, including its side effects: sequence or
// matrix values reset the length units; `units=` converts relative to the
// linecode's units (or multiplies the previous conversion when there is no
// linecode); `switch=y` sets r1=x1=r0=x0=1, c1=1.1 nF, c0=1 nF, length
// 0.001. `lineImpedance` (powerflow/lineconstants) turns the state into the
// total Z and Yc the power flow needs.
import type { DssClassDef, DssElement, EditContext } from "../model.js";
import { lineConstants, type EarthModel, type PerMeter } from "../../powerflow/lineconstants/constants.js";
import { ensureOrder, lineMatrices, recalcFromSequence, writableMatrices, type LineImpedanceState } from "../../powerflow/lineconstants/line.js";
import { toConstantsInput, type GeometryInput, type LineMatrices } from "../../powerflow/lineconstants/geometry.js";
import { convertLineUnits, LengthUnit, parseLengthUnit } from "../../powerflow/lineconstants/units.js";
import { symMatrix } from "../values.js";
import { bool, bus, byPrefix, enm, ignored, indexOf, int, mat, num, nums, pdTail, ref, refs, setQuiet, str } from "./common.js";
import { lineCodeOf } from "./linecode.js";
import { geometryConductors, geometryInput, type GeometryData } from "./linegeometry.js";
import type { SpacingData } from "./linespacing.js";
import type { ConductorData } from "./conductor.js";

export type PhaseChoice = "unknown" | "overhead" | "cn" | "ts";

export interface LineData extends LineImpedanceState {
  lineCode: string;
  geometry: DssElement | undefined;
  spacing: DssElement | undefined;
  /** Conductor data per spacing position (wires, CN or TS cables). */
  wires: (DssElement | undefined)[];
  phaseChoice: PhaseChoice;
  normAmps: number;
  emergAmps: number;
  ratingsSpecified: boolean;
}

const EARTH = ["carson", "fullcarson", "deri"] as const;

export const LINE_PROPS = [
  bus("bus1"),
  bus("bus2"),
  ref("linecode", "linecode"),
  num("length", 1.0),
  int("phases", 3),
  num("r1", 0.058),
  num("x1", 0.1206),
  num("r0", 0.1784),
  num("x0", 0.4047),
  num("C1", 3.4),
  num("C0", 1.6),
  mat("rmatrix"),
  mat("xmatrix"),
  mat("cmatrix"),
  bool("Switch", false),
  num("Rg", 0.01805),
  num("Xg", 0.155081),
  num("rho", 100),
  ref("geometry", "linegeometry"),
  str("units", "none"),
  ref("spacing", "linespacing"),
  refs("wires", "wiredata"),
  enm("EarthModel", EARTH, byPrefix(EARTH)),
  refs("cncables", "cndata"),
  refs("tscables", "tsdata"),
  num("B1", 1.2818),
  num("B0", 0.60319),
  ignored(int("Seasons", 1)),
  ignored(nums("Ratings")),
  ignored(str("LineType", "OH")),
  ...pdTail(400, 600),
];

const I = {
  r1: indexOf(LINE_PROPS, "r1"),
  x1: indexOf(LINE_PROPS, "x1"),
  r0: indexOf(LINE_PROPS, "r0"),
  x0: indexOf(LINE_PROPS, "x0"),
  c1: indexOf(LINE_PROPS, "C1"),
  c0: indexOf(LINE_PROPS, "C0"),
  length: indexOf(LINE_PROPS, "length"),
  units: indexOf(LINE_PROPS, "units"),
  phases: indexOf(LINE_PROPS, "phases"),
  normamps: indexOf(LINE_PROPS, "normamps"),
  emergamps: indexOf(LINE_PROPS, "emergamps"),
};

function resetLengthUnits(d: LineData): void {
  d.unitsConvert = 1.0;
  d.lengthUnits = LengthUnit.None;
}

function killGeometry(d: LineData): void {
  if (d.geometrySpecified) {
    d.geometry = undefined;
    d.geometrySpecified = false;
  }
}

function killSpacing(d: LineData): void {
  if (d.spacingSpecified) {
    d.spacing = undefined;
    d.wires = [];
    d.phaseChoice = "unknown";
    d.spacingSpecified = false;
  }
}

/** Ratings taken from a linecode, geometry or wires; OpenDSS shows them as the property values too (UpdatePDProperties). */
function setRatings(el: DssElement, d: LineData, norm: number, emerg: number): void {
  d.normAmps = norm;
  d.emergAmps = emerg;
  setQuiet(el, I.normamps, norm);
  setQuiet(el, I.emergamps, emerg);
}

function setPhases(el: DssElement, d: LineData, n: number): void {
  d.phases = n;
  setQuiet(el, I.phases, n);
}

function fetchLineCode(el: DssElement, d: LineData, code: DssElement): void {
  const lc = lineCodeOf(code);
  d.lineCode = code.name;
  d.baseFrequency = lc.baseFrequency;
  if (lc.sym) {
    d.r1 = lc.r1;
    d.x1 = lc.x1;
    d.r0 = lc.r0;
    d.x0 = lc.x0;
    d.c1 = lc.c1;
    d.c0 = lc.c0;
    d.sym = true;
  } else d.sym = false;
  d.rg = lc.rg;
  d.xg = lc.xg;
  d.rho = lc.rho;
  d.lineCodeUnits = lc.units;
  d.lineCodeSpecified = true;
  d.unitsConvert = convertLineUnits(d.lineCodeUnits, d.lengthUnits);
  setRatings(el, d, lc.normAmps, lc.emergAmps);
  if (d.phases !== lc.nphases) setPhases(el, d, lc.nphases);
  if (!d.sym) {
    // Shared until this line writes into them (OpenDSS copies; the linecode never mutates them in place).
    d.mat = { z: lc.z, yc: lc.yc };
    d.matShared = true;
  } else recalcFromSequence(d);
}

function checkSpacingAndWires(d: LineData): void {
  if (d.spacing && d.wires.length > 0) {
    d.spacingSpecified = true;
    d.sym = false;
    d.symChanged = false;
    killGeometry(d);
    d.ratingsSpecified = false;
  }
}

/** Side effects of giving sequence values (OpenDSS: they reset the length units). */
function symEdit(d: LineData): void {
  d.lineCodeSpecified = false;
  killGeometry(d);
  killSpacing(d);
  resetLengthUnits(d);
  d.symChanged = true;
  d.sym = true;
}

function matrixEdit(d: LineData): void {
  d.lineCodeSpecified = false;
  d.sym = false;
  resetLengthUnits(d);
  killGeometry(d);
  killSpacing(d);
}

function needSpacing(d: LineData, i: number, name: string, ctx: EditContext): SpacingData {
  if (!d.spacing) throw ctx.badValue(i, `give spacing= before ${name}=`);
  return d.spacing.data as SpacingData;
}

function onSet(el: DssElement, i: number, ctx: EditContext): void {
  const d = el.data as LineData;
  const v = el.values[i];
  const x = typeof v === "number" ? v : Number.NaN;
  const name = el.cls.properties[i]!.name;
  switch (name) {
    case "linecode":
      fetchLineCode(el, d, ctx.require("linecode", String(v), "linecode"));
      d.spacingSpecified = false;
      killGeometry(d);
      d.geometrySpecified = false;
      return;
    case "length":
      d.length = x;
      return;
    case "phases":
      if (x !== d.phases) {
        if (!d.geometrySpecified && d.sym) {
          d.phases = x;
          recalcFromSequence(d);
        } else throw ctx.badValue(i, "the number of phases of a line defined by matrices, a linecode's matrices or a geometry cannot change");
      }
      return;
    case "r1": d.r1 = x; symEdit(d); return;
    case "x1": d.x1 = x; symEdit(d); return;
    case "r0": d.r0 = x; symEdit(d); return;
    case "x0": d.x0 = x; symEdit(d); return;
    case "C1": d.c1 = x * 1e-9; d.capSpecified = true; symEdit(d); return;
    case "C0": d.c0 = x * 1e-9; d.capSpecified = true; symEdit(d); return;
    case "B1": d.c1 = (x / (2 * Math.PI * d.baseFrequency)) * 1e-6 / d.unitsConvert; d.capSpecified = true; symEdit(d); return;
    case "B0": d.c0 = (x / (2 * Math.PI * d.baseFrequency)) * 1e-6 / d.unitsConvert; d.capSpecified = true; symEdit(d); return;
    case "rmatrix":
    case "xmatrix":
    case "cmatrix": {
      ensureOrder(d);
      const n = d.phases;
      const m = symMatrix(v as number[][], n);
      const w = writableMatrices(d);
      if (name === "rmatrix") w.z.re.set(m);
      else if (name === "xmatrix") w.z.im.set(m);
      else {
        const f = 2 * Math.PI * d.baseFrequency * 1e-9;
        for (let k = 0; k < n * n; k++) w.yc.im[k] = f * m[k]!;
        d.capSpecified = true;
      }
      matrixEdit(d);
      return;
    }
    case "Switch":
      d.isSwitch = v === true;
      if (d.isSwitch) {
        d.symChanged = true;
        d.geometrySpecified = false;
        d.spacingSpecified = false;
        d.r1 = d.x1 = d.r0 = d.x0 = 1.0;
        d.c1 = 1.1e-9;
        d.c0 = 1.0e-9;
        d.length = 0.001;
        resetLengthUnits(d);
        for (const [k, val] of [[I.r1, 1], [I.x1, 1], [I.r0, 1], [I.x0, 1], [I.c1, 1.1], [I.c0, 1], [I.length, 0.001]] as const) setQuiet(el, k, val);
        setQuiet(el, I.units, "none");
      }
      return;
    case "Rg": d.rg = x; return;
    case "Xg": d.xg = x; return;
    case "rho": d.rho = x; d.rhoSpecified = true; return;
    case "geometry": {
      const g = ctx.require("linegeometry", String(v), "geometry");
      d.lineCodeSpecified = false;
      d.spacingSpecified = false;
      d.geometry = g;
      const gd = g.data as { normAmps: number; emergAmps: number };
      if (!d.ratingsSpecified) setRatings(el, d, gd.normAmps, gd.emergAmps);
      setPhases(el, d, geometryConductors(g));
      d.geometrySpecified = true;
      d.sym = false;
      d.symChanged = false;
      return;
    }
    case "units": {
      const u = parseLengthUnit(String(v));
      if (u === undefined) throw ctx.badValue(i, `'${String(v)}' is not a length unit (none, mi, kft, km, m, ft, in, cm, mm)`);
      if (d.lineCodeSpecified) d.unitsConvert = convertLineUnits(d.lineCodeUnits, u);
      else d.unitsConvert = d.unitsConvert * convertLineUnits(d.lengthUnits, u);
      d.lengthUnits = u;
      return;
    }
    case "spacing": {
      const s = ctx.require("linespacing", String(v), "spacing");
      d.spacing = s;
      d.lineCodeSpecified = false;
      killGeometry(d);
      setPhases(el, d, (s.data as SpacingData).nphases);
      checkSpacingAndWires(d);
      return;
    }
    case "wires": {
      const sp = needSpacing(d, i, name, ctx);
      let start = 0;
      if (d.phaseChoice === "unknown") {
        d.lineCodeSpecified = false;
        killGeometry(d);
        d.wires = new Array<DssElement | undefined>(sp.nconds).fill(undefined);
        d.phaseChoice = "overhead";
      } else start = sp.nphases;
      const list = v as string[];
      for (let k = start, j = 0; k < sp.nconds; k++, j++) {
        const wn = list[j];
        if (wn === undefined) throw ctx.badValue(i, `${sp.nconds - start} wires expected, ${list.length} given`);
        const w = ctx.require("wiredata", wn, "wire");
        d.wires[k] = w;
        const cd = w.data as ConductorData;
        setRatings(el, d, cd.normAmps, cd.emergAmps);
      }
      checkSpacingAndWires(d);
      return;
    }
    case "cncables":
    case "tscables": {
      const sp = needSpacing(d, i, name, ctx);
      d.lineCodeSpecified = false;
      killGeometry(d);
      d.phaseChoice = name === "cncables" ? "cn" : "ts";
      if (d.wires.length !== sp.nconds) d.wires = new Array<DssElement | undefined>(sp.nconds).fill(undefined);
      const list = v as string[];
      for (let k = 0; k < sp.nphases; k++) {
        const wn = list[k];
        if (wn === undefined) throw ctx.badValue(i, `${sp.nphases} cables expected, ${list.length} given`);
        d.wires[k] = ctx.require(name === "cncables" ? "cndata" : "tsdata", wn, "cable");
      }
      checkSpacingAndWires(d);
      return;
    }
    case "EarthModel":
      d.earthModel = v as EarthModel;
      return;
    case "normamps":
      d.normAmps = x;
      d.ratingsSpecified = true;
      return;
    case "emergamps":
      d.emergAmps = x;
      d.ratingsSpecified = true;
      return;
    case "basefreq":
      d.baseFrequency = x;
      return;
  }
}

/** A new line (one object literal: lines are the most numerous objects, keep their creation cheap). */
function newLineData(baseFrequency: number, earthModel: EarthModel): LineData {
  const d: LineData = {
    phases: 3,
    sym: true,
    symChanged: false,
    r1: 0.058,
    x1: 0.1206,
    r0: 0.1784,
    x0: 0.4047,
    c1: 3.4e-9,
    c0: 1.6e-9,
    mat: undefined,
    matShared: false,
    seqAtRecalc: DEFAULT_SEQ_60,
    length: 1.0,
    lengthUnits: LengthUnit.None,
    unitsConvert: 1.0,
    lineCodeUnits: LengthUnit.None,
    lineCodeSpecified: false,
    capSpecified: false,
    baseFrequency,
    rg: 0.01805,
    xg: 0.155081,
    rho: 100.0,
    rhoSpecified: false,
    earthModel,
    geometrySpecified: false,
    spacingSpecified: false,
    isSwitch: false,
    lineCode: "",
    geometry: undefined,
    spacing: undefined,
    wires: [],
    phaseChoice: "unknown",
    normAmps: 400,
    emergAmps: 600,
    ratingsSpecified: false,
  };
  if (baseFrequency !== 60) recalcFromSequence(d);
  return d;
}

/** The default line's sequence snapshot at 60 Hz, shared (snapshots are replaced, never changed). */
const DEFAULT_SEQ_60 = { r1: 0.058, x1: 0.1206, r0: 0.1784, x0: 0.4047, c1: 3.4e-9, c0: 1.6e-9, phases: 3, baseFrequency: 60 };

export const Line: DssClassDef = {
  name: "Line",
  kind: "pd",
  properties: LINE_PROPS,
  init(el, ctx) {
    el.data = newLineData(ctx.circuit.options.defaultBaseFrequency, ctx.circuit.options.earthModel);
  },
  onSet,
  like(el, other) {
    const o = other.data as LineData;
    el.data = { ...o, matShared: o.mat !== undefined, wires: [...o.wires] } satisfies LineData;
  },
  layout(el) {
    const d = el.data as LineData;
    return { phases: d.phases, conductors: d.phases, buses: [String(el.values[0] ?? ""), String(el.values[1] ?? "")] };
  },
};

export function lineDataOf(el: DssElement): LineData {
  return el.data as LineData;
}

/**
 * Per-meter constants by geometry (or spacing) element, then by a key of
 * frequency, earth and the revisions of everything they depend on: feeders
 * have thousands of lines on a few geometries.
 */
const perMeterCache = new WeakMap<DssElement, Map<string, PerMeter>>();

function cachedPerMeter(owner: DssElement, key: string, input: () => GeometryInput, f: number): PerMeter {
  let m = perMeterCache.get(owner);
  if (!m) {
    m = new Map();
    perMeterCache.set(owner, m);
  }
  let pm = m.get(key);
  if (!pm) {
    pm = lineConstants(toConstantsInput(input()), f);
    m.set(key, pm);
  }
  return pm;
}

/**
 * Total series impedance (ohms) and shunt admittance j w C (siemens) of a
 * Line at `frequency` Hz, exactly as OpenDSS puts them into the line's Yprim
 * (half of Yc at each end). Lines defined by a geometry or by spacing and
 * wires share their per-meter constants (cached); the result is the line's own.
 */
export function lineImpedance(el: DssElement, frequency: number): LineMatrices {
  const d = el.data as LineData;
  // The geometry's own earth resistivity is 100 ohm-m unless the line gives rho.
  const rho = d.rhoSpecified ? d.rho : 100.0;
  return lineMatrices(d, frequency, (f) => {
    const revs = (ws: readonly (DssElement | undefined)[]) => ws.map((w) => (w ? `${w.name}@${w.revision}` : "-")).join(",");
    if (d.geometrySpecified && d.geometry) {
      const g = d.geometry;
      const key = `${f}|${rho}|${d.earthModel}|${g.revision}|${revs((g.data as GeometryData).wires)}`;
      return cachedPerMeter(g, key, () => geometryInput(g, rho, d.earthModel), f);
    }
    const spacing = d.spacing!;
    const sp = spacing.data as SpacingData;
    const wires = d.wires;
    const key = `${f}|${rho}|${d.earthModel}|${spacing.revision}|${revs(wires)}`;
    return cachedPerMeter(spacing, key, () => {
      let kind: "overhead" | "cn" | "ts" = "overhead";
      for (let k = 0; k < sp.nconds - 1; k++) {
        const w = wires[k];
        if (!w) continue;
        const c = (w.data as ConductorData).kind;
        if (c === "cn") kind = "cn";
        if (c === "ts") kind = "ts";
      }
      const conductors = wires.map((w, k) => {
        if (!w) throw new Error(`Line.${el.name}: spacing position ${k + 1} has no wire or cable`);
        return { data: w.data as ConductorData, x: sp.x[k]!, y: sp.h[k]!, units: sp.units };
      });
      return { kind, conductors, phases: sp.nphases, reduce: sp.nconds > sp.nphases, rho, earthModel: d.earthModel };
    }, f);
  });
}

// A Line's impedance as OpenDSS resolves it: the state its edits leave
// (sequence values, matrices per unit length, linecode units, length and
// units conversion, geometry or spacing+wires) and the total series Z and
// shunt Yc the line puts in its primitive admittance (OpenDSS
// TLineObj.CalcYPrim, the part before the Y assembly).
import { cmatrix, copyCMatrix, type CMatrix } from "./cmatrix.js";
import type { EarthModel } from "./constants.js";
import { geometryMatrices, type GeometryInput, type LineMatrices } from "./geometry.js";
import { matricesFromSequence } from "./sequence.js";
import { convertLineUnits, LengthUnit } from "./units.js";

/** The impedance-related state of one Line, mirroring OpenDSS's TLineObj fields. */
export interface LineImpedanceState {
  phases: number;
  /** Defined by sequence values (r1, x1, r0, x0, c1, c0) rather than matrices. */
  sym: boolean;
  /** Sequence values changed since the matrices were last computed. */
  symChanged: boolean;
  /** Per unit length: ohms; farads. */
  r1: number;
  x1: number;
  r0: number;
  x0: number;
  c1: number;
  c0: number;
  /** Series Z (ohm) and shunt Yc = j w C (S) per unit length at baseFrequency. */
  z: CMatrix;
  yc: CMatrix;
  length: number;
  lengthUnits: LengthUnit;
  /** Linecode (or impedance) units to line length units: length / unitsConvert is in impedance units. */
  unitsConvert: number;
  lineCodeUnits: LengthUnit;
  lineCodeSpecified: boolean;
  /** C1/C0 were given (or came from a linecode); otherwise the defaults per kft are rescaled. */
  capSpecified: boolean;
  baseFrequency: number;
  /** Earth return for frequency adjustment (unused at the base frequency). */
  rg: number;
  xg: number;
  rho: number;
  rhoSpecified: boolean;
  earthModel: EarthModel;
  geometrySpecified: boolean;
  spacingSpecified: boolean;
  isSwitch: boolean;
}

/** A new line's state: OpenDSS's defaults (336 MCM ACSR-ish sequence data per kft, length 1). */
export function defaultLineState(baseFrequency: number, earthModel: EarthModel): LineImpedanceState {
  const s: LineImpedanceState = {
    phases: 3,
    sym: true,
    symChanged: false,
    r1: 0.058,
    x1: 0.1206,
    r0: 0.1784,
    x0: 0.4047,
    c1: 3.4e-9,
    c0: 1.6e-9,
    z: cmatrix(3),
    yc: cmatrix(3),
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
  };
  recalcFromSequence(s);
  return s;
}

/**
 * OpenDSS RecalcElementData: matrices from the sequence values; a 1-phase
 * line takes its zero sequence equal to the positive sequence (and keeps it).
 */
export function recalcFromSequence(s: LineImpedanceState): void {
  if (s.phases === 1) {
    s.r0 = s.r1;
    s.x0 = s.x1;
    s.c0 = s.c1;
  }
  const m = matricesFromSequence(s, s.phases, s.baseFrequency);
  s.z = m.z;
  s.yc = m.yc;
  s.symChanged = false;
}

/** Matrices reallocated (zeroed) when their order no longer matches the phases (OpenDSS ReallocZandYcMatrices). */
export function ensureOrder(s: LineImpedanceState): void {
  if (s.z.order !== s.phases) {
    s.z = cmatrix(s.phases);
    s.yc = cmatrix(s.phases);
  }
}

/** Where a geometry- or spacing-defined line gets its conductors. */
export type GeometrySource = () => GeometryInput;

/**
 * Total series impedance (ohms) and shunt admittance (siemens) of the line at
 * frequency `f`, as OpenDSS's CalcYPrim builds them. `geometry` is needed
 * when the line is defined by a LineGeometry or by spacing + wires.
 * Does not change `s` (OpenDSS's one-time C1/C0 rescaling is applied to a copy).
 */
export function lineMatrices(s: LineImpedanceState, f: number, geometry?: GeometrySource): LineMatrices {
  if (s.geometrySpecified || s.spacingSpecified) {
    if (!geometry) throw new Error("line is defined by a geometry or spacing but none was given");
    return geometryMatrices(geometry(), f, s.length, s.lengthUnits);
  }
  let z = s.z;
  let yc = s.yc;
  if (s.symChanged) {
    const t = { ...s };
    if (!t.capSpecified) {
      // Default C1/C0 are per kft: bring them to the line's length units.
      const k = convertLineUnits(LengthUnit.Kft, t.lengthUnits);
      t.c1 /= k;
      t.c0 /= k;
    }
    recalcFromSequence(t);
    z = t.z;
    yc = t.yc;
  }
  const lm = s.length / s.unitsConvert;
  const fm = f / s.baseFrequency;
  const kxg = s.xg / Math.log(658.5 * Math.sqrt(s.rho / s.baseFrequency));
  const xgMod = s.xg !== 0 ? 0.5 * kxg * Math.log(fm) : 0;
  const zt = copyCMatrix(z);
  const yt = copyCMatrix(yc);
  for (let i = 0; i < zt.re.length; i++) {
    zt.re[i] = (z.re[i]! + s.rg * (fm - 1.0)) * lm;
    zt.im[i] = (z.im[i]! - xgMod) * lm * fm;
    yt.re[i] = 0;
    yt.im[i] = yc.im[i]! * lm * fm;
  }
  return { z: zt, yc: yt };
}

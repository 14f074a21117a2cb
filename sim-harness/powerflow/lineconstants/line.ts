// A Line's impedance as OpenDSS resolves it: the state its edits leave
// (sequence values, matrices per unit length, linecode units, length and
// units conversion, geometry or spacing+wires) and the total series Z and
// shunt Yc the line puts in its primitive admittance (OpenDSS
// TLineObj.CalcYPrim, the part before the Y assembly).
import { cmatrix, copyCMatrix, type CMatrix } from "./cmatrix.js";
import type { EarthModel } from "./constants.js";
import { scaleToLine, type LineMatrices } from "./geometry.js";
import type { PerMeter } from "./constants.js";
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
  /**
   * Series Z (ohm) and shunt Yc = j w C (S) per unit length at baseFrequency,
   * when they are held as matrices (given by rmatrix/xmatrix/cmatrix or
   * copied from a matrix linecode). Undefined while they are the sequence
   * values of the last recalculation (`seqAtRecalc`), computed on demand:
   * most lines never need their own copy. Use `matricesOf`.
   */
  mat: { z: CMatrix; yc: CMatrix } | undefined;
  /** `mat` is a linecode's (copy before writing). */
  matShared: boolean;
  /** Sequence values as of OpenDSS's last RecalcElementData (what its Z and Yc hold). */
  seqAtRecalc: SequenceSnapshot;
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

export interface SequenceSnapshot {
  r1: number;
  x1: number;
  r0: number;
  x0: number;
  c1: number;
  c0: number;
  phases: number;
  baseFrequency: number;
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
  s.seqAtRecalc = { r1: s.r1, x1: s.x1, r0: s.r0, x0: s.x0, c1: s.c1, c0: s.c0, phases: s.phases, baseFrequency: s.baseFrequency };
  s.mat = undefined;
  s.matShared = false;
  s.symChanged = false;
}

/** Z and Yc per unit length as OpenDSS holds them now (read only). */
export function matricesOf(s: LineImpedanceState): { z: CMatrix; yc: CMatrix } {
  if (s.mat) return s.mat;
  const q = s.seqAtRecalc;
  return matricesFromSequence(q, q.phases, q.baseFrequency);
}

/** Z and Yc this line owns and may write into (copied from a linecode or the sequence values first). */
export function writableMatrices(s: LineImpedanceState): { z: CMatrix; yc: CMatrix } {
  if (!s.mat || s.matShared) {
    const m = matricesOf(s);
    s.mat = { z: copyCMatrix(m.z), yc: copyCMatrix(m.yc) };
    s.matShared = false;
  }
  return s.mat;
}

/** Matrices reallocated (zeroed) when their order no longer matches the phases (OpenDSS ReallocZandYcMatrices). */
export function ensureOrder(s: LineImpedanceState): void {
  const order = s.mat ? s.mat.z.order : s.seqAtRecalc.phases;
  if (order !== s.phases) {
    s.mat = { z: cmatrix(s.phases), yc: cmatrix(s.phases) };
    s.matShared = false;
  }
}

/** Per-meter line constants of a geometry- or spacing-defined line at frequency f. */
export type GeometrySource = (f: number) => PerMeter;

/**
 * Total series impedance (ohms) and shunt admittance (siemens) of the line at
 * frequency `f`, as OpenDSS's CalcYPrim builds them. `geometry` is needed
 * when the line is defined by a LineGeometry or by spacing + wires.
 * Does not change `s` (OpenDSS's one-time C1/C0 rescaling is applied to a copy).
 */
export function lineMatrices(s: LineImpedanceState, f: number, geometry?: GeometrySource): LineMatrices {
  if (s.geometrySpecified || s.spacingSpecified) {
    if (!geometry) throw new Error("line is defined by a geometry or spacing but none was given");
    return scaleToLine(geometry(f), s.length, s.lengthUnits);
  }
  // The per-length matrices go straight into the result, then are scaled in place.
  let zt: CMatrix;
  let yt: CMatrix;
  if (s.symChanged) {
    // As OpenDSS's recalculation at solve time would leave them, without changing `s`: default
    // C1/C0 are per kft, brought to the line's length units; a 1-phase line takes Z0 = Z1.
    let c1 = s.c1;
    let c0 = s.c0;
    if (!s.capSpecified) {
      const k = convertLineUnits(LengthUnit.Kft, s.lengthUnits);
      c1 /= k;
      c0 /= k;
    }
    const one = s.phases === 1;
    const q = { r1: s.r1, x1: s.x1, r0: one ? s.r1 : s.r0, x0: one ? s.x1 : s.x0, c1, c0: one ? c1 : c0 };
    zt = cmatrix(s.phases);
    yt = cmatrix(s.phases);
    matricesFromSequence(q, s.phases, s.baseFrequency, { z: zt, yc: yt });
  } else if (s.mat) {
    zt = copyCMatrix(s.mat.z);
    yt = copyCMatrix(s.mat.yc);
  } else {
    const q = s.seqAtRecalc;
    zt = cmatrix(q.phases);
    yt = cmatrix(q.phases);
    matricesFromSequence(q, q.phases, q.baseFrequency, { z: zt, yc: yt });
  }
  const lm = s.length / s.unitsConvert;
  const fm = f / s.baseFrequency;
  const kxg = s.xg / Math.log(658.5 * Math.sqrt(s.rho / s.baseFrequency));
  const xgMod = s.xg !== 0 ? 0.5 * kxg * Math.log(fm) : 0;
  for (let i = 0; i < zt.re.length; i++) {
    zt.re[i] = (zt.re[i]! + s.rg * (fm - 1.0)) * lm;
    zt.im[i] = (zt.im[i]! - xgMod) * lm * fm;
    yt.re[i] = 0;
    yt.im[i] = yt.im[i]! * lm * fm;
  }
  return { z: zt, yc: yt };
}

// From OpenDSS's LineGeometry data (positions with their units, wire/cable
// records with their own units) to the SI input of the line-constants
// calculation, exactly as OpenDSS's UpdateLineGeometryData converts them,
// and the total Z / Yc of a line of given length and units.
import { copyCMatrix, type CMatrix } from "./cmatrix.js";
import { lineConstants, type ConstantsKind, type Conductor, type EarthModel, type LineConstantsInput, type PerMeter } from "./constants.js";
import { fromPerMeter, LengthUnit, toMeters, toPerMeter } from "./units.js";

/** Conductor record as WireData/CNData/TSData hold it (OpenDSS ConductorData fields and units). */
export interface ConductorRecord {
  kind: "wire" | "cn" | "ts";
  rdc: number;
  rac: number;
  rUnits: LengthUnit;
  gmr: number;
  gmrUnits: LengthUnit;
  radius: number;
  /** -1 when not given: the radius is used. */
  capRadius: number;
  radUnits: LengthUnit;
  epsR: number;
  insLayer: number;
  diaIns: number;
  diaCable: number;
  kStrand: number;
  diaStrand: number;
  gmrStrand: number;
  rStrand: number;
  diaShield: number;
  tapeLayer: number;
  tapeLap: number;
}

export interface PlacedConductor {
  data: ConductorRecord;
  x: number;
  y: number;
  /** Units of x and y; OpenDSS treats an unset unit (-1) like "none" = meters. */
  units: LengthUnit | -1;
}

export interface GeometryInput {
  kind: ConstantsKind;
  conductors: PlacedConductor[];
  phases: number;
  reduce: boolean;
  rho: number;
  earthModel: EarthModel;
}

const meters = (u: LengthUnit | -1) => (u === -1 ? 1.0 : toMeters(u));

/**
 * Converts to SI the way OpenDSS's UpdateLineGeometryData does. The radius
 * for capacitance is the conductor's final radius unless Capradius was given:
 * OpenDSS-C's reference results (IEEE 4-node delta cases, whose floating
 * delta depends on line capacitance) agree with that and not with the
 * early default the Pascal ConductorData source suggests.
 */
export function toConstantsInput(g: GeometryInput): LineConstantsInput {
  const conductors: Conductor[] = g.conductors.map((c) => {
    const d = c.data;
    const rm = toMeters(d.radUnits);
    const cond: Conductor = {
      x: c.x * meters(c.units),
      y: c.y * meters(c.units),
      rdc: d.rdc * toPerMeter(d.rUnits),
      rac: d.rac * toPerMeter(d.rUnits),
      gmr: d.gmr * toMeters(d.gmrUnits),
      radius: d.radius * rm,
      capRadius: (d.capRadius > 0 ? d.capRadius : d.radius) * rm,
    };
    if (d.kind === "cn") {
      cond.cable = {
        kind: "cn",
        epsR: d.epsR,
        insLayer: d.insLayer * rm,
        diaIns: d.diaIns * rm,
        diaCable: d.diaCable * rm,
        kStrand: d.kStrand,
        diaStrand: d.diaStrand * rm,
        gmrStrand: d.gmrStrand * toMeters(d.gmrUnits),
        rStrand: d.rStrand * toPerMeter(d.rUnits),
      };
    } else if (d.kind === "ts") {
      cond.cable = {
        kind: "ts",
        epsR: d.epsR,
        insLayer: d.insLayer * rm,
        diaIns: d.diaIns * rm,
        diaCable: d.diaCable * rm,
        diaShield: d.diaShield * rm,
        tapeLayer: d.tapeLayer * rm,
        tapeLap: d.tapeLap,
      };
    }
    return cond;
  });
  return { kind: g.kind, conductors, phases: g.phases, rho: g.rho, earthModel: g.earthModel, reduce: g.reduce };
}

export interface LineMatrices {
  /** Total series impedance, ohms. */
  z: CMatrix;
  /** Total shunt admittance j w C, siemens. */
  yc: CMatrix;
}

/**
 * Z and Yc of `length` in `units` of line built on this geometry at frequency f
 * (OpenDSS Get_Zmatrix / Get_YCmatrix: per-meter values times
 * From_per_Meter(units) times length; "none" units mean meters).
 */
export function geometryMatrices(g: GeometryInput, f: number, length: number, units: LengthUnit): LineMatrices {
  return scaleToLine(lineConstants(toConstantsInput(g), f), length, units);
}

/** Per-meter constants times From_per_Meter(units) times length. */
export function scaleToLine(pm: PerMeter, length: number, units: LengthUnit): LineMatrices {
  const k = fromPerMeter(units) * length;
  const z = copyCMatrix(pm.z);
  const yc = copyCMatrix(pm.yc);
  for (let i = 0; i < z.re.length; i++) {
    z.re[i]! *= k;
    z.im[i]! *= k;
    yc.re[i]! *= k;
    yc.im[i]! *= k;
  }
  return { z, yc };
}

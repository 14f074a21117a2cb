// What WireData, CNData and TSData share (OpenDSS ConductorData and
// CableData): resistances, GMR and radius with their own units, ratings,
// and the defaults OpenDSS fills in as values arrive (Rac = 1.02 Rdc,
// GMR = 0.7788 radius, emergamps = 1.5 normamps, ...).
import type { DssElement, EditContext, PropertyDef } from "../model.js";
import { LengthUnit, parseLengthUnit } from "../../powerflow/lineconstants/units.js";
import type { ConductorRecord } from "../../powerflow/lineconstants/geometry.js";
import { ignored, int, nums, num, str } from "./common.js";

/** A wire's or cable's data: the line-constants record plus its ratings. */
export interface ConductorData extends ConductorRecord {
  normAmps: number;
  emergAmps: number;
}

export function newConductorData(kind: ConductorData["kind"]): ConductorData {
  return {
    kind,
    rdc: -1,
    rac: -1,
    rUnits: LengthUnit.None,
    gmr: -1,
    gmrUnits: LengthUnit.None,
    radius: -1,
    radUnits: LengthUnit.None,
    capRadius: -1,
    normAmps: -1,
    emergAmps: -1,
    epsR: 2.3,
    insLayer: -1,
    diaIns: -1,
    diaCable: -1,
    kStrand: 2,
    diaStrand: -1,
    gmrStrand: -1,
    rStrand: -1,
    diaShield: -1,
    tapeLayer: -1,
    tapeLap: 20,
  };
}

const units = (name: string): PropertyDef => str(name, "none");

/** ConductorData's properties, in OpenDSS order. */
export const CONDUCTOR_PROPS: PropertyDef[] = [
  num("Rdc", -1),
  num("Rac", -1),
  units("Runits"),
  num("GMRac", -1),
  units("GMRunits"),
  num("radius", -1),
  units("radunits"),
  num("normamps", -1),
  num("emergamps", -1),
  num("diam", -1),
  ignored(int("Seasons", 1)),
  ignored(nums("Ratings")),
  num("Capradius", -1),
];

/** CableData's properties (before the conductor ones in CNData/TSData). */
export const CABLE_PROPS: PropertyDef[] = [num("EpsR", 2.3), num("InsLayer", -1), num("DiaIns", -1), num("DiaCable", -1)];

function unitsOf(el: DssElement, index: number, ctx: EditContext): LengthUnit {
  const text = String(el.values[index]);
  const u = parseLengthUnit(text);
  if (u === undefined) throw ctx.badValue(index, `'${text}' is not a length unit (none, mi, kft, km, m, ft, in, cm, mm)`);
  return u;
}

/**
 * Applies a ConductorData or CableData property (by its name, lower-case),
 * with OpenDSS's follow-on defaults. Returns false if `name` is not one.
 */
export function applyConductorProp(d: ConductorData, el: DssElement, index: number, ctx: EditContext): boolean {
  const name = el.cls.properties[index]!.name.toLowerCase();
  const v = el.values[index];
  const x = typeof v === "number" ? v : Number.NaN;
  switch (name) {
    case "rdc":
      d.rdc = x;
      if (d.rac < 0) d.rac = 1.02 * d.rdc;
      return true;
    case "rac":
      d.rac = x;
      if (d.rdc < 0) d.rdc = d.rac / 1.02;
      return true;
    case "runits":
      d.rUnits = unitsOf(el, index, ctx);
      return true;
    case "gmrac":
      d.gmr = x;
      if (d.radius < 0) d.radius = d.gmr / 0.7788;
      if (d.radius === 0) throw ctx.badValue(index, "radius is zero");
      return true;
    case "gmrunits":
      d.gmrUnits = unitsOf(el, index, ctx);
      if (d.radUnits === LengthUnit.None) d.radUnits = d.gmrUnits;
      return true;
    case "radius":
    case "diam":
      d.radius = name === "diam" ? x / 2 : x;
      if (d.gmr < 0) d.gmr = 0.7788 * d.radius;
      if (d.gmr === 0) throw ctx.badValue(index, "GMR is zero");
      return true;
    case "radunits":
      d.radUnits = unitsOf(el, index, ctx);
      if (d.gmrUnits === LengthUnit.None) d.gmrUnits = d.radUnits;
      return true;
    case "normamps":
      d.normAmps = x;
      if (d.emergAmps < 0) d.emergAmps = 1.5 * d.normAmps;
      return true;
    case "emergamps":
      d.emergAmps = x;
      if (d.normAmps < 0) d.normAmps = d.emergAmps / 1.5;
      return true;
    case "capradius":
      d.capRadius = x;
      return true;
    case "seasons":
    case "ratings":
      return true;
    case "epsr":
      d.epsR = x;
      return true;
    case "inslayer":
      d.insLayer = x;
      return true;
    case "diains":
      d.diaIns = x;
      return true;
    case "diacable":
      d.diaCable = x;
      return true;
    default:
      return false;
  }
}

export function conductorOf(el: DssElement): ConductorData {
  return el.data as ConductorData;
}

export function likeConductor(el: DssElement, other: DssElement): void {
  el.data = { ...(other.data as ConductorData) };
}

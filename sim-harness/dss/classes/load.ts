// Load (OpenDSS Load): a power-conversion element drawing P+jQ by one of the
// voltage models (1 constant PQ, 2 constant Z, 3 motor, 4 CVR, 5 constant
// |I|, 6/7 fixed Q, 8 ZIP), switching to constant Z outside Vminpu..Vmaxpu.
// Its size is given by kW with pf or kvar, by kVA with pf, or by xfkVA times
// allocationfactor; OpenDSS uses the way given last (see `loadSpec`).
import type { DssClassDef, DssElement } from "../model.js";
import { byPrefix, bus, CONN, enm, ignored, indexOf, int, num, nums, parseConn, pcTail, ref } from "./common.js";
import { pcLayout } from "./layout.js";

const STATUS = ["variable", "fixed", "exempt"] as const;

export const LOAD_PROPS = [
  int("phases", 3),
  bus("bus1"),
  num("kV", 12.47),
  num("kW", 10),
  num("pf", 0.88),
  int("model", 1),
  ignored(ref("yearly", "loadshape")),
  ignored(ref("daily", "loadshape")),
  ignored(ref("duty", "loadshape")),
  ignored(ref("growth", "growthshape")),
  enm("conn", CONN, parseConn, "wye"),
  num("kvar", 5.4),
  num("Rneut", -1),
  num("Xneut", 0),
  enm("status", STATUS, byPrefix(STATUS), "variable"),
  ignored(int("class", 1)),
  num("Vminpu", 0.95),
  num("Vmaxpu", 1.05),
  ignored(num("Vminnorm", 0)),
  ignored(num("Vminemerg", 0)),
  num("xfkVA", 0),
  num("allocationfactor", 0.5),
  num("kVA", 11.3636),
  ignored(num("%mean", 50)),
  ignored(num("%stddev", 10)),
  num("CVRwatts", 1),
  num("CVRvars", 2),
  num("kwh", 0),
  num("kwhdays", 30),
  num("Cfactor", 4),
  ignored(ref("CVRcurve", "loadshape")),
  ignored(int("NumCust", 1)),
  nums("ZIPV"),
  ignored(num("%SeriesRL", 50)),
  ignored(num("RelWeight", 1)),
  num("Vlowpu", 0.5),
  ignored(num("puXharm", 0)),
  ignored(num("XRharm", 6)),
  ...pcTail("defaultload"),
];

const PHASES = indexOf(LOAD_PROPS, "phases");
const BUS1 = indexOf(LOAD_PROPS, "bus1");
const CONNI = indexOf(LOAD_PROPS, "conn");

export const Load: DssClassDef = {
  name: "Load",
  kind: "pc",
  properties: LOAD_PROPS,
  layout: (el) => pcLayout(el, PHASES, BUS1, CONNI),
};

/**
 * How the load's base power is specified, by OpenDSS's rule that the last
 * of kW / kvar / kVA / xfkVA (allocationfactor) / kWh given decides:
 * "kw-pf" (the default), "kw-kvar", "kva-pf", "xfkva" (xfkVA x allocationfactor with pf), "kwh".
 */
export function loadSpec(el: DssElement): "kw-pf" | "kw-kvar" | "kva-pf" | "xfkva" | "kwh" {
  const last = el.lastGivenOf("kW", "kvar", "kVA", "xfkVA", "allocationfactor", "kwh", "kwhdays", "Cfactor");
  switch (last) {
    case "kvar": return "kw-kvar";
    case "kVA": return "kva-pf";
    case "xfkVA":
    case "allocationfactor": return "xfkva";
    case "kwh":
    case "kwhdays":
    case "Cfactor": return "kwh";
    default: return "kw-pf";
  }
}

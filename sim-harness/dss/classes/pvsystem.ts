// PVSystem (OpenDSS PVSystem): in a snapshot, output = Pmpp x irradiance x
// P-T factor(temperature) x inverter efficiency(P/kVA), at pf or kvar,
// limited by kVA; curves are XYCurves.
import type { DssClassDef } from "../model.js";
import { bool, bus, byPrefix, CONN, enm, ignored, indexOf, int, num, parseConn, pcTail, ref, str } from "./common.js";
import { pcLayout } from "./layout.js";

const CTRL = ["gfl", "gfm"] as const;

export const PVSYSTEM_PROPS = [
  int("phases", 3),
  bus("bus1"),
  num("kv", 12.47),
  num("irradiance", 1),
  num("Pmpp", 500),
  num("%Pmpp", 100),
  num("Temperature", 25),
  num("pf", 1),
  enm("conn", CONN, parseConn, "wye"),
  num("kvar", 0),
  num("kVA", 500),
  num("%Cutin", 20),
  num("%Cutout", 20),
  ref("EffCurve", "xycurve"),
  ref("P-TCurve", "xycurve"),
  num("%R", 50),
  num("%X", 0),
  int("model", 1),
  num("Vminpu", 0.9),
  num("Vmaxpu", 1.1),
  bool("Balanced", false),
  bool("LimitCurrent", false),
  ignored(ref("yearly", "loadshape")),
  ignored(ref("daily", "loadshape")),
  ignored(ref("duty", "loadshape")),
  ignored(ref("Tyearly", "tshape")),
  ignored(ref("Tdaily", "tshape")),
  ignored(ref("Tduty", "tshape")),
  ignored(int("class", 1)),
  ignored(str("UserModel")),
  ignored(str("UserData")),
  ignored(bool("debugtrace", false)),
  bool("VarFollowInverter", false),
  ignored(num("DutyStart", 0)),
  bool("WattPriority", false),
  bool("PFPriority", false),
  num("%PminNoVars", -1),
  num("%PminkvarMax", -1),
  num("kvarMax"),
  num("kvarMaxAbs"),
  num("kVDC", 8),
  num("Kp", 0.01),
  num("PITol", 0),
  num("SafeVoltage", 80),
  bool("SafeMode", false),
  ignored(str("DynamicEq")),
  ignored(str("DynOut")),
  enm("ControlMode", CTRL, byPrefix(CTRL), "gfl"),
  num("AmpLimit"),
  num("AmpLimitGain", 0.8),
  ...pcTail("defaultgen"),
];

const PHASES = indexOf(PVSYSTEM_PROPS, "phases");
const BUS1 = indexOf(PVSYSTEM_PROPS, "bus1");
const CONNI = indexOf(PVSYSTEM_PROPS, "conn");

export const PVSystem: DssClassDef = {
  name: "PVSystem",
  kind: "pc",
  properties: PVSYSTEM_PROPS,
  layout: (el) => pcLayout(el, PHASES, BUS1, CONNI),
};

// Storage (OpenDSS Storage): in a snapshot, a constant injection at its
// state's kW (discharging +, charging -) and kvar or pf; idling draws
// %IdlingkW.
import type { DssClassDef } from "../model.js";
import { bool, bus, byPrefix, CONN, enm, ignored, indexOf, int, num, parseConn, pcTail, ref, str } from "./common.js";
import { pcLayout } from "./layout.js";

const STATE = ["idling", "charging", "discharging"] as const;
const DISP = ["default", "loadlevel", "price", "external", "follow"] as const;
const CTRL = ["gfl", "gfm"] as const;

export const STORAGE_PROPS = [
  int("phases", 3),
  bus("bus1"),
  num("kv", 12.47),
  enm("conn", CONN, parseConn, "wye"),
  num("kW", 0),
  num("kvar", 0),
  num("pf", 1),
  num("kVA", 25),
  num("%Cutin", 4),
  num("%Cutout", 0),
  ref("EffCurve", "xycurve"),
  bool("VarFollowInverter", false),
  num("kvarMax"),
  num("kvarMaxAbs"),
  bool("WattPriority", false),
  bool("PFPriority", false),
  num("%PminNoVars", -1),
  num("%PminkvarMax", -1),
  num("kWrated", 25),
  num("%kWrated", 100),
  num("kWhrated", 50),
  num("kWhstored", 50),
  num("%stored", 100),
  num("%reserve", 20),
  enm("State", STATE, byPrefix(STATE), "idling"),
  num("%Discharge", 100),
  num("%Charge", 100),
  num("%EffCharge", 90),
  num("%EffDischarge", 90),
  num("%IdlingkW", 1),
  ignored(num("%Idlingkvar", 0)),
  num("%R", 0),
  num("%X", 50),
  int("model", 1),
  num("Vminpu", 0.9),
  num("Vmaxpu", 1.1),
  bool("Balanced", false),
  bool("LimitCurrent", false),
  ignored(ref("yearly", "loadshape")),
  ignored(ref("daily", "loadshape")),
  ignored(ref("duty", "loadshape")),
  ignored(enm("DispMode", DISP, byPrefix(DISP), "default")),
  ignored(num("DischargeTrigger", 0)),
  ignored(num("ChargeTrigger", 0)),
  ignored(num("TimeChargeTrig", 2)),
  ignored(int("class", 1)),
  ignored(str("DynaDLL")),
  ignored(str("DynaData")),
  ignored(str("UserModel")),
  ignored(str("UserData")),
  ignored(bool("debugtrace", false)),
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
  ...pcTail("default"),
];

const PHASES = indexOf(STORAGE_PROPS, "phases");
const BUS1 = indexOf(STORAGE_PROPS, "bus1");
const CONNI = indexOf(STORAGE_PROPS, "conn");

export const Storage: DssClassDef = {
  name: "Storage",
  kind: "pc",
  properties: STORAGE_PROPS,
  layout: (el) => pcLayout(el, PHASES, BUS1, CONNI),
};

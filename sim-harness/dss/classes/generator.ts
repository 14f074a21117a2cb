// Generator (OpenDSS Generator): model 1 (constant PQ, the power-flow
// injection), 3 (PV with Vpu and kvar limits) and the others OpenDSS has;
// sized by kW with pf or kvar, or kVA.
import type { DssClassDef } from "../model.js";
import { bool, bus, byPrefix, CONN, enm, ignored, indexOf, int, num, parseConn, pcTail, ref, str } from "./common.js";
import { pcLayout } from "./layout.js";

const STATUS = ["variable", "fixed"] as const;
const DISP = ["default", "loadlevel", "price"] as const;

export const GENERATOR_PROPS = [
  int("phases", 3),
  bus("bus1"),
  num("kv", 12.47),
  num("kW", 1000),
  num("pf", 0.88),
  num("kvar", 60),
  int("model", 1),
  num("Vminpu", 0.9),
  num("Vmaxpu", 1.1),
  ignored(ref("yearly", "loadshape")),
  ignored(ref("daily", "loadshape")),
  ignored(ref("duty", "loadshape")),
  ignored(enm("dispmode", DISP, byPrefix(DISP), "default")),
  ignored(num("dispvalue", 0)),
  enm("conn", CONN, parseConn, "wye"),
  num("Rneut", 0),
  num("Xneut", 0),
  enm("status", STATUS, byPrefix(STATUS), "variable"),
  ignored(int("class", 1)),
  num("Vpu", 1),
  num("maxkvar"),
  num("minkvar"),
  num("pvfactor", 0.1),
  bool("forceon", false),
  num("kVA"),
  num("MVA"),
  num("Xd", 1),
  num("Xdp", 0.28),
  num("Xdpp", 0.2),
  ignored(num("H", 1)),
  ignored(num("D", 0)),
  ignored(str("UserModel")),
  ignored(str("UserData")),
  ignored(str("ShaftModel")),
  ignored(str("ShaftData")),
  ignored(num("DutyStart", 0)),
  ignored(bool("debugtrace", false)),
  bool("Balanced", false),
  num("XRdp", 20),
  ignored(bool("UseFuel", false)),
  ignored(num("FuelkWh", 0)),
  ignored(num("%Fuel", 100)),
  ignored(num("%Reserve", 20)),
  ignored(bool("Refuel", false)),
  ignored(str("DynamicEq")),
  ignored(str("DynOut")),
  ...pcTail("defaultgen"),
];

const PHASES = indexOf(GENERATOR_PROPS, "phases");
const BUS1 = indexOf(GENERATOR_PROPS, "bus1");
const CONNI = indexOf(GENERATOR_PROPS, "conn");

export const Generator: DssClassDef = {
  name: "Generator",
  kind: "pc",
  properties: GENERATOR_PROPS,
  layout: (el) => pcLayout(el, PHASES, BUS1, CONNI),
};

// Reactor (OpenDSS Reactor): shunt (bus2 defaults to bus1 grounded) or
// series R+jX by kvar at kV, by R/X ohms, by matrices or by sequence Z.
import type { DssClassDef } from "../model.js";
import { bool, bus, CONN, enm, ignored, indexOf, int, mat, num, nums, parseConn, pdTail, ref, setQuiet } from "./common.js";
import { defaultBus2, twoTerminalLayout } from "./layout.js";

export const REACTOR_PROPS = [
  bus("bus1"),
  bus("bus2"),
  int("phases", 3),
  num("kvar", 100),
  num("kv", 12.47),
  enm("conn", CONN, parseConn, "wye"),
  mat("Rmatrix"),
  mat("Xmatrix"),
  bool("Parallel", false),
  num("R", 0),
  num("X", 1555.009),
  num("Rp", 0),
  nums("Z1"),
  nums("Z2"),
  nums("Z0"),
  nums("Z"),
  ignored(ref("RCurve", "xycurve")),
  ignored(ref("LCurve", "xycurve")),
  num("LmH"),
  ...pdTail(),
];

const BUS1 = indexOf(REACTOR_PROPS, "bus1");
const BUS2 = indexOf(REACTOR_PROPS, "bus2");
const PHASES = indexOf(REACTOR_PROPS, "phases");
const CONNI = indexOf(REACTOR_PROPS, "conn");

export const Reactor: DssClassDef = {
  name: "Reactor",
  kind: "pd",
  properties: REACTOR_PROPS,
  init(el) {
    el.data = { bus2Defined: false };
  },
  onSet(el, i) {
    const d = el.data as { bus2Defined: boolean };
    if (i === BUS1 && !d.bus2Defined) setQuiet(el, BUS2, defaultBus2(String(el.values[BUS1]), el.values[PHASES] as number));
    if (i === BUS2) d.bus2Defined = true;
  },
  like(el, other) {
    el.data = { ...(other.data as object) };
  },
  layout(el) {
    const phases = el.values[PHASES] as number;
    const b1 = String(el.values[BUS1] ?? "");
    if (el.values[CONNI] === "delta") return { phases, conductors: phases, buses: [b1] };
    return twoTerminalLayout(el, BUS1, BUS2, PHASES);
  },
};

// Capacitor (OpenDSS Capacitor): a shunt (bus2 defaults to bus1 grounded)
// or series bank of one or more steps, sized by kvar at kV, by microfarads
// (cuf) or by a nodal C matrix; delta banks have one terminal.
import type { DssClassDef } from "../model.js";
import { bus, CONN, enm, indexOf, int, mat, num, nums, parseConn, pdTail, setQuiet } from "./common.js";
import { defaultBus2, twoTerminalLayout } from "./layout.js";

export const CAPACITOR_PROPS = [
  bus("bus1"),
  bus("bus2"),
  int("phases", 3),
  nums("kvar", [1200]),
  num("kv", 12.47),
  enm("conn", CONN, parseConn, "wye"),
  mat("cmatrix"),
  nums("cuf"),
  nums("R", [0]),
  nums("XL", [0]),
  nums("Harm", [0]),
  int("Numsteps", 1),
  nums("states", [1]),
  ...pdTail(),
];

const BUS1 = indexOf(CAPACITOR_PROPS, "bus1");
const BUS2 = indexOf(CAPACITOR_PROPS, "bus2");
const PHASES = indexOf(CAPACITOR_PROPS, "phases");
const CONNI = indexOf(CAPACITOR_PROPS, "conn");

export const Capacitor: DssClassDef = {
  name: "Capacitor",
  kind: "pd",
  properties: CAPACITOR_PROPS,
  init(el) {
    el.data = { bus2Defined: false };
  },
  onSet(el, i) {
    const d = el.data as { bus2Defined: boolean };
    if (i === BUS1 && !d.bus2Defined && el.values[CONNI] !== "delta") {
      setQuiet(el, BUS2, defaultBus2(String(el.values[BUS1]), el.values[PHASES] as number));
    }
    if (i === BUS2) {
      const b1 = String(el.values[BUS1] ?? "").split(".")[0]!.toLowerCase();
      const b2 = String(el.values[BUS2]).split(".")[0]!.toLowerCase();
      if (b1 !== b2) d.bus2Defined = true;
    }
  },
  like(el, other) {
    el.data = { ...(other.data as object) };
  },
  layout(el) {
    const phases = el.values[PHASES] as number;
    const b1 = String(el.values[BUS1] ?? "");
    if (el.values[CONNI] === "delta") return { phases, conductors: phases < 3 ? phases + 1 : phases, buses: [b1] };
    return twoTerminalLayout(el, BUS1, BUS2, PHASES);
  },
};

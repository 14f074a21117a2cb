// Vsource (OpenDSS Vsource): a Thevenin source behind a sequence impedance
// given by short-circuit MVA (MVAsc3/MVAsc1 with X/R), by short-circuit
// currents (Isc3/Isc1), by ohms (R1/X1/R0/X0) or by complex Z1/Z0/Z2 or
// per-unit puZ1/puZ0/puZ2; the last kind given wins (use
// `el.lastGivenOf(...)`). `New Circuit.x` creates Vsource.source and edits it
// with the rest of the line. bus2 defaults to bus1 grounded (.0.0.0).
import type { DssClassDef } from "../model.js";
import { bus, byPrefix, enm, ignored, indexOf, int, nums, num, pcTail, ref, setQuiet } from "./common.js";
import { defaultBus2, twoTerminalLayout } from "./layout.js";

const SEQ = ["pos", "neg", "zero"] as const;
const SCAN = ["pos", "zero", "none"] as const;
const MODEL = ["thevenin", "ideal"] as const;

export const VSOURCE_PROPS = [
  bus("bus1"),
  num("basekv", 115),
  num("pu", 1),
  num("angle", 0),
  num("frequency", 60),
  int("phases", 3),
  num("MVAsc3", 2000),
  num("MVAsc1", 2100),
  num("x1r1", 4),
  num("x0r0", 3),
  num("Isc3", 10000),
  num("Isc1", 10500),
  num("R1", 1.65),
  num("X1", 6.6),
  num("R0", 1.9),
  num("X0", 5.7),
  ignored(enm("ScanType", SCAN, byPrefix(SCAN), "pos")),
  enm("Sequence", SEQ, byPrefix(SEQ), "pos"),
  bus("bus2"),
  nums("Z1"),
  nums("Z0"),
  nums("Z2"),
  nums("puZ1"),
  nums("puZ0"),
  nums("puZ2"),
  num("baseMVA", 100),
  ignored(ref("Yearly", "loadshape")),
  ignored(ref("Daily", "loadshape")),
  ignored(ref("Duty", "loadshape")),
  enm("Model", MODEL, byPrefix(MODEL), "thevenin"),
  nums("puZideal", [1e-6, 0.001]),
  ...pcTail("defaultvsource"),
];

const BUS1 = indexOf(VSOURCE_PROPS, "bus1");
const BUS2 = indexOf(VSOURCE_PROPS, "bus2");
const PHASES = indexOf(VSOURCE_PROPS, "phases");

export const Vsource: DssClassDef = {
  name: "Vsource",
  kind: "source",
  properties: VSOURCE_PROPS,
  init(el, ctx) {
    el.values[indexOf(VSOURCE_PROPS, "frequency")] = ctx.circuit.options.defaultBaseFrequency;
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
    return twoTerminalLayout(el, BUS1, BUS2, PHASES);
  },
};



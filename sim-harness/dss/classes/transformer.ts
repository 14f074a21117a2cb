// Transformer (OpenDSS Transformer): 2 or more windings, each with its bus,
// connection, kV, kVA, tap and %R; reactances between windings; no-load loss
// and magnetizing current; ppm_antifloat. The winding edit rules are in
// windings.ts (shared with XfmrCode); `XfmrCode=` copies a code's data.
// Terminal i is winding i with phases+1 conductors (the last is the neutral,
// node 0 unless the bus spec says otherwise).
import type { DssClassDef, DssElement } from "../model.js";
import { bool, bus, ignored, int, num, nums, pdTail, ref, str, strs } from "./common.js";
import { applyWindingProp, copyTransformerData, finishWindingEdit, newTransformerData, setNumWindings, type TransformerData } from "./windings.js";

export const Transformer: DssClassDef = {
  name: "Transformer",
  kind: "pd",
  properties: [
    int("phases", 3),
    int("windings", 2),
    int("wdg", 1),
    bus("bus"),
    str("conn", "wye"),
    num("kV", 12.47),
    num("kVA", 1000),
    num("tap", 1),
    num("%R", 0.2),
    num("Rneut", -1),
    num("Xneut", 0),
    strs("buses"),
    strs("conns"),
    nums("kVs"),
    nums("kVAs"),
    nums("taps"),
    num("XHL", 7),
    num("XHT", 35),
    num("XLT", 30),
    nums("Xscarray"),
    ignored(num("thermal", 2)),
    ignored(num("n", 0.8)),
    ignored(num("m", 0.8)),
    ignored(num("flrise", 65)),
    ignored(num("hsrise", 15)),
    num("%loadloss", 0.4),
    num("%noloadloss", 0),
    num("normhkVA", 1100),
    num("emerghkVA", 1500),
    ignored(bool("sub", false)),
    num("MaxTap", 1.1),
    num("MinTap", 0.9),
    int("NumTaps", 32),
    ignored(str("subname", "")),
    num("%imag", 0),
    num("ppm_antifloat", 1),
    nums("%Rs"),
    ignored(str("bank", "")),
    ref("XfmrCode", "xfmrcode"),
    ignored(bool("XRConst", false)),
    num("X12", 7),
    num("X13", 35),
    num("X23", 30),
    str("LeadLag", "Lag"),
    ignored(str("WdgCurrents")),
    ignored(str("Core", "shell")),
    ignored(num("RdcOhms")),
    ignored(int("Seasons", 1)),
    ignored(nums("Ratings")),
    ...pdTail(400, 600),
  ],
  init(el) {
    el.data = newTransformerData();
  },
  onSet(el, i, ctx) {
    const d = el.data as TransformerData;
    if (applyWindingProp(d, el, i, ctx)) return;
    const v = el.values[i];
    switch (el.cls.properties[i]!.name) {
      case "XfmrCode": {
        const code = ctx.require("xfmrcode", String(v), "XfmrCode").data as TransformerData;
        const buses = d.windings.map((w) => w.bus);
        const copy = copyTransformerData(code);
        Object.assign(d, copy);
        if (d.windings.length !== buses.length) setNumWindings(d, copy.windings.length);
        d.windings = copy.windings.map((w, k) => ({ ...w, bus: buses[k] ?? "" }));
        d.xfmrCode = String(v).toLowerCase();
        d.activeWinding = 1;
        return;
      }
      case "bank":
        d.bank = String(v).toLowerCase();
        return;
      case "sub":
        d.isSubstation = v === true;
        return;
    }
  },
  onEditEnd(el) {
    finishWindingEdit(el.data as TransformerData);
  },
  like(el, other) {
    const own = (el.data as TransformerData).windings.map((w) => w.bus);
    const d = copyTransformerData(other.data as TransformerData);
    d.windings.forEach((w, k) => (w.bus = own[k] ?? ""));
    el.data = d;
  },
  layout(el) {
    const d = el.data as TransformerData;
    return { phases: d.phases, conductors: d.phases + 1, buses: d.windings.map((w) => w.bus) };
  },
};

export function transformerOf(el: DssElement): TransformerData {
  return el.data as TransformerData;
}

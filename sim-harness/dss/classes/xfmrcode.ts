// XfmrCode (OpenDSS XfmrCode): a library of transformer data without buses,
// copied into a Transformer by its `XfmrCode=` property. Same winding rules
// as Transformer (windings.ts).
import type { DssClassDef } from "../model.js";
import { ignored, int, LIKE, num, nums, str, strs } from "./common.js";
import { applyWindingProp, copyTransformerData, finishWindingEdit, newTransformerData, type TransformerData } from "./windings.js";

export const XfmrCode: DssClassDef = {
  name: "XfmrCode",
  kind: "general",
  properties: [
    int("phases", 3),
    int("windings", 2),
    int("wdg", 1),
    str("conn", "wye"),
    num("kV", 12.47),
    num("kVA", 1000),
    num("tap", 1),
    num("%R", 0.2),
    num("Rneut", -1),
    num("Xneut", 0),
    strs("conns"),
    nums("kVs"),
    nums("kVAs"),
    nums("taps"),
    num("Xhl", 7),
    num("Xht", 35),
    num("Xlt", 30),
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
    num("MaxTap", 1.1),
    num("MinTap", 0.9),
    int("NumTaps", 32),
    num("%imag", 0),
    num("ppm_antifloat", 1),
    nums("%Rs"),
    num("X12", 7),
    num("X13", 35),
    num("X23", 30),
    ignored(num("RdcOhms")),
    ignored(int("Seasons", 1)),
    ignored(nums("Ratings")),
    LIKE,
  ],
  init(el) {
    el.data = newTransformerData();
  },
  onSet(el, i, ctx) {
    applyWindingProp(el.data as TransformerData, el, i, ctx);
  },
  onEditEnd(el) {
    finishWindingEdit(el.data as TransformerData);
  },
  like(el, other) {
    el.data = copyTransformerData(other.data as TransformerData);
  },
};

// CNData: a concentric-neutral cable (OpenDSS CNData): strand count, strand
// diameter, GMR and resistance, then the cable's insulation (CableData) and
// the phase conductor (ConductorData), in OpenDSS's order.
import type { DssClassDef } from "../model.js";
import { int, LIKE, num } from "./common.js";
import { applyConductorProp, CABLE_PROPS, CONDUCTOR_PROPS, likeConductor, newConductorData, type ConductorData } from "./conductor.js";

export const CNData: DssClassDef = {
  name: "CNData",
  kind: "general",
  properties: [int("k", 2), num("DiaStrand", -1), num("GmrStrand", -1), num("Rstrand", -1), ...CABLE_PROPS, ...CONDUCTOR_PROPS, LIKE],
  init(el) {
    el.data = newConductorData("cn");
  },
  onSet(el, i, ctx) {
    const d = el.data as ConductorData;
    const x = el.values[i] as number;
    switch (el.cls.properties[i]!.name) {
      case "k":
        d.kStrand = x;
        return;
      case "DiaStrand":
        d.diaStrand = x;
        if (d.gmrStrand <= 0) d.gmrStrand = 0.7788 * 0.5 * d.diaStrand;
        return;
      case "GmrStrand":
        d.gmrStrand = x;
        if (d.diaStrand <= 0) d.diaStrand = (2 * d.gmrStrand) / 0.7788;
        return;
      case "Rstrand":
        d.rStrand = x;
        return;
      default:
        applyConductorProp(d, el, i, ctx);
    }
  },
  like: (el, other) => likeConductor(el, other),
};

// TSData: a tape-shielded cable (OpenDSS TSData): shield diameter, tape
// thickness and overlap, then CableData and ConductorData properties.
import type { DssClassDef } from "../model.js";
import { LIKE, num } from "./common.js";
import { applyConductorProp, CABLE_PROPS, CONDUCTOR_PROPS, likeConductor, newConductorData, type ConductorData } from "./conductor.js";

export const TSData: DssClassDef = {
  name: "TSData",
  kind: "general",
  properties: [num("DiaShield", -1), num("TapeLayer", -1), num("TapeLap", 20), ...CABLE_PROPS, ...CONDUCTOR_PROPS, LIKE],
  init(el) {
    el.data = newConductorData("ts");
  },
  onSet(el, i, ctx) {
    const d = el.data as ConductorData;
    const x = el.values[i] as number;
    switch (el.cls.properties[i]!.name) {
      case "DiaShield":
        d.diaShield = x;
        return;
      case "TapeLayer":
        d.tapeLayer = x;
        return;
      case "TapeLap":
        d.tapeLap = x;
        return;
      default:
        applyConductorProp(d, el, i, ctx);
    }
  },
  like: (el, other) => likeConductor(el, other),
};

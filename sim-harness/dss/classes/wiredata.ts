// WireData: a bare overhead conductor for line-constants calculations.
// Properties are OpenDSS ConductorData's, in its order, then `like`.
import type { DssClassDef } from "../model.js";
import { LIKE } from "./common.js";
import { applyConductorProp, CONDUCTOR_PROPS, likeConductor, newConductorData } from "./conductor.js";

export const WireData: DssClassDef = {
  name: "WireData",
  kind: "general",
  properties: [...CONDUCTOR_PROPS, LIKE],
  init(el) {
    el.data = newConductorData("wire");
  },
  onSet(el, i, ctx) {
    applyConductorProp(el.data as ReturnType<typeof newConductorData>, el, i, ctx);
  },
  like: (el, other) => likeConductor(el, other),
};

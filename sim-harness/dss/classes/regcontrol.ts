// RegControl (OpenDSS RegControl): controls the tap of one winding of a
// transformer to hold vreg (120 V base through ptratio) within band, with
// line-drop compensation R/X (volts, through CTprim); static-mode delays
// order the actions.
import type { DssClassDef } from "../model.js";
import { bool, controlTail, ignored, int, num, str } from "./common.js";

export const RegControl: DssClassDef = {
  name: "RegControl",
  kind: "control",
  elementRefs: [{ property: "transformer", className: "transformer" }],
  properties: [
    str("transformer"),
    int("winding", 1),
    num("vreg", 120),
    num("band", 3),
    num("ptratio", 60),
    num("CTprim", 300),
    num("R", 0),
    num("X", 0),
    str("bus"),
    num("delay", 15),
    bool("reversible", false),
    num("revvreg", 120),
    num("revband", 3),
    num("revR", 0),
    num("revX", 0),
    num("tapdelay", 2),
    ignored(bool("debugtrace", false)),
    int("maxtapchange", 16),
    bool("inversetime", false),
    int("tapwinding", 1),
    num("vlimit", 0),
    str("PTphase", "1"),
    num("revThreshold", 100),
    num("revDelay", 60),
    bool("revNeutral", false),
    ignored(bool("EventLog", true)),
    num("RemotePTRatio"),
    int("TapNum", 0),
    ignored(bool("Reset", false)),
    num("LDC_Z", 0),
    num("rev_Z", 0),
    bool("Cogen", false),
    ...controlTail(),
  ],
};

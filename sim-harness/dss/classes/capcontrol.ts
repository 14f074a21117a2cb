// CapControl (OpenDSS CapControl): switches a capacitor's steps on a
// measured quantity at an element's terminal (current, voltage, kvar, pf,
// time, follow) with on/off settings, delays and voltage override.
import type { DssClassDef } from "../model.js";
import { bool, byPrefix, controlTail, enm, ignored, int, num, str } from "./common.js";

const TYPES = ["current", "voltage", "kvar", "pf", "time", "follow"] as const;

export const CapControl: DssClassDef = {
  name: "CapControl",
  kind: "control",
  elementRefs: [{ property: "element" }, { property: "capacitor", className: "capacitor" }],
  properties: [
    str("element"),
    int("terminal", 1),
    str("capacitor"),
    enm("type", TYPES, byPrefix(TYPES), "current"),
    num("PTratio", 60),
    num("CTratio", 60),
    num("ONsetting", 300),
    num("OFFsetting", 200),
    num("Delay", 15),
    bool("VoltOverride", false),
    num("Vmax", 126),
    num("Vmin", 115),
    num("DelayOFF", 15),
    num("DeadTime", 300),
    str("CTPhase", "1"),
    str("PTPhase", "1"),
    str("VBus"),
    ignored(bool("EventLog", true)),
    ignored(str("UserModel")),
    ignored(str("UserData")),
    num("pctMinkvar", 50),
    ignored(bool("Reset", false)),
    ...controlTail(),
  ],
};

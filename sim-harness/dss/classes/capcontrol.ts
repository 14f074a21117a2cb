// CapControl (OpenDSS CapControl): switches a capacitor's steps on a
// measured quantity at an element's terminal (current, voltage, kvar, pf,
// time, follow) with on/off settings, delays and voltage override.
import type { DssClassDef } from "../model.js";
import { bool, controlTail, enm, ignored, int, num, str } from "./common.js";

const TYPES = ["current", "voltage", "kvar", "pf", "time", "follow"] as const;
// OpenDSS decides the type on the first letter alone (c, v, k, p, t, f), so
// "PF", "powerfactor" and "Volts" are all accepted.
const byFirstLetter = (t: string): string | undefined => {
  const c = t.charAt(0).toLowerCase();
  return TYPES.find((x) => x.charAt(0) === c);
};

export const CapControl: DssClassDef = {
  name: "CapControl",
  kind: "control",
  elementRefs: [{ property: "element" }, { property: "capacitor", className: "capacitor" }],
  properties: [
    str("element"),
    int("terminal", 1),
    str("capacitor"),
    enm("type", TYPES, byFirstLetter, "current"),
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

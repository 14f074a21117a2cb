// LineSpacing: conductor positions only (OpenDSS LineSpacing), used with a
// Line's wires=/cncables=/tscables= or a LineGeometry's spacing=.
import type { DssClassDef } from "../model.js";
import { LengthUnit, parseLengthUnit } from "../../powerflow/lineconstants/units.js";
import { int, LIKE, nums, str } from "./common.js";

export interface SpacingData {
  nconds: number;
  nphases: number;
  x: number[];
  h: number[];
  units: LengthUnit;
}

export const LineSpacing: DssClassDef = {
  name: "LineSpacing",
  kind: "general",
  properties: [int("nconds", 3), int("nphases", 3), nums("x"), nums("h"), str("units", "ft"), LIKE],
  init(el) {
    el.data = { nconds: 3, nphases: 3, x: [0, 0, 0], h: [0, 0, 0], units: LengthUnit.Ft } satisfies SpacingData;
  },
  onSet(el, i, ctx) {
    const d = el.data as SpacingData;
    const v = el.values[i];
    switch (el.cls.properties[i]!.name) {
      case "nconds":
        // OpenDSS set_Nwires: arrays resized (kept values stay), units back to ft.
        d.nconds = v as number;
        d.x = Array.from({ length: d.nconds }, (_, k) => d.x[k] ?? 0);
        d.h = Array.from({ length: d.nconds }, (_, k) => d.h[k] ?? 0);
        d.units = LengthUnit.Ft;
        return;
      case "nphases":
        d.nphases = v as number;
        return;
      case "x":
      case "h": {
        const arr = v as number[];
        const target = el.cls.properties[i]!.name === "x" ? d.x : d.h;
        for (let k = 0; k < d.nconds && k < arr.length; k++) target[k] = arr[k]!;
        return;
      }
      case "units": {
        const u = parseLengthUnit(String(v));
        if (u === undefined) throw ctx.badValue(i, `'${String(v)}' is not a length unit`);
        d.units = u;
        return;
      }
    }
  },
  like(el, other) {
    const o = other.data as SpacingData;
    el.data = { ...o, x: [...o.x], h: [...o.h] };
  },
};

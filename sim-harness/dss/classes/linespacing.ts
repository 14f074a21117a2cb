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
        d.nconds = v as number;
        d.x = new Array<number>(d.nconds).fill(0);
        d.h = new Array<number>(d.nconds).fill(0);
        if (d.nphases > d.nconds) d.nphases = d.nconds;
        return;
      case "nphases":
        d.nphases = Math.min(v as number, d.nconds);
        return;
      case "x":
      case "h": {
        const arr = v as number[];
        const target = el.cls.properties[i]!.name === "x" ? d.x : d.h;
        for (let k = 0; k < d.nconds; k++) target[k] = arr[k] ?? 0;
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

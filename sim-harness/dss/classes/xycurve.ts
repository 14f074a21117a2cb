// XYCurve (OpenDSS XYcurve): y(x) by linear interpolation (PVSystem
// efficiency and power-temperature curves). Points come from xarray/yarray,
// from points=[x1 y1 x2 y2 ...] or from a csv file of x, y rows.
import type { DssClassDef, DssElement } from "../model.js";
import { int, LIKE, num, nums, str } from "./common.js";

export interface CurveData {
  x: number[];
  y: number[];
  npts: number;
}

export const XYCurve: DssClassDef = {
  name: "XYCurve",
  kind: "general",
  properties: [
    int("npts", 0),
    nums("Points"),
    nums("Yarray"),
    nums("Xarray"),
    str("csvfile"),
    str("sngfile"),
    str("dblfile"),
    num("x"),
    num("y"),
    num("Xshift", 0),
    num("Yshift", 0),
    num("Xscale", 1),
    num("Yscale", 1),
    LIKE,
  ],
  init(el) {
    el.data = { x: [], y: [], npts: 0 } satisfies CurveData;
  },
  onSet(el, i, ctx) {
    const d = el.data as CurveData;
    const v = el.values[i];
    switch (el.cls.properties[i]!.name) {
      case "npts":
        d.npts = v as number;
        return;
      case "Points": {
        const p = v as number[];
        d.x = [];
        d.y = [];
        for (let k = 0; k + 1 < p.length; k += 2) {
          d.x.push(p[k]!);
          d.y.push(p[k + 1]!);
        }
        return;
      }
      case "Xarray":
        d.x = [...(v as number[])];
        return;
      case "Yarray":
        d.y = [...(v as number[])];
        return;
      case "csvfile": {
        const vals = ctx.readNumbers(`file=${String(v)}`, true);
        d.x = [];
        d.y = [];
        for (let k = 0; k + 1 < vals.length; k += 2) {
          d.x.push(vals[k]!);
          d.y.push(vals[k + 1]!);
        }
        return;
      }
      case "sngfile":
      case "dblfile":
        throw ctx.unsupported(`XYCurve ${el.cls.properties[i]!.name} (binary curve files) is not supported; use csvfile or xarray/yarray`);
    }
  },
  onEditEnd(el, ctx) {
    const d = el.data as CurveData;
    if (d.npts > 0) {
      d.x = d.x.slice(0, d.npts);
      d.y = d.y.slice(0, d.npts);
    }
    if (d.x.length !== d.y.length) throw ctx.unsupported(`XYCurve.${el.name} has ${d.x.length} x values and ${d.y.length} y values`);
  },
  like(el, other) {
    const o = other.data as CurveData;
    el.data = { x: [...o.x], y: [...o.y], npts: o.npts } satisfies CurveData;
  },
};

/** y at x by linear interpolation, held constant beyond the ends (OpenDSS GetYValue), with shift and scale. */
export function curveY(el: DssElement, x: number): number {
  const d = el.data as CurveData;
  const xs = el.num("Xshift") || 0;
  const ys = el.num("Yshift") || 0;
  const xsc = el.num("Xscale") || 1;
  const ysc = el.num("Yscale") || 1;
  const X = d.x.map((v) => v * xsc + xs);
  const Y = d.y.map((v) => v * ysc + ys);
  const n = X.length;
  if (n === 0) return 0;
  if (n === 1 || x <= X[0]!) return Y[0]!;
  if (x >= X[n - 1]!) return Y[n - 1]!;
  for (let k = 1; k < n; k++) {
    if (x <= X[k]!) {
      const t = (x - X[k - 1]!) / (X[k]! - X[k - 1]!);
      return Y[k - 1]! + t * (Y[k]! - Y[k - 1]!);
    }
  }
  return Y[n - 1]!;
}

// LineGeometry: conductor positions and wire/cable data for a line-constants
// calculation (OpenDSS LineGeometry). Edits follow OpenDSS: `nconds`
// reallocates everything; `cond=` selects the conductor that `wire`,
// `cncable`, `tscable`, `x`, `h`, `units` apply to (units stick to the last
// ones given); `wires=[...]` fills all conductors (only the neutrals after
// cables); the kind of calculation (overhead, CN or TS) follows the first
// cable type assigned.
import type { DssClassDef, DssElement } from "../model.js";
import { LengthUnit, parseLengthUnit } from "../../powerflow/lineconstants/units.js";
import type { ConstantsKind, EarthModel } from "../../powerflow/lineconstants/constants.js";
import type { GeometryInput } from "../../powerflow/lineconstants/geometry.js";
import { bool, ignored, int, LIKE, num, refs, ref, str, nums } from "./common.js";
import type { ConductorData } from "./conductor.js";
import type { SpacingData } from "./linespacing.js";

type Choice = "overhead" | "cn" | "ts";

export interface GeometryData {
  nconds: number;
  nphases: number;
  activeCond: number;
  names: string[];
  wires: (DssElement | undefined)[];
  x: number[];
  y: number[];
  units: (LengthUnit | -1)[];
  phaseChoice: Choice[];
  /** Kind of line-constants object OpenDSS ends up with. */
  kind: Choice;
  lastUnit: LengthUnit;
  reduce: boolean;
  normAmps: number;
  emergAmps: number;
}

function allocate(d: GeometryData, n: number): void {
  d.nconds = n;
  d.names = new Array<string>(n).fill("");
  d.wires = new Array<DssElement | undefined>(n).fill(undefined);
  d.x = new Array<number>(n).fill(0);
  d.y = new Array<number>(n).fill(0);
  d.units = new Array<LengthUnit | -1>(n).fill(-1);
  d.phaseChoice = new Array<Choice>(n).fill("overhead");
  d.kind = "overhead";
  d.activeCond = n;
  d.lastUnit = LengthUnit.Ft;
}

function newGeometry(): GeometryData {
  return {
    nconds: 0,
    nphases: 0,
    activeCond: 1,
    names: [],
    wires: [],
    x: [],
    y: [],
    units: [],
    phaseChoice: [],
    kind: "overhead",
    lastUnit: LengthUnit.Ft,
    reduce: false,
    normAmps: 0,
    emergAmps: 0,
  };
}

/** OpenDSS ChangeLineConstantsType on the active conductor. */
function changeType(d: GeometryData, choice: Choice): void {
  const a = d.activeCond - 1;
  if (choice !== d.phaseChoice[a]) d.kind = choice;
  d.phaseChoice[a] = choice;
}

function assignWire(d: GeometryData, i: number, w: DssElement): void {
  d.wires[i] = w;
  if (i === 0) {
    const c = w.data as ConductorData;
    if (c.normAmps > 0 && d.normAmps === 0) d.normAmps = c.normAmps;
    if (c.emergAmps > 0 && d.emergAmps === 0) d.emergAmps = c.emergAmps;
  }
}

const CLASS_OF: Record<Choice, string> = { overhead: "wiredata", cn: "cndata", ts: "tsdata" };

export const LineGeometry: DssClassDef = {
  name: "LineGeometry",
  kind: "general",
  properties: [
    int("nconds", 3),
    int("nphases", 3),
    int("cond", 1),
    ref("wire", "wiredata"),
    num("x", 0),
    num("h", 32),
    str("units", "ft"),
    num("normamps", 0),
    num("emergamps", 0),
    bool("reduce", false),
    ref("spacing", "linespacing"),
    refs("wires", "wiredata"),
    ref("cncable", "cndata"),
    ref("tscable", "tsdata"),
    refs("cncables", "cndata"),
    refs("tscables", "tsdata"),
    ignored(int("Seasons", 1)),
    ignored(nums("Ratings")),
    ignored(str("LineType", "OH")),
    LIKE,
  ],
  init(el) {
    el.data = newGeometry();
  },
  onSet(el, i, ctx) {
    const d = el.data as GeometryData;
    const v = el.values[i];
    const name = el.cls.properties[i]!.name;
    const needConds = () => {
      if (d.nconds === 0) throw ctx.badValue(i, "give nconds before the conductors");
    };
    switch (name) {
      case "nconds":
        if ((v as number) < 1) throw ctx.badValue(i, "nconds must be at least 1");
        allocate(d, v as number);
        return;
      case "nphases":
        d.nphases = Math.min(v as number, d.nconds);
        return;
      case "cond": {
        needConds();
        const c = v as number;
        if (c < 1 || c > d.nconds) throw ctx.badValue(i, `cond=${c} is outside 1..${d.nconds}`);
        d.activeCond = c;
        if (d.units[c - 1] === -1) d.units[c - 1] = d.lastUnit;
        return;
      }
      case "wire":
      case "cncable":
      case "tscable": {
        needConds();
        const a = d.activeCond - 1;
        const choice: Choice = name === "wire" ? "overhead" : name === "cncable" ? "cn" : "ts";
        if (choice !== "overhead" || d.phaseChoice[a] === "overhead") changeType(d, choice);
        const w = ctx.require(CLASS_OF[choice], String(v), name);
        d.names[a] = w.name;
        assignWire(d, a, w);
        return;
      }
      case "x":
        needConds();
        d.x[d.activeCond - 1] = v as number;
        return;
      case "h":
        needConds();
        d.y[d.activeCond - 1] = v as number;
        return;
      case "units": {
        needConds();
        const u = parseLengthUnit(String(v));
        if (u === undefined) throw ctx.badValue(i, `'${String(v)}' is not a length unit`);
        d.units[d.activeCond - 1] = u;
        d.lastUnit = u;
        return;
      }
      case "normamps":
        d.normAmps = v as number;
        return;
      case "emergamps":
        d.emergAmps = v as number;
        return;
      case "reduce":
        d.reduce = v as boolean;
        return;
      case "spacing": {
        const sp = ctx.require("linespacing", String(v), "spacing").data as SpacingData;
        if (sp.nconds !== d.nconds) throw ctx.badValue(i, `LineSpacing.${String(v)} has ${sp.nconds} conductors, this geometry ${d.nconds}`);
        d.lastUnit = sp.units;
        for (let k = 0; k < d.nconds; k++) {
          d.x[k] = sp.x[k] ?? 0;
          d.y[k] = sp.h[k] ?? 0;
          d.units[k] = sp.units;
        }
        return;
      }
      case "wires":
      case "cncables":
      case "tscables": {
        needConds();
        let start = 0;
        let stop = d.nconds;
        let choice: Choice = "overhead";
        if (name === "cncables") {
          changeType(d, "cn");
          choice = "cn";
          stop = d.nphases;
        } else if (name === "tscables") {
          changeType(d, "ts");
          choice = "ts";
          stop = d.nphases;
        } else if (d.phaseChoice[d.activeCond - 1] !== "overhead") {
          start = d.nphases; // bare neutrals after the cables
        }
        const list = v as string[];
        for (let k = start, j = 0; k < stop; k++, j++) {
          const wname = list[j];
          if (wname === undefined) break;
          const w = ctx.require(CLASS_OF[choice], wname, name);
          d.names[k] = w.name;
          assignWire(d, k, w);
        }
        return;
      }
    }
  },
  like(el, other) {
    const o = other.data as GeometryData;
    el.data = {
      ...o,
      names: [...o.names],
      wires: [...o.wires],
      x: [...o.x],
      y: [...o.y],
      units: [...o.units],
      phaseChoice: [...o.phaseChoice],
    } satisfies GeometryData;
  },
};

/** Conductor count a Line takes from this geometry (nphases when reduced, as OpenDSS get_Nconds). */
export function geometryConductors(el: DssElement): number {
  const d = el.data as GeometryData;
  return d.reduce ? d.nphases : d.nconds;
}

/** Everything the line-constants calculation needs; throws a plain Error naming what is missing. */
export function geometryInput(el: DssElement, rho: number, earthModel: EarthModel): GeometryInput {
  const d = el.data as GeometryData;
  const conductors = d.wires.map((w, k) => {
    if (!w) throw new Error(`LineGeometry.${el.name}: conductor ${k + 1} has no wire or cable`);
    return { data: w.data as ConductorData, x: d.x[k]!, y: d.y[k]!, units: d.units[k]! };
  });
  return { kind: d.kind as ConstantsKind, conductors, phases: d.nphases, reduce: d.reduce, rho, earthModel };
}

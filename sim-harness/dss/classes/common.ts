// Building blocks for the per-class property tables: short constructors for
// property definitions and the inherited tails OpenDSS appends to every
// class (PD elements: ratings and reliability; PC elements: spectrum; all
// circuit elements: basefreq, enabled; every class: like).
import type { DssElement, PropertyDef, DssValue } from "../model.js";

export const num = (name: string, d?: number, extra: Partial<PropertyDef> = {}): PropertyDef => ({ name, type: "number", default: d, ...extra });
export const int = (name: string, d?: number, extra: Partial<PropertyDef> = {}): PropertyDef => ({ name, type: "int", default: d, ...extra });
export const bool = (name: string, d?: boolean, extra: Partial<PropertyDef> = {}): PropertyDef => ({ name, type: "bool", default: d, ...extra });
export const str = (name: string, d?: string, extra: Partial<PropertyDef> = {}): PropertyDef => ({ name, type: "string", default: d, ...extra });
export const bus = (name: string): PropertyDef => ({ name, type: "bus" });
export const nums = (name: string, d?: number[], extra: Partial<PropertyDef> = {}): PropertyDef => ({ name, type: "numbers", default: d, ...extra });
export const strs = (name: string, d?: string[], extra: Partial<PropertyDef> = {}): PropertyDef => ({ name, type: "strings", default: d, ...extra });
export const mat = (name: string, extra: Partial<PropertyDef> = {}): PropertyDef => ({ name, type: "matrix", ...extra });
export const ref = (name: string, cls: string, extra: Partial<PropertyDef> = {}): PropertyDef => ({ name, type: "ref", ref: cls, ...extra });
export const refs = (name: string, cls: string, extra: Partial<PropertyDef> = {}): PropertyDef => ({ name, type: "strings", ref: cls, ...extra });
export const enm = (
  name: string,
  choices: readonly string[],
  parse: (t: string) => string | undefined,
  d?: string,
  extra: Partial<PropertyDef> = {},
): PropertyDef => ({ name, type: "enum", choices, parse, default: d, ...extra });

/** Accepted, stored, no effect on a snapshot power flow (listed in docs/dss.md). */
export function ignored(p: PropertyDef): PropertyDef {
  return { ...p, ignored: true };
}

/** Accepted by OpenDSS, not modelled here, able to change the answer: giving it is an error. */
export function unsupported(p: PropertyDef): PropertyDef {
  return { ...p, unsupported: true };
}

export const LIKE: PropertyDef = { name: "like", type: "string" };

/** Tail of every circuit element: basefreq, enabled, like (OpenDSS CktElementClass + DSSClass). */
export function elementTail(): PropertyDef[] {
  return [num("basefreq", 60), bool("enabled", true), LIKE];
}

/** PD element tail (OpenDSS PDClass): ratings, reliability data, then the element tail. */
export function pdTail(normamps = 400, emergamps = 600): PropertyDef[] {
  return [
    num("normamps", normamps),
    num("emergamps", emergamps),
    ignored(num("faultrate", 0.1)),
    ignored(num("pctperm", 20)),
    ignored(num("repair", 3)),
    ...elementTail(),
  ];
}

/** PC element tail (OpenDSS PCClass): harmonic spectrum, then the element tail. */
export function pcTail(spectrum: string): PropertyDef[] {
  return [ignored(str("spectrum", spectrum)), ...elementTail()];
}

/** Control element tail. */
export function controlTail(): PropertyDef[] {
  return elementTail();
}

/** `wye`, `y`, `ln` -> wye; `delta`, `d`, `ll` -> delta (OpenDSS InterpretConnection). */
export function parseConn(t: string): string | undefined {
  const s = t.toLowerCase();
  const c = s[0];
  if (c === "y" || c === "w") return "wye";
  if (c === "d") return "delta";
  if (c === "l") {
    if (s[1] === "n") return "wye";
    if (s[1] === "l") return "delta";
  }
  return undefined;
}

export const CONN = ["wye", "delta"] as const;

/** Enum read by unique prefix among `choices` (OpenDSS's usual CompareTextShortest on the first letters). */
export function byPrefix(choices: readonly string[]) {
  return (t: string): string | undefined => {
    const s = t.toLowerCase();
    if (s.length === 0) return undefined;
    const hit = choices.find((c) => c === s) ?? choices.find((c) => c.startsWith(s) || s.startsWith(c));
    return hit;
  };
}

/** Index of a property by exact OpenDSS name (for edit rules; throws on a typo in a class table). */
export function indexOf(props: readonly PropertyDef[], name: string): number {
  const i = props.findIndex((p) => p.name.toLowerCase() === name.toLowerCase());
  if (i < 0) throw new Error(`property table has no '${name}'`);
  return i;
}

/** Sets a property's stored value without counting it as given (class side effects like switch=y). */
export function setQuiet(el: DssElement, index: number, v: DssValue | undefined): void {
  el.values[index] = v;
}

/** Numeric value of a property by index (NaN if not a number). */
export function numAt(el: DssElement, index: number): number {
  const v = el.values[index];
  return typeof v === "number" ? v : Number.NaN;
}

export function strAt(el: DssElement, index: number): string {
  const v = el.values[index];
  return typeof v === "string" ? v : "";
}

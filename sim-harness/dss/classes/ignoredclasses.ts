// Classes a snapshot power flow does not use: accepted so scripts parse,
// their objects kept (so references to them resolve), their properties
// stored as written and not checked. Listed in docs/dss.md.
import type { DssClassDef, ClassKind } from "../model.js";

function ignoredClass(name: string, kind: ClassKind): DssClassDef {
  return { name, kind, properties: [], ignored: true };
}

/** Time-series shapes and spectra: only used outside a snapshot. */
export const LoadShape = ignoredClass("LoadShape", "general");
export const TShape = ignoredClass("TShape", "general");
export const PriceShape = ignoredClass("PriceShape", "general");
export const GrowthShape = ignoredClass("GrowthShape", "general");
export const Spectrum = ignoredClass("Spectrum", "general");
export const TCC_Curve = ignoredClass("TCC_Curve", "general");
/** Meters only record. */
export const EnergyMeter = ignoredClass("EnergyMeter", "meter");
export const Monitor = ignoredClass("Monitor", "meter");
export const Sensor = ignoredClass("Sensor", "meter");
/** Protection acts on faults and in time simulations, never in a snapshot without faults. */
export const Relay = ignoredClass("Relay", "meter");
export const Recloser = ignoredClass("Recloser", "meter");
export const Fuse = ignoredClass("Fuse", "meter");

// Length units as OpenDSS's LineUnits defines them. A mile is 1609.344 m:
// OpenDSS-C 10's reference results agree to 1e-10 pu with that and not with
// the 1609.3 m older Pascal sources use (IEEE 13 differed by 3e-6 pu).

export const enum LengthUnit {
  None = 0,
  Miles = 1,
  Kft = 2,
  Km = 3,
  M = 4,
  Ft = 5,
  In = 6,
  Cm = 7,
  Mm = 8,
}

const TO_METERS: readonly number[] = [1.0, 1609.344, 304.8, 1000.0, 1.0, 0.3048, 0.0254, 0.01, 0.001];
const NAMES: readonly string[] = ["none", "mi", "kft", "km", "m", "ft", "in", "cm", "mm"];

/**
 * Units code from text, as OpenDSS's GetUnitsCode: the first two letters
 * decide (`no`, `mi`, `kf`, `km`, `m`, `me`, `ft`, `in`, `cm`, `mm`).
 * Returns undefined for text OpenDSS would silently take as "none".
 */
export function parseLengthUnit(text: string): LengthUnit | undefined {
  const s = text.slice(0, 2).toLowerCase();
  switch (s) {
    case "no": return LengthUnit.None;
    case "mi": return LengthUnit.Miles;
    case "kf": return LengthUnit.Kft;
    case "km": return LengthUnit.Km;
    case "m": case "me": return LengthUnit.M;
    case "ft": return LengthUnit.Ft;
    case "in": return LengthUnit.In;
    case "cm": return LengthUnit.Cm;
    case "mm": return LengthUnit.Mm;
    default: return undefined;
  }
}

export function lengthUnitName(u: LengthUnit): string {
  return NAMES[u] ?? "none";
}

export function toMeters(u: LengthUnit): number {
  return TO_METERS[u] ?? 1.0;
}

export function fromMeters(u: LengthUnit): number {
  return 1.0 / toMeters(u);
}

/** Multiplier for a per-meter quantity to become per-`u` (OpenDSS From_per_Meter). */
export function fromPerMeter(u: LengthUnit): number {
  return toMeters(u);
}

export function toPerMeter(u: LengthUnit): number {
  return 1.0 / toMeters(u);
}

/**
 * How many `to` units make one `from` unit (OpenDSS ConvertLineUnits);
 * 1 when either is "none" (nothing known to convert).
 */
export function convertLineUnits(from: LengthUnit, to: LengthUnit): number {
  if (from === LengthUnit.None || to === LengthUnit.None) return 1.0;
  return fromMeters(to) * toMeters(from);
}

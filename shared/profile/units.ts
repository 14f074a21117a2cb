// Unit conversion between a point's unit (whatever the vendor chose: W,
// kW, Var, Pct ...) and the standard channel's unit. Data, not code.

/** Canonical unit -> [dimension, factor to the dimension's base unit]. */
const UNITS: Record<string, [string, number]> = {
  w: ["power", 1],
  kw: ["power", 1e3],
  mw: ["power", 1e6],
  va: ["apparent", 1],
  kva: ["apparent", 1e3],
  mva: ["apparent", 1e6],
  var: ["reactive", 1],
  kvar: ["reactive", 1e3],
  mvar: ["reactive", 1e6],
  v: ["voltage", 1],
  kv: ["voltage", 1e3],
  a: ["current", 1],
  ka: ["current", 1e3],
  hz: ["frequency", 1],
  "%": ["ratio", 1],
  pct: ["ratio", 1],
  wh: ["energy", 1],
  kwh: ["energy", 1e3],
  mwh: ["energy", 1e6],
  varh: ["reactive-energy", 1],
  kvarh: ["reactive-energy", 1e3],
  s: ["time", 1],
  ms: ["time", 1e-3],
  c: ["temperature", 1],
  ah: ["charge", 1],
};

function lookup(unit: string): [string, number] | undefined {
  return UNITS[unit.trim().toLowerCase()];
}

export function isKnownUnit(unit: string): boolean {
  return lookup(unit) !== undefined;
}

/**
 * Factor f such that value_in_`to` = value_in_`from` * f, or undefined when the
 * units measure different things. A missing unit converts only to a missing unit.
 */
export function unitFactor(from: string | undefined, to: string | undefined): number | undefined {
  if (from === undefined || to === undefined) return from === to ? 1 : undefined;
  const a = lookup(from);
  const b = lookup(to);
  if (!a || !b || a[0] !== b[0]) return undefined;
  return a[1] / b[1];
}

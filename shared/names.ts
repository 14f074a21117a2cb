// Name helpers: "did you mean" suggestions for unknown names, and the
// canonical form of feeder element references.

/** Levenshtein distance, small inputs only (names). */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  let prev = new Array<number>(n + 1);
  let cur = new Array<number>(n + 1);
  for (let j = 0; j <= n; j++) prev[j] = j;
  for (let i = 1; i <= m; i++) {
    cur[0] = i;
    for (let j = 1; j <= n; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[n]!;
}

/** The `count` candidates closest to `name` (case-insensitive), best first. */
export function closestNames(name: string, candidates: Iterable<string>, count = 3): string[] {
  const target = name.toLowerCase();
  const scored: { c: string; d: number }[] = [];
  for (const c of candidates) scored.push({ c, d: editDistance(target, c.toLowerCase()) });
  scored.sort((x, y) => x.d - y.d || x.c.localeCompare(y.c));
  return scored.slice(0, count).map((s) => s.c);
}

/** "unknown switch 'Line.L4x' (closest: Line.L45, Line.L4, Line.L44)" */
export function unknownNameMessage(kind: string, name: string, candidates: Iterable<string>): string {
  const close = closestNames(name, candidates);
  return close.length ? `unknown ${kind} '${name}' (closest: ${close.join(", ")})` : `unknown ${kind} '${name}'`;
}

/**
 * Canonical element reference `Class.name` with the class capitalised as
 * OpenDSS prints it and the name lower-case (OpenDSS names are case-insensitive).
 * `line.L45` -> `Line.l45`.
 */
export function canonicalElement(ref: string): string {
  const dot = ref.indexOf(".");
  if (dot <= 0) return ref.toLowerCase();
  const cls = ref.slice(0, dot).toLowerCase();
  const name = ref.slice(dot + 1).toLowerCase();
  return `${CLASS_CASE[cls] ?? cls}.${name}`;
}

const CLASS_CASE: Record<string, string> = {
  line: "Line",
  transformer: "Transformer",
  load: "Load",
  generator: "Generator",
  pvsystem: "PVSystem",
  storage: "Storage",
  vsource: "Vsource",
  capacitor: "Capacitor",
  reactor: "Reactor",
  regcontrol: "RegControl",
  capcontrol: "CapControl",
  swtcontrol: "SwtControl",
};

// Bus specifications `name.1.2.3.0` and OpenDSS's node fill-in rule.
//
// OpenDSS (Circuit.ProcessBusDefs) fills a terminal's node list before it
// reads the user's nodes: conductor i <= phases gets node i, conductors past
// the phases get node 0 (ground); the nodes the user wrote then replace the
// first ones. So `bus1=671` on a 3-phase line is 671.1.2.3, a wye 3-phase
// transformer winding on `650` is 650.1.2.3.0, and a 3-phase switch on a bus
// that only has node 1 creates nodes 2 and 3 there.

export interface BusSpec {
  /** Bus name, lower-case (OpenDSS names are case-insensitive). */
  bus: string;
  /** Nodes the user wrote after the name, in order (may be empty). */
  nodes: number[];
}

/** Splits `Name.1.2.3` into the lower-case bus name and its explicit nodes. */
export function parseBusSpec(spec: string): BusSpec {
  const dot = spec.indexOf(".");
  if (dot < 0) return { bus: spec.trim().toLowerCase(), nodes: [] };
  const bus = spec.slice(0, dot).trim().toLowerCase();
  const nodes: number[] = [];
  // One pass over the characters (tens of thousands of bus specs per feeder): whole numbers
  // directly, anything else through Number() as before.
  const n = spec.length;
  for (let start = dot + 1; start <= n; ) {
    let end = spec.indexOf(".", start);
    if (end < 0) end = n;
    if (end > start) {
      let v = 0;
      for (let i = start; i < end; i++) {
        const d = spec.charCodeAt(i) - 48;
        if (d < 0 || d > 9) {
          const x = Number(spec.slice(start, end));
          v = Number.isInteger(x) && x >= 0 ? x : -1;
          break;
        }
        v = v * 10 + d;
      }
      nodes.push(v);
    }
    start = end + 1;
  }
  return { bus, nodes };
}

/** Node of each of `conductors` conductors after the fill-in rule (see file comment). */
export function fillNodes(explicit: readonly number[], phases: number, conductors: number): number[] {
  const nodes: number[] = [];
  for (let i = 0; i < conductors; i++) nodes.push(i < explicit.length ? explicit[i]! : i < phases ? i + 1 : 0);
  return nodes;
}

/** A terminal of a circuit element: the bus and the node of each conductor. */
export interface TerminalConnection {
  bus: string;
  nodes: number[];
}

export function resolveTerminal(spec: string, phases: number, conductors: number): TerminalConnection {
  const { bus, nodes } = parseBusSpec(spec);
  return { bus, nodes: fillNodes(nodes, phases, conductors) };
}

/** `bus` without node designations, lower-case (OpenDSS StripExtension). */
export function busNameOf(spec: string): string {
  const dot = spec.indexOf(".");
  return (dot < 0 ? spec : spec.slice(0, dot)).trim().toLowerCase();
}

/** Why a bus spec is invalid (a node that is not a whole number >= 0), or undefined when it is fine. */
export function busSpecError(spec: string): string | undefined {
  const dot = spec.indexOf(".");
  if (dot === 0 || spec.trim().length === 0) return `'${spec}' has no bus name`;
  if (dot < 0) return undefined;
  const n = spec.length;
  for (let start = dot + 1; start <= n; ) {
    let end = spec.indexOf(".", start);
    if (end < 0) end = n;
    for (let i = start; i < end; i++) {
      const c = spec.charCodeAt(i);
      if (c < 48 || c > 57) return `'${spec}': node '${spec.slice(start, end)}' is not a whole number`;
    }
    start = end + 1;
  }
  return undefined;
}

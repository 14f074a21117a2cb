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
  for (const part of spec.slice(dot + 1).split(".")) {
    if (part.length === 0) continue;
    const n = Number(part);
    nodes.push(Number.isInteger(n) && n >= 0 ? n : -1);
  }
  return { bus, nodes };
}

/** Node of each of `conductors` conductors after the fill-in rule (see file comment). */
export function fillNodes(explicit: readonly number[], phases: number, conductors: number): number[] {
  const nodes = new Array<number>(conductors);
  for (let i = 0; i < conductors; i++) nodes[i] = i < phases ? i + 1 : 0;
  for (let i = 0; i < explicit.length && i < conductors; i++) nodes[i] = explicit[i]!;
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
  if (spec.trim().length === 0 || dot === 0) return `'${spec}' has no bus name`;
  if (dot < 0) return undefined;
  for (const part of spec.slice(dot + 1).split(".")) {
    if (part.length === 0) continue;
    if (!/^\d+$/.test(part)) return `'${spec}': node '${part}' is not a whole number`;
  }
  return undefined;
}

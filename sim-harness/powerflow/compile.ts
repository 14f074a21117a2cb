// Compilation of a NetworkSpec into what stays fixed while a circuit is
// operated: bus and node numbering (node 0 = ground, 1..N in the order
// elements reference them, as OpenDSS builds its bus list), each element's
// conductor-to-node map, the node incidence lists, and the sparse pattern
// with its symbolic LU. The pattern holds every element's full block,
// switched on or off, so opening, closing, enabling and tap moves only
// change values: no re-analysis after the first compile.
import { BlackstartError, Errors } from "../../shared/errors.js";
import type { ElementSpec, NetworkSpec } from "./network.js";
import { SparseLU } from "./sparse/lu.js";

export interface CompiledElement {
  index: number;
  spec: ElementSpec;
  /** Lower-case `class.name` key. */
  key: string;
  /** System node per conductor, terminal after terminal (0 = ground). */
  nodes: Int32Array;
  /** Conductors per terminal. */
  conductors: number;
  terminals: number;
  /** Offset of this element's conductors in the circuit-wide conductor arrays. */
  conductorOffset: number;
  /** LU value index per Yprim entry (row-major order x order), -1 where a side is ground. */
  positions: Int32Array;
}

export interface Topology {
  spec: NetworkSpec;
  buses: string[];
  busIndex: Map<string, number>;
  /** Nodes of each bus, in first-reference order (system node numbers). */
  busNodes: number[][];
  /** For node 1..N: its bus and its number on the bus. Index 0 is ground. */
  nodeBus: Int32Array;
  nodeNumber: Int32Array;
  nodeCount: number;
  elements: CompiledElement[];
  elementIndex: Map<string, number>;
  /** Elements touching each node (CSR over nodes 0..N). */
  nodeElemPtr: Int32Array;
  nodeElem: Int32Array;
  conductorCount: number;
  /** Symbolic LU (values belong to each circuit's clone). */
  lu: SparseLU;
}

export function elementKey(name: string): string {
  return name.toLowerCase();
}

export function compileTopology(spec: NetworkSpec): Topology {
  const buses: string[] = [];
  const busIndex = new Map<string, number>();
  const busNodes: number[][] = [];
  const nodeBus: number[] = [-1];
  const nodeNumber: number[] = [0];
  const elements: CompiledElement[] = [];
  const elementIndex = new Map<string, number>();
  let conductorOffset = 0;

  const busOf = (bus: string): number => {
    let bi = busIndex.get(bus);
    if (bi !== undefined) return bi;
    const b = bus.toLowerCase();
    bi = busIndex.get(b);
    if (bi === undefined) {
      bi = buses.length;
      buses.push(b);
      busIndex.set(b, bi);
      busNodes.push([]);
    }
    return bi;
  };
  const nodeOn = (bi: number, n: number): number => {
    if (n === 0) return 0;
    // A bus has a handful of nodes: a scan beats a map per bus.
    const list = busNodes[bi]!;
    for (const node of list) if (nodeNumber[node] === n) return node;
    const node = nodeBus.length;
    nodeBus.push(bi);
    nodeNumber.push(n);
    list.push(node);
    return node;
  };

  // OpenDSS builds its bus list from enabled elements only, in definition order; nodes that only
  // disabled elements use come after them, so enabling one later needs no recompile.
  const nodesOf = new Array<Int32Array>(spec.elements.length);
  let totalNodes = 0;
  for (const el of spec.elements) for (const t of el.terminals) totalNodes += t.nodes.length;
  const allNodes = new Int32Array(totalNodes);
  let nodesAt = 0;
  const place = (el: ElementSpec, i: number) => {
    let size = 0;
    for (const t of el.terminals) size += t.nodes.length;
    const out = allNodes.subarray(nodesAt, nodesAt + size);
    nodesAt += size;
    let k = 0;
    for (const t of el.terminals) {
      const bi = busOf(t.bus);
      for (const n of t.nodes) out[k++] = nodeOn(bi, n);
    }
    nodesOf[i] = out;
  };
  spec.elements.forEach((el, i) => el.enabled && place(el, i));
  spec.elements.forEach((el, i) => !el.enabled && place(el, i));
  for (const [i, el] of spec.elements.entries()) {
    const key = elementKey(el.name);
    if (elementIndex.has(key))
      throw new BlackstartError(Errors.INTERNAL, `element ${el.name} appears twice in the compiled network`);
    const terminals = el.terminals.length;
    const conductors = el.terminals[0]?.nodes.length ?? 0;
    el.terminals.forEach((t, ti) => {
      if (t.nodes.length !== conductors)
        throw new BlackstartError(Errors.INTERNAL, `${el.name}: terminal ${ti + 1} has ${t.nodes.length} conductors, terminal 1 has ${conductors}`);
    });
    const nodes = nodesOf[i]!;
    const index = elements.length;
    elementIndex.set(key, index);
    elements.push({ index, spec: el, key, nodes, conductors, terminals, conductorOffset, positions: new Int32Array(0) });
    conductorOffset += terminals * conductors;
  }
  const nodeCount = nodeBus.length - 1;

  // Incidence node -> elements (each element once per node: `mark` holds the last element seen).
  const mark = new Int32Array(nodeCount + 1).fill(-1);
  const count = new Int32Array(nodeCount + 2);
  for (const e of elements)
    for (const n of e.nodes)
      if (mark[n] !== e.index) {
        mark[n] = e.index;
        count[n + 1]!++;
      }
  const nodeElemPtr = new Int32Array(nodeCount + 2);
  for (let i = 0; i <= nodeCount; i++) nodeElemPtr[i + 1] = nodeElemPtr[i]! + count[i + 1]!;
  const nodeElem = new Int32Array(nodeElemPtr[nodeCount + 1]!);
  const fill = nodeElemPtr.slice();
  mark.fill(-1);
  for (const e of elements)
    for (const n of e.nodes)
      if (mark[n] !== e.index) {
        mark[n] = e.index;
        nodeElem[fill[n]!++] = e.index;
      }

  // Pattern: every pair of distinct non-ground nodes of an element (matrix index = node - 1),
  // listed once per pair from its lower node; duplicates across elements are removed by analyze.
  const rowCount = new Int32Array(nodeCount + 1);
  const distinct: number[] = [];
  const eachDistinct = (e: CompiledElement, f: (ns: number[]) => void) => {
    distinct.length = 0;
    for (const n of e.nodes) if (n > 0 && mark[n] !== e.index) (mark[n] = e.index), distinct.push(n);
    f(distinct);
  };
  mark.fill(-1);
  for (const e of elements)
    eachDistinct(e, (ns) => {
      for (const a of ns) for (const b of ns) if (a < b) rowCount[a]!++;
    });
  const ptr = new Int32Array(nodeCount + 1);
  for (let i = 0; i < nodeCount; i++) ptr[i + 1] = ptr[i]! + rowCount[i + 1]!;
  const adj = new Int32Array(ptr[nodeCount]!);
  const at = ptr.slice(0, nodeCount);
  mark.fill(-1);
  for (const e of elements)
    eachDistinct(e, (ns) => {
      for (const a of ns) for (const b of ns) if (a < b) adj[at[a - 1]!++] = b - 1;
    });
  const lu = SparseLU.analyze({ n: nodeCount, ptr, adj });

  let totalPos = 0;
  for (const e of elements) totalPos += e.nodes.length * e.nodes.length;
  const allPos = new Int32Array(totalPos);
  let posAt = 0;
  for (const e of elements) {
    const order = e.nodes.length;
    const pos = allPos.subarray(posAt, posAt + order * order);
    posAt += order * order;
    for (let a = 0; a < order; a++)
      for (let b = 0; b < order; b++) {
        const na = e.nodes[a]!;
        const nb = e.nodes[b]!;
        pos[a * order + b] = na > 0 && nb > 0 ? lu.position(na - 1, nb - 1) : -1;
      }
    e.positions = pos;
  }

  return {
    spec,
    buses,
    busIndex,
    busNodes,
    nodeBus: Int32Array.from(nodeBus),
    nodeNumber: Int32Array.from(nodeNumber),
    nodeCount,
    elements,
    elementIndex,
    nodeElemPtr,
    nodeElem,
    conductorCount: conductorOffset,
    lu,
  };
}

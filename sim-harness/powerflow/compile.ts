// Compilation of a NetworkSpec into what stays fixed while a circuit is
// operated: bus and node numbering (node 0 = ground, 1..N in the order
// elements reference them, as OpenDSS builds its bus list), each element's
// conductor-to-node map, the node incidence lists, and the sparse pattern
// with its symbolic LU. The pattern holds every element's full block,
// switched on or off, so opening, closing, enabling and tap moves only
// change values: no re-analysis after the first compile.
import { BlackstartError, Errors } from "../../shared/errors.js";
import type { ElementSpec, NetworkSpec, TerminalSpec } from "./network.js";
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
  /**
   * Every element's nodes in one array (element i's are elementNodes[elementNodePtr[i] ..
   * elementNodePtr[i+1]), the same as its `nodes`); an element's conductor k is conductor
   * elementNodePtr[i] + k of the circuit-wide arrays. For loops over the whole circuit.
   */
  elementNodePtr: Int32Array;
  elementNodes: Int32Array;
  /** Per element: 1 for a Vsource. */
  isSource: Uint8Array;
  /** Symbolic LU (values belong to each circuit's clone). */
  lu: SparseLU;
}

export function elementKey(name: string): string {
  return name.toLowerCase();
}

const NO_POSITIONS = new Int32Array(0);

export function compileTopology(spec: NetworkSpec): Topology {
  const buses: string[] = [];
  const busIndex = new Map<string, number>();
  const busNodes: number[][] = [];
  const nodeBus: number[] = [-1];
  const nodeNumber: number[] = [0];
  const specs = spec.elements;
  const nEl = specs.length;

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

  // Spec objects differ in shape from one kind to the next: read their common fields once.
  const terminalsOf = new Array<TerminalSpec[]>(nEl);
  const sizes = new Int32Array(nEl + 1);
  for (let i = 0; i < nEl; i++) {
    const terms = specs[i]!.terminals;
    terminalsOf[i] = terms;
    let size = 0;
    for (let t = 0; t < terms.length; t++) size += terms[t]!.nodes.length;
    sizes[i + 1] = sizes[i]! + size;
  }
  const allNodes = new Int32Array(sizes[nEl]!);

  // OpenDSS builds its bus list from enabled elements only, in definition order; nodes that only
  // disabled elements use come after them, so enabling one later needs no recompile.
  for (let pass = 0; pass < 2; pass++)
    for (let i = 0; i < nEl; i++) {
      if (specs[i]!.enabled !== (pass === 0)) continue;
      const terms = terminalsOf[i]!;
      let k = sizes[i]!;
      for (let t = 0; t < terms.length; t++) {
        const term = terms[t]!;
        const bi = busOf(term.bus);
        const list = busNodes[bi]!;
        const tn = term.nodes;
        for (let j = 0; j < tn.length; j++) {
          const n = tn[j]!;
          let node = 0;
          if (n !== 0) {
            // A bus has a handful of nodes: a scan beats a map per bus.
            node = -1;
            for (let q = 0; q < list.length; q++)
              if (nodeNumber[list[q]!] === n) {
                node = list[q]!;
                break;
              }
            if (node < 0) {
              node = nodeBus.length;
              nodeBus.push(bi);
              nodeNumber.push(n);
              list.push(node);
            }
          }
          allNodes[k++] = node;
        }
      }
    }

  const elements = new Array<CompiledElement>(nEl);
  const elementIndex = new Map<string, number>();
  let conductorOffset = 0;
  for (let i = 0; i < nEl; i++) {
    const el = specs[i]!;
    const key = elementKey(el.name);
    if (elementIndex.has(key))
      throw new BlackstartError(Errors.INTERNAL, `element ${el.name} appears twice in the compiled network`);
    const terms = terminalsOf[i]!;
    const terminals = terms.length;
    const conductors = terminals > 0 ? terms[0]!.nodes.length : 0;
    for (let t = 1; t < terminals; t++)
      if (terms[t]!.nodes.length !== conductors)
        throw new BlackstartError(Errors.INTERNAL, `${el.name}: terminal ${t + 1} has ${terms[t]!.nodes.length} conductors, terminal 1 has ${conductors}`);
    elementIndex.set(key, i);
    const nodes = allNodes.subarray(sizes[i]!, sizes[i + 1]!);
    elements[i] = { index: i, spec: el, key, nodes, conductors, terminals, conductorOffset, positions: NO_POSITIONS };
    conductorOffset += terminals * conductors;
  }
  const nodeCount = nodeBus.length - 1;

  // Incidence node -> elements (each element once per node: `mark` holds the last element seen).
  const mark = new Int32Array(nodeCount + 1).fill(-1);
  const count = new Int32Array(nodeCount + 2);
  for (let i = 0; i < nEl; i++)
    for (let k = sizes[i]!; k < sizes[i + 1]!; k++) {
      const n = allNodes[k]!;
      if (mark[n] !== i) {
        mark[n] = i;
        count[n + 1]!++;
      }
    }
  const nodeElemPtr = new Int32Array(nodeCount + 2);
  for (let i = 0; i <= nodeCount; i++) nodeElemPtr[i + 1] = nodeElemPtr[i]! + count[i + 1]!;
  const nodeElem = new Int32Array(nodeElemPtr[nodeCount + 1]!);
  const fill = nodeElemPtr.slice();
  mark.fill(-1);
  for (let i = 0; i < nEl; i++)
    for (let k = sizes[i]!; k < sizes[i + 1]!; k++) {
      const n = allNodes[k]!;
      if (mark[n] !== i) {
        mark[n] = i;
        nodeElem[fill[n]!++] = i;
      }
    }

  // Pattern: every pair of distinct non-ground nodes of an element (matrix index = node - 1),
  // listed once per pair from its lower node; duplicates across elements are removed by analyze.
  // An element's distinct nodes go to `distinct` (counted, then filled: two passes).
  const rowCount = new Int32Array(nodeCount + 1);
  let widest = 0;
  for (let i = 0; i < nEl; i++) widest = Math.max(widest, sizes[i + 1]! - sizes[i]!);
  const distinct = new Int32Array(widest);
  const ptr = new Int32Array(nodeCount + 1);
  let adj = new Int32Array(0);
  let at = new Int32Array(0);
  for (let pass = 0; pass < 2; pass++) {
    mark.fill(-1);
    for (let i = 0; i < nEl; i++) {
      let nd = 0;
      for (let k = sizes[i]!; k < sizes[i + 1]!; k++) {
        const n = allNodes[k]!;
        if (n > 0 && mark[n] !== i) {
          mark[n] = i;
          distinct[nd++] = n;
        }
      }
      for (let x = 0; x < nd; x++) {
        const a = distinct[x]!;
        for (let y = 0; y < nd; y++) {
          const b = distinct[y]!;
          if (a >= b) continue;
          if (pass === 0) rowCount[a]!++;
          else adj[at[a - 1]!++] = b - 1;
        }
      }
    }
    if (pass === 0) {
      for (let i = 0; i < nodeCount; i++) ptr[i + 1] = ptr[i]! + rowCount[i + 1]!;
      adj = new Int32Array(ptr[nodeCount]!);
      at = ptr.slice(0, nodeCount);
    }
  }
  const lu = SparseLU.analyze({ n: nodeCount, ptr, adj });

  const allPos = new Int32Array(elements.reduce((t, e) => t + e.nodes.length * e.nodes.length, 0));
  let posAt = 0;
  for (const e of elements) {
    const order = e.nodes.length;
    const pos = allPos.subarray(posAt, posAt + order * order);
    posAt += order * order;
    for (let a = 0; a < order; a++) {
      const na = e.nodes[a]!;
      for (let b = 0; b < order; b++) {
        const nb = e.nodes[b]!;
        pos[a * order + b] = na > 0 && nb > 0 ? lu.position(na - 1, nb - 1) : -1;
      }
    }
    e.positions = pos;
  }

  return {
    spec,
    buses,
    busIndex,
    busNodes,
    nodeBus: new Int32Array(nodeBus),
    nodeNumber: new Int32Array(nodeNumber),
    nodeCount,
    elements,
    elementIndex,
    nodeElemPtr,
    nodeElem,
    conductorCount: conductorOffset,
    elementNodePtr: sizes,
    elementNodes: allNodes,
    isSource: Uint8Array.from(specs, (el) => (el.kind === "vsource" ? 1 : 0)),
    lu,
  };
}

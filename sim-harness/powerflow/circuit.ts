// A circuit being operated: the compiled topology (shared, immutable) plus
// this circuit's state — enabled flags, open conductors, taps, capacitor
// steps, PC element outputs, the system matrix values and their LU, node
// voltages. Changes mark what they affect; `prepare()` restamps only the
// matrix rows those changes touch and refactors from the first changed row
// of the ordering. `fork()` copies state, never the topology.
import { BlackstartError, Errors } from "../../shared/errors.js";
import { unknownNameMessage } from "../../shared/names.js";
import { compileTopology, elementKey, type CompiledElement, type Topology } from "./compile.js";
import type {
  CapacitorSpec,
  ElementSpec,
  GeneratorSpec,
  LoadSpec,
  NetworkSpec,
  PVSystemSpec,
  SolveOptions,
  StorageSpec,
  TransformerSpec,
  VsourceSpec,
} from "./network.js";
import { carveF64 } from "./chunks.js";
import { InjectionPlan } from "./injection.js";
import { SingularMatrixError, SparseLU } from "./sparse/lu.js";
import { applyOpenConductors, CMatrix } from "./yprim/cmatrix.js";
import { GenerationModel, generatorModel, pvModel, pvOutput, storageModel } from "./yprim/generator.js";
import { lineYprim } from "./yprim/line.js";
import { LoadModel } from "./yprim/load.js";
import { Injector, type PhaseCurrentModel } from "./yprim/pcelement.js";
import { branchYprim, capacitorYprim } from "./yprim/shunt.js";
import { transformerYprim } from "./yprim/transformer.js";
import { vsourceVoltages, vsourceYprim } from "./yprim/vsource.js";

type PCModel = PhaseCurrentModel & { yprim(): CMatrix; branchY(): [number, number]; clone(): PCModel };

/** A PC element in the solve loop. */
export interface PCEntry {
  element: number;
  kind: "load" | "generator" | "pvsystem" | "storage";
  model: PCModel;
  injector: Injector;
}

export class Circuit {
  readonly topo: Topology;
  options: SolveOptions;
  readonly enabled: Uint8Array;
  /** Per circuit-wide conductor: 1 closed, 0 open. */
  readonly closed: Uint8Array;
  /** Present tap per winding of each transformer element (undefined for others). */
  readonly taps: (Float64Array | undefined)[];
  /** Present state per step of each capacitor element. */
  readonly capStates: (Int8Array | undefined)[];
  /** Output overrides for generators / PV / storage: [kW, kvar]. */
  readonly outputs: ([number, number] | undefined)[];
  /** PV irradiance overrides. */
  readonly irradiance: (number | undefined)[];
  /** Per-load kW/kvar overrides (scaled by options.loadMult like the spec's). */
  readonly loadPower: ([number, number] | undefined)[];
  /** The shunt (no-load) part of each transformer's Yprim, kept for the series-only matrix of calcvoltagebases. */
  readonly shuntPart: (CMatrix | undefined)[] = [];
  /** Current Yprim of each element (null when disabled). */
  readonly yprim: (CMatrix | null)[];
  readonly lu: SparseLU;
  /** Node voltages (index 0 = ground), volts. */
  readonly vRe: Float64Array;
  readonly vIm: Float64Array;
  /** Per node: 1 if a source reaches it. */
  readonly energized: Uint8Array;
  /** Per node: component id (index of the lowest node of its island), 0 for de-energized. */
  readonly island: Int32Array;
  /** Per node: 1 if an enabled element uses it (nodes of disabled elements only are not reported). */
  readonly nodeUsed: Uint8Array;
  /** Line-to-neutral base volts per node (0 = no base). */
  readonly nodeVbase: Float64Array;
  /** Per bus: base kV line-to-neutral (0 = none). */
  readonly busKvBase: Float64Array;
  readonly vmagSaved: Float64Array;
  /** Source injection (Norton currents of enabled Vsources), node-indexed. */
  readonly srcRe: Float64Array;
  readonly srcIm: Float64Array;
  readonly injRe: Float64Array;
  readonly injIm: Float64Array;
  pcs: PCEntry[] = [];
  /** Index into pcs per element, -1 for non-PC elements. */
  pcIndex: Int32Array = new Int32Array(0);
  /** The PC elements' per-iteration injections (kept in step with pcs: see InjectionPlan.update). */
  injections!: InjectionPlan;
  /** Elements whose Yprim must be rebuilt before the next solve. */
  readonly dirty = new Set<number>();
  topologyDirty = true;
  /** Set when the matrix had no valid factorization or voltages yet. */
  initialized = false;
  sourcesDirty = true;

  constructor(topo: Topology, copyFrom?: Circuit) {
    this.topo = topo;
    const nE = topo.elements.length;
    const N = topo.nodeCount;
    if (copyFrom) {
      this.options = { ...copyFrom.options };
      this.enabled = copyFrom.enabled.slice();
      this.closed = copyFrom.closed.slice();
      this.taps = copyFrom.taps.map((t) => {
        if (!t) return undefined;
        const copy = carveF64(t.length);
        copy.set(t);
        return copy;
      });
      this.capStates = copyFrom.capStates.map((t) => t?.slice());
      this.outputs = copyFrom.outputs.map((o) => (o ? [o[0], o[1]] : undefined));
      this.irradiance = copyFrom.irradiance.slice();
      this.loadPower = copyFrom.loadPower.map((o) => (o ? [o[0], o[1]] : undefined));
      this.yprim = copyFrom.yprim.slice(); // Yprims are replaced, never mutated: sharing is safe.
      this.lu = copyFrom.lu.clone();
      this.vRe = copyFrom.vRe.slice();
      this.vIm = copyFrom.vIm.slice();
      this.energized = copyFrom.energized.slice();
      this.island = copyFrom.island.slice();
      this.nodeUsed = copyFrom.nodeUsed.slice();
      this.nodeVbase = copyFrom.nodeVbase;
      this.busKvBase = copyFrom.busKvBase;
      this.vmagSaved = copyFrom.vmagSaved.slice();
      this.srcRe = copyFrom.srcRe.slice();
      this.srcIm = copyFrom.srcIm.slice();
      for (const d of copyFrom.dirty) this.dirty.add(d);
      this.topologyDirty = copyFrom.topologyDirty;
      this.initialized = copyFrom.initialized;
      this.sourcesDirty = copyFrom.sourcesDirty;
    } else {
      this.options = { ...topo.spec.options };
      this.enabled = new Uint8Array(nE);
      this.closed = new Uint8Array(topo.conductorCount).fill(1);
      this.taps = new Array(nE).fill(undefined);
      this.capStates = new Array(nE).fill(undefined);
      this.outputs = new Array(nE).fill(undefined);
      this.irradiance = new Array(nE).fill(undefined);
      this.loadPower = new Array(nE).fill(undefined);
      this.yprim = new Array(nE).fill(null);
      this.lu = topo.lu.clone();
      this.vRe = new Float64Array(N + 1);
      this.vIm = new Float64Array(N + 1);
      this.energized = new Uint8Array(N + 1);
      this.island = new Int32Array(N + 1);
      this.nodeUsed = new Uint8Array(N + 1);
      this.nodeVbase = new Float64Array(N + 1);
      this.busKvBase = new Float64Array(topo.buses.length);
      this.vmagSaved = new Float64Array(N + 1);
      this.srcRe = new Float64Array(N + 1);
      this.srcIm = new Float64Array(N + 1);
      for (const e of topo.elements) {
        const s = e.spec;
        this.enabled[e.index] = s.enabled ? 1 : 0;
        s.closed?.forEach((t, ti) => t.forEach((c, ci) => (this.closed[e.conductorOffset + ti * e.conductors + ci] = c ? 1 : 0)));
        if (s.kind === "transformer") {
          const taps = carveF64(s.windings.length);
          s.windings.forEach((w, k) => (taps[k] = w.tap));
          this.taps[e.index] = taps;
        }
        if (s.kind === "capacitor") this.capStates[e.index] = Int8Array.from(s.states);
        this.dirty.add(e.index);
      }
    }
    this.injRe = new Float64Array(N + 1);
    this.injIm = new Float64Array(N + 1);
    this.buildPCs(copyFrom);
  }

  /**
   * Makes this circuit's state equal to `src`'s (same compiled topology) without allocating:
   * what an environment reset needs, many times, on a circuit it keeps.
   */
  copyStateFrom(src: Circuit): void {
    if (src.topo !== this.topo) throw new BlackstartError(Errors.INTERNAL, "copyStateFrom: circuits compiled from different networks");
    Object.assign(this.options, src.options);
    this.enabled.set(src.enabled);
    this.closed.set(src.closed);
    for (let i = 0; i < this.taps.length; i++) {
      const t = src.taps[i];
      if (t) this.taps[i]!.set(t);
      const cs = src.capStates[i];
      if (cs) this.capStates[i]!.set(cs);
      const o = src.outputs[i];
      this.outputs[i] = o ? [o[0], o[1]] : undefined;
      const lp = src.loadPower[i];
      this.loadPower[i] = lp ? [lp[0], lp[1]] : undefined;
      this.irradiance[i] = src.irradiance[i];
      this.yprim[i] = src.yprim[i]!;
    }
    this.lu.copyValuesFrom(src.lu);
    this.vRe.set(src.vRe);
    this.vIm.set(src.vIm);
    this.energized.set(src.energized);
    this.island.set(src.island);
    this.nodeUsed.set(src.nodeUsed);
    this.vmagSaved.set(src.vmagSaved);
    this.srcRe.set(src.srcRe);
    this.srcIm.set(src.srcIm);
    this.dirty.clear();
    for (const d of src.dirty) this.dirty.add(d);
    this.topologyDirty = src.topologyDirty;
    this.initialized = src.initialized;
    this.sourcesDirty = src.sourcesDirty;
    for (let k = 0; k < this.pcs.length; k++) {
      const a = this.pcs[k]!;
      const b = src.pcs[k]!;
      if (a.model.constructor === b.model.constructor) Object.assign(a.model, b.model);
      else a.model = b.model.clone();
      a.injector.yprim = b.injector.yprim;
      a.injector.branchYRe = b.injector.branchYRe;
      a.injector.branchYIm = b.injector.branchYIm;
      a.injector.iRe.set(b.injector.iRe);
      a.injector.iIm.set(b.injector.iIm);
    }
    this.injections.copyFrom(src.injections);
  }

  static compile(spec: NetworkSpec): Circuit {
    return new Circuit(compileTopology(spec));
  }

  fork(): Circuit {
    return new Circuit(this.topo, this);
  }

  private buildPCs(copyFrom?: Circuit): void {
    this.pcs = [];
    this.pcIndex = new Int32Array(this.topo.elements.length).fill(-1);
    for (const e of this.topo.elements) {
      const s = e.spec;
      let model: PCModel | undefined;
      let layoutSrc: LoadModel | GenerationModel | undefined;
      const prevPC = copyFrom?.pcOf(e.index);
      if (prevPC) {
        // A fork copies the model with its state and shares its (immutable) layout.
        const m = prevPC.model.clone() as LoadModel | GenerationModel;
        const injector = new Injector(m.layout, e.nodes, copyFrom!.yprim[e.index] ?? prevPC.injector.yprim);
        injector.branchYRe = prevPC.injector.branchYRe;
        injector.branchYIm = prevPC.injector.branchYIm;
        this.pcIndex[e.index] = this.pcs.length;
        this.pcs.push({ element: e.index, kind: prevPC.kind, model: m, injector });
        continue;
      }
      if (s.kind === "load") {
        const m = new LoadModel(this.loadSpecOf(e.index, s), e.conductors);
        m.setNominal(this.options.loadMult);
        model = m;
        layoutSrc = m;
      } else if (s.kind === "generator") layoutSrc = model = generatorModel(s, e.conductors);
      else if (s.kind === "pvsystem") layoutSrc = model = pvModel(this.pvSpecOf(e.index, s), e.conductors);
      else if (s.kind === "storage") layoutSrc = model = storageModel(s, e.conductors);
      if (!model || !layoutSrc) continue;
      if (s.kind !== "load") {
        const o = this.outputs[e.index];
        if (o) (model as GenerationModel).setOutput(o[0], o[1]);
      }
      const y = copyFrom?.yprim[e.index] ?? model.yprim();
      const injector = new Injector(layoutSrc.layout, e.nodes, y);
      const prev = copyFrom?.pcOf(e.index)?.injector;
      if (prev) {
        injector.branchYRe = prev.branchYRe;
        injector.branchYIm = prev.branchYIm;
      }
      this.pcIndex[e.index] = this.pcs.length;
      this.pcs.push({ element: e.index, kind: s.kind as PCEntry["kind"], model, injector });
    }
    this.injections = new InjectionPlan(this.pcs);
  }

  private loadSpecOf(i: number, s: LoadSpec): LoadSpec {
    const p = this.loadPower[i];
    return p ? { ...s, kW: p[0], kvar: p[1] } : s;
  }

  private pvSpecOf(i: number, s: PVSystemSpec): PVSystemSpec {
    const irr = this.irradiance[i];
    return irr !== undefined ? { ...s, irradiance: irr } : s;
  }

  // ---------------------------------------------------------------- lookup

  element(name: string): CompiledElement {
    const i = this.topo.elementIndex.get(elementKey(name));
    if (i === undefined)
      throw new BlackstartError(Errors.UNKNOWN_NAME, unknownNameMessage("element", name, this.topo.elements.map((e) => e.spec.name)));
    return this.topo.elements[i]!;
  }

  // ---------------------------------------------------------------- Yprim

  /** Yprim of an element in its present state (open conductors applied), or null when disabled. */
  computeYprim(e: CompiledElement): CMatrix | null {
    if (!this.enabled[e.index]) return null;
    const s = e.spec;
    let y: CMatrix;
    switch (s.kind) {
      case "vsource":
        y = vsourceYprim(s, 1);
        break;
      case "line":
        y = lineYprim(s);
        break;
      case "transformer": {
        const t = transformerYprim(s, 1, this.taps[e.index]!);
        y = t.y;
        this.shuntPart[e.index] = t.yShunt;
        break;
      }
      case "reactor":
        y = branchYprim(s.y, s.conn, e.terminals, e.conductors);
        break;
      case "capacitor":
        y = capacitorYprim(s.steps, this.capStates[e.index]!, s.conn, e.terminals, e.conductors);
        break;
      case "load":
      case "generator":
      case "pvsystem":
      case "storage": {
        const k = this.pcIndex[e.index]!;
        const pc = this.pcs[k]!;
        y = pc.model.yprim();
        pc.injector.yprim = y;
        const lay = pc.injector.layout;
        const neutralGrounded = lay.delta || e.nodes[lay.conductors - 1] === 0;
        let allClosed = true;
        for (let j = 0; j < e.nodes.length; j++) if (!this.closed[e.conductorOffset + j]) allClosed = false;
        const [br, bi] = pc.model.branchY();
        pc.injector.branchYRe = neutralGrounded && allClosed ? br : Number.NaN;
        pc.injector.branchYIm = bi;
        this.injections.update(k);
        break;
      }
    }
    let anyOpen = false;
    const off = e.conductorOffset;
    for (let k = 0; k < e.nodes.length; k++) if (!this.closed[off + k]) anyOpen = true;
    if (anyOpen) {
      const closed = Array.from({ length: e.nodes.length }, (_, k) => this.closed[off + k] === 1);
      applyOpenConductors(y, closed);
    }
    return y;
  }

  // ---------------------------------------------------------------- topology

  /** Work arrays of computeEnergized, made once per circuit (it runs on every switching). */
  private topoScratch: { parent: Int32Array; live: Uint8Array; energized: Uint8Array; island: Int32Array } | undefined;

  /**
   * Union-find over nodes coupled by enabled elements' closed conductors; islands that hold a
   * source are energized. The arrays returned are work space, valid until the next call.
   */
  computeEnergized(): { energized: Uint8Array; island: Int32Array } {
    const N = this.topo.nodeCount;
    const work = (this.topoScratch ??= {
      parent: new Int32Array(N + 1),
      live: new Uint8Array(N + 1),
      energized: new Uint8Array(N + 1),
      island: new Int32Array(N + 1),
    });
    const parent = work.parent;
    for (let i = 0; i <= N; i++) parent[i] = i;
    const find = (x: number): number => {
      while (parent[x] !== x) {
        parent[x] = parent[parent[x]!]!;
        x = parent[x]!;
      }
      return x;
    };
    const sources: number[] = [];
    // Flat arrays: this runs on every switching, over every element.
    const { elementNodePtr: ptr, elementNodes: nodes, isSource, elements } = this.topo;
    const enabled = this.enabled;
    const closed = this.closed;
    const nEl = ptr.length - 1;
    for (let i = 0; i < nEl; i++) {
      if (!enabled[i]) continue;
      const start = ptr[i]!;
      const end = ptr[i + 1]!;
      // A source's own conductors (terminal 1) hold it.
      const sourceEnd = isSource[i] ? start + elements[i]!.conductors : start;
      let first = -1;
      for (let q = start; q < end; q++) {
        const n = nodes[q]!;
        if (n === 0 || !closed[q]) continue;
        if (q < sourceEnd) sources.push(n);
        if (first < 0) first = n;
        else {
          const a = find(first);
          const b = find(n);
          if (a !== b) parent[a < b ? b : a] = a < b ? a : b;
        }
      }
    }
    // Nodes some enabled element uses (OpenDSS lists only those).
    const used = this.nodeUsed;
    used.fill(0);
    for (let i = 0; i < nEl; i++) if (enabled[i]) for (let q = ptr[i]!; q < ptr[i + 1]!; q++) used[nodes[q]!] = 1;
    const { live, energized, island } = work;
    live.fill(0);
    energized.fill(0);
    island.fill(0);
    for (const s of sources) live[find(s)] = 1;
    for (let i = 1; i <= N; i++) {
      const r = find(i);
      if (live[r]) {
        energized[i] = 1;
        island[i] = r;
      }
    }
    return { energized, island };
  }

  // ---------------------------------------------------------------- assembly

  /** Rebuild matrix rows (system nodes) from the elements touching them. */
  private stampRows(rows: Iterable<number>): void {
    const { lu, topo, energized } = this;
    const { ptr } = lu;
    for (const r of rows) {
      const p = lu.pinv[r - 1]!;
      lu.aRe.fill(0, ptr[p]!, ptr[p + 1]!);
      lu.aIm.fill(0, ptr[p]!, ptr[p + 1]!);
      lu.touch(r - 1);
      if (!energized[r]) {
        lu.aRe[lu.diag[p]!] = 1;
        continue;
      }
      for (let q = topo.nodeElemPtr[r]!; q < topo.nodeElemPtr[r + 1]!; q++) {
        const e = topo.elements[topo.nodeElem[q]!]!;
        const y = this.yprim[e.index];
        if (!y) continue;
        const o = y.order;
        const nodes = e.nodes;
        for (let a = 0; a < o; a++) {
          if (nodes[a] !== r) continue;
          for (let b = 0; b < o; b++) {
            const nb = nodes[b]!;
            if (nb === 0 || !energized[nb]) continue;
            const pos = e.positions[a * o + b]!;
            lu.aRe[pos] = lu.aRe[pos]! + y.re[a * o + b]!;
            lu.aIm[pos] = lu.aIm[pos]! + y.im[a * o + b]!;
          }
        }
      }
    }
  }

  /** Every row from scratch, element by element (cheaper than row by row when most rows change). */
  private assembleAll(): void {
    const { lu, topo, energized } = this;
    lu.aRe.fill(0);
    lu.aIm.fill(0);
    for (const e of topo.elements) {
      const y = this.yprim[e.index];
      if (!y) continue;
      const o = y.order;
      const nodes = e.nodes;
      const pos = e.positions;
      for (let a = 0; a < o; a++) {
        const na = nodes[a]!;
        if (na === 0 || !energized[na]) continue;
        for (let b = 0; b < o; b++) {
          const nb = nodes[b]!;
          if (nb === 0 || !energized[nb]) continue;
          const p = pos[a * o + b]!;
          lu.aRe[p] = lu.aRe[p]! + y.re[a * o + b]!;
          lu.aIm[p] = lu.aIm[p]! + y.im[a * o + b]!;
        }
      }
    }
    for (let n = 1; n <= topo.nodeCount; n++) if (!energized[n]) lu.aRe[lu.diag[lu.pinv[n - 1]!]!] = 1;
    lu.touchAll();
  }

  private rowMark: Uint8Array | undefined;

  /**
   * Yprims and energized nodes up to date, the matrix left alone: what calcvoltagebases needs.
   * Before the first solve nothing more is done (that solve assembles and factors everything);
   * afterwards this is `prepare()`.
   */
  prepareElements(): void {
    if (this.initialized) {
      this.prepare();
      return;
    }
    for (const i of this.dirty) this.yprim[i] = this.computeYprim(this.topo.elements[i]!);
    this.dirty.clear();
    if (this.topologyDirty) {
      const { energized, island } = this.computeEnergized();
      this.energized.set(energized);
      this.island.set(island);
      this.topologyDirty = false;
    }
  }

  /** Bring Yprims, topology, matrix and factorization up to date. Returns nodes that became energized. */
  prepare(): number[] {
    const N = this.topo.nodeCount;
    const mark = (this.rowMark ??= new Uint8Array(N + 1));
    const rows: number[] = [];
    const addRow = (n: number) => {
      if (n > 0 && !mark[n]) {
        mark[n] = 1;
        rows.push(n);
      }
    };
    const addElementRows = (e: CompiledElement) => {
      for (const n of e.nodes) addRow(n);
    };
    let sourcesChanged = this.sourcesDirty;
    let full = !this.initialized;
    for (const i of this.dirty) {
      const e = this.topo.elements[i]!;
      this.yprim[i] = this.computeYprim(e);
      if (!full) addElementRows(e);
      if (e.spec.kind === "vsource") sourcesChanged = true;
    }
    const newlyEnergized: number[] = [];
    // Connectivity changes only with switching and enabling (which set topologyDirty, as do a new
    // circuit and resetSolution); tap and capacitor-step changes only change values.
    if (this.topologyDirty) {
      const { energized, island } = this.computeEnergized();
      const changed: number[] = [];
      for (let n = 1; n <= N; n++) {
        if (energized[n] !== this.energized[n]) changed.push(n);
        if (energized[n] && !this.energized[n]) newlyEnergized.push(n);
      }
      this.energized.set(energized);
      this.island.set(island);
      if (changed.length) sourcesChanged = true;
      if (!full) {
        if (changed.length > N / 4) full = true;
        else
          for (const n of changed) {
            addRow(n);
            for (let q = this.topo.nodeElemPtr[n]!; q < this.topo.nodeElemPtr[n + 1]!; q++) addElementRows(this.topo.elements[this.topo.nodeElem[q]!]!);
          }
      }
    }
    this.dirty.clear();
    this.topologyDirty = false;
    if (full) this.assembleAll();
    else if (rows.length > N / 3) this.assembleAll();
    else if (rows.length) this.stampRows(rows);
    for (const r of rows) mark[r] = 0;
    if (sourcesChanged) this.computeSourceInjection();
    this.sourcesDirty = false;
    if (this.lu.stale) this.factorPinningFloats();
    return newlyEnergized;
  }

  /** Problems met while preparing the matrix (reported with the next solve, then cleared). */
  readonly warnings: string[] = [];

  /**
   * Factorizes; a zero pivot means a part with no reference (an ungrounded winding with
   * ppm_antifloat=0 and nothing else to ground): instead of failing, that node gets an admittance
   * of 1e-12 of its row to ground, which leaves it at the voltage its neighbours impose, and the
   * solve reports it.
   */
  private factorPinningFloats(): void {
    const lu = this.lu;
    for (let guard = 0; guard <= this.topo.nodeCount; guard++) {
      let r = -1;
      try {
        // A zero pivot, or one lost to cancellation (roundoff), throws with its row.
        lu.factor(true);
        return;
      } catch (e) {
        if (!(e instanceof SingularMatrixError)) throw e;
        r = e.index;
      }
      {
        const p = lu.pinv[r]!;
        let m = 0;
        for (let q = lu.ptr[p]!; q < lu.ptr[p + 1]!; q++) m = Math.max(m, Math.hypot(lu.aRe[q]!, lu.aIm[q]!));
        const d = lu.diag[p]!;
        lu.aRe[d] = lu.aRe[d]! + (m > 0 ? m * 1e-12 : 1e-12);
        lu.touch(r);
        const n = r + 1;
        this.warnings.push(
          `node ${this.topo.buses[this.topo.nodeBus[n]!]}.${this.topo.nodeNumber[n]} has no reference to ground (singular matrix); pinned with a tiny admittance`,
        );
      }
    }
  }

  /** Norton currents Yprim * [Vs; 0] of every enabled source. */
  private sourceElements: CompiledElement[] | undefined;

  private computeSourceInjection(): void {
    this.srcRe.fill(0);
    this.srcIm.fill(0);
    for (const e of (this.sourceElements ??= this.topo.elements.filter((x) => x.spec.kind === "vsource"))) {
      const y = this.yprim[e.index];
      if (!y) continue;
      const vs = vsourceVoltages(e.spec as VsourceSpec);
      const o = y.order;
      const n = e.conductors;
      for (let a = 0; a < o; a++) {
        const node = e.nodes[a]!;
        if (node === 0 || !this.energized[node]) continue;
        let sr = 0;
        let si = 0;
        for (let b = 0; b < n; b++) {
          const mr = y.re[a * o + b]!;
          const mi = y.im[a * o + b]!;
          sr += mr * vs.re[b]! - mi * vs.im[b]!;
          si += mr * vs.im[b]! + mi * vs.re[b]!;
        }
        this.srcRe[node] = this.srcRe[node]! + sr;
        this.srcIm[node] = this.srcIm[node]! + si;
      }
    }
  }

  // ---------------------------------------------------------------- state changes

  /** OpenDSS `open Class.name term=N [conductor]`: opens a terminal (all conductors, or one). */
  setTerminal(name: string, terminal: number, closed: boolean, conductor?: number): void {
    const e = this.element(name);
    if (!Number.isInteger(terminal) || terminal < 1 || terminal > e.terminals)
      throw new BlackstartError(Errors.INVALID_DOCUMENT, `${e.spec.name} has ${e.terminals} terminal(s); terminal ${terminal} does not exist`);
    const base = e.conductorOffset + (terminal - 1) * e.conductors;
    let changed = false;
    for (let k = 0; k < e.conductors; k++) {
      if (conductor !== undefined && k !== conductor - 1) continue;
      const v = closed ? 1 : 0;
      if (this.closed[base + k] !== v) {
        this.closed[base + k] = v;
        changed = true;
      }
    }
    if (changed) {
      this.dirty.add(e.index);
      this.topologyDirty = true;
    }
  }

  isTerminalClosed(name: string, terminal = 1): boolean {
    const e = this.element(name);
    const base = e.conductorOffset + (terminal - 1) * e.conductors;
    for (let k = 0; k < e.conductors; k++) if (!this.closed[base + k]) return false;
    return true;
  }

  setEnabled(name: string, enabled: boolean): void {
    const e = this.element(name);
    const v = enabled ? 1 : 0;
    if (this.enabled[e.index] === v) return;
    this.enabled[e.index] = v;
    this.dirty.add(e.index);
    this.topologyDirty = true;
  }

  setLoadMult(mult: number): void {
    requireFinite("load multiplier", mult);
    if (this.options.loadMult === mult) return;
    this.options.loadMult = mult;
    for (const pc of this.pcs) {
      if (pc.kind !== "load") continue;
      (pc.model as LoadModel).setNominal(mult);
      this.dirty.add(pc.element);
    }
  }

  setLoadPower(name: string, kW: number, kvar: number): void {
    const e = this.element(name);
    if (e.spec.kind !== "load") throw new BlackstartError(Errors.INVALID_DOCUMENT, `${e.spec.name} is not a Load`);
    requireFinite(`${e.spec.name} kW`, kW);
    requireFinite(`${e.spec.name} kvar`, kvar);
    this.loadPower[e.index] = [kW, kvar];
    const pc = this.pcs[this.pcIndex[e.index]!]!;
    const m = new LoadModel(this.loadSpecOf(e.index, e.spec), e.conductors);
    m.setNominal(this.options.loadMult);
    pc.model = m;
    this.dirty.add(e.index);
  }

  /** Output of a Generator, PVSystem or Storage (kW delivered, kvar). */
  setOutput(name: string, kW: number, kvar: number): void {
    const e = this.element(name);
    const pc = this.pcs[this.pcIndex[e.index]!];
    if (!pc || pc.kind === "load")
      throw new BlackstartError(Errors.INVALID_DOCUMENT, `${e.spec.name} is not a Generator, PVSystem or Storage`);
    requireFinite(`${e.spec.name} kW`, kW);
    requireFinite(`${e.spec.name} kvar`, kvar);
    this.outputs[e.index] = [kW, kvar];
    (pc.model as GenerationModel).setOutput(kW, kvar);
    this.dirty.add(e.index);
  }

  /** PVSystem irradiance (recomputes its output from the curves). */
  setIrradiance(name: string, irradiance: number): void {
    const e = this.element(name);
    if (e.spec.kind !== "pvsystem") throw new BlackstartError(Errors.INVALID_DOCUMENT, `${e.spec.name} is not a PVSystem`);
    requireFinite(`${e.spec.name} irradiance`, irradiance);
    this.irradiance[e.index] = irradiance;
    this.outputs[e.index] = undefined;
    const pc = this.pcs[this.pcIndex[e.index]!]!;
    const o = pvOutput(this.pvSpecOf(e.index, e.spec));
    (pc.model as GenerationModel).setOutput(o.kW, o.kvar);
    this.dirty.add(e.index);
  }

  setWindingTap(name: string, winding: number, tap: number): void {
    const e = this.element(name);
    const taps = this.taps[e.index];
    if (!taps) throw new BlackstartError(Errors.INVALID_DOCUMENT, `${e.spec.name} is not a Transformer`);
    const w = (e.spec as TransformerSpec).windings[winding - 1];
    if (!w) throw new BlackstartError(Errors.INVALID_DOCUMENT, `${e.spec.name} has no winding ${winding}`);
    const v = Math.min(w.maxTap, Math.max(w.minTap, tap));
    if (taps[winding - 1] === v) return;
    taps[winding - 1] = v;
    this.dirty.add(e.index);
  }

  setCapacitorSteps(name: string, states: readonly number[]): void {
    const e = this.element(name);
    const st = this.capStates[e.index];
    if (!st) throw new BlackstartError(Errors.INVALID_DOCUMENT, `${e.spec.name} is not a Capacitor`);
    if (states.length !== st.length)
      throw new BlackstartError(Errors.INVALID_DOCUMENT, `${e.spec.name} has ${st.length} step(s), got ${states.length} state(s)`);
    let changed = false;
    states.forEach((s, k) => {
      const v = s ? 1 : 0;
      if (st[k] !== v) {
        st[k] = v;
        changed = true;
      }
    });
    if (changed) this.dirty.add(e.index);
  }

  /** Elements of one kind, in definition order. */
  elementsOfKind<K extends ElementSpec["kind"]>(kind: K): (CompiledElement & { spec: Extract<ElementSpec, { kind: K }> })[] {
    return this.topo.elements.filter((e) => e.spec.kind === kind) as (CompiledElement & { spec: Extract<ElementSpec, { kind: K }> })[];
  }

  pcOf(element: number): PCEntry | undefined {
    return this.pcs[this.pcIndex[element]!];
  }
}

export type { CapacitorSpec, GeneratorSpec, StorageSpec };

/** Inputs that reach the injections must be numbers: one NaN would poison every node voltage. */
function requireFinite(what: string, value: number): void {
  if (!Number.isFinite(value)) throw new BlackstartError(Errors.BAD_VALUE, `${what} must be a finite number, got ${value}`);
}

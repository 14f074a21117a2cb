// The power flow as the OpenDSS interpreter's engine: `solve` and
// `calcvoltagebases` in a script run here. One compiled PowerFlow is kept
// per circuit and reused while the circuit is unchanged; when the script
// edits the circuit it is recompiled, keeping the bus voltage bases found by
// the last calcvoltagebases (as OpenDSS keeps them on its buses) and the taps
// and capacitor states the controls left (written back into the model, where
// OpenDSS keeps them too).
import type { DssCircuit, DssElement } from "../../dss/model.js";
import type { DssEngine, SolveRequest } from "../../dss/engine.js";
import { transformerOf } from "../../dss/classes/transformer.js";
import { PowerFlow, type SolveSummary } from "../index.js";
import { calcVoltageBases } from "../voltagebases.js";
import { networkFromDss } from "./network.js";

interface CircuitState {
  pf: PowerFlow;
  /** What the network was compiled from: element count and their summed revisions (options excluded). */
  signature: string;
  /** Bus bases (kV L-N) from the last calcvoltagebases, by bus of the network they were found on. */
  bases: { buses: readonly string[]; kv: Float64Array } | undefined;
}

export class PowerflowEngine implements DssEngine {
  private readonly states = new WeakMap<DssCircuit, CircuitState>();
  /** Result of the last solve, and its circuit. */
  last: { circuit: DssCircuit; pf: PowerFlow; result: SolveSummary } | undefined;
  /** Time spent compiling circuits into power-flow networks, ms. */
  compileMs = 0;

  /**
   * The compiled power flow for a circuit, compiled again only when an element changed (a
   * `set` option alone keeps the compiled network, its taps and its last solution).
   */
  powerflow(circuit: DssCircuit): PowerFlow {
    let st = this.states.get(circuit);
    const signature = networkSignature(circuit);
    if (st && st.signature === signature) {
      syncOptions(st.pf, circuit);
      return st.pf;
    }
    const t0 = performance.now();
    const bases = st?.bases;
    const spec = networkFromDss(circuit, bases ? { busKvBase: byBus(bases) } : {});
    const pf = PowerFlow.fromSpec(spec);
    this.compileMs += performance.now() - t0;
    st = { pf, signature, bases };
    this.states.set(circuit, st);
    syncOptions(pf, circuit);
    return pf;
  }

  solve(circuit: DssCircuit, _request: SolveRequest): void {
    const pf = this.powerflow(circuit);
    const result = pf.solve();
    writeBack(circuit, pf);
    this.last = { circuit, pf, result };
  }

  calcVoltageBases(circuit: DssCircuit, _request: SolveRequest): void {
    const pf = this.powerflow(circuit);
    calcVoltageBases(pf.circuit, circuit.options.voltageBases);
    // Kept as arrays: a record is only needed if the script edits the circuit afterwards.
    this.states.get(circuit)!.bases = { buses: pf.circuit.topo.buses, kv: pf.circuit.busKvBase.slice() };
  }

  reset(): void {
    this.last = undefined;
  }
}

/** The `set` options the power flow uses, as the script left them. */
function syncOptions(pf: PowerFlow, circuit: DssCircuit): void {
  const o = circuit.options;
  pf.setOptions({
    tolerance: o.tolerance,
    maxIterations: o.maxIterations,
    maxControlIterations: o.maxControlIterations,
    controlMode: o.controlMode === "off" ? "off" : "static",
    loadMult: o.loadMult,
  });
}

function byBus(bases: { buses: readonly string[]; kv: Float64Array }): Record<string, number> {
  const out: Record<string, number> = {};
  bases.buses.forEach((b, i) => (out[b] = bases.kv[i]!));
  return out;
}

function networkSignature(circuit: DssCircuit): string {
  let sum = 0;
  for (const el of circuit.elements) sum += el.revision;
  return `${circuit.elements.length}:${sum}`;
}

/** Taps and capacitor states go back into the model, so a recompile starts where the controls left them. */
function writeBack(circuit: DssCircuit, pf: PowerFlow): void {
  const c = pf.circuit;
  for (const e of c.topo.elements) {
    const el: DssElement | undefined = circuit.find(e.spec.name.split(".")[0]!, e.spec.name.slice(e.spec.name.indexOf(".") + 1));
    if (!el) continue;
    if (e.spec.kind === "transformer") {
      const taps = c.taps[e.index]!;
      transformerOf(el).windings.forEach((w, k) => (w.tap = taps[k] ?? w.tap));
    } else if (e.spec.kind === "capacitor") {
      const st = c.capStates[e.index]!;
      const idx = el.cls.propertyIndex("states");
      if (idx >= 0) el.values[idx] = Array.from(st);
    }
    // Terminal states the controls changed (capacitor switching).
    const closed: boolean[][] = [];
    let anyOpen = false;
    for (let t = 0; t < e.terminals; t++) {
      const row: boolean[] = [];
      for (let k = 0; k < e.conductors; k++) {
        const v = c.closed[e.conductorOffset + t * e.conductors + k] === 1;
        if (!v) anyOpen = true;
        row.push(v);
      }
      closed.push(row);
    }
    el.closed = anyOpen ? closed : undefined;
  }
}

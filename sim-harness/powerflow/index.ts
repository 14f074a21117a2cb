// The power flow's library API: compile a feeder once, then operate it
// (switches, enabled elements, load multiplier, generator/PV/storage
// outputs, regulator taps, capacitor steps) and re-solve, many times, cheaply.
// Each PowerFlow owns its state (no globals), so many circuits live in one
// process; `fork()` gives an independent copy that shares the compiled
// topology and symbolic factorization (what a trainer stepping N
// environments needs). See docs/powerflow.md.
import { BlackstartError, Errors } from "../../shared/errors.js";
import { unknownNameMessage } from "../../shared/names.js";
import { Circuit } from "./circuit.js";
import type { NetworkSpec, SolveOptions } from "./network.js";
import {
  DEFAULT_LIMITS,
  deenergizedBuses,
  elementFlow,
  energizedBuses,
  islands,
  loadPowers,
  losses,
  nodeVoltages,
  sourcePower,
  violations,
  type ElementFlow,
  type Island,
  type NodeVoltage,
  type Violation,
  type ViolationLimits,
} from "./results.js";
import { Controls, solveSnap, type SnapResult } from "./solve.js";
import { applyBusBases, calcVoltageBases } from "./voltagebases.js";

export type { NetworkSpec, SolveOptions } from "./network.js";
export type { ElementFlow, Island, NodeVoltage, Violation, ViolationLimits } from "./results.js";
export type { SnapResult } from "./solve.js";

export interface SolveSummary extends SnapResult {
  /** Wall time of this solve, ms. */
  solveMs: number;
}

export interface PowerFlowReport {
  converged: boolean;
  iterations: number;
  controlIterations: number;
  messages: string[];
  totalPower: { kW: number; kvar: number };
  losses: { kW: number; kvar: number };
  voltages: NodeVoltage[];
  loads: { name: string; kW: number; kvar: number }[];
  tapPositions: Record<string, number>;
  capStates: Record<string, number[]>;
  energizedBuses: string[];
  deenergizedBuses: string[];
  islands: Island[];
  violations: Violation[];
}

function regName(transformer: string): string {
  return transformer.slice(transformer.indexOf(".") + 1).toLowerCase();
}

export class PowerFlow {
  readonly circuit: Circuit;
  private readonly controls: Controls;
  private lastSolve: SolveSummary | undefined;

  private constructor(circuit: Circuit, controls?: Controls) {
    this.circuit = circuit;
    this.controls = controls ?? new Controls(circuit);
  }

  /** Compiles a network. Voltage bases come from `calcVoltageBases` / `busKvBase` in the spec. */
  static fromSpec(spec: NetworkSpec): PowerFlow {
    const pf = new PowerFlow(Circuit.compile(spec));
    pf.refreshBases();
    return pf;
  }

  /** Recomputes the bus voltage bases as the spec says (calcvoltagebases and/or explicit kV bases). */
  refreshBases(): void {
    const c = this.circuit;
    const spec = c.topo.spec;
    if (spec.calcVoltageBases && spec.voltageBases.length) calcVoltageBases(c, spec.voltageBases);
    if (spec.busKvBase) {
      for (const [bus, kv] of Object.entries(spec.busKvBase)) {
        const bi = c.topo.busIndex.get(bus.toLowerCase());
        if (bi !== undefined) c.busKvBase[bi] = kv;
      }
      applyBusBases(c);
    }
  }

  /** An independent copy sharing the compiled topology (cheap: state arrays only). */
  fork(): PowerFlow {
    const c = this.circuit.fork();
    const ctl = new Controls(c);
    const pf = new PowerFlow(c, ctl);
    pf.lastSolve = this.lastSolve;
    return pf;
  }

  /**
   * Makes this power flow's state (switches, enabled elements, taps, capacitors, outputs,
   * factorization, voltages) equal to `base`'s without allocating; both must come from the same
   * compile (`fork()`). Cheaper than a new fork for an environment reset.
   */
  resetTo(base: PowerFlow): void {
    this.circuit.copyStateFrom(base.circuit);
    this.lastSolve = base.lastSolve;
  }

  get options(): SolveOptions {
    return this.circuit.options;
  }

  /** Changes solve options (tolerance, maxIterations, maxControlIterations, controlMode). */
  setOptions(o: Partial<SolveOptions>): void {
    if (o.loadMult !== undefined) this.circuit.setLoadMult(o.loadMult);
    Object.assign(this.circuit.options, { ...o, loadMult: this.circuit.options.loadMult });
  }

  // ------------------------------------------------------------ operations

  /** `open Class.name term=N` (all conductors of the terminal, or one conductor). */
  open(element: string, terminal = 1, conductor?: number): void {
    this.circuit.setTerminal(element, terminal, false, conductor);
  }

  close(element: string, terminal = 1, conductor?: number): void {
    this.circuit.setTerminal(element, terminal, true, conductor);
  }

  /** Are all conductors of the terminal closed? */
  isClosed(element: string, terminal = 1): boolean {
    return this.circuit.isTerminalClosed(element, terminal);
  }

  setEnabled(element: string, enabled: boolean): void {
    this.circuit.setEnabled(element, enabled);
  }

  isEnabled(element: string): boolean {
    return this.circuit.enabled[this.circuit.element(element).index] === 1;
  }

  setLoadMult(mult: number): void {
    this.circuit.setLoadMult(mult);
  }

  /** A load's base kW and kvar (before the load multiplier). */
  setLoad(name: string, kW: number, kvar: number): void {
    this.circuit.setLoadPower(name, kW, kvar);
  }

  /** Output of a Generator, PVSystem or Storage in kW (delivered; negative charges storage) and kvar. */
  setOutput(name: string, kW: number, kvar = 0): void {
    this.circuit.setOutput(name, kW, kvar);
  }

  setIrradiance(pvsystem: string, irradiance: number): void {
    this.circuit.setIrradiance(pvsystem, irradiance);
  }

  // ------------------------------------------------------------ taps and capacitors

  /** A regulator by its transformer's name (`reg1a`, `Transformer.reg1a`) or its RegControl's (`RegControl.creg1a`). */
  private reg(name: string) {
    const key = name.toLowerCase();
    const bare = key.replace(/^(regcontrol|transformer)\./, "");
    const r =
      this.controls.regs.find((x) => !key.startsWith("regcontrol.") && regName(x.xf.spec.name) === bare) ??
      this.controls.regs.find((x) => !key.startsWith("transformer.") && x.name.toLowerCase() === bare);
    if (!r)
      throw new BlackstartError(Errors.UNKNOWN_NAME, unknownNameMessage("regulator", name, this.controls.regs.map((x) => regName(x.xf.spec.name))));
    return r;
  }

  /** Tap position (steps from neutral, OpenDSS TapNum) of every regulated transformer, keyed by transformer name as OpenDSS reports taps. */
  tapPositions(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.controls.regs) out[regName(r.xf.spec.name)] = r.tapPosition();
    return out;
  }

  /** Whether a regulator's regulated winding is energized (de-energized ones are left alone by the controls). */
  regulatorEnergized(name: string): boolean {
    return this.reg(name).energized();
  }

  /** Whether a capacitor's bus is energized. */
  capacitorEnergized(capacitor: string): boolean {
    const e = this.circuit.element(capacitor.includes(".") ? capacitor : `Capacitor.${capacitor}`);
    return e.nodes.slice(0, e.conductors).every((n) => n === 0 || this.circuit.energized[n] === 1);
  }

  /** Sets a regulator's tap position (steps from neutral), clamped to its range. */
  setTapPosition(regcontrol: string, position: number): void {
    const r = this.reg(regcontrol);
    const w = r.xf.spec.kind === "transformer" ? r.xf.spec.windings[r.tapWinding - 1]! : undefined;
    if (!w) return;
    const inc = r.increment();
    this.circuit.setWindingTap(r.xf.spec.name, r.tapWinding, position * inc + (w.maxTap + w.minTap) / 2);
  }

  /** Present tap (per unit) of a transformer winding. */
  tap(transformer: string, winding = 1): number {
    const e = this.circuit.element(transformer);
    const t = this.circuit.taps[e.index];
    if (!t) throw new BlackstartError(Errors.INVALID_DOCUMENT, `${e.spec.name} is not a Transformer`);
    return t[winding - 1]!;
  }

  setTap(transformer: string, winding: number, tap: number): void {
    this.circuit.setWindingTap(transformer, winding, tap);
  }

  /** Step states of every capacitor (0 where its terminal is open). */
  capacitorStates(): Record<string, number[]> {
    const out: Record<string, number[]> = {};
    for (const e of this.circuit.topo.elements) {
      if (e.spec.kind !== "capacitor") continue;
      const st = this.circuit.capStates[e.index]!;
      const closed = this.circuit.isTerminalClosed(e.spec.name, 1);
      out[e.spec.name.replace(/^Capacitor\./, "")] = Array.from(st, (s) => (closed ? s : 0));
    }
    return out;
  }

  setCapacitorStates(capacitor: string, states: readonly number[]): void {
    const name = capacitor.includes(".") ? capacitor : `Capacitor.${capacitor}`;
    this.circuit.setCapacitorSteps(name, states);
    if (states.some((s) => s) && !this.circuit.isTerminalClosed(name, 1)) this.circuit.setTerminal(name, 1, true);
  }

  // ------------------------------------------------------------ solve

  /** Snapshot solve with controls, from the present state (warm start). */
  solve(): SolveSummary {
    const t0 = performance.now();
    const r = solveSnap(this.circuit, this.controls);
    this.lastSolve = { ...r, solveMs: performance.now() - t0 };
    return this.lastSolve;
  }

  /** Forget the previous solution: the next solve starts from the direct (no-load-current) solution, as after `set mode=snapshot`. */
  resetSolution(): void {
    this.circuit.initialized = false;
    this.circuit.topologyDirty = true;
  }

  get lastResult(): SolveSummary | undefined {
    return this.lastSolve;
  }

  // ------------------------------------------------------------ results

  voltages(): NodeVoltage[] {
    return nodeVoltages(this.circuit);
  }

  /** Voltages of one bus's nodes (cheap: no walk over the circuit); [] for an unknown bus. */
  busVoltages(bus: string): NodeVoltage[] {
    const c = this.circuit;
    const t = c.topo;
    const bi = t.busIndex.get(bus.toLowerCase());
    if (bi === undefined) return [];
    const base = c.busKvBase[bi]! * 1000;
    const out: NodeVoltage[] = [];
    for (const n of t.busNodes[bi]!) {
      if (!c.nodeUsed[n]) continue;
      const vr = c.vRe[n]!;
      const vi = c.vIm[n]!;
      const vmag = Math.hypot(vr, vi);
      out.push({ bus: t.buses[bi]!, node: t.nodeNumber[n]!, vmag, vangDeg: (Math.atan2(vi, vr) * 180) / Math.PI, vpu: base > 0 ? vmag / base : undefined });
    }
    return out;
  }

  /** Voltage of one bus node: magnitude (V), angle (deg), pu (undefined without base). */
  voltage(bus: string, node: number): NodeVoltage | undefined {
    return this.busVoltages(bus).find((v) => v.node === node);
  }

  totalPower(): { kW: number; kvar: number } {
    return sourcePower(this.circuit);
  }

  losses(): { kW: number; kvar: number } {
    return losses(this.circuit);
  }

  loadPowers(): { name: string; kW: number; kvar: number }[] {
    return loadPowers(this.circuit);
  }

  /** Terminal currents and powers of one element (`Line.l45`). */
  flow(element: string): ElementFlow {
    return elementFlow(this.circuit, this.circuit.element(element));
  }

  /** Terminal flows of every element of some kinds (default lines, transformers, sources, loads). */
  flows(kinds: readonly string[] = ["line", "transformer", "vsource", "load"]): ElementFlow[] {
    const set = new Set(kinds);
    return this.circuit.topo.elements.filter((e) => set.has(e.spec.kind) && this.circuit.enabled[e.index]).map((e) => elementFlow(this.circuit, e));
  }

  energizedBuses(): string[] {
    return energizedBuses(this.circuit);
  }

  deenergizedBuses(): string[] {
    return deenergizedBuses(this.circuit);
  }

  islands(): Island[] {
    return islands(this.circuit);
  }

  violations(limits: ViolationLimits = DEFAULT_LIMITS): Violation[] {
    return violations(this.circuit, limits);
  }

  /** Everything at once (for the CLI and reports; training loops should call the pieces they need). */
  report(limits: ViolationLimits = DEFAULT_LIMITS): PowerFlowReport {
    const r = this.lastSolve;
    return {
      converged: r?.converged ?? false,
      iterations: r?.iterations ?? 0,
      controlIterations: r?.controlIterations ?? 0,
      messages: r?.messages ?? ["not solved"],
      totalPower: this.totalPower(),
      losses: this.losses(),
      voltages: this.voltages(),
      loads: this.loadPowers(),
      tapPositions: this.tapPositions(),
      capStates: this.capacitorStates(),
      energizedBuses: this.energizedBuses(),
      deenergizedBuses: this.deenergizedBuses(),
      islands: this.islands(),
      violations: this.violations(limits),
    };
  }
}

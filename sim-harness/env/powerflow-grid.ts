// The environment's grid on the full power flow (sim-harness/powerflow):
// agent switches operate terminal 2 of their element (`open Line.x term=2`,
// as the paper's environment does), a solve warm-starts from the last one
// with regulator taps where the last solve left them (taps carry over), and
// the results are read per load (kW), per grid-forming source (kW), per bus
// (voltages) and as violations. `restore` forks the post-compile circuit, so
// a reset never depends on the previous episode. Nothing is re-solved when no
// switch changed since the last solve. In physics mode grid-following units
// follow their island's frequency (frequency-watt.ts): after a solve, PV is
// curtailed where it would drive a grid-forming unit below its floor, and the
// circuit re-solved.
import type { PowerFlow, SolveSummary } from "../powerflow/index.js";
import type { BoundScenario } from "../scenarios/bind.js";
import type { Grid, GridResult } from "./grid.js";
import type { Violation } from "./types.js";
import { EnergizationGraph } from "./energization.js";
import { FrequencyWatt, outputSetpoint } from "./frequency-watt.js";
import type { PVSystemSpec } from "../powerflow/network.js";
import { pvOutput } from "../powerflow/yprim/generator.js";
import { islandUnits } from "./units.js";

/** Controller steps (each a re-solve) at most per solve; one or two suffice (the response is nearly linear). */
const MAX_SETTLE_STEPS = 6;

export interface PowerFlowGridOptions {
  /** Compute voltage and thermal violations when asked (default true); false: never (a training run that never reads them). */
  violations?: boolean;
  /**
   * Grid-following units in a scenario unit's island: `frequency-watt` (default in
   * physics mode: curtailed so no grid-forming unit goes below its floor) or `none`
   * (fixed output whatever the island draws; the default in paper mode).
   */
  curtailment?: "frequency-watt" | "none";
}

export class PowerFlowGrid implements Grid {
  readonly kind = "powerflow" as const;
  readonly bound: BoundScenario;
  /** The circuit after compile, the scenario's commands and the outage: every restore forks it. */
  private readonly base: PowerFlow;
  private pf: PowerFlow;
  private readonly switchRefs: string[];
  private readonly sourceElements: string[];
  private readonly loadIndex = new Map<string, number>();
  private loadOrder: Int32Array | undefined;
  private readonly withViolations: boolean;
  private last: GridResult | undefined;
  private lastViolations: Violation[] | undefined;
  private readonly options: PowerFlowGridOptions;
  /** Which sections are joined (islands for the curtailment), kept with the switches. */
  private readonly energy: EnergizationGraph;
  private readonly fw: FrequencyWatt | undefined;
  /** Curtailment steps (re-solves) the last solve took: 0 when no grid-following output moved. */
  lastSettleSteps = 0;

  constructor(bound: BoundScenario, base: PowerFlow, options: PowerFlowGridOptions = {}, current?: PowerFlow, from?: PowerFlowGrid) {
    this.bound = bound;
    this.base = base;
    this.options = options;
    this.pf = current ?? base.fork();
    this.switchRefs = bound.switches.map((s) => s.ref);
    this.sourceElements = bound.sections.sections.flatMap((s) => s.sources.map((x) => x.element));
    bound.loads.forEach((l, i) => this.loadIndex.set(l.ref.toLowerCase(), i));
    this.withViolations = options.violations ?? true;
    this.energy = from ? from.energy.clone() : new EnergizationGraph(bound.sections);
    const curtail = options.curtailment ?? (bound.scenario.mode === "physics" ? "frequency-watt" : "none");
    this.fw = curtail === "frequency-watt" ? new FrequencyWatt(from?.fw?.units ?? islandUnits(bound), this.pf, from?.fw) : undefined;
  }

  /** The power flow behind the present state (for reports and replay commands). */
  get powerflow(): PowerFlow {
    return this.pf;
  }

  /** The switch states the circuit already holds (a plant operated outside this grid): the islands the curtailment works on. */
  adoptSwitchStates(closed: ArrayLike<number>): void {
    this.energy.setAll(closed);
    this.last = undefined;
  }

  setSwitch(k: number, closed: boolean): void {
    this.energy.set(k, closed);
    const ref = this.switchRefs[k]!;
    if (closed) {
      this.pf.setEnabled(ref, true);
      this.pf.close(ref, 1);
      this.pf.close(ref, 2);
    } else {
      this.pf.open(ref, 2);
    }
    this.last = undefined;
  }

  restore(closed: ArrayLike<number>): void {
    this.pf = this.base.fork();
    this.energy.setAll(closed);
    for (let k = 0; k < this.switchRefs.length; k++) {
      const want = closed[k] ? 1 : 0;
      const ref = this.switchRefs[k]!;
      const isClosed = this.pf.isEnabled(ref) && this.pf.isClosed(ref, 1) && this.pf.isClosed(ref, 2);
      if (want !== (isClosed ? 1 : 0)) this.setSwitch(k, want === 1);
    }
    this.last = undefined;
  }

  setTaps(taps: Record<string, number>): void {
    for (const [reg, pos] of Object.entries(taps)) this.pf.setTapPosition(reg, pos);
    this.last = undefined;
  }

  solve(): GridResult {
    if (this.last) return this.last;
    this.lastViolations = undefined;
    const pf = this.pf;
    let summary = this.solveOnce();
    this.lastSettleSteps = 0;
    if (this.fw && summary.converged) {
      const delivered = (el: string) => -(pf.flow(el).terminals[0]?.kW ?? 0);
      while (this.lastSettleSteps < MAX_SETTLE_STEPS && this.fw.adjust(pf, this.energy, delivered)) {
        this.lastSettleSteps++;
        summary = this.solveOnce();
        if (!summary.converged) break;
      }
    }
    const loads = pf.loadPowers();
    if (!this.loadOrder) this.loadOrder = Int32Array.from(loads, (l) => this.loadIndex.get(l.name.toLowerCase()) ?? -1);
    const loadKw = new Float64Array(this.bound.loads.length);
    for (let i = 0; i < loads.length; i++) {
      const j = this.loadOrder[i]!;
      if (j >= 0) loadKw[j] = loads[i]!.kW;
    }
    const sourceKw = new Map<string, number>();
    for (const el of this.sourceElements) {
      // Power into a source at its terminal 1 is negative when it delivers.
      const f = pf.flow(el);
      sourceKw.set(el, -(f.terminals[0]?.kW ?? 0));
    }
    let voltages: Map<string, { min: number; max: number }> | undefined;
    let nodes: Map<string, number> | undefined;
    const read = () => {
      voltages = new Map();
      nodes = new Map();
      for (const v of pf.voltages()) {
        if (v.vpu === undefined || v.vmag <= 0) continue;
        nodes.set(`${v.bus}.${v.node}`, v.vpu);
        const cur = voltages.get(v.bus);
        if (!cur) voltages.set(v.bus, { min: v.vpu, max: v.vpu });
        else {
          cur.min = Math.min(cur.min, v.vpu);
          cur.max = Math.max(cur.max, v.vpu);
        }
      }
    };
    const busVoltage = (bus: string) => {
      if (!voltages) read();
      return voltages!.get(bus);
    };
    const nodeVoltagePu = (bus: string, node: number) => {
      if (!nodes) read();
      return nodes!.get(`${bus}.${node}`);
    };
    this.last = {
      converged: summary.converged,
      iterations: summary.iterations,
      loadKw,
      sourceKw,
      busVoltage,
      nodeVoltagePu,
      tapPositions: pf.tapPositions(),
      curtailedKw: this.fw?.curtailed() ?? new Map(),
      branchKw: (el) => Math.abs(pf.flow(el).terminals[0]?.kW ?? 0),
    };
    return this.last;
  }

  private solveOnce(): SolveSummary {
    let summary = this.pf.solve();
    if (!summary.converged) {
      // A warm start far from the new topology's solution can stall: start over from the
      // direct solution (as OpenDSS's `set mode=snapshot`), taps where they are.
      this.pf.resetSolution();
      summary = this.pf.solve();
    }
    return summary;
  }

  /**
   * OpenDSS commands that set the grid-following units' present (curtailed)
   * outputs, for replaying a state: a Generator's `kW`, a PVSystem's `%Pmpp`
   * (the panel limit that, through its efficiency curve, gives the output) with
   * its cut-in and cut-out off.
   */
  outputCommands(): string[] {
    const out: string[] = [];
    if (!this.fw) return out;
    const c = this.pf.circuit;
    for (const el of this.fw.curtailed().keys()) {
      const e = c.element(el);
      const kw = outputSetpoint(this.pf, el).kW;
      if (e.spec.kind === "generator") out.push(`edit ${el} kW=${kw.toFixed(6)}`);
      else if (e.spec.kind === "pvsystem") {
        // Curtailment limits the inverter's output, not the panel: OpenDSS's cut-out (a panel
        // below %cutout of kVA stops the inverter) must not turn a limited unit off.
        const spec = { ...(e.spec as PVSystemSpec), irradiance: c.irradiance[e.index] ?? (e.spec as PVSystemSpec).irradiance, pctCutin: 0, pctCutout: 0 };
        out.push(`edit ${el} %Pmpp=${pctPmppFor(spec, kw).toFixed(6)} %cutin=0 %cutout=0`);
      } else out.push(`edit ${el} kW=${kw.toFixed(6)}`);
    }
    return out;
  }

  violations(): Violation[] {
    if (!this.withViolations) return [];
    if (this.lastViolations && this.last) return this.lastViolations;
    const pf = this.pf;
    const lim = this.bound.scenario.limits;
    const violations: Violation[] = [];
    {
      const factor = lim.thermal_pct / 100;
      for (const v of pf.violations({ vminpu: lim.voltage_pu.min, vmaxpu: lim.voltage_pu.max, ratingFactor: factor })) {
        if (v.kind === "thermal-line" || v.kind === "thermal-transformer") {
          // Reported in % of the normal rating, against the scenario's thermal_pct.
          const normal = v.limit / factor;
          violations.push({ kind: v.kind, element: v.element, value: (100 * v.value) / normal, limit: lim.thermal_pct });
        } else violations.push({ kind: v.kind, element: v.element, value: v.value, limit: v.limit });
      }
    }
    this.lastViolations = violations;
    return violations;
  }

  tapCommands(): string[] {
    const out: string[] = [];
    for (const xf of Object.keys(this.pf.tapPositions())) {
      const rc = this.bound.regControls.find((r) => r.transformer === xf.toLowerCase());
      const winding = rc?.winding ?? 1;
      out.push(`edit Transformer.${xf} wdg=${winding} tap=${this.pf.tap(`Transformer.${xf}`, winding).toFixed(6)}`);
    }
    if (out.length > 0) out.push("set controlmode=off");
    return out;
  }

  clone(): PowerFlowGrid {
    return new PowerFlowGrid(this.bound, this.base, this.options, this.pf.fork(), this);
  }
}

/** The `%Pmpp` at which a PVSystem delivers `kw` (its output grows with the panel limit: bisection). */
function pctPmppFor(spec: PVSystemSpec, kw: number): number {
  let lo = 0;
  let hi = spec.pctPmpp;
  for (let it = 0; it < 60; it++) {
    const mid = (lo + hi) / 2;
    if (pvOutput({ ...spec, pctPmpp: mid }).kW < kw) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

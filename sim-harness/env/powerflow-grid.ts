// The environment's grid on the full power flow (sim-harness/powerflow):
// agent switches operate terminal 2 of their element (`open Line.x term=2`,
// as the paper's environment does), a solve warm-starts from the last one
// with regulator taps where the last solve left them (taps carry over), and
// the results are read per load (kW), per grid-forming source (kW), per bus
// (voltages) and as violations. `restore` forks the post-compile circuit, so
// a reset never depends on the previous episode. Nothing is re-solved when no
// switch changed since the last solve.
import type { PowerFlow } from "../powerflow/index.js";
import type { BoundScenario } from "../scenarios/bind.js";
import type { Grid, GridResult } from "./grid.js";
import type { Violation } from "./types.js";

export interface PowerFlowGridOptions {
  /** Compute voltage and thermal violations when asked (default true); false: never (a training run that never reads them). */
  violations?: boolean;
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

  constructor(bound: BoundScenario, base: PowerFlow, options: PowerFlowGridOptions = {}, current?: PowerFlow) {
    this.bound = bound;
    this.base = base;
    this.pf = current ?? base.fork();
    this.switchRefs = bound.switches.map((s) => s.ref);
    this.sourceElements = bound.sections.sections.flatMap((s) => s.sources.map((x) => x.element));
    bound.loads.forEach((l, i) => this.loadIndex.set(l.ref.toLowerCase(), i));
    this.withViolations = options.violations ?? true;
  }

  /** The power flow behind the present state (for reports and replay commands). */
  get powerflow(): PowerFlow {
    return this.pf;
  }

  setSwitch(k: number, closed: boolean): void {
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
    let summary = pf.solve();
    if (!summary.converged) {
      // A warm start far from the new topology's solution can stall: start over from the
      // direct solution (as OpenDSS's `set mode=snapshot`), taps where they are.
      pf.resetSolution();
      summary = pf.solve();
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
    };
    return this.last;
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
    return new PowerFlowGrid(this.bound, this.base, { violations: this.withViolations }, this.pf.fork());
  }
}

// The devices' plant on the full power flow (sim-harness/powerflow): a
// switch is its element's terminals (opened at terminal 2, closed at both,
// as the environment's grid does), a DER's power limit caps its element's
// output, and measurements are read from the solved circuit at terminal 1:
// conductor currents and bus voltages by phase, power into the terminal.
import type { PowerFlow } from "../powerflow/index.js";
import { DEAD, type ElementMeasurement, type Phase3, type Plant, type SolveReport } from "./plant.js";

const PC_KINDS = new Set(["generator", "pvsystem", "storage", "vsource"]);

export class PowerFlowPlant implements Plant {
  private dirty = true;
  private last: SolveReport = { converged: false, iterations: 0, solution: 0 };
  /** Bus -> node -> |V| of the last solution, built once per solution (pf.voltage() scans every node). */
  private volts: Map<string, Map<number, { vmag: number; vpu: number | undefined }>> | undefined;
  /** Output each DER had before any limit (kW, kvar), by element. */
  private readonly nominal = new Map<string, { kW: number; kvar: number }>();
  private readonly limits = new Map<string, number | undefined>();

  constructor(readonly pf: PowerFlow) {}

  isClosed(element: string): boolean {
    return this.pf.isEnabled(element) && this.pf.isClosed(element, 1) && this.pf.isClosed(element, 2);
  }

  setClosed(element: string, closed: boolean): void {
    if (closed === this.isClosed(element)) return;
    if (closed) {
      this.pf.setEnabled(element, true);
      this.pf.close(element, 1);
      this.pf.close(element, 2);
    } else this.pf.open(element, 2);
    this.dirty = true;
  }

  setDerLimit(element: string, kw: number | undefined): void {
    const e = this.pf.circuit.element(element);
    const kind = e.spec.kind;
    if (kind === "vsource") return; // a grid-forming source delivers what its island draws
    if (!this.nominal.has(element)) {
      // What it delivers unlimited: the last solution's output (PV: irradiance x Pmpp), else its rating.
      const spec = e.spec as unknown as { kW?: number; kvar?: number; pmpp?: number };
      const solved = this.pf.lastResult !== undefined ? this.measure(element) : undefined;
      this.nominal.set(element, solved ? { kW: solved.pKw, kvar: solved.qKvar } : { kW: spec.kW ?? spec.pmpp ?? 0, kvar: spec.kvar ?? 0 });
    }
    if (this.limits.get(element) === kw) return;
    this.limits.set(element, kw);
    const n = this.nominal.get(element)!;
    const p = kw === undefined ? n.kW : Math.min(n.kW, kw);
    this.pf.setOutput(element, p, n.kW > 0 ? (n.kvar * p) / n.kW : 0);
    this.dirty = true;
  }

  solve(): SolveReport {
    if (!this.dirty) return this.last;
    const r = this.pf.solve();
    this.last = { converged: r.converged, iterations: r.iterations, solution: this.last.solution + 1 };
    this.dirty = false;
    this.volts = undefined;
    return this.last;
  }

  private voltage(bus: string, node: number): { vmag: number; vpu: number | undefined } | undefined {
    if (!this.volts) {
      this.volts = new Map();
      for (const v of this.pf.voltages()) {
        let m = this.volts.get(v.bus);
        if (!m) this.volts.set(v.bus, (m = new Map()));
        m.set(v.node, { vmag: v.vmag, vpu: v.vpu });
      }
    }
    return this.volts.get(bus.toLowerCase())?.get(node);
  }

  /** The circuit changed outside this plant (a bench edited the power flow): solve again next time. */
  invalidate(): void {
    this.dirty = true;
  }

  /** Nominal line-to-neutral voltage (V) of a bus, from its kV base; undefined without one. */
  private nominalV(bus: string): number | undefined {
    const c = this.pf.circuit;
    const bi = c.topo.busIndex.get(bus.toLowerCase());
    const kv = bi === undefined ? 0 : (c.busKvBase[bi] ?? 0);
    return kv > 0 ? kv * 1000 : undefined;
  }

  measure(element: string): ElementMeasurement {
    const e = this.pf.circuit.element(element);
    if (!this.pf.isEnabled(element)) return DEAD;
    const t = e.spec.terminals[0]!;
    const flow = this.pf.flow(element).terminals[0]!;
    const currentA: Phase3 = [0, 0, 0];
    const voltageV: Phase3 = [0, 0, 0];
    let energized = false;
    t.nodes.forEach((node, k) => {
      if (node < 1 || node > 3) return;
      currentA[node - 1] = flow.amps[k] ?? 0;
      const v = this.voltage(t.bus, node);
      if (v) {
        voltageV[node - 1] = v.vmag;
        if ((v.vpu ?? (v.vmag > 1 ? 1 : 0)) > 0.1) energized = true;
      }
    });
    // Into terminal 1 for a branch (source to load positive); delivered for a DER.
    const sign = PC_KINDS.has(e.spec.kind) ? -1 : 1;
    // A two-terminal element (a switch): its terminal 2 bus too, what a load-side VT reads.
    const t2 = PC_KINDS.has(e.spec.kind) ? undefined : e.spec.terminals[1];
    let voltage2V: Phase3 | undefined;
    if (t2) {
      voltage2V = [0, 0, 0];
      for (const node of t2.nodes) if (node >= 1 && node <= 3) voltage2V[node - 1] = this.voltage(t2.bus, node)?.vmag ?? 0;
    }
    const nominalV = this.nominalV(t.bus) ?? (t2 ? this.nominalV(t2.bus) : undefined);
    return {
      energized,
      currentA,
      voltageV,
      ...(voltage2V ? { voltage2V } : {}),
      ...(nominalV !== undefined ? { nominalV } : {}),
      pKw: sign * flow.kW,
      qKvar: sign * flow.kvar,
      frequencyHz: energized ? this.pf.circuit.options.baseFrequency : 0,
    };
  }
}

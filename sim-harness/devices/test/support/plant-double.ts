// A small plant for testing device servers without a feeder: switches feed
// fixed loads when closed, DERs deliver their available power capped by
// their limit. Not physics; the acceptance tests run on the power flow.
import { DEAD, type ElementMeasurement, type Plant, type SolveReport } from "../../plant.js";

export interface DoubleSwitch {
  closed: boolean;
  /** kW and kvar the switch carries when closed. */
  loadKw: number;
  loadKvar: number;
  vLnV: number;
}

export interface DoubleDer {
  availableKw: number;
  vLnV: number;
  limitKw?: number | undefined;
}

export class PlantDouble implements Plant {
  solves = 0;
  constructor(
    readonly switches: Map<string, DoubleSwitch>,
    readonly ders: Map<string, DoubleDer>,
  ) {}

  isClosed(element: string): boolean {
    return this.sw(element).closed;
  }

  setClosed(element: string, closed: boolean): void {
    this.sw(element).closed = closed;
  }

  setDerLimit(element: string, kw: number | undefined): void {
    const d = this.ders.get(element);
    if (!d) throw new Error(`no DER ${element}`);
    d.limitKw = kw;
  }

  solve(): SolveReport {
    // Always a new solution: the double's state changes without telling it.
    this.solves++;
    return { converged: true, iterations: 1, solution: this.solves };
  }

  measure(element: string): ElementMeasurement {
    const s = this.switches.get(element);
    if (s) {
      if (!s.closed) return { ...DEAD, voltageV: [s.vLnV, s.vLnV, s.vLnV], energized: true, frequencyHz: 60 };
      const i = (s.loadKw * 1000) / (3 * s.vLnV);
      return { energized: true, currentA: [i, i * 1.01, i * 0.99], voltageV: [s.vLnV, s.vLnV * 0.998, s.vLnV * 1.002], pKw: s.loadKw, qKvar: s.loadKvar, frequencyHz: 60 };
    }
    const d = this.ders.get(element);
    if (!d) throw new Error(`no element ${element}`);
    const p = Math.min(d.availableKw, d.limitKw ?? Infinity);
    const i = (p * 1000) / (3 * d.vLnV);
    return { energized: true, currentA: [i, i, i], voltageV: [d.vLnV, d.vLnV, d.vLnV], pKw: p, qKvar: 0, frequencyHz: 60 };
  }

  private sw(element: string): DoubleSwitch {
    const s = this.switches.get(element);
    if (!s) throw new Error(`no switch ${element}`);
    return s;
  }
}

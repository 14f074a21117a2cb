// A coarse, fast plant on the scenario's section graph: which sections are
// energized (H3's energization graph), each energized load at its nominal
// kW/kvar, the kW through each switch summed downstream from its island's
// source, voltages at a nominal value. For benches that need topology and
// load but not voltages; every physics figure uses the power flow plant.
import { canonicalElement } from "../../shared/names.js";
import { EnergizationGraph } from "../env/energization.js";
import { switchFlows } from "../env/observe.js";
import type { BoundScenario } from "../scenarios/bind.js";
import { DEAD, type ElementMeasurement, type Plant, type SolveReport } from "./plant.js";

export interface NominalPlantOptions {
  /** Line-to-neutral voltage shown at energized equipment (V); default 7200 (12.47 kV). */
  nominalLnV?: number;
  frequencyHz?: number;
}

export class NominalPlant implements Plant {
  private readonly energy: EnergizationGraph;
  private readonly switchIndex = new Map<string, number>();
  private readonly switchPhases: number[];
  private readonly unitSection = new Map<string, { section: number; kw: number; forming: boolean }>();
  private readonly limits = new Map<string, number | undefined>();
  private readonly vLn: number;
  private readonly hz: number;
  private pFlow: Float64Array = new Float64Array(0);
  private qFlow: Float64Array = new Float64Array(0);
  private dirty = true;
  private solution = 0;

  constructor(readonly bound: BoundScenario, opts: NominalPlantOptions = {}) {
    this.energy = new EnergizationGraph(bound.sections);
    bound.sections.switches.forEach((s, k) => this.switchIndex.set(canonicalElement(s.element).toLowerCase(), k));
    this.switchPhases = bound.sections.switches.map((s) => {
      const e = bound.topology.byRef.get(canonicalElement(s.element).toLowerCase());
      return Math.max(1, Math.min(3, e?.terminals[0]?.nodes.filter((n) => n >= 1 && n <= 3).length || 3));
    });
    bound.sections.sections.forEach((s, i) => {
      for (const src of s.sources) this.unitSection.set(canonicalElement(src.element).toLowerCase(), { section: i, kw: src.kw ?? Infinity, forming: src.grid_forming });
    });
    this.vLn = opts.nominalLnV ?? 7200;
    this.hz = opts.frequencyHz ?? 60;
  }

  private k(element: string): number {
    const k = this.switchIndex.get(canonicalElement(element).toLowerCase());
    if (k === undefined) throw new Error(`${element} is not a switch of the scenario's section graph`);
    return k;
  }

  isClosed(element: string): boolean {
    return this.energy.closed[this.k(element)] === 1;
  }

  setClosed(element: string, closed: boolean): void {
    if (this.energy.set(this.k(element), closed)) this.dirty = true;
  }

  setDerLimit(element: string, kw: number | undefined): void {
    this.limits.set(canonicalElement(element).toLowerCase(), kw);
    this.dirty = true;
  }

  solve(): SolveReport {
    if (this.dirty) {
      const e = this.energy;
      const p = Float64Array.from(this.bound.sections.sections, (s, i) => (e.energized(i) ? s.load_kw : 0));
      const q = Float64Array.from(this.bound.sections.sections, (s, i) => (e.energized(i) ? s.load_kvar : 0));
      this.pFlow = switchFlows(e, p);
      this.qFlow = switchFlows(e, q);
      this.dirty = false;
      this.solution++;
    }
    return { converged: true, iterations: 0, solution: this.solution };
  }

  measure(element: string): ElementMeasurement {
    const key = canonicalElement(element).toLowerCase();
    const k = this.switchIndex.get(key);
    if (k !== undefined) {
      const side = this.energy.ends[2 * k]!;
      const other = this.energy.ends[2 * k + 1]!;
      const live = this.energy.energized(side) || this.energy.energized(other);
      if (!live) return { ...DEAD, voltage2V: [0, 0, 0], nominalV: this.vLn };
      const p = this.pFlow[k]!;
      const q = this.qFlow[k]!;
      const n = this.switchPhases[k]!;
      const amps = (Math.hypot(p, q) * 1000) / (n * this.vLn);
      const i: [number, number, number] = [0, 1, 2].map((ph) => (ph < n ? amps : 0)) as [number, number, number];
      // Each terminal shows nominal voltage when its own side is energized (an open switch fed from one side).
      const at = (on: boolean): [number, number, number] => [0, 1, 2].map((ph) => (on && ph < n ? this.vLn : 0)) as [number, number, number];
      return { energized: true, currentA: i, voltageV: at(this.energy.energized(side)), voltage2V: at(this.energy.energized(other)), nominalV: this.vLn, pKw: p, qKvar: q, frequencyHz: this.hz };
    }
    const u = this.unitSection.get(key);
    if (!u) throw new Error(`${element} is neither a switch nor a source of the scenario`);
    if (!this.energy.energized(u.section)) return DEAD;
    const limit = this.limits.get(key);
    let p: number;
    if (u.forming) {
      // Its share of its island's load, by rating among the island's forming sources.
      const isl = this.energy.islands()[this.energy.islandOf(u.section)]!;
      const load = isl.sections.reduce((a, s) => a + this.energy.sectionLoadKw[s]!, 0);
      const share = isl.ratingKw === Infinity ? (u.kw === Infinity ? 1 : 0) : u.kw / isl.ratingKw;
      p = load * share;
    } else p = u.kw === Infinity ? 0 : u.kw;
    if (limit !== undefined) p = Math.min(p, limit);
    const amps = (p * 1000) / (3 * this.vLn);
    return { energized: true, currentA: [amps, amps, amps], voltageV: [this.vLn, this.vLn, this.vLn], pKw: p, qKvar: 0, frequencyHz: this.hz };
  }
}

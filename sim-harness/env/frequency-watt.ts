// Grid-following units in an island follow its grid-forming unit's
// frequency (IEEE 1547-2018 frequency-droop, "frequency-watt"): when the
// island's grid-following output exceeds what its load and the grid-forming
// units can take, the grid-forming unit is driven towards its floor, the
// island's frequency rises and every grid-following inverter reduces its
// output by the same droop, i.e. in proportion to its active power rating,
// down to zero. In steady state each grid-forming unit sits at its floor or
// above (a diesel at zero instead of motoring, a battery charging within its
// charge rating) and the grid-following units deliver the rest.
//
// On the power flow this is a controller step after a solve: per energized
// island, the change of grid-following output that brings every
// grid-forming unit back to its floor (or, when they were curtailed and the
// units have room again, releases them), spread by droop, then a re-solve;
// repeated until nothing moves by more than SETTLE_KW. Curtailment is the
// power flow's own state: it carries over from step to step like the taps,
// and a restore to the compiled circuit (PV at its full output) starts over.
import type { PowerFlow } from "../powerflow/index.js";
import type { EnergizationGraph } from "./energization.js";
import type { IslandUnits } from "./units.js";

/** A grid-forming unit is brought to its floor plus this (kW); an output moves only by more than this. */
export const SETTLE_KW = 0.5;

/** kW and kvar set point of a Generator, PVSystem or Storage as the power flow holds it now. */
export function outputSetpoint(pf: PowerFlow, element: string): { kW: number; kvar: number } {
  const c = pf.circuit;
  const pc = c.pcs[c.pcIndex[c.element(element).index]!];
  if (!pc || pc.kind === "load") return { kW: 0, kvar: 0 };
  const m = pc.model as unknown as { kW: number; kvar: number };
  return { kW: m.kW, kvar: m.kvar };
}

/**
 * Outputs that deliver `total` between units of available output `avail` and
 * rating `rating`, each reduced by the same droop: `max(0, avail - k x rating)`
 * for the one k that sums to `total` (0 <= total <= sum of avail).
 */
export function droopShare(avail: readonly number[], rating: readonly number[], total: number): number[] {
  const sum = avail.reduce((t, a) => t + Math.max(0, a), 0);
  if (total >= sum) return avail.map((a) => Math.max(0, a));
  if (total <= 0) return avail.map(() => 0);
  const at = (k: number) => avail.reduce((t, a, i) => t + Math.max(0, a - k * rating[i]!), 0);
  let lo = 0;
  let hi = Math.max(...avail.map((a, i) => Math.max(0, a) / rating[i]!));
  for (let it = 0; it < 60; it++) {
    const mid = (lo + hi) / 2;
    if (at(mid) > total) lo = mid;
    else hi = mid;
  }
  const k = (lo + hi) / 2;
  return avail.map((a, i) => Math.max(0, a - k * rating[i]!));
}

export class FrequencyWatt {
  readonly units: IslandUnits;
  /** Output each grid-following unit would deliver uncurtailed (kW, kvar), units.following order. */
  private readonly availKw: Float64Array;
  private readonly availKvar: Float64Array;
  /** Output this controller last set (kW); a different set point in the power flow was set from outside. */
  private readonly setKw: Float64Array;
  /** Index into units.following by element. */
  private readonly index: ReadonlyMap<string, number>;

  constructor(units: IslandUnits, pf: PowerFlow, copy?: FrequencyWatt) {
    this.units = units;
    this.index = copy?.index ?? new Map(units.following.map((u, i) => [u.element, i]));
    const n = units.following.length;
    this.availKw = copy ? copy.availKw.slice() : new Float64Array(n);
    this.availKvar = copy ? copy.availKvar.slice() : new Float64Array(n);
    this.setKw = copy ? copy.setKw.slice() : new Float64Array(n).fill(NaN);
    if (!copy) this.sync(pf);
  }

  /**
   * Set points changed outside this controller (a restore to the compiled
   * circuit, a device's power limit, an irradiance change) are what the unit
   * has available from now on.
   */
  sync(pf: PowerFlow): void {
    this.units.following.forEach((u, i) => {
      const sp = outputSetpoint(pf, u.element);
      // (Compared with a tolerance: the power flow keeps kW per phase, not what was set.)
      if (Math.abs(sp.kW - this.setKw[i]!) < 1e-6) return;
      this.availKw[i] = sp.kW;
      this.availKvar[i] = sp.kvar;
      this.setKw[i] = sp.kW;
    });
  }

  /** kW curtailed per grid-following element (only those curtailed). */
  curtailed(): Map<string, number> {
    const out = new Map<string, number>();
    this.units.following.forEach((u, i) => {
      const c = this.availKw[i]! - this.setKw[i]!;
      if (c > 1e-9) out.set(u.element, c);
    });
    return out;
  }

  /**
   * One controller step on a solved power flow: per energized island with
   * grid-forming units of the scenario, move its grid-following output so that
   * each unit delivers at least its floor, or give back curtailment the units
   * have room for. `deliveredKw(element)` reads a unit's output from the
   * solution. Returns whether any set point moved (the caller re-solves).
   */
  adjust(pf: PowerFlow, energy: EnergizationGraph, deliveredKw: (element: string) => number): boolean {
    this.sync(pf);
    const { formingByElement, followingBySection } = this.units;
    const index = this.index;
    let changed = false;
    for (const isl of energy.islands()) {
      if (!isl.energized || isl.forming.length === 0) continue;
      const forming = isl.forming.map((j) => formingByElement.get(energy.forming[j]!.element));
      // An island fed by a substation (no rating, no floor) takes whatever its PV delivers.
      if (forming.some((f) => f === undefined)) continue;
      const members = isl.sections.flatMap((s) => followingBySection[s]!.map((u) => index.get(u.element)!)).filter((i) => this.availKw[i]! > 0);
      if (members.length === 0) continue;
      // A change of the island's net demand is shared by its grid-forming units in proportion
      // to their kVA (each behind 5 % of its own): the most constrained unit sets the change.
      const kva = forming.reduce((t, f) => t + f!.kva, 0);
      let need = -Infinity;
      for (const f of forming) need = Math.max(need, (f!.floorKw + SETTLE_KW - deliveredKw(f!.element)) * (kva / f!.kva));
      const now = members.reduce((t, i) => t + this.setKw[i]!, 0);
      const avail = members.reduce((t, i) => t + this.availKw[i]!, 0);
      const target = Math.min(avail, Math.max(0, now - need));
      if (Math.abs(target - now) <= SETTLE_KW) continue;
      const out = droopShare(
        members.map((i) => this.availKw[i]!),
        members.map((i) => this.units.following[i]!.ratingKw),
        target,
      );
      members.forEach((i, m) => {
        const kw = out[m]!;
        if (kw === this.setKw[i]) return;
        const a = this.availKw[i]!;
        pf.setOutput(this.units.following[i]!.element, kw, a > 0 ? (this.availKvar[i]! * kw) / a : 0);
        this.setKw[i] = kw;
        changed = true;
      });
    }
    return changed;
  }
}

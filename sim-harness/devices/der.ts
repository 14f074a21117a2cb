// A simulated DER inverter (PV or battery): ratings and measurements from
// the solved plant, an active-power limit that caps its output in the plant,
// and, for a battery, a state of charge that moves with the energy it
// delivers or absorbs as the clock advances.
import type { PointValue } from "../../shared/profile/codec.js";
import type { ResolvedPoint } from "../../shared/profile/resolve.js";
import type { SimClock } from "./clock.js";
import { OK, SimDevice, type DeviceSpec, type WriteOutcome } from "./device.js";
import type { Plant } from "./plant.js";

export interface DerRatings {
  /** Active power rating (kW) and inverter rating (kVA). */
  kw: number;
  kva: number;
  /** Battery: usable energy (kWh), state of charge now and its floor and ceiling (fractions). */
  kwh?: number | undefined;
  soc?: { initial: number; min: number; max: number } | undefined;
  chargeKw?: number | undefined;
  dischargeKw?: number | undefined;
}

export class DerDevice extends SimDevice {
  readonly ratings: DerRatings;
  private socFraction: number | undefined;
  private appliedLimitKw: number | undefined;
  private lastPKw = 0;

  constructor(spec: DeviceSpec, clock: SimClock, ratings: DerRatings) {
    super(spec, clock);
    this.ratings = ratings;
    this.setChannel("p_rating_kw", ratings.kw);
    this.setChannel("s_rating_kva", ratings.kva);
    this.setChannel("p_max_kw", ratings.kw);
    this.setChannel("p_limit_pct", 100);
    this.setChannel("p_limit_enabled", false);
    if (ratings.kwh !== undefined) {
      this.socFraction = ratings.soc?.initial ?? 1;
      this.setChannel("energy_rating_kwh", ratings.kwh);
      this.setChannel("soc_pct", this.socFraction * 100);
      this.setChannel("charge_limit_kw", ratings.chargeKw ?? ratings.kw);
      this.setChannel("discharge_limit_kw", ratings.dischargeKw ?? ratings.kw);
    }
  }

  /** State of charge in % (battery), undefined for PV. */
  get socPct(): number | undefined {
    return this.socFraction === undefined ? undefined : this.socFraction * 100;
  }

  protected onWrite(_p: ResolvedPoint, _value: PointValue): WriteOutcome {
    return OK;
  }

  /** The limit in force: p_limit_pct when enabled (always, if the profile has no enable point). */
  private limitKw(): number | undefined {
    const enabledCh = this.profile.channels.has("p_limit_enabled");
    const enabled = enabledCh ? this.channel("p_limit_enabled") === true : true;
    const pct = this.channel("p_limit_pct");
    let kw = enabled && typeof pct === "number" ? (Math.max(0, Math.min(100, pct)) / 100) * this.ratings.kw : undefined;
    // An empty battery delivers nothing more.
    if (this.socFraction !== undefined && this.socFraction <= (this.ratings.soc?.min ?? 0) + 1e-9) kw = Math.min(kw ?? Infinity, 0);
    return kw;
  }

  protected override afterWrite(_p: ResolvedPoint): void {
    this.applyLimit();
  }

  private applyLimit(direct?: Plant): void {
    const kw = this.limitKw();
    if (kw === this.appliedLimitKw) return;
    this.appliedLimitKw = kw;
    const el = this.element;
    if (direct) direct.setDerLimit(el, kw);
    else this.queue(`limit ${el} to ${kw === undefined ? "rating" : `${kw.toFixed(3)} kW`}`, (plant) => plant.setDerLimit(el, kw));
  }

  advance(plant: Plant, _nowMs: number, dtMs: number): void {
    if (this.socFraction === undefined || this.ratings.kwh === undefined || dtMs <= 0) return;
    const { min, max } = this.ratings.soc ?? { min: 0, max: 1 };
    // Delivering lastPKw for dtMs drains kWh; absorbing (negative) fills.
    const next = this.socFraction - (this.lastPKw * dtMs) / 3.6e6 / this.ratings.kwh;
    this.socFraction = Math.max(Math.min(next, max), Math.min(min, this.socFraction));
    this.setChannel("soc_pct", this.socFraction * 100);
    this.applyLimit(plant);
  }

  refresh(plant: Plant): void {
    const m = plant.measure(this.element);
    this.lastPKw = m.pKw;
    this.showMeasurement(m);
    const live = m.voltageV.filter((v) => v > 0);
    this.setChannel("voltage_v", live.length ? live.reduce((a, b) => a + b, 0) / live.length : 0);
    this.setChannel("connected", m.energized);
  }
}

// SunSpec scale factors for one device: the profile gives defaults; a device
// whose ratings need more range (a 520 kW inverter does not fit int16 watts)
// gets a larger exponent, as a vendor fixes it for each nameplate. Static for
// the device's life, as SunSpec requires.
import { registerCount } from "../../shared/profile/codec.js";
import type { ResolvedProfile } from "../../shared/profile/resolve.js";

/** Largest raw magnitude a point's type holds. */
function rawMax(type: string, size: number): number {
  const bits = size * 16;
  return type.startsWith("i") ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
}

/**
 * Exponent for each scale-factor point so that every channel's expected
 * largest value (channel units) fits its point. Scale factors no channel
 * needs keep the profile's value.
 */
export function fitScaleFactors(profile: ResolvedProfile, expectedMax: Readonly<Record<string, number>>): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of profile.points) {
    if (p.type !== "i16") continue;
    const isSf = profile.points.some((q) => q.scaleFactor === p.ref);
    if (isSf && typeof p.value === "number") out.set(p.ref, p.value);
  }
  for (const [id, ch] of profile.channels) {
    const max = expectedMax[id];
    const p = ch.point;
    if (max === undefined || !(max > 0) || p.scaleFactor === undefined || p.type === "f32") continue;
    const pointMax = Math.abs(max / ch.factor) / (p.scale ?? 1);
    const t = p.type === "enum" ? (p.base ?? "u16") : p.type;
    const need = Math.ceil(Math.log10(pointMax / rawMax(t, registerCount(p))) - 1e-12);
    const current = out.get(p.scaleFactor) ?? 0;
    if (need > current) out.set(p.scaleFactor, need);
  }
  return out;
}

/** Expected largest channel values of a DER of these ratings (margins for overloads and line-to-line voltages sharing V_SF). */
export function derExpectedMax(r: { kw: number; kva: number; kwh?: number | undefined; vLnV: number; phases: number }): Record<string, number> {
  const s = Math.max(r.kva, r.kw) * 1.2;
  const amps = (Math.max(r.kva, r.kw) * 1000) / (r.phases === 1 ? r.vLnV : 3 * r.vLnV);
  const volts = r.vLnV * 2; // line to line (sqrt 3) with margin shares the voltage scale factor
  const out: Record<string, number> = {
    p_kw: s,
    q_kvar: s,
    p_rating_kw: s,
    p_max_kw: s,
    s_rating_kva: s,
    charge_limit_kw: s,
    discharge_limit_kw: s,
    voltage_v: volts,
    voltage_a: volts,
    voltage_b: volts,
    voltage_c: volts,
    current_a: amps * 1.5,
    current_b: amps * 1.5,
    current_c: amps * 1.5,
    frequency_hz: 70,
    p_limit_pct: 100,
    soc_pct: 100,
  };
  if (r.kwh !== undefined) out["energy_rating_kwh"] = r.kwh * 1.01;
  return out;
}

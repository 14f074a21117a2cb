// SunSpec device discovery: the 'SunS' marker at one of the bases, then the
// model chain (ID, L, L registers of body) until the end marker 0xFFFF.
// The reader is injected, so drivers and tests share one walker.
import { BlackstartError } from "../errors.js";
import { ProfileErrors } from "./errors.js";
import type { ResolvedPoint, ResolvedProfile } from "./resolve.js";

/** 'SunS' as two big-endian registers. */
export const SUNS_MARKER: readonly [number, number] = [0x5375, 0x6e53];
export const END_MODEL_ID = 0xffff;

export interface DiscoveredModel {
  id: number;
  length: number;
  /** Address of the model's ID register. */
  address: number;
}

export interface DiscoveredChain {
  base: number;
  models: DiscoveredModel[];
}

/** Reads `count` holding registers at a 0-based address; rejects on an exception or timeout. */
export type ReadHolding = (address: number, count: number) => Promise<ArrayLike<number>>;

/** Find the marker at the first base that has it, then walk the chain (SunSpec Information Model Specification, device discovery). */
export async function discoverSunSpec(read: ReadHolding, bases: readonly number[] = [40000, 0, 50000], maxModels = 64): Promise<DiscoveredChain> {
  let base: number | undefined;
  const tried: string[] = [];
  for (const b of bases) {
    try {
      const r = await read(b, 2);
      if (r[0] === SUNS_MARKER[0] && r[1] === SUNS_MARKER[1]) {
        base = b;
        break;
      }
      tried.push(`${b}: ${Array.from(r).map((w) => `0x${w.toString(16).padStart(4, "0")}`).join(" ")}`);
    } catch (e) {
      tried.push(`${b}: ${(e as Error).message}`);
    }
  }
  if (base === undefined) throw new BlackstartError(ProfileErrors.SUNSPEC, `no 'SunS' marker (tried ${tried.join("; ")})`);
  const models: DiscoveredModel[] = [];
  let addr = base + 2;
  for (let i = 0; i < maxModels; i++) {
    if (addr + 2 > 0x10000) throw new BlackstartError(ProfileErrors.SUNSPEC, `model chain at ${base} runs past register 65535`);
    const h = await read(addr, 2);
    const id = h[0]!;
    const length = h[1]!;
    if (id === END_MODEL_ID) return { base, models };
    models.push({ id, length, address: addr });
    addr += 2 + length;
  }
  throw new BlackstartError(ProfileErrors.SUNSPEC, `model chain at ${base} has no end marker after ${maxModels} models`);
}

/**
 * The address of a profile's point on a discovered device: the model found by
 * id (the n-th of that id, as in the profile) plus the point's offset. The
 * device's model may be longer than the profile's (newer revision); a shorter
 * one that does not hold the point is an error.
 */
export function locatePoint(chain: DiscoveredChain, profile: ResolvedProfile, point: ResolvedPoint): number {
  if (!point.model || point.modelOffset === undefined) throw new BlackstartError(ProfileErrors.SUNSPEC, `point '${point.ref}' is not in a SunSpec model`);
  const { id, index } = point.model;
  const nth = profile.sunspec!.models.slice(0, index).filter((m) => m.id === id).length;
  const found = chain.models.filter((m) => m.id === id)[nth];
  if (!found) throw new BlackstartError(ProfileErrors.SUNSPEC, `the device has no model ${id} (chain: ${chain.models.map((m) => m.id).join(", ")})`);
  if (point.modelOffset + point.size > found.length + 2)
    throw new BlackstartError(ProfileErrors.SUNSPEC, `point '${point.ref}' lies beyond model ${id}'s length ${found.length} on the device`);
  return found.address + point.modelOffset;
}

/** The registers a SunSpec device serves besides its points: marker, model headers, end marker (address -> word). */
export function sunspecFrame(profile: ResolvedProfile, base = profile.sunspec!.bases[0]!): Map<number, number> {
  const layout = profile.sunspec!;
  const shift = base - layout.bases[0]!;
  const out = new Map<number, number>();
  out.set(base, SUNS_MARKER[0]);
  out.set(base + 1, SUNS_MARKER[1]);
  for (const m of layout.models) {
    out.set(m.address + shift, m.id);
    out.set(m.address + shift + 1, m.length);
  }
  out.set(layout.endAddress + shift, END_MODEL_ID);
  out.set(layout.endAddress + shift + 1, 0);
  return out;
}

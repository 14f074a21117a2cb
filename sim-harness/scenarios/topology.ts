// The feeder as the scenarios see it: elements with the buses of their
// terminals, enabled and open flags, and the few properties the section graph
// and the nominal-load model need (load kW/kvar, unit ratings). Everything
// electrical comes from the power flow; this is only who connects to whom.
import { canonicalElement } from "../../shared/names.js";

export interface Terminal {
  /** Bus name, lower-case, without nodes. */
  bus: string;
  nodes: number[];
}

export interface FeederElement {
  /** Canonical reference `Line.l1` (shared/names.ts canonicalElement). */
  ref: string;
  /** Lower-case class (`line`, `transformer`, `load`, ...). */
  cls: string;
  /** Lower-case name. */
  name: string;
  terminals: Terminal[];
  enabled: boolean;
  /** Per terminal: opened by an `open` command. */
  open: boolean[];
  /** Raw property values, keys lower-case, as last set. */
  props: Record<string, string>;
}

/** Classes whose elements join the buses of their terminals. */
export const BRANCH_CLASSES = new Set(["line", "transformer", "reactor", "autotrans"]);

export interface Topology {
  /** Elements in definition order. */
  elements: FeederElement[];
  byRef: Map<string, FeederElement>;
  buses: string[];
}

export function buildTopology(elements: FeederElement[]): Topology {
  const byRef = new Map<string, FeederElement>();
  const buses = new Set<string>();
  for (const e of elements) {
    byRef.set(e.ref.toLowerCase(), e);
    for (const t of e.terminals) if (t.bus) buses.add(t.bus);
  }
  return { elements, byRef, buses: [...buses] };
}

export function findElement(topo: Topology, ref: string): FeederElement | undefined {
  return topo.byRef.get(canonicalElement(ref).toLowerCase());
}

/** A branch that conducts in the feeder as compiled (enabled, no open terminal). */
export function conducts(e: FeederElement): boolean {
  return e.enabled && !e.open.some(Boolean);
}

export function num(e: FeederElement, key: string, fallback: number): number {
  const raw = e.props[key];
  if (raw === undefined) return fallback;
  const v = Number(raw.replace(/^[("'[{]|[)"'\]}]$/g, ""));
  return Number.isFinite(v) ? v : fallback;
}

/** Nominal kW and kvar of a load as OpenDSS reads its definition (kvar from pf when not given). */
export function loadNominal(e: FeederElement): { kw: number; kvar: number } {
  const kw = num(e, "kw", 10);
  if (e.props["kvar"] !== undefined) return { kw, kvar: num(e, "kvar", 0) };
  const pf = num(e, "pf", 0.88);
  const kvar = pf === 0 ? 0 : (kw * Math.sqrt(Math.max(0, 1 - pf * pf))) / Math.abs(pf);
  return { kw, kvar: pf < 0 ? -kvar : kvar };
}

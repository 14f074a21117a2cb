// The feeder as the scenarios see it: elements with the buses of their
// terminals, enabled and open flags, and the few properties the section graph
// and the nominal-load model need (load kW/kvar, unit ratings), read from the
// OpenDSS interpreter's model (sim-harness/dss) with OpenDSS's defaults and
// rules. Everything electrical comes from the power flow; this is only who
// connects to whom.
import { DssInterpreter } from "../dss/interpreter.js";
import type { DssCircuit, DssElement } from "../dss/model.js";
import { loadSpec } from "../dss/classes/load.js";
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
  /** Per terminal: every conductor opened by an `open` command. */
  open: boolean[];
  /** The interpreter's element, for its properties. */
  el: DssElement;
  /** Properties the script gave, lower-case names, values as text (computed on first use). */
  readonly props: Record<string, string>;
}

function givenProps(el: DssElement): Record<string, string> {
  const out: Record<string, string> = {};
  for (const i of el.order) {
    const p = el.cls.properties[i];
    const v = el.values[i];
    if (p && v !== undefined) out[p.name.toLowerCase()] = Array.isArray(v) ? v.flat().join(" ") : String(v);
  }
  return out;
}

/** Classes whose elements join the buses of their terminals. */
export const BRANCH_CLASSES = new Set(["line", "transformer", "reactor", "autotrans"]);

export interface Topology {
  /** Elements in definition order. */
  elements: FeederElement[];
  byRef: Map<string, FeederElement>;
  buses: string[];
}

export function topologyOf(circuit: DssCircuit): Topology {
  const elements: FeederElement[] = [];
  for (const el of circuit.elements) {
    const terms = el.terminals();
    if (terms.length === 0) continue; // library objects (codes, curves) and controls
    const cls = el.cls.name.toLowerCase();
    let props: Record<string, string> | undefined;
    elements.push({
      get props() {
        return (props ??= givenProps(el));
      },
      ref: canonicalElement(el.fullName),
      cls,
      name: el.name,
      // A second terminal on ground only (a shunt's bus2 default) is no connection.
      terminals: terms.map((t, i) => (i > 0 && !BRANCH_CLASSES.has(cls) ? { bus: "", nodes: [] } : { bus: t.bus.toLowerCase(), nodes: t.nodes })),
      enabled: el.enabled,
      open: terms.map((_, i) => (el.closed?.[i] ? el.closed[i]!.length > 0 && el.closed[i]!.every((c) => !c) : false)),
      el,
    });
  }
  const byRef = new Map<string, FeederElement>();
  const buses = new Set<string>();
  for (const e of elements) {
    byRef.set(e.ref.toLowerCase(), e);
    for (const t of e.terminals) if (t.bus) buses.add(t.bus);
  }
  return { elements, byRef, buses: [...buses] };
}

/** A feeder master read by the interpreter (no solver), with more commands to follow. */
export class FeederReader {
  private readonly interpreter = new DssInterpreter();

  constructor(master: string) {
    this.interpreter.compile(master);
  }

  /** Run one more command after the master (`at` names it in errors). */
  run(command: string, at: { file: string; line: number }): void {
    this.interpreter.command(command, at);
  }

  topology(): Topology {
    return topologyOf(this.interpreter.activeCircuit());
  }

  /** Regulator controls: the transformer each one moves and its winding. */
  regControls(): { name: string; transformer: string; winding: number }[] {
    return this.interpreter
      .activeCircuit()
      .ofClass("RegControl")
      .map((r) => ({ name: r.name, transformer: r.str("transformer").toLowerCase(), winding: r.num("winding") || 1 }));
  }
}

export function findElement(topo: Topology, ref: string): FeederElement | undefined {
  return topo.byRef.get(canonicalElement(ref).toLowerCase());
}

/** A branch that conducts in the feeder as compiled (enabled, no open terminal). */
export function conducts(e: FeederElement): boolean {
  return e.enabled && !e.open.some(Boolean);
}

/** A numeric property as the interpreter holds it (OpenDSS's default when not given), or `fallback`. */
export function num(e: FeederElement, key: string, fallback: number): number {
  if (e.el.cls.propertyIndex(key) < 0) return fallback;
  const v = e.el.get(key);
  return typeof v === "number" && Number.isFinite(v) ? v : fallback;
}

export function phasesOf(e: FeederElement): number {
  return num(e, "phases", 3);
}

/** Nominal kW and kvar of a load as OpenDSS reads its definition. */
export function loadNominal(e: FeederElement): { kw: number; kvar: number } {
  const spec = loadSpec(e.el);
  const pf = num(e, "pf", 0.88);
  const q = (p: number) => (pf === 0 ? 0 : Math.sign(pf) * p * Math.sqrt(Math.max(0, 1 - pf * pf)) / Math.abs(pf));
  if (spec === "kw-kvar") return { kw: num(e, "kW", 10), kvar: num(e, "kvar", 0) };
  if (spec === "kva-pf") {
    const kva = num(e, "kVA", 0);
    return { kw: kva * Math.abs(pf), kvar: Math.sign(pf) * kva * Math.sqrt(Math.max(0, 1 - pf * pf)) };
  }
  const kw = num(e, "kW", 10);
  return { kw, kvar: q(kw) };
}

// Small section graphs for the shield's tests, written as data.
import { SECTION_GRAPH_FORMAT, SectionGraph, type SectionSource } from "../../scenario/sections.js";
import { DEFAULT_LIMITS, type ShieldInput, type SwitchReading } from "../types.js";

interface SectionSpec {
  id: string;
  kw: number;
  faulted?: boolean;
  sources?: Partial<SectionSource>[];
}
interface SwitchSpec {
  element: string;
  between: [string, string];
  mg?: string;
  locked?: boolean;
}

export function makeGraph(mode: "paper" | "physics", sections: SectionSpec[], switches: SwitchSpec[], quotas: Record<string, number> = {}): SectionGraph {
  const mgs = [...new Set(switches.flatMap((s) => (s.mg ? [s.mg] : [])))];
  return SectionGraph.parse({
    format: SECTION_GRAPH_FORMAT,
    scenario: "test",
    scenario_hash: "0".repeat(64),
    mode,
    ...(mode === "paper" ? { cap_kw: 2400 } : {}),
    total_load_kw: sections.reduce((s, x) => s + x.kw, 0),
    sections: sections.map((s) => ({
      id: s.id,
      buses: [s.id],
      loads: [],
      load_kw: s.kw,
      load_kvar: 0,
      weighted_kw: s.kw,
      sources: (s.sources ?? []).map((src, i) => ({
        id: src.id ?? `${s.id}-src${i}`,
        element: src.element ?? `Vsource.${s.id}${i}`,
        kind: src.kind ?? "substation",
        grid_forming: src.grid_forming ?? true,
        ...(src.kw !== undefined ? { kw: src.kw } : {}),
        ...(src.microgrid ? { microgrid: src.microgrid } : {}),
      })),
      switches: switches.filter((w) => w.between.includes(s.id)).map((w) => w.element),
      faulted: s.faulted ?? false,
    })),
    switches: switches.map((w) => ({
      element: w.element,
      sections: w.between,
      kind: w.locked ? "locked" : "agent",
      ...(w.mg ? { microgrid: w.mg, index: switches.filter((x) => x.mg === w.mg).indexOf(w) } : {}),
      initial: "open",
      locked_open: w.locked ?? false,
    })),
    microgrids: mgs.map((id) => ({
      id,
      switches: switches.filter((w) => w.mg === id).map((w) => w.element),
      sections: [],
      units: [],
      quota_kw: quotas[id] ?? 0,
    })),
  });
}

/**
 * The paper-like graph most tests use:
 *
 *   s0 (substation) --a(mg1)-- s1 100 kW --b(mg1)-- s2 200 kW --c(mg2)-- s3 300 kW
 *                               |
 *                               d(mg2)-- s4 50 kW --f(locked)-- s5 80 kW (faulted)
 */
export const paperGraph = makeGraph(
  "paper",
  [
    { id: "s0", kw: 0, sources: [{ id: "source", kind: "substation" }] },
    { id: "s1", kw: 100 },
    { id: "s2", kw: 200 },
    { id: "s3", kw: 300 },
    { id: "s4", kw: 50 },
    { id: "s5", kw: 80, faulted: true },
  ],
  [
    { element: "Line.a", between: ["s0", "s1"], mg: "mg1" },
    { element: "Line.b", between: ["s1", "s2"], mg: "mg1" },
    { element: "Line.c", between: ["s2", "s3"], mg: "mg2" },
    { element: "Line.d", between: ["s1", "s4"], mg: "mg2" },
    { element: "Line.f", between: ["s4", "s5"], locked: true },
  ],
  { mg1: 480, mg2: 480 },
);

export const NOW = 100_000;

export function reading(element: string, state: "open" | "closed", extra: Partial<SwitchReading> = {}): SwitchReading {
  return { element, closed: state === "closed", open: state === "open", read_at_ms: NOW - 100, ...extra };
}

/** mg1's input on the paper graph: both switches open, mg2 fresh with both open, 480 kW quota. */
export function mg1Input(over: Partial<ShieldInput> = {}): ShieldInput {
  return {
    now_ms: NOW,
    microgrid: "mg1",
    switches: [reading("Line.a", "open"), reading("Line.b", "open")],
    peers: [{ microgrid: "mg2", fresh: true, switches: { "Line.c": "open", "Line.d": "open" } }],
    generation: { quota_kw: 480, committed_kw: 0, leases: [], bus_up: true },
    limits: { ...DEFAULT_LIMITS },
    ...over,
  };
}

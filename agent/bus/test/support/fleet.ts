// A small fleet for the bus tests: a substation section serving 400 kW at the
// start, and behind it one dead 400 kW section per microgrid:
//
//   s0 (substation, 400 kW) --a(mg1)-- s1 400 kW
//                           --b(mg2)-- s2 400 kW
//                           --c(mg3)-- s3 400 kW
//
// Cap 1000 kW, quotas 100 kW each: 1000 - 400 - 3 x 100 = 300 kW of headroom
// for reservations, the "last 300 kW" two agents race for.
import { SECTION_GRAPH_FORMAT, SectionGraph } from "../../../../shared/scenario/sections.js";

const section = (id: string, kw: number, sources: unknown[] = []) => ({
  id,
  buses: [id],
  loads: [],
  load_kw: kw,
  load_kvar: 0,
  weighted_kw: kw,
  sources,
  switches: [],
  faulted: false,
});

export const fleetGraph = SectionGraph.parse({
  format: SECTION_GRAPH_FORMAT,
  scenario: "bus-test",
  scenario_hash: "c".repeat(64),
  mode: "paper",
  cap_kw: 1000,
  total_load_kw: 1600,
  sections: [
    section("s0", 400, [{ id: "source", element: "Vsource.source", kind: "substation", grid_forming: true }]),
    section("s1", 400),
    section("s2", 400),
    section("s3", 400),
  ],
  switches: [
    { element: "Line.a", sections: ["s0", "s1"], kind: "agent", microgrid: "mg1", index: 0, initial: "open", locked_open: false },
    { element: "Line.b", sections: ["s0", "s2"], kind: "agent", microgrid: "mg2", index: 0, initial: "open", locked_open: false },
    { element: "Line.c", sections: ["s0", "s3"], kind: "agent", microgrid: "mg3", index: 0, initial: "open", locked_open: false },
  ],
  microgrids: ["mg1", "mg2", "mg3"].map((id, i) => ({ id, switches: [`Line.${"abc"[i]}`], sections: [], units: [], quota_kw: 100 })),
});

export const OWN_SWITCH: Record<string, string> = { mg1: "Line.a", mg2: "Line.b", mg3: "Line.c" };

/** Poll until `fn` is true (or throw after `ms`). */
export async function until(fn: () => boolean, ms = 5000, what = "condition"): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// What the simulator shows restored: the nominal load of the islands that
// a source feeds, from the plant's own switch states on the section graph.
import { islands, type SectionGraph } from "../../../shared/scenario/sections.js";
import type { Plant } from "../../../sim-harness/devices/plant.js";

export function energizedKw(graph: SectionGraph, plant: Plant, closed: (element: string) => boolean = (e) => plant.isClosed(e)): number {
  const states: Record<string, "open" | "closed"> = {};
  for (const sw of graph.switches) states[sw.element] = closed(sw.element) ? "closed" : "open";
  return islands(graph, states)
    .filter((i) => i.forming.length > 0)
    .reduce((kw, i) => kw + i.load_kw, 0);
}

// The switchable topology kept incrementally: sections joined by closed
// switches into islands, and which islands a grid-forming source energizes.
// A step that changes a few switches only marks it dirty; islands are
// recomputed on demand over the sections (tens to a hundred), never over
// the feeder's buses. Used for the nominal kW model, the observations, the
// action mask and the optimum's sequence checks.
import type { SectionGraph } from "../../shared/scenario/sections.js";

export interface Island {
  /** Section indices in it. */
  sections: number[];
  /** Indices into `graph.sections[*].sources` flattened as `formingSources`. */
  forming: number[];
  energized: boolean;
  /** kW rating of its grid-forming sources (Infinity for an unrated substation). */
  ratingKw: number;
}

export interface FormingSource {
  section: number;
  id: string;
  element: string;
  kw: number;
  microgrid: string | undefined;
}

export class EnergizationGraph {
  readonly graph: SectionGraph;
  readonly sectionCount: number;
  readonly switchCount: number;
  /** Section index at terminal 1 and 2 of switch k. */
  readonly ends: Int32Array;
  readonly locked: Uint8Array;
  readonly forming: FormingSource[];
  readonly sectionLoadKw: Float64Array;
  readonly sectionWeightedKw: Float64Array;
  readonly faultedSection: Uint8Array;
  /** 1 closed, 0 open, per switch (graph.switches order). */
  readonly closed: Uint8Array;
  private dirty = true;
  private islandOf_: Int32Array;
  private islands_: Island[] = [];
  private readonly parent: Int32Array;

  constructor(graph: SectionGraph) {
    this.graph = graph;
    this.sectionCount = graph.sections.length;
    this.switchCount = graph.switches.length;
    const index = new Map(graph.sections.map((s, i) => [s.id, i]));
    this.ends = new Int32Array(2 * this.switchCount);
    this.locked = new Uint8Array(this.switchCount);
    this.closed = new Uint8Array(this.switchCount);
    graph.switches.forEach((sw, k) => {
      this.ends[2 * k] = index.get(sw.sections[0])!;
      this.ends[2 * k + 1] = index.get(sw.sections[1])!;
      this.locked[k] = sw.locked_open ? 1 : 0;
      this.closed[k] = sw.initial === "closed" ? 1 : 0;
    });
    this.forming = [];
    graph.sections.forEach((s, i) => {
      for (const src of s.sources) {
        if (src.grid_forming && !s.faulted) {
          this.forming.push({ section: i, id: src.id, element: src.element, kw: src.kw ?? Infinity, microgrid: src.microgrid });
        }
      }
    });
    this.sectionLoadKw = Float64Array.from(graph.sections, (s) => s.load_kw);
    this.sectionWeightedKw = Float64Array.from(graph.sections, (s) => s.weighted_kw);
    this.faultedSection = Uint8Array.from(graph.sections, (s) => (s.faulted ? 1 : 0));
    this.islandOf_ = new Int32Array(this.sectionCount);
    this.parent = new Int32Array(this.sectionCount);
  }

  set(k: number, closed: boolean): boolean {
    const v = closed ? 1 : 0;
    if (this.closed[k] === v) return false;
    if (closed && this.locked[k]) return false;
    this.closed[k] = v;
    this.dirty = true;
    return true;
  }

  setAll(states: ArrayLike<number>): void {
    for (let k = 0; k < this.switchCount; k++) this.closed[k] = states[k] && !this.locked[k] ? 1 : 0;
    this.dirty = true;
  }

  private find(i: number): number {
    const p = this.parent;
    while (p[i] !== i) {
      p[i] = p[p[i]!]!;
      i = p[i]!;
    }
    return i;
  }

  private update(): void {
    if (!this.dirty) return;
    const p = this.parent;
    for (let i = 0; i < this.sectionCount; i++) p[i] = i;
    for (let k = 0; k < this.switchCount; k++) {
      if (!this.closed[k]) continue;
      const a = this.find(this.ends[2 * k]!);
      const b = this.find(this.ends[2 * k + 1]!);
      if (a !== b) p[a] = b;
    }
    const byRoot = new Map<number, number>();
    const islands: Island[] = [];
    for (let i = 0; i < this.sectionCount; i++) {
      const r = this.find(i);
      let idx = byRoot.get(r);
      if (idx === undefined) {
        idx = islands.length;
        byRoot.set(r, idx);
        islands.push({ sections: [], forming: [], energized: false, ratingKw: 0 });
      }
      islands[idx]!.sections.push(i);
      this.islandOf_[i] = idx;
    }
    this.forming.forEach((f, j) => {
      const isl = islands[this.islandOf_[f.section]!]!;
      isl.forming.push(j);
      isl.energized = true;
      isl.ratingKw += f.kw;
    });
    this.islands_ = islands;
    this.dirty = false;
  }

  islands(): readonly Island[] {
    this.update();
    return this.islands_;
  }

  islandOf(section: number): number {
    this.update();
    return this.islandOf_[section]!;
  }

  energized(section: number): boolean {
    this.update();
    return this.islands_[this.islandOf_[section]!]!.energized;
  }

  /** Closed switches that join two sections already joined (a loop). */
  meshSwitches(): number[] {
    const p = new Int32Array(this.sectionCount).map((_, i) => i);
    const find = (i: number) => {
      while (p[i] !== i) i = p[i] = p[p[i]!]!;
      return i;
    };
    const out: number[] = [];
    for (let k = 0; k < this.switchCount; k++) {
      if (!this.closed[k]) continue;
      const a = find(this.ends[2 * k]!);
      const b = find(this.ends[2 * k + 1]!);
      if (a === b) out.push(k);
      else p[a] = b;
    }
    return out;
  }

  /** Nominal kW of the sections a close of switch k would energize (0 if it only merges or joins dead parts). */
  pickupKw(k: number, sectionKw: ArrayLike<number> = this.sectionLoadKw): number {
    this.update();
    const ia = this.islandOf_[this.ends[2 * k]!]!;
    const ib = this.islandOf_[this.ends[2 * k + 1]!]!;
    if (ia === ib) return 0;
    const a = this.islands_[ia]!;
    const b = this.islands_[ib]!;
    if (a.energized === b.energized) return 0;
    const dead = a.energized ? b : a;
    let kw = 0;
    for (const s of dead.sections) kw += sectionKw[s]!;
    return kw;
  }

  /** True if closing switch k would join two energized islands (a merge). */
  merges(k: number): boolean {
    this.update();
    const ia = this.islandOf_[this.ends[2 * k]!]!;
    const ib = this.islandOf_[this.ends[2 * k + 1]!]!;
    return ia !== ib && this.islands_[ia]!.energized && this.islands_[ib]!.energized;
  }

  clone(): EnergizationGraph {
    const c = new EnergizationGraph(this.graph);
    c.closed.set(this.closed);
    c.dirty = true;
    return c;
  }
}

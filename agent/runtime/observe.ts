// The policy's observation from what the agent reads in the field, in the
// encoding the policy was trained on (shared/encoding/observation.ts; the
// manifest's `observation.kind`). The environment fills the same encoding
// from its solved state; a test checks that the two agree on the simulated
// devices' readings of one state (agent/test/observation.test.ts).
//
// `measured`, per switch, from its device where it measures, else from the
// section graph (own readings and peers' published states, as the shield
// sees them):
//   closed        the position read (a switch not read counts as last seen, else open);
//   live 1 / 2    the terminal's highest phase voltage >= dead_below_pu; unmeasured:
//                 surely energized on the graph;
//   kW through    |p_kw| while closed; without a power measurement: the nominal
//                 load on the side away from the live sources;
//   voltage       lowest phase pu of each terminal (the device's nominal voltage
//                 setting as base); unmeasured: 1 pu when live, 0 when dead.
// Per agent: headroom = the island's grid-forming rating less its nominal load
// (the microgrid's forming unit's island), else the cap less the load the
// fleet may be serving (nominal, from everyone's switch states); step =
// decisions made in the session / its length.
import { observationSize, writeMeasuredAgent, writeMeasuredSwitch, measuredNorm } from "../../shared/encoding/observation.js";
import type { ObservationKind } from "../../shared/policy/manifest.js";
import { buildContext, type ShieldContext } from "../../shared/shield/context.js";
import { formingRating, sumLoad, walk, type GraphIndex } from "../../shared/shield/graph.js";
import type { ShieldInput } from "../../shared/shield/index.js";
import type { SwitchView } from "./views.js";

export interface ObserveArgs {
  switches: readonly SwitchView[];
  /** Last definite position of each element (for a switch not read this tick). */
  lastKnown: (element: string) => "open" | "closed" | undefined;
  /** The shield's input for the same instant (own readings, peers' states): the graph's view. Asked only for `measured`. */
  input: () => ShieldInput;
  /** Decisions made so far in the session, and its length. */
  step: number;
  episodeLength: number;
}

export class FieldObserver {
  readonly size: number;
  private readonly norm: number;
  private readonly unitSection: number | undefined;

  constructor(
    readonly kind: ObservationKind,
    private readonly ix: GraphIndex,
    readonly microgrid: string,
    private readonly deadBelowPu: number,
  ) {
    const own = ix.graph.switches.filter((s) => s.microgrid === microgrid).length;
    this.size = observationSize(kind, own);
    this.norm = measuredNorm(ix.graph.cap_kw, ix.graph.total_load_kw);
    // The unit that forms this microgrid's island, as the environment picks it.
    const mg = ix.graph.microgrids.find((m) => m.id === microgrid);
    const formingIds = new Set(ix.forming.flatMap((f) => f.map((x) => x.id)));
    const unit = mg?.forming_unit ?? mg?.units.find((u) => formingIds.has(u));
    const s = unit === undefined ? -1 : ix.forming.findIndex((f) => f.some((x) => x.id === unit));
    this.unitSection = s >= 0 ? s : undefined;
  }

  observe(a: ObserveArgs): Float32Array {
    const closed = a.switches.map((v) => (v.position === "closed" || v.position === "open" ? v.position : (a.lastKnown(v.element) ?? "open")) === "closed");
    if (this.kind === "switch-states") return Float32Array.from(closed, (c) => (c ? 1 : 0));
    const ctx = buildContext(this.ix, a.input());
    const out = new Float32Array(this.size);
    a.switches.forEach((v, k) => {
      const sw = ctx.own[k]!;
      const ends = [this.ix.endA[sw]!, this.ix.endB[sw]!] as const;
      const side = (t: 0 | 1) => {
        const m = v.stale ? undefined : v.terminalPu?.[t];
        const live = m ? m.max >= this.deadBelowPu : ctx.surelyLive[ends[t]] === 1;
        return { live, pu: m ? (live ? m.min : 0) : live ? 1 : 0 };
      };
      const t1 = side(0);
      const t2 = side(1);
      let flow = 0;
      if (closed[k] && (t1.live || t2.live)) flow = v.pKw !== undefined && !v.stale ? Math.abs(v.pKw) : this.awayFromSources(ctx, sw);
      writeMeasuredSwitch(out, k, closed[k]!, t1.live, t2.live, flow, t1.pu, t2.pu, this.norm);
    });
    writeMeasuredAgent(out, a.switches.length, this.headroomKw(ctx), a.step, a.episodeLength, this.norm);
    return out;
  }

  /** Nominal load on the side of switch `sw` away from the live sources (a closed switch without a power measurement). */
  private awayFromSources(ctx: ShieldContext, sw: number): number {
    for (const end of [this.ix.endB[sw]!, this.ix.endA[sw]!]) {
      const part = walk(this.ix, ctx.states, [end], false, sw);
      if (!part.some((s) => this.ix.forming[s]!.some((f) => !ctx.sourcesDown.has(f.id)))) return sumLoad(this.ix, part);
    }
    return 0;
  }

  private headroomKw(ctx: ShieldContext): number {
    const cap = this.ix.graph.cap_kw;
    let fleetKw = 0;
    for (let s = 0; s < ctx.possiblyLive.length; s++) if (ctx.possiblyLive[s]) fleetKw += this.ix.loadKw[s]!;
    const capLeft = cap !== undefined ? cap - fleetKw : 0;
    if (this.unitSection === undefined) return capLeft;
    const island = walk(this.ix, ctx.states, [this.unitSection], false);
    const rating = formingRating(this.ix, island, ctx.sourcesDown);
    return Number.isFinite(rating) ? rating - sumLoad(this.ix, island) : capLeft;
  }
}

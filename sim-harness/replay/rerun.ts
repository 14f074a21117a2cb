// Re-running each journaled decision from its journaled inputs: the same
// observation through the policy (a plan's cursor is rebuilt by feeding the
// decisions of each session in order, as the agent did), the same shield
// input through the shield (shared/shield) and the same disposition
// (agent/runtime/dispose.ts). Any difference is a divergence: the policy's
// logits (a gap under 1e-4 is numerical noise, counted apart), the shield's
// mask, the final action per switch, the vetoes (element, action, rule).
import type { DecisionRecord } from "../../agent/journal/records.js";
import { dispose } from "../../agent/runtime/dispose.js";
import { SWITCH_ACTIONS } from "../../shared/encoding/actions.js";
import { canonicalElement } from "../../shared/names.js";
import type { AgentPolicy, Policy } from "../../shared/policy/runner.js";
import type { SectionGraph } from "../../shared/scenario/sections.js";
import { evaluate, indexGraph, type GraphIndex, type ShieldInput } from "../../shared/shield/index.js";
import type { LoadedJournal } from "./journals.js";

/** Logit gaps below this are numerical noise (float32 through different runtimes), not a divergence. */
export const LOGIT_NOISE = 1e-4;

export interface Divergence {
  microgrid: string;
  decision: string;
  tick: number;
  at: number;
  /** `logits`, `mask`, `action`, `veto`, or `input` (the journaled inputs cannot be re-run). */
  kinds: string[];
  details: string[];
}

export interface RerunResult {
  microgrid: string;
  decisions: number;
  divergences: Divergence[];
  /** Decisions whose logits differed by more than 0 but less than LOGIT_NOISE, and the largest such gap. */
  noise: number;
  maxNoiseGap: number;
  /** The replayed decisions with what they did (for the report). */
  replayed: { id: string; at: number; tick: number; operations: string[]; vetoes: { element: string; action: string; rule: string; detail: string }[]; hold?: string }[];
}

function vetoKey(v: { element: string; action: string; rule: string }): string {
  return `${canonicalElement(v.element)} ${v.action} ${v.rule}`;
}

export async function rerunJournal(j: LoadedJournal, policy: Policy): Promise<RerunResult> {
  const manifestAgent = policy.manifest.agents.find((a) => a.id === j.microgrid);
  const out: RerunResult = { microgrid: j.microgrid, decisions: j.decisions.length, divergences: [], noise: 0, maxNoiseGap: 0, replayed: [] };
  if (!manifestAgent) {
    out.divergences.push({ microgrid: j.microgrid, decision: "-", tick: 0, at: 0, kinds: ["input"], details: [`policy ${policy.dir} has no agent '${j.microgrid}'`] });
    return out;
  }
  const actor: AgentPolicy = await policy.agent({ id: j.microgrid, elements: manifestAgent.elements });
  const indexes = new Map<SectionGraph, GraphIndex>();
  let session: string | null | undefined;
  let lifeIdx = 0;
  for (const d of j.decisions) {
    // A new process (agent restart) or a new session starts the policy over, as the agent did.
    while (lifeIdx + 1 < j.lives.length && j.lives[lifeIdx + 1]!.at <= d.at) {
      lifeIdx++;
      session = undefined;
    }
    if (d.session !== session) {
      actor.reset();
      session = d.session;
    }
    const div = await rerunDecision(j.microgrid, d, actor, indexes, out);
    if (div) out.divergences.push(div);
  }
  return out;
}

async function rerunDecision(microgrid: string, d: DecisionRecord, actor: AgentPolicy, indexes: Map<SectionGraph, GraphIndex>, out: RerunResult): Promise<Divergence | undefined> {
  const kinds: string[] = [];
  const details: string[] = [];
  const diverge = (kind: string, detail: string) => {
    if (!kinds.includes(kind)) kinds.push(kind);
    details.push(detail);
  };
  const input = d.shieldInput as ShieldInput & { graph?: SectionGraph | null };
  const graph = input?.graph;
  if (!input || !graph || !Array.isArray(input.switches)) {
    return { microgrid, decision: d.id, tick: d.tick, at: d.at, kinds: ["input"], details: ["the journaled shield input (or its section graph blob) is missing"] };
  }
  let ix = indexes.get(graph);
  if (!ix) {
    ix = indexGraph(graph);
    indexes.set(graph, ix);
  }

  // The policy, from the journaled observation.
  const wish = await actor.decide(d.observation);
  let gap = 0;
  if (wish.logits.length !== d.logits.length) diverge("logits", `${wish.logits.length} logits replayed, ${d.logits.length} journaled`);
  else for (let i = 0; i < d.logits.length; i++) gap = Math.max(gap, Math.abs(wish.logits[i]! - d.logits[i]!));
  if (gap >= LOGIT_NOISE) diverge("logits", `logits differ by up to ${gap.toExponential(2)} (noise is below ${LOGIT_NOISE})`);
  else if (gap > 0) {
    out.noise++;
    out.maxNoiseGap = Math.max(out.maxNoiseGap, gap);
  }

  // The shield, from the journaled input.
  const result = evaluate(ix, input);
  if (d.mask) {
    const diff: string[] = [];
    for (let i = 0; i < result.mask.length; i++) if ((result.mask[i] ? 1 : 0) !== (d.mask[i] ? 1 : 0)) diff.push(`${input.switches[Math.floor(i / 3)]?.element} ${SWITCH_ACTIONS[i % 3]}`);
    if (diff.length) diverge("mask", `the shield now ${diff.length === 1 ? "allows/forbids" : "differs on"} ${diff.slice(0, 4).join(", ")}${diff.length > 4 ? ", ..." : ""}`);
  }
  const names = input.switches.map((s) => s.element);
  const disp = dispose(ix, names, wish, input, result);
  const outcome = (d.outcome ?? {}) as { hold?: string };
  const actions = Int32Array.from(disp.admission.actions);
  if (outcome.hold) actions.fill(2);
  const actionDiffs: string[] = [];
  for (let k = 0; k < names.length; k++) {
    const a = actions[k];
    const b = d.actions[k];
    if (a !== b) actionDiffs.push(`${names[k]}: journaled ${SWITCH_ACTIONS[b as 0 | 1 | 2] ?? b}, replayed ${SWITCH_ACTIONS[a as 0 | 1 | 2] ?? a}`);
  }
  if (actions.length !== d.actions.length) actionDiffs.push(`${actions.length} actions replayed, ${d.actions.length} journaled`);
  if (actionDiffs.length) diverge("action", actionDiffs.join("; "));
  const replayedVetoes = new Set(disp.verdicts.map(vetoKey));
  const journaledVetoes = new Set(d.verdicts.map(vetoKey));
  const missing = [...journaledVetoes].filter((k) => !replayedVetoes.has(k));
  const extra = [...replayedVetoes].filter((k) => !journaledVetoes.has(k));
  if (missing.length || extra.length) diverge("veto", [...missing.map((k) => `journaled veto not made again: ${k}`), ...extra.map((k) => `new veto: ${k}`)].join("; "));

  out.replayed.push({
    id: d.id,
    at: d.at,
    tick: d.tick,
    operations: names.flatMap((e, k) => (actions[k] === 0 ? [`close ${e}`] : actions[k] === 1 ? [`open ${e}`] : [])),
    vetoes: disp.verdicts.map((v) => ({ element: v.element, action: v.action, rule: v.rule, detail: v.detail })),
    ...(outcome.hold ? { hold: outcome.hold } : {}),
  });
  return kinds.length ? { microgrid, decision: d.id, tick: d.tick, at: d.at, kinds, details } : undefined;
}

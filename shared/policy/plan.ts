// The `plan` policy: replays the optimum's switching sequence (from the
// sim-harness baselines), so the agent and the bench can run before a learned
// policy exists, and so a learned policy has a reference beside it. It is a
// plan, not a learned policy, and says so everywhere (kind "plan").
//
// Robust to the field: it does not replay step numbers blindly. At each
// decision it looks at the observed switch states and proposes the earliest
// operations of the plan that those states do not yet show. An operation the
// shield vetoed or the relay failed to make stays pending and is proposed
// again; after `retry_limit` proposals in a row without effect it yields to
// later steps of the plan and is retried after them.
import { z } from "zod";
import { SwitchAction } from "../encoding/actions.js";
import { canonicalElement } from "../names.js";
import { ElementRef } from "../scenario/schema.js";
import type { ActionMask, Decision } from "./decision.js";
import type { PolicyManifest } from "./manifest.js";
import { decide } from "./decision.js";

export const PlanOperation = z
  .object({
    agent: z.string(),
    element: ElementRef,
    action: z.enum(["close", "open"]),
  })
  .strict();
export type PlanOperation = z.infer<typeof PlanOperation>;

export const PlanDocument = z
  .object({
    format: z.literal("blackstart-plan/1"),
    /** Always says what it is, e.g. "plan: optimum switching sequence (MILP), not a learned policy". */
    label: z.string().min(1),
    scenario: z.string(),
    scenario_hash: z.string().regex(/^[0-9a-f]{64}$/),
    /** Where the sequence comes from (e.g. `sim-harness/baselines optimum`, objective, solver gap). */
    source: z.string(),
    /** Proposals in a row without effect before an operation yields to later steps. */
    retry_limit: z.number().int().positive().default(3),
    /** Steps in order; each holds the operations of every agent in that step. */
    steps: z.array(z.object({ operations: z.array(PlanOperation) }).strict()).min(1),
  })
  .strict();
export type PlanDocument = z.infer<typeof PlanDocument>;

/** Logit given to the planned action; the others get PLAN_OTHER_LOGIT (documented in docs/policy.md). */
export const PLAN_CHOSEN_LOGIT = 0;
export const PLAN_OTHER_LOGIT = -20;

interface SwitchOp {
  step: number;
  target: 0 | 1;
}

/** One agent's view of a plan; keeps a cursor per switch and a retry count per pending operation. */
export class PlanActor {
  readonly agent: string;
  readonly elements: readonly string[];
  private readonly ops: SwitchOp[][];
  private readonly cursor: number[];
  private readonly tries: number[];
  private readonly retryLimit: number;

  constructor(plan: PlanDocument, agent: string, elements: readonly string[]) {
    this.agent = agent;
    this.elements = elements;
    this.retryLimit = plan.retry_limit;
    const index = new Map(elements.map((e, k) => [canonicalElement(e), k]));
    this.ops = elements.map(() => []);
    plan.steps.forEach((s, step) => {
      for (const op of s.operations) {
        if (op.agent !== agent) continue;
        const k = index.get(canonicalElement(op.element));
        // Unknown elements are rejected when the plan is loaded (load.ts); skip defensively.
        if (k === undefined) continue;
        this.ops[k]!.push({ step, target: op.action === "close" ? 1 : 0 });
      }
    });
    this.cursor = elements.map(() => 0);
    this.tries = elements.map(() => 0);
  }

  /** Start over (a new restoration). */
  reset(): void {
    this.cursor.fill(0);
    this.tries.fill(0);
  }

  /** Number of planned operations for this agent. */
  get operationCount(): number {
    return this.ops.reduce((s, o) => s + o.length, 0);
  }

  /** Decide from the observed switch states (1 closed, 0 open, in `elements` order). */
  decide(states: ArrayLike<number>, mask?: ActionMask): Decision {
    const n = this.elements.length;
    const pending: { k: number; step: number; action: 0 | 1; stuck: boolean }[] = [];
    for (let k = 0; k < n; k++) {
      const ops = this.ops[k]!;
      const state = states[k]! >= 0.5 ? 1 : 0;
      // Operations the states already show are done; the last one stays in force
      // (if the switch moves away from it, the plan proposes it again).
      while (this.cursor[k]! < ops.length - 1 && ops[this.cursor[k]!]!.target === state) {
        this.cursor[k]!++;
        this.tries[k] = 0;
      }
      const op = ops[this.cursor[k]!];
      if (!op || op.target === state) {
        this.tries[k] = 0;
        continue;
      }
      pending.push({ k, step: op.step, action: op.target === 1 ? SwitchAction.close : SwitchAction.open, stuck: this.tries[k]! >= this.retryLimit });
    }
    const allowed = (p: (typeof pending)[number]) => mask === undefined || Boolean(mask[p.k * 3 + p.action]);
    // Earliest step first; operations that failed `retry_limit` times in a row go after the rest.
    const candidates = pending.filter(allowed).sort((a, b) => Number(a.stuck) - Number(b.stuck) || a.step - b.step);
    const first = candidates[0];
    const chosen = first ? candidates.filter((p) => p.step === first.step && p.stuck === first.stuck) : [];
    if (first && first.stuck) {
      // A stuck operation got its retry: give it a fresh budget.
      for (const p of chosen) this.tries[p.k] = 0;
    }
    const logits = new Float32Array(n * 3).fill(PLAN_OTHER_LOGIT);
    for (let k = 0; k < n; k++) logits[k * 3 + SwitchAction.noop] = PLAN_CHOSEN_LOGIT;
    for (const p of chosen) {
      logits[p.k * 3 + SwitchAction.noop] = PLAN_OTHER_LOGIT;
      logits[p.k * 3 + p.action] = PLAN_CHOSEN_LOGIT;
      this.tries[p.k]!++;
    }
    const d = decide("plan", this.agent, this.elements, logits, mask);
    if (first) d.planStep = first.step;
    return d;
  }
}

/** The manifest of a plan policy directory (kind "plan"; observation: the agents' switch states). */
export function planManifest(plan: PlanDocument, agents: readonly { id: string; elements: readonly string[] }[], created = new Date().toISOString()): PolicyManifest {
  return {
    format: "blackstart-policy/1",
    kind: "plan",
    scenario: plan.scenario,
    scenario_hash: plan.scenario_hash,
    algorithm: "plan",
    observation: { kind: "switch-states" },
    actions_per_element: 3,
    agents: agents.map((a) => ({ id: a.id, elements: [...a.elements], observation_size: a.elements.length, input_name: "obs", output_name: "logits" })),
    created,
    training: { label: plan.label, source: plan.source, steps: plan.steps.length, operations: plan.steps.reduce((s, st) => s + st.operations.length, 0) },
  };
}

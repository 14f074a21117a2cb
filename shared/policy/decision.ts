// Turning a policy's per-switch logits into a decision: the action per
// switch, and the operations ranked so a caller (the edge agent's shield,
// which allows one operation at a time per switch) can take the best one it
// allows. Pure: no runtime, no I/O.
import { ACTIONS_PER_SWITCH, SWITCH_ACTIONS, SwitchAction, type SwitchActionIndex, type SwitchState } from "../encoding/actions.js";
import { BlackstartError } from "../errors.js";
import { PolicyErrors } from "./errors.js";

/**
 * `mask[3k + a]` truthy: action `a` on the k-th element is allowed (same layout
 * as the logits). The no-op entry is ignored: holding is always allowed.
 */
export type ActionMask = Uint8Array | readonly (number | boolean)[];

/** One switching operation a policy proposes. */
export interface ProposedOperation {
  /** Index of the element in the agent's element list. */
  index: number;
  /** Feeder element, e.g. `Line.L45`. */
  element: string;
  action: Exclude<SwitchActionIndex, 2>;
  name: "close" | "open";
  /** Log-probability the policy gives this action on this element. */
  logProb: number;
  /** How much more the policy prefers this operation than holding (log-probability over no-op). */
  overNoop: number;
}

export interface Decision {
  /** `onnx` = a learned policy; `plan` = a replay of the optimum's switching sequence, not a learned policy. */
  kind: "onnx" | "plan";
  agent: string;
  /** Chosen action per element (close 0 / open 1 / no-op 2): the most likely among the allowed ones and no-op (no-op on ties). */
  actions: Int32Array;
  /** Raw scores, `[3k + a]` for element k, action a (plans: 0 for the planned action, -20 for the others). */
  logits: Float32Array;
  /** Log-softmax of the logits over each element's three actions, ignoring the mask. */
  logProbs: Float32Array;
  /** Every allowed operation in `actions` (no-ops left out), most probable first. */
  operations: ProposedOperation[];
  /** The first of `operations`, or null: hold everything. */
  best: ProposedOperation | null;
  /** Plans only: the step of the plan whose operations are proposed. */
  planStep?: number;
}

/** Log-softmax over each consecutive group of three scores. */
export function headLogSoftmax(logits: Float32Array): Float32Array {
  const out = new Float32Array(logits.length);
  for (let k = 0; k < logits.length; k += ACTIONS_PER_SWITCH) {
    const a = logits[k]!;
    const b = logits[k + 1]!;
    const c = logits[k + 2]!;
    const m = Math.max(a, b, c);
    const lse = m + Math.log(Math.exp(a - m) + Math.exp(b - m) + Math.exp(c - m));
    out[k] = a - lse;
    out[k + 1] = b - lse;
    out[k + 2] = c - lse;
  }
  return out;
}

/** Check a caller's mask before using it: right length, and say which agent it was for. */
export function checkMask(mask: ActionMask | undefined, elements: number, agent: string): void {
  if (mask === undefined) return;
  if (mask.length !== elements * ACTIONS_PER_SWITCH) {
    throw new BlackstartError(
      PolicyErrors.INPUT,
      `action mask for agent '${agent}' has ${mask.length} entries, expected ${elements * ACTIONS_PER_SWITCH} (3 per element: close, open, no-op)`,
    );
  }
}

/** Check an observation: right size, finite values. */
export function checkObservation(obs: ArrayLike<number>, size: number, agent: string): void {
  if (obs.length !== size) {
    throw new BlackstartError(PolicyErrors.INPUT, `observation for agent '${agent}' has ${obs.length} values, the policy expects ${size}`);
  }
  for (let i = 0; i < obs.length; i++) {
    if (!Number.isFinite(obs[i]!)) {
      throw new BlackstartError(PolicyErrors.INPUT, `observation for agent '${agent}' has a non-finite value at index ${i} (${obs[i]})`);
    }
  }
}

/** A switch's present position, when the caller knows it (null: unknown). */
export type KnownPosition = SwitchState | null | undefined;

/**
 * Build a decision from logits: masked argmax per element, operations ranked
 * by log-probability. An operation is chosen only when the policy prefers it
 * strictly to holding: no-op wins ties (a plan gives every action but its
 * planned one the same score, so a masked planned close left `open` and no-op
 * tied). With `states`, the action that would leave a switch where it is
 * (open on an open switch, close on a closed one) counts as holding: its
 * score competes as no-op's, and it is never proposed as an operation.
 */
export function decide(
  kind: Decision["kind"],
  agent: string,
  elements: readonly string[],
  logits: Float32Array,
  mask?: ActionMask,
  states?: readonly KnownPosition[],
): Decision {
  const n = elements.length;
  if (logits.length !== n * ACTIONS_PER_SWITCH) {
    throw new BlackstartError(PolicyErrors.INVALID, `policy for agent '${agent}' produced ${logits.length} logits, expected ${n * ACTIONS_PER_SWITCH}`);
  }
  if (states !== undefined && states.length !== n) {
    throw new BlackstartError(PolicyErrors.INPUT, `switch states for agent '${agent}' have ${states.length} entries, expected ${n}`);
  }
  const logProbs = headLogSoftmax(logits);
  const actions = new Int32Array(n);
  const operations: ProposedOperation[] = [];
  for (let k = 0; k < n; k++) {
    const o = k * ACTIONS_PER_SWITCH;
    // No-op is always allowed: holding position is the shield's safe state.
    const allowed = (a: number) => mask === undefined || a === SwitchAction.noop || Boolean(mask[o + a]);
    const stay = states?.[k] === "open" ? SwitchAction.open : states?.[k] === "closed" ? SwitchAction.close : -1;
    let best: number = SwitchAction.noop;
    let bestScore = logits[o + SwitchAction.noop]!;
    if (stay >= 0 && allowed(stay)) bestScore = Math.max(bestScore, logits[o + stay]!);
    for (const a of [SwitchAction.close, SwitchAction.open]) {
      if (a === stay || !allowed(a)) continue;
      // Strictly better only: holding wins ties; between close and open the lower index, as argmax does.
      const s = logits[o + a]!;
      if (s > bestScore) {
        bestScore = s;
        best = a;
      }
    }
    actions[k] = best;
    if (best !== SwitchAction.noop) {
      const lp = logProbs[k * ACTIONS_PER_SWITCH + best]!;
      operations.push({
        index: k,
        element: elements[k]!,
        action: best as 0 | 1,
        name: SWITCH_ACTIONS[best] as "close" | "open",
        logProb: lp,
        overNoop: lp - logProbs[k * ACTIONS_PER_SWITCH + SwitchAction.noop]!,
      });
    }
  }
  operations.sort((x, y) => y.logProb - x.logProb || x.index - y.index);
  return { kind, agent, actions, logits, logProbs, operations, best: operations[0] ?? null };
}

// The policy proposes, the shield disposes: the policy's wishes that the
// shield's mask forbids are vetoes (journaled with their rule); per switch the
// best action the mask allows is chosen (the policy's own masked argmax, no-op
// on ties, an action that would leave the switch where it is counting as no-op); the
// chosen operations are admitted together, in order of preference, so that
// together they cannot exceed what each fits alone. Pure.
import { decide as maskedDecide, type Decision } from "../../shared/policy/decision.js";
import { admit, type Admission, type GraphIndex, type ShieldInput, type ShieldResult, type Verdict } from "../../shared/shield/index.js";

export interface Disposition {
  /** What the policy wished, unmasked, with actions that would leave a switch where it is counted as holding. */
  wished: Decision;
  /** The masked decision: per switch the best allowed action. */
  chosen: Decision;
  admission: Admission;
  /** Vetoes of what the policy wished, then of what was chosen but not admitted jointly; no duplicates. */
  verdicts: Verdict[];
}

export function dispose(ix: GraphIndex, elements: readonly string[], wish: Decision, input: ShieldInput, result: ShieldResult): Disposition {
  // Positions the shield relies on: an open on an open switch is holding, not an operation (journal and replay stay clean).
  const states = result.switches.map((s) => s.state);
  const wished = maskedDecide(wish.kind, wish.agent, elements, wish.logits, undefined, states);
  const wishedOps = new Set(wished.operations.map((o) => `${o.index}/${o.name}`));
  const vetoedWishes = result.verdicts.filter((v) => wishedOps.has(`${v.index}/${v.action}`));
  const chosen = maskedDecide(wish.kind, wish.agent, elements, wish.logits, result.mask, states);
  const admission = admit(ix, input, chosen.operations.map((o) => ({ index: o.index, action: o.name })));
  const seen = new Set<string>();
  const verdicts: Verdict[] = [];
  for (const v of [...vetoedWishes, ...admission.verdicts]) {
    const key = `${v.index}/${v.action}/${v.rule}`;
    if (seen.has(key)) continue;
    seen.add(key);
    verdicts.push(v);
  }
  return { wished, chosen, admission, verdicts };
}

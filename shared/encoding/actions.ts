// The observation and action encoding shared by the environment, the trainer,
// the policy runner and the edge agent. One 3-way choice per switch.

/** Per-switch action index, in this order in every policy's logits. */
export const SwitchAction = { close: 0, open: 1, noop: 2 } as const;
export type SwitchActionName = keyof typeof SwitchAction;
export type SwitchActionIndex = (typeof SwitchAction)[SwitchActionName];
export const SWITCH_ACTIONS: readonly SwitchActionName[] = ["close", "open", "noop"];
export const ACTIONS_PER_SWITCH = 3;

/** Switch state as observed: 1 closed, 0 open (the paper's observation). */
export type SwitchState = "open" | "closed";
export function encodeSwitchState(s: SwitchState): 0 | 1 {
  return s === "closed" ? 1 : 0;
}
export function decodeSwitchState(v: number): SwitchState {
  return v >= 0.5 ? "closed" : "open";
}

/** The state a switch ends in after an action (no-op keeps it). */
export function applySwitchAction(state: SwitchState, action: SwitchActionIndex): SwitchState {
  if (action === SwitchAction.close) return "closed";
  if (action === SwitchAction.open) return "open";
  return state;
}

// The safety shield: the policy proposes, the shield disposes. `evaluate`
// returns, per switch, which of close/open/no-op is allowed (the mask the
// policy's masked argmax takes) with every veto and the values behind it.
// `admit` then checks the chosen operations together, in order of preference,
// as if each admitted one had already happened, so that two closes that each
// fit alone cannot together exceed the generation left. Pure and fast: the
// training environment's action mask comes from `evaluate` too.
import { ACTIONS_PER_SWITCH, SwitchAction } from "../encoding/actions.js";
import { buildContext, type ShieldContext } from "./context.js";
import { UNKNOWN, type GraphIndex } from "./graph.js";
import { RULES } from "./rules/index.js";
import type { KnownState, Operation, ShieldInput, ShieldResult, SwitchAssessment, Verdict } from "./types.js";

/** Evaluate every own switch for close and open. */
export function evaluate(ix: GraphIndex, input: ShieldInput): ShieldResult {
  const ctx = buildContext(ix, input);
  const n = input.switches.length;
  const mask = new Uint8Array(n * ACTIONS_PER_SWITCH);
  const switches: SwitchAssessment[] = [];
  const verdicts: Verdict[] = [];
  for (let k = 0; k < n; k++) {
    const a = assess(ctx, k);
    mask[k * ACTIONS_PER_SWITCH + SwitchAction.close] = a.allowed.close ? 1 : 0;
    mask[k * ACTIONS_PER_SWITCH + SwitchAction.open] = a.allowed.open ? 1 : 0;
    mask[k * ACTIONS_PER_SWITCH + SwitchAction.noop] = 1;
    switches.push(a);
    verdicts.push(...a.vetoes);
  }
  return { mask, switches, verdicts, available_kw: ctx.availableKw };
}

function assess(ctx: ShieldContext, k: number): SwitchAssessment {
  const r = ctx.input.switches[k]!;
  const state = ctx.positions[k]!.state;
  const vetoes: Verdict[] = [];
  const allowed = { close: true, open: true, noop: true as const };
  let pickup = 0;
  let pickupPool: string | null = null;
  for (const action of ["close", "open"] as const) {
    // An action that leaves the switch where it is, is a no-op: nothing to check.
    if (state !== null && target(action) === state) continue;
    for (const rule of RULES) {
      if (!rule.applies.includes(action)) continue;
      // The graph's rules judge a switch whose position is known and not moving (a command in flight holds it anyway).
      if (rule.needsPosition && (state === null || ctx.states[ctx.own[k]!] === UNKNOWN)) continue;
      const o = rule.check(ctx, k, action);
      if (o) {
        vetoes.push({ element: r.element, index: k, action, rule: o.rule, detail: o.detail, values: o.values });
        allowed[action] = false;
      }
    }
    if (action === "close" && state === "open") ({ pickupKw: pickup, pool: pickupPool } = ctx.close(k));
  }
  return {
    element: r.element,
    index: k,
    state,
    allowed,
    pickup_kw: pickup,
    ...(pickupPool !== null ? { pickup_pool: pickupPool } : {}),
    select_required: r.select_before_operate === true,
    vetoes,
  };
}

function target(action: Operation): KnownState {
  return action === "close" ? "closed" : "open";
}

/** One operation the agent may write, with what the shield counted for it. */
export interface AdmittedOperation {
  index: number;
  element: string;
  action: Operation;
  /** Load (kW) it picks up; the ledger commits this once the close is confirmed. */
  pickup_kw: number;
  /** Physics mode: the generation pool (island) the pick-up draws on. */
  pool?: string;
  select_required: boolean;
}

export interface Admission {
  /** Final action per switch (close 0, open 1, no-op 2): vetoed operations become no-ops. */
  actions: Int32Array;
  /** Operations to carry out, in the order given. */
  admitted: AdmittedOperation[];
  /** Vetoes of the proposed operations (from the single evaluation, or found jointly). */
  verdicts: Verdict[];
  /** The evaluation of the unchanged input (its mask and per-switch findings). */
  result: ShieldResult;
}

export interface AdmitOptions {
  /** At most this many operations per decision (default: no limit). */
  maxOperations?: number;
}

/**
 * Check the proposed operations (switch index and action, most preferred
 * first) together: each is evaluated on the state left by the ones admitted
 * before it (its switch moved, its pick-up committed).
 */
export function admit(
  ix: GraphIndex,
  input: ShieldInput,
  proposed: readonly { index: number; action: Operation }[],
  options: AdmitOptions = {},
): Admission {
  const result = evaluate(ix, input);
  const actions = new Int32Array(input.switches.length).fill(SwitchAction.noop);
  const admitted: AdmittedOperation[] = [];
  const verdicts: Verdict[] = [];
  const max = options.maxOperations ?? Infinity;
  let current = input;
  let currentResult = result;
  const seen = new Set<number>();
  for (const p of proposed) {
    if (seen.has(p.index)) continue; // one operation per switch per decision
    seen.add(p.index);
    const sw = currentResult.switches[p.index];
    if (!sw) continue;
    const ok = sw.allowed[p.action];
    if (!ok) {
      verdicts.push(...sw.vetoes.filter((v) => v.action === p.action).map((v) => jointly(v, current, input, admitted)));
      continue;
    }
    if (sw.state === target(p.action)) continue; // already there: nothing to write
    if (admitted.length >= max) continue;
    const pool = p.action === "close" && sw.pickup_pool ? sw.pickup_pool : undefined;
    admitted.push({ index: p.index, element: sw.element, action: p.action, pickup_kw: sw.pickup_kw, ...(pool ? { pool } : {}), select_required: sw.select_required });
    actions[p.index] = p.action === "close" ? SwitchAction.close : SwitchAction.open;
    current = afterOperation(current, p.index, p.action, sw.pickup_kw, pool);
    currentResult = evaluate(ix, current);
  }
  return { actions, admitted, verdicts, result };
}

/** Mark a veto found only because of operations admitted before it. */
function jointly(v: Verdict, current: ShieldInput, original: ShieldInput, before: readonly AdmittedOperation[]): Verdict {
  if (current === original) return v;
  return { ...v, detail: `${v.detail} (after ${before.map((o) => `${o.action} ${o.element}`).join(", ")})`, values: { ...v.values, after: before.map((o) => `${o.action} ${o.element}`) } };
}

/** The input as it would be once this operation is done and confirmed. */
function afterOperation(input: ShieldInput, index: number, action: Operation, pickupKw: number, pool?: string): ShieldInput {
  // Measured voltages and currents describe the feeder before the operation:
  // drop them all, so the next operation is judged on the graph alone.
  const switches = input.switches.map((r, k) => {
    const { terminal_pu: _v, current_a: _i, ...rest } = r;
    if (k !== index) return rest;
    return { ...rest, closed: action === "close", ...(r.open !== undefined ? { open: action === "open" } : {}) };
  });
  const g = input.generation;
  const picked = action === "close" ? pickupKw : 0;
  return {
    ...input,
    switches,
    generation: {
      ...g,
      committed_kw: g.committed_kw + picked,
      ...(g.committed_by_pool && pool ? { committed_by_pool: { ...g.committed_by_pool, [pool]: (g.committed_by_pool[pool] ?? 0) + picked } } : {}),
    },
  };
}

// Rule select-before-operate: where the device's profile requires it, an
// operate is written only after a select for the same switch, the same action
// and the same command was armed, and within the select timeout. At decision
// time the rule objects when a selection for another action or command is
// still armed (the device is reserved for it); at write time `checkOperate`
// is the gate the agent calls before writing the operate.
import type { Operation } from "../types.js";
import type { Objection, ShieldRule } from "./rule.js";

export const selectBeforeOperateRule: ShieldRule = {
  ids: ["select-before-operate"],
  applies: ["close", "open"],
  needsPosition: false,
  check(ctx, k, action) {
    const r = ctx.input.switches[k]!;
    const sel = r.selection ?? null;
    if (!r.select_before_operate || sel === null) return null;
    const age = ctx.input.now_ms - sel.armed_at_ms;
    if (age > ctx.input.limits.select_timeout_ms) return null; // expired: a new select may be armed
    if (sel.action === action) return null;
    return {
      rule: "select-before-operate",
      detail: `${r.element}: armed for ${sel.action} by ${sel.command_id} ${age} ms ago`,
      values: { selected_action: sel.action, command_id: sel.command_id, armed_ms_ago: age },
    };
  },
};

export interface OperateGateInput {
  element: string;
  select_before_operate: boolean;
  action: Operation;
  command_id: string;
  selection: { action: Operation; armed_at_ms: number; command_id: string } | null;
  now_ms: number;
  select_timeout_ms: number;
}

/** Write-time gate: may the operate of this command be written now? null = yes. */
export function checkOperate(g: OperateGateInput): Objection | null {
  if (!g.select_before_operate) return null;
  const sel = g.selection;
  const values = {
    action: g.action,
    command_id: g.command_id,
    selected_action: sel?.action ?? null,
    selected_by: sel?.command_id ?? null,
    armed_ms_ago: sel ? g.now_ms - sel.armed_at_ms : null,
    select_timeout_ms: g.select_timeout_ms,
  };
  if (!sel) return { rule: "select-before-operate", detail: `${g.element}: operate without a select`, values };
  if (sel.command_id !== g.command_id || sel.action !== g.action) {
    return { rule: "select-before-operate", detail: `${g.element}: selected for ${sel.action} by ${sel.command_id}, not ${g.action} by ${g.command_id}`, values };
  }
  if (g.now_ms - sel.armed_at_ms > g.select_timeout_ms) {
    return { rule: "select-before-operate", detail: `${g.element}: selection expired (${g.now_ms - sel.armed_at_ms} ms > ${g.select_timeout_ms} ms)`, values };
  }
  return null;
}

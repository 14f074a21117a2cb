// Rules missing-data, stale-data, inconsistent-data: hold a switch whose
// position the agent does not know for sure. A switch that was never read, was
// read too long ago, reads both open and closed (or neither: travelling or a
// broken auxiliary contact), or carries current while reading open is held:
// neither close nor open is allowed, and the graph counts it as unknown
// (closed for what a close could reach, open for what is surely energized).
import type { KnownState, RuleId, ShieldLimits, SwitchReading, VerdictValue } from "../types.js";

export interface PositionProblem {
  rule: Extract<RuleId, "missing-data" | "stale-data" | "inconsistent-data">;
  detail: string;
  values: Record<string, VerdictValue>;
}

export interface Position {
  state: KnownState | null;
  problem: PositionProblem | null;
}

/** The position the shield may rely on, or why there is none. */
export function readPosition(r: SwitchReading, now_ms: number, limits: ShieldLimits): Position {
  if (r.read_at_ms === null || r.closed === null || r.open === null) {
    const missing = r.read_at_ms === null ? "never read" : r.closed === null ? "closed contact unreadable" : "open contact unreadable";
    return {
      state: null,
      problem: { rule: "missing-data", detail: `${r.element}: position ${missing}`, values: { read_at_ms: r.read_at_ms, closed: r.closed, open: r.open ?? null } },
    };
  }
  const age = now_ms - r.read_at_ms;
  if (age > limits.stale_after_ms) {
    return {
      state: null,
      problem: {
        rule: "stale-data",
        detail: `${r.element}: position read ${age} ms ago (stale after ${limits.stale_after_ms} ms)`,
        values: { age_ms: age, stale_after_ms: limits.stale_after_ms },
      },
    };
  }
  if (r.open !== undefined && r.open === r.closed) {
    return {
      state: null,
      problem: {
        rule: "inconsistent-data",
        detail: `${r.element}: reads ${r.closed ? "both open and closed" : "neither open nor closed"}`,
        values: { closed: r.closed, open: r.open },
      },
    };
  }
  const state: KnownState = r.closed ? "closed" : "open";
  const current = r.current_a ?? null;
  if (state === "open" && current !== null && Math.abs(current) > limits.open_current_max_a) {
    return {
      state: null,
      problem: {
        rule: "inconsistent-data",
        detail: `${r.element}: reads open but carries ${current} A (more than ${limits.open_current_max_a} A)`,
        values: { closed: false, current_a: current, open_current_max_a: limits.open_current_max_a },
      },
    };
  }
  return { state, problem: null };
}

// The journal port over agent/journal's Journal (H6b's). Thin: names line up,
// except the ledger, which lives under the `ledger` meta key (meta is never
// pruned, events are) as well as in an event per change, and the pick-up a
// command commits, which comes from its decision's admitted operations.
import type { Journal } from "../journal/index.js";
import type { CommandRecord, DecisionRecord, JournalPort } from "./ports.js";

export function journalPort(j: Journal, graph: unknown): JournalPort {
  const setMeta = j.db.prepare("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  const pickupOf = (decisionId: string, element: string): number => {
    const d = j.readDecision(decisionId);
    const admitted = (d?.outcome as { admitted?: { element: string; pickup_kw?: number }[] } | null)?.admitted ?? [];
    return admitted.find((a) => a.element === element)?.pickup_kw ?? 0;
  };
  return {
    sessionStarted: (id, reason, detail) => j.sessionStarted(id, reason, detail),
    sessionEnded: (id, outcome, detail) => j.sessionEnded(id, outcome, detail),
    observation: (tick, body) => j.observation(tick, body),
    decision(d: DecisionRecord): string {
      return j.decision(d.tick, {
        session: d.sessionId,
        step: d.step,
        policy: d.policy,
        observation: d.observation,
        logits: d.logits,
        mask: d.mask,
        actions: d.actions,
        // The section graph goes with the input (stored once, by hash) so a replay elsewhere has it.
        shieldInput: { ...(d.shieldInput as object), graph },
        verdicts: d.verdicts,
        outcome: d.outcome,
      });
    },
    commandIntended: (c) => j.commandIntended({ decisionId: c.decisionId, element: c.element, action: c.action, device: c.device }),
    commandState: (id, state, detail) => j.commandState(id, state, detail),
    unresolved(): CommandRecord[] {
      return j.unresolved().map((c) => ({
        id: c.id,
        decisionId: c.decisionId,
        element: c.element,
        device: c.device ?? "",
        action: c.action,
        state: c.state,
        pickupKw: c.action === "close" ? pickupOf(c.decisionId, c.element) : 0,
      }));
    },
    lastEvent(kind: string) {
      if (kind === "ledger") {
        const v = j.meta().ledger;
        return v ? (JSON.parse(v) as Record<string, unknown>) : undefined;
      }
      const row = j.db.prepare("SELECT detail FROM events WHERE kind = ? ORDER BY id DESC LIMIT 1").get(kind) as { detail: string } | undefined;
      return row ? (JSON.parse(row.detail) as Record<string, unknown>) : undefined;
    },
    alarm: (kind, detail) => j.alarm(kind, detail),
    clearAlarm: (id) => j.clearAlarm(id),
    activeAlarms: () => j.activeAlarms(),
    event(kind, detail) {
      if (kind === "ledger") j.db.transaction(() => setMeta.run("ledger", JSON.stringify(detail))).immediate();
      j.event(kind, detail);
    },
    sizeBytes: () => j.sizeBytes(),
    close: () => j.close(),
  };
}

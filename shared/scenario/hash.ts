// A scenario's identity for policies: sha256 over what defines the decision
// problem a policy was trained on, in a canonical form (keys sorted, element
// and load names as OpenDSS compares them), so formatting, comments and
// spelling do not matter. Covered: the feeder and its commands, the mode, each
// agent's id, switches (in order) and units, the weights, the outage, the
// limits, the episode, the reward, the reset and the paper-parity details.
// Not covered: run-time deployment settings (static quotas, simulated device
// bindings, points of common coupling, descriptions, the name), which can
// change without retraining (docs/policy.md, "Scenario hash").
import { createHash } from "node:crypto";
import { canonicalElement } from "../names.js";
import type { Scenario } from "./schema.js";

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** A load's name as the weights match it: lower case, without a `Load.` prefix. */
function loadKey(name: string): string {
  return name.toLowerCase().replace(/^load\./, "");
}

/** The part of a scenario that defines the decision problem (what the hash covers). */
export function decisionProblem(s: Scenario): Record<string, unknown> {
  const el = (ref: string | undefined) => (ref === undefined ? undefined : canonicalElement(ref));
  return {
    version: s.version,
    mode: s.mode,
    feeder: { master: s.feeder.master, commands: s.feeder.commands },
    microgrids: s.microgrids.map((m) => ({
      id: m.id,
      switches: m.switches.map((x) => canonicalElement(x)),
      // A unit's simulated device profile is a bench setting, not physics.
      units: m.units.map(({ profile: _profile, ...u }) => ({ ...u, element: el(u.element) })),
      forming_unit: m.forming_unit,
    })),
    weights:
      "explicit" in s.weights
        ? { explicit: Object.fromEntries(Object.entries(s.weights.explicit).map(([k, v]) => [loadKey(k), v])), default: s.weights.default }
        : s.weights,
    outage: { faulted: s.outage.faulted.map((x) => canonicalElement(x)), lost_source: el(s.outage.lost_source), open: s.outage.open.map((x) => canonicalElement(x)) },
    limits: s.limits,
    episode: s.episode,
    reward: s.reward,
    reset: s.reset,
    parity: s.parity,
  };
}

export function scenarioHash(scenario: Scenario): string {
  return createHash("sha256").update(canonicalJson(decisionProblem(scenario))).digest("hex");
}

// Does a policy directory fit what it is asked to control? Checked against a
// scenario (the harness, `scenario eval`, the trainer), against an
// environment's agent specs, or against one agent's site binding (the edge
// agent). Any difference refuses the policy with an error naming it: a policy
// run on the wrong switches would operate the wrong relays.
import { BlackstartError } from "../errors.js";
import { canonicalElement, unknownNameMessage } from "../names.js";
import { scenarioHash } from "../scenario/hash.js";
import type { Scenario } from "../scenario/schema.js";
import { PolicyErrors } from "./errors.js";
import type { PolicyAgent, PolicyManifest } from "./manifest.js";

/** What a caller says it controls: one agent's id, its switches in observation/action order, its observation size. */
export interface AgentBinding {
  id: string;
  elements: readonly string[];
  /** Checked when given (the edge agent knows it from the observation it builds). */
  observationSize?: number;
}

/** The observation size a scenario implies for an agent, when the observation kind fixes it. */
export function expectedObservationSize(manifest: PolicyManifest, switches: number): number | undefined {
  return manifest.observation.kind === "switch-states" ? switches : undefined;
}

function sameElement(a: string, b: string): boolean {
  return canonicalElement(a) === canonicalElement(b);
}

/** Differences between one manifest agent and a binding, as short phrases. */
export function bindingDifferences(agent: PolicyAgent, binding: AgentBinding, where: string): string[] {
  const out: string[] = [];
  const a = agent.elements;
  const b = binding.elements;
  if (a.length !== b.length) {
    out.push(`${where}: the policy has ${a.length} elements, the ${bindingWord(where)} has ${b.length}`);
  }
  const n = Math.min(a.length, b.length);
  for (let k = 0; k < n; k++) {
    if (!sameElement(a[k]!, b[k]!)) {
      const elsewhere = b.findIndex((e) => sameElement(e, a[k]!));
      const hint = elsewhere >= 0 ? ` (it is element ${elsewhere} there: same switches, different order)` : "";
      out.push(`${where}: element ${k} is '${a[k]}' in the policy but '${b[k]}' in the ${bindingWord(where)}${hint}`);
      break;
    }
  }
  if (a.length !== b.length) {
    const missing = a.filter((e) => !b.some((x) => sameElement(x, e)));
    const extra = b.filter((e) => !a.some((x) => sameElement(x, e)));
    if (missing.length) out.push(`${where}: only in the policy: ${missing.slice(0, 5).join(", ")}`);
    if (extra.length) out.push(`${where}: not in the policy: ${extra.slice(0, 5).join(", ")}`);
  }
  if (binding.observationSize !== undefined && binding.observationSize !== agent.observation_size) {
    out.push(`${where}: observation size is ${agent.observation_size} in the policy but ${binding.observationSize} in the ${bindingWord(where)}`);
  }
  return out;
}

function bindingWord(where: string): string {
  return where.startsWith("scenario") ? "scenario" : where.startsWith("environment") ? "environment" : "site binding";
}

function refuse(manifest: PolicyManifest, dir: string, problems: string[], against: string): never {
  const shown = problems.slice(0, 4).join("; ");
  const more = problems.length > 4 ? `; and ${problems.length - 4} more` : "";
  throw new BlackstartError(
    PolicyErrors.MISMATCH,
    `policy '${dir}' (${manifest.kind}, for scenario '${manifest.scenario}') does not match ${against}: ${shown}${more}`,
    { file: `${dir}/manifest.json` },
  );
}

/** Check one agent's binding (edge agent: its microgrid id and switches from site.yaml); returns the manifest agent. */
export function checkBinding(manifest: PolicyManifest, dir: string, binding: AgentBinding): PolicyAgent {
  const agent = manifest.agents.find((a) => a.id === binding.id);
  if (!agent) {
    refuse(manifest, dir, [unknownNameMessage("agent", binding.id, manifest.agents.map((a) => a.id))], `the site binding of agent '${binding.id}'`);
  }
  const problems = bindingDifferences(agent, binding, `agent '${binding.id}'`);
  if (problems.length) refuse(manifest, dir, problems, `the site binding of agent '${binding.id}'`);
  return agent;
}

/** Check every agent against a list of bindings in order (an environment's agents, or a scenario's microgrids). */
export function checkAgents(manifest: PolicyManifest, dir: string, bindings: readonly AgentBinding[], against: "scenario" | "environment"): void {
  const problems: string[] = [];
  if (manifest.agents.length !== bindings.length) {
    problems.push(`the policy has ${manifest.agents.length} agents (${manifest.agents.map((a) => a.id).join(", ")}), the ${against} has ${bindings.length} (${bindings.map((b) => b.id).join(", ")})`);
  }
  const n = Math.min(manifest.agents.length, bindings.length);
  for (let i = 0; i < n; i++) {
    const a = manifest.agents[i]!;
    const b = bindings[i]!;
    if (a.id !== b.id) {
      problems.push(`agent ${i} is '${a.id}' in the policy but '${b.id}' in the ${against}`);
      continue;
    }
    problems.push(...bindingDifferences(a, b, `${against} agent '${b.id}'`));
  }
  if (problems.length) refuse(manifest, dir, problems, `the ${against}`);
}

/** Check the agents a scenario defines (ids, elements, observation sizes) without its hash. */
export function checkScenarioAgents(manifest: PolicyManifest, dir: string, scenario: Scenario): void {
  checkAgents(
    manifest,
    dir,
    scenario.microgrids.map((m) => {
      const size = expectedObservationSize(manifest, m.switches.length);
      return { id: m.id, elements: m.switches, ...(size !== undefined ? { observationSize: size } : {}) };
    }),
    "scenario",
  );
}

/** Check against a scenario: agents, elements, sizes, then the scenario hash (weights, limits, feeder). */
export function checkScenario(manifest: PolicyManifest, dir: string, scenario: Scenario): void {
  checkScenarioAgents(manifest, dir, scenario);
  const hash = scenarioHash(scenario);
  if (hash !== manifest.scenario_hash) {
    refuse(
      manifest,
      dir,
      [
        `scenario hash is ${manifest.scenario_hash.slice(0, 12)}… in the policy but ${hash.slice(0, 12)}… for scenario '${scenario.name}' ` +
          `(same agents and switches, but its weights, limits, outage, reward or feeder changed since the policy was made; retrain or re-plan)`,
      ],
      `scenario '${scenario.name}'`,
    );
  }
}

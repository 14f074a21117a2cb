// The policy runner: load a policy directory (docs/policy.md), check it
// against what it will control, and decide. Both kinds, a learned ONNX
// policy and a `plan` replaying the optimum, sit behind one interface.
//
//   const policy = await loadPolicy("policies/ieee123-5mg", { scenario });  // or no scenario, then:
//   const actor = await policy.agent({ id: "mg2", elements: site.switches });  // refuses on any mismatch
//   const d = await actor.decide(obs, { mask });  // d.actions, d.logits, d.best
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { SWITCH_ACTIONS } from "../encoding/actions.js";
import { loadDocument } from "../documents.js";
import { BlackstartError } from "../errors.js";
import { canonicalElement, unknownNameMessage } from "../names.js";
import type { Scenario } from "../scenario/schema.js";
import { checkAgents, checkBinding, checkScenario, type AgentBinding } from "./check.js";
import { checkMask, checkObservation, decide, type ActionMask, type Decision } from "./decision.js";
import { PolicyErrors } from "./errors.js";
import { PolicyManifest, type PolicyAgent } from "./manifest.js";
import { OnnxActor, type RuntimeOptions } from "./onnx.js";
import { PlanActor, PlanDocument } from "./plan.js";

export type { AgentBinding } from "./check.js";
export type { ActionMask, Decision, ProposedOperation } from "./decision.js";
export type { RuntimeOptions } from "./onnx.js";

export interface LoadOptions extends RuntimeOptions {
  /** Check the directory against this scenario at load (agents, elements, sizes, scenario hash). */
  scenario?: Scenario;
}

export interface DecideOptions {
  /** Actions the caller (the safety shield) allows now, `mask[3k + a]`; no-op is always allowed. */
  mask?: ActionMask;
}

/** One agent's actor, bound and checked. */
export interface AgentPolicy {
  readonly id: string;
  readonly kind: "onnx" | "plan";
  /** Human label: says "plan" for plans, the algorithm for learned policies. */
  readonly label: string;
  readonly elements: readonly string[];
  readonly observationSize: number;
  /** Decide from one observation (for `switch-states`: 1 closed, 0 open, in `elements` order). */
  decide(obs: ArrayLike<number>, options?: DecideOptions): Promise<Decision>;
  /** Forget per-restoration state (plans keep a cursor; learned policies are stateless). */
  reset(): void;
}

export interface Policy {
  readonly dir: string;
  readonly manifest: PolicyManifest;
  readonly kind: "onnx" | "plan";
  readonly label: string;
  /** Check against a scenario; throws BLACKSTART_ERR_POLICY_MISMATCH naming the difference. */
  checkScenario(scenario: Scenario): void;
  /** Check against an environment's agents in order (id, elements, observation size). */
  checkAgents(agents: readonly AgentBinding[]): void;
  /** One agent's actor after checking the caller's binding; its session is created once and reused. */
  agent(binding: AgentBinding): Promise<AgentPolicy>;
  /** Every agent's actor in manifest order (the harness runs them all). */
  agents(): Promise<AgentPolicy[]>;
  close(): Promise<void>;
}

function labelOf(m: PolicyManifest): string {
  return m.kind === "plan"
    ? `plan (replay of the optimum's switching sequence, not a learned policy) for ${m.scenario}`
    : `${m.algorithm} policy (onnx) for ${m.scenario}`;
}

function toFloat32(obs: ArrayLike<number>): Float32Array {
  return obs instanceof Float32Array ? obs : Float32Array.from(obs as ArrayLike<number>);
}

/** Semantic checks the schema cannot express: unique ids, files per kind, plan consistent with the manifest. */
function checkDirectory(dir: string, m: PolicyManifest, lineOf: (p: (string | number)[]) => number | undefined): PlanDocument | undefined {
  const file = `${dir}/manifest.json`;
  const bad = (field: (string | number)[], detail: string): never => {
    const line = lineOf(field);
    throw new BlackstartError(PolicyErrors.INVALID, detail, { file, ...(line !== undefined ? { line } : {}), field: field.map((p) => (typeof p === "number" ? `[${p}]` : p)).join(".").replace(/\.\[/g, "[") });
  };
  const seen = new Set<string>();
  m.agents.forEach((a, i) => {
    if (seen.has(a.id)) bad(["agents", i, "id"], `agent id '${a.id}' appears twice`);
    seen.add(a.id);
    const els = new Set<string>();
    a.elements.forEach((e, k) => {
      const c = canonicalElement(e);
      if (els.has(c)) bad(["agents", i, "elements", k], `element '${e}' appears twice in agent '${a.id}'`);
      els.add(c);
    });
    if (m.kind === "onnx" && !a.onnx) bad(["agents", i], `agent '${a.id}' has no 'onnx' file (kind "onnx")`);
    if (m.kind === "plan" && a.observation_size !== a.elements.length) {
      bad(["agents", i, "observation_size"], `a plan reads switch states only: observation_size must be ${a.elements.length}, not ${a.observation_size}`);
    }
  });
  if (m.kind === "plan" && m.observation.kind !== "switch-states") bad(["observation", "kind"], `a plan reads switch states only: observation kind must be "switch-states"`);
  if (m.kind !== "plan") return undefined;

  const planFile = `${dir}/plan.json`;
  const plan = loadDocument(planFile, PlanDocument);
  const pbad = (field: (string | number)[], detail: string): never => {
    const line = plan.lineOf(field);
    throw new BlackstartError(PolicyErrors.INVALID, detail, { file: planFile, ...(line !== undefined ? { line } : {}), field: field.join(".") });
  };
  if (plan.value.scenario_hash !== m.scenario_hash) pbad(["scenario_hash"], `plan was made for a different scenario than its manifest says (hash ${plan.value.scenario_hash.slice(0, 12)}… vs ${m.scenario_hash.slice(0, 12)}…)`);
  plan.value.steps.forEach((s, i) =>
    s.operations.forEach((op, j) => {
      const agent = m.agents.find((a) => a.id === op.agent);
      if (!agent) return pbad(["steps", i, "operations", j, "agent"], unknownNameMessage("agent", op.agent, m.agents.map((a) => a.id)));
      if (!agent.elements.some((e) => canonicalElement(e) === canonicalElement(op.element))) {
        pbad(["steps", i, "operations", j, "element"], unknownNameMessage(`element of agent '${op.agent}'`, op.element, agent.elements));
      }
    }),
  );
  return plan.value;
}

/** What every agent's actor does alike: its identity from the manifest, and the checks of a decision's inputs. */
abstract class CheckedAgentPolicy implements AgentPolicy {
  abstract readonly kind: "onnx" | "plan";
  constructor(
    protected readonly spec: PolicyAgent,
    readonly label: string,
  ) {}
  get id() {
    return this.spec.id;
  }
  get elements() {
    return this.spec.elements;
  }
  get observationSize() {
    return this.spec.observation_size;
  }
  async decide(obs: ArrayLike<number>, options: DecideOptions = {}): Promise<Decision> {
    checkObservation(obs, this.spec.observation_size, this.spec.id);
    checkMask(options.mask, this.spec.elements.length, this.spec.id);
    return this.act(obs, options.mask);
  }
  protected abstract act(obs: ArrayLike<number>, mask: DecideOptions["mask"]): Promise<Decision>;
  abstract reset(): void;
}

class OnnxAgentPolicy extends CheckedAgentPolicy {
  readonly kind = "onnx" as const;
  constructor(
    private readonly actor: OnnxActor,
    spec: PolicyAgent,
    label: string,
  ) {
    super(spec, label);
  }
  protected async act(obs: ArrayLike<number>, mask: DecideOptions["mask"]): Promise<Decision> {
    const logits = await this.actor.logitsBatch(toFloat32(obs), 1);
    return decide("onnx", this.spec.id, this.spec.elements, logits, mask);
  }
  reset(): void {}
  release(): Promise<void> {
    return this.actor.close();
  }
}

class PlanAgentPolicy extends CheckedAgentPolicy {
  readonly kind = "plan" as const;
  constructor(
    private readonly actor: PlanActor,
    spec: PolicyAgent,
    label: string,
  ) {
    super(spec, label);
  }
  protected async act(obs: ArrayLike<number>, mask: DecideOptions["mask"]): Promise<Decision> {
    return this.actor.decide(obs, mask);
  }
  reset(): void {
    this.actor.reset();
  }
}

class LoadedPolicy implements Policy {
  private readonly actors = new Map<string, Promise<AgentPolicy>>();
  readonly kind: "onnx" | "plan";
  readonly label: string;

  constructor(
    readonly dir: string,
    readonly manifest: PolicyManifest,
    private readonly plan: PlanDocument | undefined,
    private readonly runtime: RuntimeOptions,
  ) {
    this.kind = manifest.kind;
    this.label = labelOf(manifest);
  }

  checkScenario(scenario: Scenario): void {
    checkScenario(this.manifest, this.dir, scenario);
  }

  checkAgents(agents: readonly AgentBinding[]): void {
    checkAgents(this.manifest, this.dir, agents, "environment");
  }

  agent(binding: AgentBinding): Promise<AgentPolicy> {
    const spec = checkBinding(this.manifest, this.dir, binding);
    let p = this.actors.get(spec.id);
    if (!p) {
      p = this.open(spec);
      // A failed open is not cached: the caller may fix the file and retry.
      p.catch(() => this.actors.delete(spec.id));
      this.actors.set(spec.id, p);
    }
    return p;
  }

  agents(): Promise<AgentPolicy[]> {
    return Promise.all(this.manifest.agents.map((a) => this.agent({ id: a.id, elements: a.elements, observationSize: a.observation_size })));
  }

  private async open(spec: PolicyAgent): Promise<AgentPolicy> {
    if (this.kind === "plan") return new PlanAgentPolicy(new PlanActor(this.plan!, spec.id, spec.elements), spec, this.label);
    return new OnnxAgentPolicy(await OnnxActor.open(this.dir, spec, this.runtime), spec, this.label);
  }

  async close(): Promise<void> {
    const all = await Promise.allSettled(this.actors.values());
    this.actors.clear();
    for (const r of all) if (r.status === "fulfilled" && r.value instanceof OnnxAgentPolicy) await r.value.release();
  }
}

/** Load and validate a policy directory; with `scenario`, also check it against that scenario. */
export async function loadPolicy(dir: string, options: LoadOptions = {}): Promise<Policy> {
  const abs = resolve(dir);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) {
    throw new BlackstartError(PolicyErrors.INVALID, `policy directory not found`, { file: dir });
  }
  const doc = loadDocument(`${dir}/manifest.json`, PolicyManifest);
  const plan = checkDirectory(dir, doc.value, doc.lineOf);
  const { scenario, ...runtime } = options;
  const policy = new LoadedPolicy(dir, doc.value, plan, runtime);
  if (scenario) policy.checkScenario(scenario);
  return policy;
}

/** `close Line.L45` — how operations are written in logs and journals. */
export function operationText(action: number, element: string): string {
  return `${SWITCH_ACTIONS[action] ?? "?"} ${element}`;
}

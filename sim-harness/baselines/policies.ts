// Baseline policies run in the environment: greedy sequential switching,
// uniform random, a replay of a switching sequence, and a policy directory
// (learned ONNX actors or a plan) through the shared policy runner.
import { loadPolicy, type AgentPolicy } from "../../shared/policy/runner.js";
import type { ObservationKind } from "../../shared/policy/manifest.js";
import { canonicalElement } from "../../shared/names.js";
import { Rng } from "../scenarios/rng.js";
import type { RestorationEnv } from "../env/env.js";
import type { ResetResult } from "../env/types.js";
import type { SequenceStep } from "./sequence.js";

export interface EnvPolicy {
  readonly name: string;
  /** Observation kind the policy reads (the environment is built with it). */
  readonly observation: ObservationKind;
  /** Called after each reset with its result. */
  begin(env: RestorationEnv, reset: ResetResult, seed: number): void;
  act(env: RestorationEnv, obs: readonly Float32Array[]): Promise<Int32Array[]>;
  close?(): Promise<void>;
}

const NOOP = 2;

/** Each switch independently close / open / no-op with probability 1/3 (seeded per episode). */
export class RandomPolicy implements EnvPolicy {
  readonly name = "random";
  readonly observation = "switch-states" as const;
  private rng = new Rng(0);

  begin(_env: RestorationEnv, _r: ResetResult, seed: number): void {
    this.rng = new Rng((seed ^ 0x5bd1e995) >>> 0);
  }

  async act(env: RestorationEnv): Promise<Int32Array[]> {
    return env.agentSwitches.map((sw) => Int32Array.from(sw, () => this.rng.int(0, 2)));
  }
}

/**
 * Greedy sequential switching: each step, agent after agent, each agent closes
 * the one switch that picks up the most weighted load among the closes its
 * deployed shield allows on the state at the start of the step (as agents in
 * the field decide together), which also keep the cap, its island's rating
 * and radiality as seen after the agents before it (checked on the section
 * graph with the kW the last solve measured, nominal for dead sections; never
 * onto a live island). In physics mode each candidate is also solved by the
 * power flow (on a copy) and taken only without a violation. It never opens a
 * switch.
 */
export class GreedyPolicy implements EnvPolicy {
  readonly name = "greedy";
  readonly observation = "switch-states" as const;
  /** Candidates tried by power flow per agent and step (physics mode). */
  readonly lookahead: number;

  constructor(options: { lookahead?: number } = {}) {
    this.lookahead = options.lookahead ?? 4;
  }

  begin(): void {}

  async act(env: RestorationEnv): Promise<Int32Array[]> {
    const scratch = env.energy.clone();
    let restored = env.lastRestoredKw;
    const sectionKw = env.sectionKwEstimate();
    const sectionWeighted = env.sectionWeightedEstimate();
    const physics = env.bound.scenario.mode === "physics";
    const shield = env.shieldActionMask();
    // Each close picks up a part dead at the start of the step, a different one per close:
    // what each agent's shield counts is then what its close energizes.
    const pre = env.energy;
    const deadPart = (k: number): number => {
      const a = pre.islandOf(pre.ends[2 * k]!);
      const b = pre.islandOf(pre.ends[2 * k + 1]!);
      const isl = pre.islands();
      return isl[a]!.energized === isl[b]!.energized ? -1 : isl[a]!.energized ? b : a;
    };
    const used = new Set<number>();
    return env.agentSwitches.map((sw, i) => {
      const out = new Int32Array(sw.length).fill(NOOP);
      const candidates: { j: number; gain: number }[] = [];
      sw.forEach((k, j) => {
        if (scratch.closed[k] || !shield[i]![3 * j] || deadPart(k) < 0 || used.has(deadPart(k))) return;
        if (!env.closeKeepsLimitsOn(scratch, k, restored, sectionKw)) return;
        const gainKw = scratch.pickupKw(k, sectionKw);
        if (gainKw > 0) candidates.push({ j, gain: scratch.pickupKw(k, sectionWeighted) + 1e-6 * gainKw });
      });
      candidates.sort((a, b) => b.gain - a.gain);
      for (const c of candidates.slice(0, physics ? this.lookahead : 1)) {
        const k = sw[c.j]!;
        if (physics) {
          const trial = scratch.closed.slice();
          trial[k] = 1;
          if (env.probe(trial, "current").violations.length > 0) continue;
        }
        restored += scratch.pickupKw(k, sectionKw);
        scratch.set(k, true);
        used.add(deadPart(k));
        out[c.j] = 0;
        break;
      }
      return out;
    });
  }
}

/** Replays a switching sequence step by step, then holds. */
export class SequencePolicy implements EnvPolicy {
  readonly name: string;
  readonly observation = "switch-states" as const;
  private readonly steps: readonly SequenceStep[];
  private cursor = 0;

  constructor(steps: readonly SequenceStep[], name = "optimum") {
    this.steps = steps;
    this.name = name;
  }

  begin(): void {
    this.cursor = 0;
  }

  async act(env: RestorationEnv): Promise<Int32Array[]> {
    const out = env.agentSwitches.map((sw) => new Int32Array(sw.length).fill(NOOP));
    const step = this.steps[this.cursor++];
    if (!step) return out;
    for (const op of step.operations) {
      const i = env.agents.findIndex((a) => a.id === op.agent);
      const j = env.agents[i]?.elements.findIndex((e) => canonicalElement(e) === canonicalElement(op.element)) ?? -1;
      if (i >= 0 && j >= 0) out[i]![j] = op.action === "close" ? 0 : 1;
    }
    return out;
  }
}

/** A policy directory (trainer output or a plan), through the shared runner, with the environment's mask. */
export class DirectoryPolicy implements EnvPolicy {
  readonly name: string;
  readonly observation: ObservationKind;
  private readonly actors: AgentPolicy[];
  private readonly closeFn: () => Promise<void>;

  private constructor(name: string, observation: ObservationKind, actors: AgentPolicy[], close: () => Promise<void>) {
    this.name = name;
    this.observation = observation;
    this.actors = actors;
    this.closeFn = close;
  }

  static async open(dir: string, env: Pick<RestorationEnv, "bound" | "agents">): Promise<DirectoryPolicy> {
    const policy = await loadPolicy(dir, { scenario: env.bound.scenario, intraOpThreads: 1, interOpThreads: 1 });
    const actors = await policy.agents();
    return new DirectoryPolicy(policy.label, policy.manifest.observation.kind, actors, () => policy.close());
  }

  /** Check against the environment it will run in (ids, elements, observation sizes). */
  bind(env: RestorationEnv): void {
    env.agents.forEach((a, i) => {
      const actor = this.actors[i];
      if (!actor || actor.id !== a.id || actor.observationSize !== a.observationSize) {
        throw new Error(`policy ${this.name}: agent ${i} is ${actor?.id ?? "missing"} (obs ${actor?.observationSize}), the environment has ${a.id} (obs ${a.observationSize})`);
      }
    });
  }

  begin(): void {
    for (const a of this.actors) a.reset();
  }

  async act(env: RestorationEnv, obs: readonly Float32Array[]): Promise<Int32Array[]> {
    const masks = env.actionMask();
    const decisions = await Promise.all(this.actors.map((a, i) => a.decide(obs[i]!, { mask: masks[i]! })));
    return decisions.map((d) => d.actions);
  }

  close(): Promise<void> {
    return this.closeFn();
  }
}

// N environments of one scenario stepped together (types.ts: VectorEnv).
// Each has its own copy of the circuit (Grid.clone), so they never share
// state; they run one after another in this thread (the machine's cores are
// better spent on several trainer processes than on threads here).
import { BlackstartError } from "../../shared/errors.js";
import { ScenarioErrors } from "../scenarios/errors.js";
import type { RestorationEnv } from "./env.js";
import type { AgentSpec, ResetResult, StepResult, VectorEnv } from "./types.js";

export interface VectorOptions {
  /** Reset an environment automatically on the step after it ended. */
  autoReset?: boolean;
  /** Seed of environment e's first episode is baseSeed + e; later episodes continue by `size`. */
  baseSeed?: number;
}

export class RestorationVectorEnv implements VectorEnv {
  readonly envs: RestorationEnv[];
  readonly size: number;
  readonly scenarioName: string;
  readonly agents: readonly AgentSpec[];
  readonly stateSize: number;
  readonly episodeLength: number;
  private readonly autoReset: boolean;
  private readonly nextSeed: number[];
  private readonly done: boolean[];

  constructor(first: RestorationEnv, size: number, options: VectorOptions = {}) {
    if (!Number.isInteger(size) || size < 1) throw new BlackstartError(ScenarioErrors.ACTIONS, `vector size must be a positive integer, got ${size}`);
    this.envs = [first, ...Array.from({ length: size - 1 }, () => first.clone())];
    this.size = size;
    this.scenarioName = first.scenarioName;
    this.agents = first.agents;
    this.stateSize = first.stateSize;
    this.episodeLength = first.episodeLength;
    this.autoReset = options.autoReset ?? false;
    const base = options.baseSeed ?? 0;
    this.nextSeed = this.envs.map((_, e) => base + e);
    this.done = this.envs.map(() => false);
  }

  reset(seeds?: readonly number[]): ResetResult[] {
    if (seeds && seeds.length !== this.size) throw new BlackstartError(ScenarioErrors.ACTIONS, `expected ${this.size} seeds, got ${seeds.length}`);
    return this.envs.map((env, e) => {
      const seed = seeds?.[e] ?? this.takeSeed(e);
      this.done[e] = false;
      return env.reset(seed);
    });
  }

  step(actions: readonly (readonly (Int32Array | readonly number[])[])[]): StepResult[] {
    if (actions.length !== this.size) throw new BlackstartError(ScenarioErrors.ACTIONS, `expected actions for ${this.size} environments, got ${actions.length}`);
    return this.envs.map((env, e) => {
      if (this.done[e] && this.autoReset) {
        this.done[e] = false;
        const r = env.reset(this.takeSeed(e));
        return { ...r, rewards: this.agents.map(() => 0), teamReward: 0, done: false };
      }
      const r = env.step(actions[e]!);
      this.done[e] = r.done;
      return r;
    });
  }

  actionMask(): Uint8Array[][] {
    return this.envs.map((env) => env.actionMask());
  }

  private takeSeed(e: number): number {
    const s = this.nextSeed[e]!;
    this.nextSeed[e] = s + this.size;
    return s;
  }
}

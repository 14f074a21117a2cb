// The paper's action encoding and step semantics, as an adapter over our
// environment, used to test parity with their public environment
// (../shared/paper/README.md). Not our environment's design:
//   - per agent 3n flags [close_1..n, open_1..n, noop_1..n]; any set no-op
//     flag makes the whole agent do nothing this step;
//   - agent by agent, switch by switch, close before open; if both flags of a
//     switch are set it ends open;
//   - the circuit is solved after every single operation (taps can move in
//     between), then once more for the reward;
//   - the reward baseline of the first step is the weighted load of the
//     freshly compiled, all-closed feeder (scenario `parity.reward_baseline`).
import { BlackstartError } from "../../shared/errors.js";
import { ScenarioErrors } from "../scenarios/errors.js";
import type { Operation, RestorationEnv } from "./env.js";
import type { ResetResult, StepResult } from "./types.js";

/** Flags of one agent: close_1..n, open_1..n, noop_1..n (truthy = set). */
export type PaperFlags = ArrayLike<number | boolean>;

/** Our operations for one step of the paper's flags. */
export function paperFlagsToOperations(env: Pick<RestorationEnv, "agentSwitches">, flags: readonly PaperFlags[]): Operation[] {
  const ops: Operation[] = [];
  if (flags.length !== env.agentSwitches.length) {
    throw new BlackstartError(ScenarioErrors.ACTIONS, `expected flags for ${env.agentSwitches.length} agents, got ${flags.length}`);
  }
  flags.forEach((f, i) => {
    const sw = env.agentSwitches[i]!;
    const n = sw.length;
    if (f.length !== 3 * n) throw new BlackstartError(ScenarioErrors.ACTIONS, `agent ${i} has ${n} switches: expected ${3 * n} flags, got ${f.length}`);
    for (let j = 0; j < n; j++) if (f[2 * n + j]) return; // any no-op flag idles the agent
    for (let j = 0; j < n; j++) {
      if (f[j]) ops.push({ k: sw[j]!, closed: true });
      if (f[n + j]) ops.push({ k: sw[j]!, closed: false });
    }
  });
  return ops;
}

/**
 * Our 3-way actions as the paper's flags: a close or open sets that switch's
 * flag; a no-op sets nothing (a set no-op flag would idle the whole agent),
 * except that an agent doing nothing at all raises its first no-op flag.
 */
export function actionsToPaperFlags(actions: readonly (ArrayLike<number>)[]): Uint8Array[] {
  return actions.map((a) => {
    const n = a.length;
    const f = new Uint8Array(3 * n);
    let any = false;
    for (let j = 0; j < n; j++) {
      if (a[j] === 0) f[j] = 1;
      else if (a[j] === 1) f[n + j] = 1;
      else continue;
      any = true;
    }
    if (!any && n > 0) f[2 * n] = 1;
    return f;
  });
}

/** The paper's environment semantics over one of ours. */
export class PaperParityEnv {
  readonly env: RestorationEnv;

  /** Wraps a copy of `env` whose first reward is measured from the compiled, all-closed feeder. */
  constructor(env: RestorationEnv) {
    this.env = env.clone({ rewardBaseline: "compiled-all-closed" });
  }

  reset(seed?: number): ResetResult {
    return this.env.reset(seed);
  }

  step(flags: readonly PaperFlags[]): StepResult {
    return this.env.applyAndSolve(paperFlagsToOperations(this.env, flags), true);
  }
}

// One training iteration on a rollout, following HARL's runners:
// on_policy_ha_runner.train (HAPPO) and on_policy_ma_runner.train (MAPPO,
// and IPPO with a critic per agent). Advantages from GAE on denormalised
// values, standardised; actors updated (sequentially with the ratio factor for
// HAPPO); then the critic(s).
import { ALGORITHMS, type TrainConfig } from "../config.js";
import type { Rollout } from "../rollout/types.js";
import type { Rng } from "../util/rng.js";
import { gaeReturns, standardize } from "./gae.js";
import type { Actor, ActorStats, Critic } from "./networks.js";

export interface UpdateStats {
  order: number[];
  actors: ActorStats[];
  valueLoss: number;
  criticGradNorm: number;
  /** Mean over the batch of the product of all agents' new/old ratios after the actor updates (HAPPO; 1 otherwise). */
  factorMean: number;
}

/** Rows `idx` of a row-major matrix with `width` columns. */
export function gatherRows<T extends Float32Array | Int32Array>(src: T, width: number, idx: readonly number[]): T {
  const out = new (src.constructor as new (n: number) => T)(idx.length * width);
  idx.forEach((r, i) => out.set(src.subarray(r * width, (r + 1) * width), i * width));
  return out;
}

function minibatches(rng: Rng, rows: number, count: number): number[][] {
  const perm = rng.permutation(rows);
  const size = Math.floor(rows / count);
  return Array.from({ length: count }, (_, i) => perm.slice(i * size, (i + 1) * size));
}

/** Returns and normalised value predictions per critic (one for centralized, one per agent for local). */
function criticTargets(r: Rollout, critics: Critic[], central: boolean, gamma: number, lambda: number) {
  const rowsAll = (r.T + 1) * r.E;
  return critics.map((c, i) => {
    const inputs = central ? r.state : r.obs[i]!;
    const values = c.values(rowsAll, inputs);
    const returns = gaeReturns({ T: r.T, E: r.E, rewards: central ? r.teamRewards : r.rewards[i]!, values: c.norm.denormalize(values), dones: r.dones, gamma, lambda });
    return { inputs, values, returns };
  });
}

export function trainIteration(cfg: TrainConfig, gamma: number, r: Rollout, actors: Actor[], critics: Critic[], rng: Rng): UpdateStats {
  const traits = ALGORITHMS[cfg.algo];
  const central = traits.critic === "centralized";
  const N = r.T * r.E;
  const targets = criticTargets(r, critics, central, gamma, cfg.gae_lambda);

  // Advantages: returns minus denormalised predictions, standardised over the batch.
  const advantages = targets.map((t, i) => {
    const denorm = critics[i]!.norm.denormalize(t.values.subarray(0, N));
    const adv = new Float32Array(N);
    for (let k = 0; k < N; k++) adv[k] = t.returns[k]! - denorm[k]!;
    return standardize(adv);
  });

  const order = traits.sequential ? rng.permutation(actors.length) : actors.map((_, i) => i);
  let factor = new Float32Array(N).fill(1);
  const actorStats: ActorStats[] = new Array(actors.length);
  for (const i of order) {
    const actor = actors[i]!;
    const width = actor.elements * 3;
    const obs = r.obs[i]!.subarray(0, N * actor.obsSize);
    const avail = r.avail?.[i]!.subarray(0, N * width);
    const actions = r.actions[i]!;
    const adv = advantages[central ? 0 : i]!;
    const before = traits.sequential ? actor.evaluate(N, obs, actions, avail) : undefined;
    const sum = { policyLoss: 0, entropy: 0, gradNorm: 0, ratio: 0 };
    for (let epoch = 0; epoch < cfg.ppo_epochs; epoch++) {
      for (const idx of minibatches(rng, N, cfg.actor_minibatches)) {
        const s = actor.update(
          {
            rows: idx.length,
            obs: gatherRows(obs, actor.obsSize, idx),
            actions: gatherRows(actions, actor.elements, idx),
            avail: avail ? gatherRows(avail, width, idx) : undefined,
            oldLogp: gatherRows(r.logp[i]!, 1, idx),
            adv: gatherRows(adv, 1, idx),
            factor: gatherRows(factor, 1, idx),
          },
          cfg.clip,
          cfg.entropy_coef,
          cfg.max_grad_norm,
        );
        sum.policyLoss += s.policyLoss;
        sum.entropy += s.entropy;
        sum.gradNorm += s.gradNorm;
        sum.ratio += s.ratio;
      }
    }
    const updates = cfg.ppo_epochs * cfg.actor_minibatches;
    actorStats[i] = { policyLoss: sum.policyLoss / updates, entropy: sum.entropy / updates, gradNorm: sum.gradNorm / updates, ratio: sum.ratio / updates };
    if (before) {
      // The next agent's surrogate is weighted by this agent's new/old probability ratio.
      const after = actor.evaluate(N, obs, actions, avail);
      const next = new Float32Array(N);
      for (let k = 0; k < N; k++) next[k] = factor[k]! * Math.exp(after[k]! - before[k]!);
      factor = next;
    }
  }

  let valueLoss = 0;
  let criticGradNorm = 0;
  critics.forEach((c, ci) => {
    const t = targets[ci]!;
    for (let epoch = 0; epoch < cfg.critic_epochs; epoch++) {
      for (const idx of minibatches(rng, N, cfg.critic_minibatches)) {
        const s = c.update(
          { rows: idx.length, inputs: gatherRows(t.inputs, c.inputSize, idx), oldValues: gatherRows(t.values, 1, idx), returns: gatherRows(t.returns, 1, idx) },
          {
            clip: cfg.clip,
            huberDelta: cfg.huber_delta,
            clipped: cfg.use_clipped_value_loss,
            useHuber: cfg.use_huber_loss,
            valueLossCoef: cfg.value_loss_coef,
            maxGradNorm: cfg.max_grad_norm,
          },
        );
        valueLoss += s.valueLoss;
        criticGradNorm += s.gradNorm;
      }
    }
  });
  const critUpdates = cfg.critic_epochs * cfg.critic_minibatches * critics.length;
  let factorSum = 0;
  for (let k = 0; k < N; k++) factorSum += factor[k]!;
  return { order, actors: actorStats, valueLoss: valueLoss / critUpdates, criticGradNorm: criticGradNorm / critUpdates, factorMean: factorSum / N };
}

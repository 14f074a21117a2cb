// Training configuration: HARL's HAPPO defaults (harl/configs/algos_cfgs/happo.yaml)
// where they apply, the paper's gamma 0.95, and our rollout sizes. MAPPO and
// IPPO are the same code with two switches (ALGORITHMS), not copies.
import { z } from "zod";

export const Algorithm = z.enum(["happo", "mappo", "ippo"]);
export type Algorithm = z.infer<typeof Algorithm>;

/** What distinguishes the three algorithms. */
export interface AlgorithmTraits {
  /** Actors updated one after another in a fresh random order, each weighting its surrogate by the previous agents' new/old ratio product (HAPPO). */
  sequential: boolean;
  /** One critic on the global state (HAPPO, MAPPO) or one critic per agent on its own observation (IPPO). */
  critic: "centralized" | "local";
}

export const ALGORITHMS: Record<Algorithm, AlgorithmTraits> = {
  happo: { sequential: true, critic: "centralized" },
  mappo: { sequential: false, critic: "centralized" },
  ippo: { sequential: false, critic: "local" },
};

export const TrainConfig = z
  .object({
    algo: Algorithm.default("happo"),
    seed: z.number().int().default(1),
    /** Parallel environments (HARL's n_rollout_threads). */
    envs: z.number().int().positive().default(16),
    /** Steps per environment per iteration; each iteration starts every environment from a reset. 0 = the scenario's episode length. */
    rollout_length: z.number().int().nonnegative().default(0),
    /** Total environment steps (summed over environments). */
    total_steps: z.number().int().positive().default(200_000),
    /** Rollout worker threads (0 = step the environments on the main thread). */
    workers: z.number().int().nonnegative().default(0),
    model: z
      .object({
        hidden: z.array(z.number().int().positive()).min(1).default([128, 128]),
        activation: z.enum(["relu", "tanh"]).default("relu"),
        /** LayerNorm after each hidden activation, as HARL's MLPLayer; never on the raw input (it would map every constant switch vector to one output). */
        hidden_layer_norm: z.boolean().default(true),
        /** Output-layer gain of the actors (HARL: 0.01). */
        actor_gain: z.number().positive().default(0.01),
      })
      .strict()
      .default({ hidden: [128, 128], activation: "relu", hidden_layer_norm: true, actor_gain: 0.01 }),
    lr: z.number().positive().default(5e-4),
    critic_lr: z.number().positive().default(5e-4),
    adam_eps: z.number().positive().default(1e-5),
    ppo_epochs: z.number().int().positive().default(5),
    critic_epochs: z.number().int().positive().default(5),
    actor_minibatches: z.number().int().positive().default(1),
    critic_minibatches: z.number().int().positive().default(1),
    clip: z.number().positive().default(0.2),
    entropy_coef: z.number().nonnegative().default(0.01),
    value_loss_coef: z.number().positive().default(1),
    max_grad_norm: z.number().positive().default(10),
    /** Discount; default the scenario's (the paper's 0.95). */
    gamma: z.number().min(0).max(1).optional(),
    gae_lambda: z.number().min(0).max(1).default(0.95),
    huber_delta: z.number().positive().default(10),
    use_value_norm: z.boolean().default(true),
    use_clipped_value_loss: z.boolean().default(true),
    use_huber_loss: z.boolean().default(true),
    /** Linear learning-rate decay to 0 over the run (HARL: off). */
    linear_lr_decay: z.boolean().default(false),
    /** Train with the run-time safety shield's action mask on (as deployed), or with the paper's penalties only. */
    shield_mask: z.boolean().default(true),
    /**
     * Which rules the environment's mask applies: `shield` (the edge agent's
     * own rules, as deployed) or `limits` (cap, island ratings and radiality
     * on the section graph). Also used for the shielded evaluation.
     */
    mask_rules: z.enum(["shield", "limits"]).default("shield"),
    /** Reward units taken off per switching operation during training (0 = the paper's reward; trainer/rollout/collector.ts). */
    operation_cost: z.number().nonnegative().default(0),
    /** Reward units taken off a step that exceeds the generation cap, on top of the scenario's penalty (0 = the paper's reward). */
    breach_cost: z.number().nonnegative().default(0),
    /** Probability of starting an episode from a random partially-restored state (overrides the scenario's reset). */
    random_reset_probability: z.number().min(0).max(1).optional(),
    /** Iterations between deterministic evaluations (0 = only at the end). */
    eval_every: z.number().int().nonnegative().default(10),
    /** Iterations between checkpoints (0 = only at the end). */
    checkpoint_every: z.number().int().nonnegative().default(25),
  })
  .strict();
export type TrainConfig = z.infer<typeof TrainConfig>;
export type TrainConfigInput = z.input<typeof TrainConfig>;

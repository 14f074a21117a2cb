// The loss terms of HAPPO (and MAPPO/IPPO, which share them), in tfjs, as
// PKU-MARL's HARL defines them. One categorical head of three (close, open,
// no-op) per switch; a joint action's log-probability is the sum over heads,
// so the probability ratio is the product of the heads' ratios (HARL's
// `action_aggregation: prod`); entropy is the mean of the heads' entropies.
import type * as TF from "@tensorflow/tfjs";
import { tf } from "../model/tf.js";

/** Logit of an action the shield does not allow (HARL's Categorical uses -1e10). */
export const MASKED_LOGIT = -1e10;

/** Replace unavailable actions' logits with -1e10. `avail` is 0/1, same shape. */
export function maskLogits(logits: TF.Tensor2D, avail?: TF.Tensor2D): TF.Tensor2D {
  if (!avail) return logits;
  return tf.where(tf.greater(avail, 0.5), logits, tf.fill(logits.shape, MASKED_LOGIT)) as TF.Tensor2D;
}

/** Joint log-probability of `actions` ([B, n] int32) and the mean per-head entropy, from logits [B, 3n]. */
export function multiCategorical(logits: TF.Tensor2D, actions: TF.Tensor2D): { logp: TF.Tensor1D; entropy: TF.Scalar } {
  const [b, width] = logits.shape;
  const n = width / 3;
  const lp = tf.logSoftmax(tf.reshape(logits, [b, n, 3]));
  const onehot = tf.oneHot(tf.cast(actions, "int32") as TF.Tensor2D, 3);
  const logp = tf.sum(tf.mul(lp, onehot), [1, 2]) as TF.Tensor1D;
  const entropy = tf.mean(tf.neg(tf.sum(tf.mul(tf.exp(lp), lp), 2))) as TF.Scalar;
  return { logp, entropy };
}

/**
 * HAPPO's clipped surrogate for one agent:
 *   ratio = exp(logp - oldLogp)
 *   loss  = -mean( factor * min(ratio * A, clip(ratio, 1 - eps, 1 + eps) * A) )
 * `factor` is the product of the new/old probability ratios of the agents
 * updated before this one in this iteration (all ones for MAPPO and IPPO).
 */
export function clippedSurrogate(logp: TF.Tensor1D, oldLogp: TF.Tensor1D, adv: TF.Tensor1D, factor: TF.Tensor1D, clip: number): { loss: TF.Scalar; ratio: TF.Tensor1D } {
  const ratio = tf.exp(tf.sub(logp, oldLogp)) as TF.Tensor1D;
  const surr1 = tf.mul(ratio, adv);
  const surr2 = tf.mul(tf.clipByValue(ratio, 1 - clip, 1 + clip), adv);
  const loss = tf.neg(tf.mean(tf.mul(factor, tf.minimum(surr1, surr2)))) as TF.Scalar;
  return { loss, ratio };
}

/**
 * Huber loss, elementwise: e^2/2 inside |e| <= delta, delta(|e| - delta/2)
 * outside; written as q^2/2 + delta(|e| - q) with q = min(|e|, delta) so it
 * differentiates without a comparison op (tfjs has no gradient for those).
 */
export function huber(e: TF.Tensor, delta: number): TF.Tensor {
  const a = tf.abs(e);
  const q = tf.minimum(a, delta);
  return tf.add(tf.div(tf.square(q), 2), tf.mul(delta, tf.sub(a, q)));
}

export interface ValueLossOptions {
  clip: number;
  huberDelta: number;
  /** HARL's use_clipped_value_loss (default true). */
  clipped: boolean;
  /** HARL's use_huber_loss (default true); squared error / 2 otherwise. */
  useHuber: boolean;
}

/**
 * The critic's loss on normalised targets:
 *   clippedV = oldV + clip(V - oldV, -eps, eps)
 *   loss = mean( max( L(target - V), L(target - clippedV) ) )
 */
export function valueLoss(values: TF.Tensor1D, oldValues: TF.Tensor1D, targets: TF.Tensor1D, o: ValueLossOptions): TF.Scalar {
  const lossOf = (e: TF.Tensor) => (o.useHuber ? huber(e, o.huberDelta) : tf.div(tf.square(e), 2));
  const original = lossOf(tf.sub(targets, values));
  if (!o.clipped) return tf.mean(original) as TF.Scalar;
  const clippedV = tf.add(oldValues, tf.clipByValue(tf.sub(values, oldValues), -o.clip, o.clip));
  const clippedL = lossOf(tf.sub(targets, clippedV));
  return tf.mean(tf.maximum(original, clippedL)) as TF.Scalar;
}

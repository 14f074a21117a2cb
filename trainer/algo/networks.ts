// An actor (one per agent, its own sizes, no padding) and a critic, each a
// tfjs MLP with its own Adam; one gradient step per minibatch with global
// gradient-norm clipping, as HARL's HAPPO.update and VCritic.update.
import type * as TF from "@tensorflow/tfjs";
import { tf } from "../model/tf.js";
import { TfMlp } from "../model/tf-mlp.js";
import type { MlpParams } from "../model/mlp.js";
import { Adam, clipGradNorm } from "./adam.js";
import { clippedSurrogate, maskLogits, multiCategorical, valueLoss, type ValueLossOptions } from "./losses.js";
import { NoValueNorm, ValueNorm } from "./valuenorm.js";

export interface ActorMinibatch {
  rows: number;
  obs: Float32Array;
  actions: Int32Array;
  /** 0/1 per action, [rows * 3n], or undefined when training without the shield mask. */
  avail: Float32Array | undefined;
  oldLogp: Float32Array;
  adv: Float32Array;
  factor: Float32Array;
}

export interface ActorStats {
  policyLoss: number;
  entropy: number;
  gradNorm: number;
  ratio: number;
}

export class Actor {
  readonly net: TfMlp;
  readonly adam: Adam;
  readonly elements: number;
  readonly obsSize: number;

  constructor(
    params: MlpParams,
    lr: number,
    eps: number,
    readonly id: string,
  ) {
    this.net = new TfMlp(params, `actor-${id}`);
    this.adam = new Adam(this.net.vars, lr, eps);
    this.elements = params.head.outSize / 3;
    this.obsSize = params.inputSize;
  }

  private logits(obs: TF.Tensor2D, avail: TF.Tensor2D | undefined): TF.Tensor2D {
    return maskLogits(this.net.apply(obs), avail);
  }

  /** Joint log-probabilities of the given actions under the current actor (no gradient). */
  evaluate(rows: number, obs: Float32Array, actions: Int32Array, avail: Float32Array | undefined): Float32Array {
    return tf.tidy(() => {
      const a = avail ? tf.tensor2d(avail, [rows, this.elements * 3]) : undefined;
      const { logp } = multiCategorical(this.logits(tf.tensor2d(obs, [rows, this.obsSize]), a), tf.tensor2d(actions, [rows, this.elements], "int32"));
      return new Float32Array(logp.dataSync() as Float32Array);
    });
  }

  /** One clipped-surrogate gradient step with entropy bonus. */
  update(mb: ActorMinibatch, clip: number, entropyCoef: number, maxGradNorm: number): ActorStats {
    return tf.tidy(() => {
      const obs = tf.tensor2d(mb.obs, [mb.rows, this.obsSize]);
      const avail = mb.avail ? tf.tensor2d(mb.avail, [mb.rows, this.elements * 3]) : undefined;
      const actions = tf.tensor2d(mb.actions, [mb.rows, this.elements], "int32");
      const oldLogp = tf.tensor1d(mb.oldLogp);
      const adv = tf.tensor1d(mb.adv);
      const factor = tf.tensor1d(mb.factor);
      let stats = { policyLoss: 0, entropy: 0, ratio: 0 };
      const { grads } = tf.variableGrads(() => {
        const { logp, entropy } = multiCategorical(this.logits(obs, avail), actions);
        const { loss, ratio } = clippedSurrogate(logp, oldLogp, adv, factor, clip);
        stats = { policyLoss: loss.dataSync()[0]!, entropy: entropy.dataSync()[0]!, ratio: tf.mean(ratio).dataSync()[0]! };
        return tf.sub(loss, tf.mul(entropy, entropyCoef)) as TF.Scalar;
      }, this.net.vars);
      const g = this.net.vars.map((v) => new Float32Array(grads[v.name]!.dataSync() as Float32Array));
      const gradNorm = clipGradNorm(g, maxGradNorm);
      this.adam.apply(g);
      return { ...stats, gradNorm };
    });
  }

  dispose(): void {
    this.net.dispose();
    this.adam.dispose();
  }
}

export interface CriticMinibatch {
  rows: number;
  inputs: Float32Array;
  /** Normalised value predictions made during the rollout. */
  oldValues: Float32Array;
  /** Returns, denormalised (the ValueNorm is updated with them, then they are normalised). */
  returns: Float32Array;
}

export class Critic {
  readonly net: TfMlp;
  readonly adam: Adam;
  readonly norm: ValueNorm;
  readonly inputSize: number;

  constructor(
    params: MlpParams,
    lr: number,
    eps: number,
    useValueNorm: boolean,
    readonly id: string,
  ) {
    this.inputSize = params.inputSize;
    this.net = new TfMlp(params, `critic-${id}`);
    this.adam = new Adam(this.net.vars, lr, eps);
    this.norm = useValueNorm ? new ValueNorm() : new NoValueNorm();
  }

  /** Normalised value predictions for `rows` inputs. */
  values(rows: number, inputs: Float32Array): Float32Array {
    return tf.tidy(() => new Float32Array(tf.reshape(this.net.apply(tf.tensor2d(inputs, [rows, this.inputSize])), [rows]).dataSync() as Float32Array));
  }

  update(mb: CriticMinibatch, o: ValueLossOptions & { valueLossCoef: number; maxGradNorm: number }): { valueLoss: number; gradNorm: number } {
    // HARL updates the normaliser with each minibatch's returns before normalising them.
    this.norm.update(mb.returns);
    const targets = this.norm.normalize(mb.returns);
    return tf.tidy(() => {
      const x = tf.tensor2d(mb.inputs, [mb.rows, this.inputSize]);
      const old = tf.tensor1d(mb.oldValues);
      const tgt = tf.tensor1d(targets);
      let lossValue = 0;
      const { grads } = tf.variableGrads(() => {
        const v = tf.reshape(this.net.apply(x), [mb.rows]) as TF.Tensor1D;
        const loss = valueLoss(v, old, tgt, o);
        lossValue = loss.dataSync()[0]!;
        return tf.mul(loss, o.valueLossCoef) as TF.Scalar;
      }, this.net.vars);
      const g = this.net.vars.map((v) => new Float32Array(grads[v.name]!.dataSync() as Float32Array));
      const gradNorm = clipGradNorm(g, o.maxGradNorm);
      this.adam.apply(g);
      return { valueLoss: lossValue, gradNorm };
    });
  }

  dispose(): void {
    this.net.dispose();
    this.adam.dispose();
  }
}

// Adam as torch.optim.Adam computes it (HARL's optimiser; eps 1e-5, no weight
// decay), with global gradient-norm clipping as torch.nn.utils.clip_grad_norm_.
// Written out rather than tf.train.adam so the update matches torch's eps
// placement and its state can be checkpointed exactly.
import type * as TF from "@tensorflow/tfjs";
import { tf } from "../model/tf.js";

export interface AdamState {
  step: number;
  m: Float32Array[];
  v: Float32Array[];
}

export class Adam {
  private m: TF.Variable[];
  private v: TF.Variable[];
  step = 0;

  constructor(
    private readonly vars: readonly TF.Variable[],
    public lr: number,
    readonly eps = 1e-5,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
  ) {
    this.m = vars.map((x) => tf.variable(tf.zerosLike(x), false));
    this.v = vars.map((x) => tf.variable(tf.zerosLike(x), false));
  }

  /** Apply gradients (same order as the variables). */
  apply(grads: readonly TF.Tensor[]): void {
    this.step++;
    const bc1 = 1 - this.beta1 ** this.step;
    const bc2 = 1 - this.beta2 ** this.step;
    tf.tidy(() => {
      this.vars.forEach((p, i) => {
        const g = grads[i]!;
        const m = tf.add(tf.mul(this.m[i]!, this.beta1), tf.mul(g, 1 - this.beta1));
        const v = tf.add(tf.mul(this.v[i]!, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        this.m[i]!.assign(m);
        this.v[i]!.assign(v);
        const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(bc2)), this.eps);
        p.assign(tf.sub(p, tf.mul(tf.div(m, denom), this.lr / bc1)));
      });
    });
  }

  get state(): AdamState {
    return { step: this.step, m: this.m.map((x) => new Float32Array(x.dataSync() as Float32Array)), v: this.v.map((x) => new Float32Array(x.dataSync() as Float32Array)) };
  }
  set state(s: AdamState) {
    this.step = s.step;
    this.m.forEach((x, i) => x.assign(tf.tensor(s.m[i]!, x.shape, "float32")));
    this.v.forEach((x, i) => x.assign(tf.tensor(s.v[i]!, x.shape, "float32")));
  }

  dispose(): void {
    for (const x of [...this.m, ...this.v]) x.dispose();
  }
}

/** Scale gradients so their global L2 norm is at most `maxNorm`; returns the norm before clipping. */
export function clipGradNorm(grads: TF.Tensor[], maxNorm: number): { grads: TF.Tensor[]; norm: number } {
  const sq = tf.tidy(() => tf.addN(grads.map((g) => tf.sum(tf.square(g)))));
  const norm = Math.sqrt(sq.dataSync()[0]!);
  sq.dispose();
  const coef = maxNorm / (norm + 1e-6);
  if (coef >= 1) return { grads, norm };
  return { grads: grads.map((g) => tf.mul(g, coef)), norm };
}

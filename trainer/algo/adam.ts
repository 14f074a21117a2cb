// Adam as torch.optim.Adam computes it (HARL's optimiser; eps 1e-5, no weight
// decay), with global gradient-norm clipping as torch.nn.utils.clip_grad_norm_.
// The arithmetic runs in plain JS on float32 arrays: one pass over ~35k
// numbers costs less than the ~80 tfjs op dispatches it would take per step,
// and its state is checkpointed exactly.
import type * as TF from "@tensorflow/tfjs";
import { tf } from "../model/tf.js";

export interface AdamState {
  step: number;
  m: Float32Array[];
  v: Float32Array[];
}

export class Adam {
  private m: Float32Array[];
  private v: Float32Array[];
  step = 0;

  constructor(
    private readonly vars: readonly TF.Variable[],
    public lr: number,
    readonly eps = 1e-5,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
  ) {
    this.m = vars.map((x) => new Float32Array(x.size));
    this.v = vars.map((x) => new Float32Array(x.size));
  }

  /** Apply gradients (same order as the variables): p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps). */
  apply(grads: readonly Float32Array[]): void {
    this.step++;
    const b1 = this.beta1;
    const b2 = this.beta2;
    const stepSize = this.lr / (1 - b1 ** this.step);
    const sqrtBc2 = Math.sqrt(1 - b2 ** this.step);
    this.vars.forEach((p, i) => {
      const g = grads[i]!;
      const m = this.m[i]!;
      const v = this.v[i]!;
      const w = new Float32Array(p.dataSync() as Float32Array);
      for (let k = 0; k < w.length; k++) {
        m[k] = b1 * m[k]! + (1 - b1) * g[k]!;
        v[k] = b2 * v[k]! + (1 - b2) * g[k]! * g[k]!;
        w[k] = w[k]! - (stepSize * m[k]!) / (Math.sqrt(v[k]!) / sqrtBc2 + this.eps);
      }
      p.assign(tf.tensor(w, p.shape, "float32"));
    });
  }

  get state(): AdamState {
    return { step: this.step, m: this.m.map((x) => x.slice()), v: this.v.map((x) => x.slice()) };
  }
  set state(s: AdamState) {
    this.step = s.step;
    this.m = s.m.map((x) => x.slice());
    this.v = s.v.map((x) => x.slice());
  }

  dispose(): void {}
}

/** Scale gradients in place so their global L2 norm is at most `maxNorm`; returns the norm before clipping. */
export function clipGradNorm(grads: Float32Array[], maxNorm: number): number {
  let sq = 0;
  for (const g of grads) for (let k = 0; k < g.length; k++) sq += g[k]! * g[k]!;
  const norm = Math.sqrt(sq);
  const coef = maxNorm / (norm + 1e-6);
  if (coef < 1) for (const g of grads) for (let k = 0; k < g.length; k++) g[k] = g[k]! * coef;
  return norm;
}

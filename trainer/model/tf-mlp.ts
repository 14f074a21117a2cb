// An MLP (trainer/model/mlp.ts) as tfjs variables, for gradient updates.
// Its forward pass matches mlpForward (plain JS) and the exported ONNX graph.
import type * as TF from "@tensorflow/tfjs";
import { tf } from "./tf.js";
import type { MlpParams } from "./mlp.js";

let counter = 0;

/**
 * x @ w + b with a gradient that transposes explicitly: tfjs-wasm's matMul
 * with transposeA/transposeB (what tfjs's own matMul gradient uses) is about
 * 10x slower than a plain matMul on our shapes (4.9 vs 0.4 ms for
 * [128,480]^T-style products), and these products are most of an update.
 */
export const dense = tf.customGrad((...args: unknown[]) => {
  const [x, w, b, save] = args as [TF.Tensor2D, TF.Tensor2D, TF.Tensor1D, (t: TF.Tensor[]) => void];
  save([x, w]);
  return {
    value: tf.add(tf.matMul(x, w), b),
    gradFunc: (dy: TF.Tensor | TF.Tensor[], saved: TF.Tensor[]) => {
      const g = dy as TF.Tensor2D;
      const [xs, ws] = saved as [TF.Tensor2D, TF.Tensor2D];
      return [tf.matMul(g, tf.transpose(ws)), tf.matMul(tf.transpose(xs), g), tf.sum(g, 0)];
    },
  };
}) as (x: TF.Tensor2D, w: TF.Tensor, b: TF.Tensor) => TF.Tensor2D;

export class TfMlp {
  readonly vars: TF.Variable[];
  private readonly layout: MlpParams;

  constructor(p: MlpParams, name: string) {
    // Keep the shapes and flags; the numbers live in the variables.
    this.layout = p;
    this.vars = [];
    const v = (data: Float32Array, shape: number[], n: string) => {
      const t = tf.variable(tf.tensor(data, shape, "float32"), true, `${name}/${n}#${counter++}`);
      this.vars.push(t);
      return t;
    };
    p.hidden.forEach((l, i) => {
      v(l.dense.w, [l.dense.inSize, l.dense.outSize], `h${i}.w`);
      v(l.dense.b, [l.dense.outSize], `h${i}.b`);
      if (l.norm) {
        v(l.norm.gamma, [l.norm.size], `h${i}.gamma`);
        v(l.norm.beta, [l.norm.size], `h${i}.beta`);
      }
    });
    v(p.head.w, [p.head.inSize, p.head.outSize], "head.w");
    v(p.head.b, [p.head.outSize], "head.b");
  }

  /** Forward pass on [batch, inputSize]; call inside tf.tidy or a gradient function. */
  apply(x: TF.Tensor2D): TF.Tensor2D {
    let h: TF.Tensor2D = x;
    let i = 0;
    for (const l of this.layout.hidden) {
      const w = this.vars[i++]!;
      const b = this.vars[i++]!;
      h = dense(h, w, b);
      h = this.layout.activation === "relu" ? tf.relu(h) : tf.tanh(h);
      if (l.norm) {
        const gamma = this.vars[i++]!;
        const beta = this.vars[i++]!;
        const { mean, variance } = tf.moments(h, -1, true);
        h = tf.add(tf.mul(tf.div(tf.sub(h, mean), tf.sqrt(tf.add(variance, l.norm.eps))), gamma), beta);
      }
    }
    const w = this.vars[i++]!;
    const b = this.vars[i++]!;
    return dense(h, w, b);
  }

  /** Current parameters as plain arrays (for rollouts, checkpoints and export). */
  params(): MlpParams {
    const data = this.vars.map((v) => v.dataSync() as Float32Array).map((d) => new Float32Array(d));
    let i = 0;
    const take = () => data[i++]!;
    return {
      inputSize: this.layout.inputSize,
      activation: this.layout.activation,
      hidden: this.layout.hidden.map((l) => {
        const dense = { inSize: l.dense.inSize, outSize: l.dense.outSize, w: take(), b: take() };
        return l.norm ? { dense, norm: { size: l.norm.size, eps: l.norm.eps, gamma: take(), beta: take() } } : { dense };
      }),
      head: { inSize: this.layout.head.inSize, outSize: this.layout.head.outSize, w: take(), b: take() },
    };
  }

  /** Overwrite the variables with plain arrays of the same layout (resume from a checkpoint). */
  assign(arrays: readonly Float32Array[]): void {
    if (arrays.length !== this.vars.length) throw new Error(`expected ${this.vars.length} arrays, got ${arrays.length}`);
    this.vars.forEach((v, k) => v.assign(tf.tensor(arrays[k]!, v.shape, "float32")));
  }

  dispose(): void {
    for (const v of this.vars) v.dispose();
  }
}

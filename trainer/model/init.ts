// Parameter initialisation as HARL does it: orthogonal weights (gain sqrt(2)
// for ReLU hidden layers, 0.01 for the actor's output, 1 for the critic's),
// zero biases, LayerNorm scale 1 and shift 0. Seeded, in plain JS.
import type { Rng } from "../util/rng.js";
import { LAYER_NORM_EPS, type Activation, type DenseParams, type MlpParams } from "./mlp.js";

/**
 * A (rows x cols) matrix with orthonormal rows or columns (whichever are
 * fewer), times `gain`: QR of a Gaussian matrix with the signs of R's
 * diagonal folded in, as torch.nn.init.orthogonal_ does.
 */
export function orthogonal(rows: number, cols: number, gain: number, rng: Rng): Float32Array {
  const tall = rows >= cols;
  const m = tall ? rows : cols; // long side
  const n = tall ? cols : rows; // short side
  // Columns q_j (length m) by modified Gram-Schmidt on Gaussian vectors.
  const q: Float64Array[] = [];
  for (let j = 0; j < n; j++) {
    const v = new Float64Array(m);
    for (let i = 0; i < m; i++) v[i] = rng.normal();
    for (const u of q) {
      let dot = 0;
      for (let i = 0; i < m; i++) dot += u[i]! * v[i]!;
      for (let i = 0; i < m; i++) v[i]! -= dot * u[i]!;
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += v[i]! * v[i]!;
    norm = Math.sqrt(norm);
    for (let i = 0; i < m; i++) v[i]! /= norm;
    q.push(v);
  }
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[r * cols + c] = gain * (tall ? q[c]![r]! : q[r]![c]!);
  }
  return out;
}

export function gainFor(a: Activation): number {
  return a === "relu" ? Math.SQRT2 : 5 / 3;
}

export function denseInit(inSize: number, outSize: number, gain: number, rng: Rng): DenseParams {
  return { inSize, outSize, w: orthogonal(inSize, outSize, gain, rng), b: new Float32Array(outSize) };
}

export interface MlpShape {
  inputSize: number;
  hidden: readonly number[];
  outputSize: number;
  activation: Activation;
  /** LayerNorm after each hidden activation (HARL's MLPLayer); never on the raw input. */
  hiddenLayerNorm: boolean;
  /** Gain of the output layer: 0.01 for actors, 1 for critics (HARL). */
  headGain: number;
}

export function initMlp(shape: MlpShape, rng: Rng): MlpParams {
  const hidden: MlpParams["hidden"] = [];
  let inSize = shape.inputSize;
  for (const h of shape.hidden) {
    const dense = denseInit(inSize, h, gainFor(shape.activation), rng);
    hidden.push(
      shape.hiddenLayerNorm
        ? { dense, norm: { size: h, gamma: new Float32Array(h).fill(1), beta: new Float32Array(h), eps: LAYER_NORM_EPS } }
        : { dense },
    );
    inSize = h;
  }
  return { inputSize: shape.inputSize, activation: shape.activation, hidden, head: denseInit(inSize, shape.outputSize, shape.headGain, rng) };
}

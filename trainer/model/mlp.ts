// An MLP's parameters as plain arrays: what checkpoints store, what the ONNX
// exporter writes, and what rollouts run (a plain-JS forward pass is faster
// than dispatching tfjs ops for a handful of observations).
//
// HARL's MLPBase without its input LayerNorm: per hidden layer
// Linear -> activation -> LayerNorm, then a linear head. Weights are
// row-major [in][out] (x @ W + b), as tfjs and ONNX Gemm take them.

export type Activation = "relu" | "tanh";

export interface DenseParams {
  inSize: number;
  outSize: number;
  /** [inSize * outSize], row-major: w[i * outSize + j] connects input i to output j. */
  w: Float32Array;
  b: Float32Array;
}

export interface LayerNormParams {
  size: number;
  gamma: Float32Array;
  beta: Float32Array;
  eps: number;
}

export interface MlpParams {
  inputSize: number;
  activation: Activation;
  hidden: { dense: DenseParams; norm?: LayerNormParams }[];
  head: DenseParams;
}

/** LayerNorm epsilon, as torch's default (HARL uses nn.LayerNorm defaults). */
export const LAYER_NORM_EPS = 1e-5;

function dense(p: DenseParams, x: Float32Array, batch: number): Float32Array {
  const { inSize, outSize, w, b } = p;
  const y = new Float32Array(batch * outSize);
  for (let r = 0; r < batch; r++) {
    const yo = r * outSize;
    for (let j = 0; j < outSize; j++) y[yo + j] = b[j]!;
    const xo = r * inSize;
    for (let i = 0; i < inSize; i++) {
      const xi = x[xo + i]!;
      if (xi === 0) continue;
      const wo = i * outSize;
      for (let j = 0; j < outSize; j++) y[yo + j]! += xi * w[wo + j]!;
    }
  }
  return y;
}

function activate(a: Activation, x: Float32Array): void {
  if (a === "relu") for (let i = 0; i < x.length; i++) x[i] = x[i]! > 0 ? x[i]! : 0;
  else for (let i = 0; i < x.length; i++) x[i] = Math.tanh(x[i]!);
}

function layerNorm(p: LayerNormParams, x: Float32Array, batch: number): void {
  const n = p.size;
  for (let r = 0; r < batch; r++) {
    const o = r * n;
    let mean = 0;
    for (let i = 0; i < n; i++) mean += x[o + i]!;
    mean /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (x[o + i]! - mean) ** 2;
    const inv = 1 / Math.sqrt(v / n + p.eps);
    for (let i = 0; i < n; i++) x[o + i] = (x[o + i]! - mean) * inv * p.gamma[i]! + p.beta[i]!;
  }
}

/** Forward pass for `batch` rows of `x` laid out row by row; returns [batch * head.outSize]. */
export function mlpForward(p: MlpParams, x: Float32Array, batch: number): Float32Array {
  let h = x;
  for (const layer of p.hidden) {
    h = dense(layer.dense, h, batch);
    activate(p.activation, h);
    if (layer.norm) layerNorm(layer.norm, h, batch);
  }
  return dense(p.head, h, batch);
}

/** All parameter arrays in a fixed order (checkpoints, hashing, copying into tfjs variables). */
export function mlpArrays(p: MlpParams): Float32Array[] {
  const out: Float32Array[] = [];
  for (const l of p.hidden) {
    out.push(l.dense.w, l.dense.b);
    if (l.norm) out.push(l.norm.gamma, l.norm.beta);
  }
  out.push(p.head.w, p.head.b);
  return out;
}

/** The shape of an MLP without its numbers (checkpoints store this beside the arrays). */
export interface MlpLayout {
  inputSize: number;
  activation: Activation;
  hidden: { size: number; norm: boolean; eps: number }[];
  outputSize: number;
}

export function mlpLayout(p: MlpParams): MlpLayout {
  return {
    inputSize: p.inputSize,
    activation: p.activation,
    hidden: p.hidden.map((l) => ({ size: l.dense.outSize, norm: l.norm !== undefined, eps: l.norm?.eps ?? LAYER_NORM_EPS })),
    outputSize: p.head.outSize,
  };
}

/** Rebuild parameters from a layout and the arrays in mlpArrays order. */
export function mlpFromArrays(layout: MlpLayout, arrays: readonly Float32Array[]): MlpParams {
  let i = 0;
  const take = (n: number) => {
    const a = arrays[i++];
    if (!a || a.length !== n) throw new Error(`parameter array ${i - 1} has ${a?.length ?? 0} values, expected ${n}`);
    return a;
  };
  let inSize = layout.inputSize;
  const hidden = layout.hidden.map((h) => {
    const dense = { inSize, outSize: h.size, w: take(inSize * h.size), b: take(h.size) };
    inSize = h.size;
    return h.norm ? { dense, norm: { size: h.size, eps: h.eps, gamma: take(h.size), beta: take(h.size) } } : { dense };
  });
  const head = { inSize, outSize: layout.outputSize, w: take(inSize * layout.outputSize), b: take(layout.outputSize) };
  if (i !== arrays.length) throw new Error(`${arrays.length - i} parameter arrays left over`);
  return { inputSize: layout.inputSize, activation: layout.activation, hidden, head };
}

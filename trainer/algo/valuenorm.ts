// HARL's ValueNorm: running mean and mean-square of the returns with an
// exponential weight beta = 0.99999 per update and a debiasing term, variance
// clamped at 1e-2. The critic predicts normalised values; GAE and advantages
// work on denormalised ones.

export interface ValueNormState {
  mean: number;
  meanSq: number;
  debias: number;
}

export class ValueNorm {
  mean = 0;
  meanSq = 0;
  debias = 0;

  constructor(
    readonly beta = 0.99999,
    readonly epsilon = 1e-5,
  ) {}

  private stats(): { mean: number; std: number } {
    const d = Math.max(this.debias, this.epsilon);
    const mean = this.mean / d;
    const meanSq = this.meanSq / d;
    const variance = Math.max(meanSq - mean * mean, 1e-2);
    // HARL keeps these in float32; so do we, so both round alike.
    return { mean: Math.fround(mean), std: Math.fround(Math.sqrt(Math.fround(variance))) };
  }

  update(values: ArrayLike<number>): void {
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < values.length; i++) {
      s += values[i]!;
      s2 += values[i]! * values[i]!;
    }
    const n = values.length;
    const w = this.beta;
    this.mean = this.mean * w + (s / n) * (1 - w);
    this.meanSq = this.meanSq * w + (s2 / n) * (1 - w);
    this.debias = this.debias * w + (1 - w);
  }

  normalize(values: ArrayLike<number>): Float32Array {
    const { mean, std } = this.stats();
    const out = new Float32Array(values.length);
    for (let i = 0; i < values.length; i++) out[i] = (values[i]! - mean) / std;
    return out;
  }

  denormalize(values: ArrayLike<number>): Float32Array {
    const { mean, std } = this.stats();
    const out = new Float32Array(values.length);
    for (let i = 0; i < values.length; i++) out[i] = values[i]! * std + mean;
    return out;
  }

  get state(): ValueNormState {
    return { mean: this.mean, meanSq: this.meanSq, debias: this.debias };
  }
  set state(s: ValueNormState) {
    this.mean = s.mean;
    this.meanSq = s.meanSq;
    this.debias = s.debias;
  }
}

/** Identity normaliser when value normalisation is off. */
export class NoValueNorm extends ValueNorm {
  override update(): void {}
  override normalize(values: ArrayLike<number>): Float32Array {
    return Float32Array.from(values);
  }
  override denormalize(values: ArrayLike<number>): Float32Array {
    return Float32Array.from(values);
  }
}

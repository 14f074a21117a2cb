// The seeded generator behind every random draw of the scenarios and the
// environment (weights, random partial resets, the random baseline), so a seed
// means the same thing everywhere and on every machine. mulberry32: 32-bit
// state, period 2^32, good enough for drawing switch states and weights, and
// simple enough to reimplement from docs/scenario.md in any language.
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer uniform in [min, max] inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** A child generator whose stream does not overlap this one's first draws (per-environment seeds). */
  fork(salt: number): Rng {
    return new Rng((Math.imul(this.int(0, 0x7fffffff), 2654435761) ^ salt) >>> 0);
  }
}

// Reconnect delays: doubling from a floor to a ceiling, with jitter so that a
// fleet of agents that lost a gateway together does not reconnect in step.

export interface BackoffOptions {
  minMs: number;
  maxMs: number;
  /** Random source in [0, 1) (tests pass a fixed one). */
  random?: () => number;
}

export class Backoff {
  private attempt = 0;
  constructor(private readonly o: BackoffOptions) {}

  /** Delay before the next attempt: uniform in [d/2, d] with d = min(max, min * 2^attempt). */
  next(): number {
    const d = Math.min(this.o.maxMs, this.o.minMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    const r = (this.o.random ?? Math.random)();
    return Math.round(d / 2 + (d / 2) * r);
  }

  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}

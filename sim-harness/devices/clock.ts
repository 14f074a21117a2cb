// The harness clock. `lockstep`: time moves only when the bench calls
// step(dtMs), so a run is reproducible. `realtime`: a timer steps it every
// tick with the wall-clock time elapsed. Devices read now() for select
// timeouts, operate times and the battery's energy.

export type ClockMode = "lockstep" | "realtime";

export type StepListener = (nowMs: number, dtMs: number) => void;

export class SimClock {
  readonly mode: ClockMode;
  private t = 0;
  private readonly listeners: StepListener[] = [];
  private timer: NodeJS.Timeout | undefined;
  private last = 0;

  constructor(mode: ClockMode, private readonly tickMs = 100) {
    this.mode = mode;
  }

  /** Simulated milliseconds since start. */
  now(): number {
    return this.t;
  }

  /** Called after each step, in registration order. */
  onStep(fn: StepListener): void {
    this.listeners.push(fn);
  }

  /** Advance by dtMs and run the step listeners. Lockstep only (realtime steps itself). */
  step(dtMs: number): void {
    if (this.mode !== "lockstep") throw new Error("step() drives a lockstep clock; a realtime clock steps itself");
    this.advance(dtMs);
  }

  private advance(dtMs: number): void {
    if (!(dtMs >= 0)) throw new Error(`clock step must be >= 0 ms, got ${dtMs}`);
    this.t += dtMs;
    for (const fn of this.listeners) fn(this.t, dtMs);
  }

  start(): void {
    if (this.mode !== "realtime" || this.timer) return;
    this.last = performance.now();
    this.timer = setInterval(() => {
      const now = performance.now();
      const dt = now - this.last;
      this.last = now;
      this.advance(dt);
    }, this.tickMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

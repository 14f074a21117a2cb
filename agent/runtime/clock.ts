// Time as the agent sees it: a monotonic clock for deadlines, ages and rates
// (immune to NTP steps), and the wall clock for records. Tests and the
// external clock mode drive a ManualClock instead (OpenEMS's simulated clock).

export interface Clock {
  /** Monotonic milliseconds (arbitrary origin). */
  now(): number;
  /** Wall-clock milliseconds since the epoch, for journals and messages. */
  wallNow(): number;
  /** Resolve after `ms` of this clock's time; an aborted signal resolves it at once (and frees its timer). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      signal?.addEventListener("abort", done, { once: true });
    }),
};

/** A clock that only moves when told to; sleepers wake when time passes their deadline. */
export class ManualClock implements Clock {
  private t: number;
  private readonly wallOrigin: number;
  private sleepers: { until: number; wake: () => void }[] = [];

  constructor(start = 0, wallOrigin = Date.UTC(2026, 0, 1)) {
    this.t = start;
    this.wallOrigin = wallOrigin;
  }

  now(): number {
    return this.t;
  }
  wallNow(): number {
    return this.wallOrigin + this.t;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (ms <= 0 || signal?.aborted) return Promise.resolve();
    return new Promise((wake) => {
      const sleeper = { until: this.t + ms, wake };
      this.sleepers.push(sleeper);
      signal?.addEventListener(
        "abort",
        () => {
          this.sleepers = this.sleepers.filter((s) => s !== sleeper);
          wake();
        },
        { once: true },
      );
    });
  }

  /** Move time forward, waking sleepers in deadline order (each gets its microtasks run first). */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      this.sleepers.sort((a, b) => a.until - b.until);
      const next = this.sleepers[0];
      if (!next || next.until > end) break;
      this.sleepers.shift();
      this.t = next.until;
      next.wake();
      await new Promise((r) => setImmediate(r));
    }
    this.t = end;
  }
}

// The tick loop (rxjs). Realtime: a timer at the poll period, and a tick that
// is still running when the next is due makes the next one be skipped
// (exhaustMap; counted as an overrun), so ticks never overlap. External: the
// bench asks for each tick and gets its report back; requests are run one
// after another (concatMap). Either way never two ticks in flight, and a
// tick that throws (a bug) is logged and journaled without stopping the loop.
import { concatMap, exhaustMap, from, Subject, takeUntil, tap, timer, type Subscription } from "rxjs";
import type { AgentMetrics } from "../ops/agent-metrics.js";
import type { JournalPort } from "./ports.js";
import type { Log, Restorer, TickReport } from "./restorer.js";

interface TickRequest {
  resolve: (r: TickReport) => void;
  reject: (e: unknown) => void;
}

export class TickLoop {
  private readonly stop$ = new Subject<void>();
  private readonly requests$ = new Subject<TickRequest>();
  private subscription: Subscription | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;
  /** Agent wall clock (ms) of the last completed tick, for liveness. */
  lastTickWall: number | undefined;

  constructor(
    private readonly restorer: Restorer,
    private readonly mode: "realtime" | "external",
    private readonly periodMs: number,
    private readonly metrics: AgentMetrics,
    private readonly journal: JournalPort,
    private readonly log: Log,
  ) {}

  start(): void {
    if (this.mode === "realtime") {
      this.subscription = timer(0, this.periodMs)
        .pipe(
          tap(() => {
            if (this.running) this.metrics.tickOverruns.inc();
          }),
          exhaustMap(() => from(this.run())),
          takeUntil(this.stop$),
        )
        .subscribe();
    } else {
      this.subscription = this.requests$
        .pipe(
          concatMap((req) => from(this.run().then(req.resolve, req.reject))),
          takeUntil(this.stop$),
        )
        .subscribe();
    }
  }

  /** External clock: run one tick now (after any queued ones) and return its report. */
  tick(): Promise<TickReport> {
    if (this.mode !== "external") return Promise.reject(new Error("the agent runs on its own clock (clock: realtime); ticks cannot be driven from outside"));
    if (this.stopped) return Promise.reject(new Error("the agent is stopping"));
    return new Promise((resolve, reject) => this.requests$.next({ resolve, reject }));
  }

  /** Stop taking ticks; the one in flight finishes (its command included). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stop$.next();
    this.subscription?.unsubscribe();
    await this.running?.catch(() => undefined);
  }

  private run(): Promise<TickReport> {
    const p = this.restorer.tick().then(
      (r) => {
        this.lastTickWall = Date.now();
        return r;
      },
      (e: unknown) => {
        const err = e instanceof Error ? e : new Error(String(e));
        this.log.error({ err }, "tick failed (a bug): holding, next tick continues");
        this.metrics.alarms.inc({ kind: "tick-failed" });
        try {
          this.journal.alarm("tick-failed", { error: err.message, stack: err.stack ?? null });
        } catch {
          // the journal itself may be what failed
        }
        throw err;
      },
    );
    const tracked = p.finally(() => {
      if (this.running === tracked) this.running = undefined;
    });
    this.running = tracked;
    // The realtime loop must survive a failing tick: swallow here, the request path rethrows.
    return this.mode === "realtime" ? (tracked.catch(() => undefined) as Promise<TickReport>) : tracked;
  }
}

// The lockstep driver. Tick -1 is a watching tick (every agent reads its
// devices and publishes its state, so each hears its peers before the
// restoration, as agents that run continuously in the field do); the
// restoration's tick n then happens at simulated time (n + 1) x period:
//   1. the fault events of tick n are applied (kill or restart an agent or the
//      broker, partition or heal an agent, packet loss, a new restore command);
//   2. every live agent is asked for its tick at once (POST /tick); they read
//      their devices, decide, pass the shield, write and read back;
//   3. while they work, each write a device receives is applied by a
//      sub-step of the harness clock to the moment it takes effect (its
//      mechanism's operate time): the writes due together are applied in
//      device order, the plant is solved, and the meter checks the instant —
//      so an agent's read-back sees its switch move, and no instant escapes
//      the cap and rating checks;
//   4. the tick is over when every live agent has answered and has published
//      its state for it on the bus; an agent whose process is gone is dropped
//      from the tick at once, one whose state does not come is waited for up
//      to `busWaitMs` and then dropped from the bus wait while its last will
//      says it is offline;
//   5. the clock moves to (n + 2) x period and the plant is solved once more.
// Simulated time at tick boundaries does not depend on how fast anything ran.
import type { TickReport } from "../../agent/runtime/restorer.js";
import type { DeviceHarness } from "../devices/harness.js";
import type { BenchEvent } from "./fault-file.js";
import type { AgentHandle } from "./fleet.js";
import type { BusObserver } from "./observer.js";
import type { RunRecord } from "./record.js";

export interface FaultActuator {
  apply(e: BenchEvent): Promise<void>;
}

export interface LockstepOptions {
  periodMs: number;
  /** Wall ms an agent may take for one tick. */
  tickTimeoutMs: number;
  /** Wall ms to wait for an agent's bus state after its tick answered. */
  busWaitMs: number;
}

export interface TickSummary {
  tick: number;
  asked: string[];
  answered: Map<string, TickReport>;
  failed: Map<string, string>;
  lateOnBus: string[];
  wallMs: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class LockstepDriver {
  private stepping = false;

  constructor(
    private readonly harness: DeviceHarness,
    private readonly agents: readonly AgentHandle[],
    private readonly observer: BusObserver | undefined,
    private readonly record: RunRecord,
    private readonly faults: FaultActuator,
    private readonly o: LockstepOptions,
  ) {}

  /** Apply every write due by now or by the earliest pending moment (one sub-step). */
  private subStep(): boolean {
    const due = this.harness.nextDueMs();
    if (due === undefined) return false;
    this.harness.step(Math.max(0, due - this.harness.clock.now()));
    return true;
  }

  async tick(n: number, events: readonly BenchEvent[]): Promise<TickSummary> {
    const w0 = performance.now();
    this.record.tick = n;
    // Kills act inside the tick (while reads, decisions and commands are in flight); the rest before it.
    for (const e of events) if (e.action !== "kill-agent") await this.faults.apply(e);
    const live = this.agents.filter((a) => a.alive && a.url);
    const answered = new Map<string, TickReport>();
    const failed = new Map<string, string>();
    const asks = live.map(async (a) => {
      const r = await a.tick(n, this.o.tickTimeoutMs);
      if (r.report) answered.set(a.microgrid, r.report);
      else failed.set(a.microgrid, r.error ?? "no report");
    });
    const kills = events.map(async (e) => {
      if (e.action !== "kill-agent" || e.after_operations !== undefined) return;
      await sleep(e.delay_ms);
      await this.faults.apply(e);
    });
    // Kills that wait for the agent's n-th operation on the plant in this tick (checked after each sub-step).
    const opsOf = (mg: string) => this.record.operations.filter((op) => op.microgrid === mg && !op.uncommanded).length;
    const triggers = events.flatMap((e) => (e.action === "kill-agent" && e.after_operations !== undefined ? [{ e, base: opsOf(e.microgrid), fired: false }] : []));
    const fire = async (end: boolean) => {
      for (const t of triggers) {
        if (t.fired || t.e.action !== "kill-agent") continue;
        if (!end && opsOf(t.e.microgrid) - t.base < t.e.after_operations!) continue;
        t.fired = true;
        if (end) this.record.event(this.harness.clock.now(), "kill-late", `tick ${n}: ${t.e.microgrid} made fewer than ${t.e.after_operations} operation(s); killed at the end of the tick`, t.e.microgrid);
        await this.faults.apply(t.e);
      }
    };
    let pending = true;
    const all = Promise.allSettled(asks).then(() => {
      pending = false;
    });
    this.stepping = true;
    try {
      while (pending) {
        if (this.subStep()) await fire(false);
        else await Promise.race([all, sleep(1)]);
      }
      // Writes made at the very end of a tick (a command whose read-back timed out) still take effect.
      while (this.subStep());
    } finally {
      this.stepping = false;
    }
    await Promise.all(kills);
    await fire(true);

    const lateOnBus: string[] = [];
    if (this.observer) {
      // Only agents the bus knows as online are waited for: one never seen there runs on its quota alone.
      const waitList = [...answered.entries()].filter(([mg]) => this.observer!.availability.get(mg)?.state === "online");
      // A dead broker carries nothing: do not wait on it (nor go on waiting once it dies).
      const onBus = () => !this.observer!.connected || waitList.every(([mg, r]) => this.observer!.hasTick(mg, r.tick) || this.observer!.isOffline(mg));
      await this.observer.waitFor(onBus, this.o.busWaitMs);
      for (const [mg, r] of waitList) if (!this.observer.hasTick(mg, r.tick)) lateOnBus.push(mg);
    }
    const tS = this.harness.clock.now() / 1000;
    for (const a of live) {
      const report = answered.get(a.microgrid);
      this.record.agentTick({ tick: n, microgrid: a.microgrid, t_s: tS, ...(report ? { report } : { error: failed.get(a.microgrid) ?? "no report" }), onBus: !lateOnBus.includes(a.microgrid) });
      if (!report) this.record.event(this.harness.clock.now(), "agent-dropped", `tick ${n}: ${failed.get(a.microgrid)}`, a.microgrid);
    }
    if (this.observer && !this.observer.connected && lateOnBus.length) this.record.event(this.harness.clock.now(), "bus-unreachable", `tick ${n}: the broker cannot be reached: no state awaited`);
    else for (const mg of lateOnBus) this.record.event(this.harness.clock.now(), "bus-late", `tick ${n}: no state on the bus within ${this.o.busWaitMs} ms${this.observer?.isOffline(mg) ? " (last will: offline)" : ""}`, mg);

    // Move to the next tick boundary (never back); the watching tick before the restoration (n = -1) takes the first period.
    const target = (n + 2) * this.o.periodMs;
    this.harness.step(Math.max(0, target - this.harness.clock.now()));
    return { tick: n, asked: live.map((a) => a.microgrid), answered, failed, lateOnBus, wallMs: performance.now() - w0 };
  }

  get busy(): boolean {
    return this.stepping;
  }
}

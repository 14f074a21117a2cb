// Reads every device once per tick, all in parallel, each against a deadline
// shorter than the tick: a slow or dead device costs its own switches a
// "hold", never the others their tick. A device whose previous read is still
// outstanding is not asked again (one request in flight per connection); it
// reports `busy` until that read settles.
import { isDeviceFault, type ChannelSnapshot, type FieldDevice } from "../transports/device.js";
import type { Clock } from "./clock.js";
import type { DeviceState } from "./views.js";

export interface PollObserver {
  /** A read completed (ms on the agent clock). */
  latency?(device: string, ms: number): void;
  /** A read failed or missed its deadline. */
  error?(device: string, kind: string, message: string): void;
}

export class DevicePoller {
  private readonly states = new Map<string, DeviceState>();
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(
    private readonly devices: readonly FieldDevice[],
    private readonly clock: Clock,
    private readonly deadlineMs: number,
    private readonly observer: PollObserver = {},
  ) {
    for (const d of devices) this.states.set(d.id, { id: d.id });
  }

  /** The current record of every device. */
  get(): ReadonlyMap<string, DeviceState> {
    return this.states;
  }

  /** Read all devices; resolves within the deadline, never rejects. */
  async poll(): Promise<ReadonlyMap<string, DeviceState>> {
    await Promise.all(this.devices.map((d) => this.pollOne(d)));
    return this.states;
  }

  /** Record a snapshot taken outside the poll (a command's read-back). */
  record(snapshot: ChannelSnapshot): void {
    this.states.set(snapshot.device, { id: snapshot.device, snapshot });
  }

  /** Wait for reads still outstanding (shutdown). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.inFlight.values()]);
  }

  private async pollOne(d: FieldDevice): Promise<void> {
    const prev = this.states.get(d.id)!;
    if (this.inFlight.has(d.id)) {
      this.fail(d.id, prev, "busy", "the previous read has not finished");
      return;
    }
    const started = this.clock.now();
    let settled = false;
    const read = d
      .read()
      .then((snapshot) => {
        settled = true;
        this.observer.latency?.(d.id, this.clock.now() - started);
        this.states.set(d.id, { id: d.id, snapshot });
      })
      .catch((e: unknown) => {
        settled = true;
        const kind = isDeviceFault(e) ? e.kind : "decode";
        this.fail(d.id, this.states.get(d.id)!, kind, e instanceof Error ? e.message : String(e));
      })
      .finally(() => this.inFlight.delete(d.id));
    this.inFlight.set(d.id, read);
    const stop = new AbortController();
    await Promise.race([read, this.clock.sleep(this.deadlineMs, stop.signal)]);
    stop.abort();
    if (!settled) this.fail(d.id, prev, "timeout", `no reply within ${this.deadlineMs} ms`);
  }

  private fail(id: string, prev: DeviceState, kind: NonNullable<DeviceState["error"]>["kind"], message: string): void {
    this.observer.error?.(id, kind, message);
    this.states.set(id, { id, ...(prev.snapshot ? { snapshot: prev.snapshot } : {}), error: { kind, message } });
  }
}

// One Modbus connection (a TCP socket to a device or gateway, or a serial
// line) shared by the devices behind it. Exactly one request is in flight at
// a time, and the unit id is set in the same step as the request is sent, so
// replies cannot be mixed up (modbus-serial #45, #264). Writes go ahead of
// queued reads. A lost connection is dropped and rebuilt with jittered
// backoff (#461, #92); repeated timeouts count as a lost connection (a dead
// RTU slave behind a gateway, a half-open socket: #251).
import ModbusRTU from "modbus-serial";
import { Backoff } from "../backoff.js";
import type { DeviceFaultKind, DeviceStatus } from "../device.js";

export type ModbusClient = InstanceType<typeof ModbusRTU>;

export type LinkEndpoint =
  | { kind: "tcp"; host: string; port: number }
  | { kind: "rtu"; path: string; baud: number; parity: "none" | "even" | "odd"; dataBits: 7 | 8; stopBits: 1 | 2 };

export interface LinkOptions {
  /** Per-request deadline (shorter than the poll period). */
  timeoutMs: number;
  backoffMinMs: number;
  backoffMaxMs: number;
  /** Deadline for opening the connection. */
  connectTimeoutMs?: number;
  /** Consecutive timeouts after which the connection is dropped and rebuilt. */
  maxConsecutiveTimeouts?: number;
  random?: () => number;
}

export interface LinkLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

/** Why a request failed, in the device interface's terms; `code` is the Modbus exception code. */
export class LinkError extends Error {
  constructor(
    readonly kind: DeviceFaultKind,
    message: string,
    readonly code?: number,
  ) {
    super(message);
    this.name = "LinkError";
  }
}

interface Job {
  unitId: number;
  run: (c: ModbusClient) => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
  });
}

export function endpointKey(e: LinkEndpoint): string {
  return e.kind === "tcp" ? `tcp://${e.host}:${e.port}` : `rtu://${e.path}`;
}

/** Silent interval between RTU frames: 3.5 characters (11 bits each), at least 1.75 ms above 19200 baud (Modbus over serial line, 2.5.1.1). */
export function rtuGapMs(baud: number): number {
  return baud > 19200 ? 1.75 : (3.5 * 11 * 1000) / baud;
}

export class ModbusLink {
  readonly key: string;
  private client: ModbusClient | undefined;
  private state: DeviceStatus["state"] = "stopped";
  private readonly high: Job[] = [];
  private readonly low: Job[] = [];
  private busy = false;
  private timeouts = 0;
  private connects = 0;
  private lastError: string | undefined;
  private readonly backoff: Backoff;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly connectedListeners: (() => void)[] = [];
  /** Fails the request in flight: modbus-serial leaves it pending forever when the socket dies mid-request. */
  private abortInFlight: ((e: LinkError) => void) | undefined;
  /** Bumped on every new connection: devices re-run discovery when it changes. */
  epoch = 0;

  constructor(
    readonly endpoint: LinkEndpoint,
    private readonly options: LinkOptions,
    private readonly log: LinkLog,
  ) {
    this.key = endpointKey(endpoint);
    this.backoff = new Backoff({ minMs: options.backoffMinMs, maxMs: options.backoffMaxMs, ...(options.random ? { random: options.random } : {}) });
  }

  status(): DeviceStatus {
    return { state: this.state, reconnects: Math.max(0, this.connects - 1), ...(this.lastError ? { lastError: this.lastError } : {}) };
  }

  /** Read through a method so TypeScript does not narrow it across awaits. */
  private stopped(): boolean {
    return this.state === "stopped";
  }

  onConnected(fn: () => void): void {
    this.connectedListeners.push(fn);
  }

  start(): void {
    if (this.state !== "stopped") return;
    this.state = "connecting";
    void this.connect();
  }

  async stop(): Promise<void> {
    this.state = "stopped";
    clearTimeout(this.retryTimer);
    this.failQueued(new LinkError("disconnected", `${this.key}: link stopped`));
    await this.drop();
  }

  /**
   * Queue a request for one unit. Rejects at once with `disconnected` while
   * the link is down (the caller's next poll tries again); otherwise runs it
   * when the requests before it are done.
   */
  request<T>(unitId: number, run: (c: ModbusClient) => Promise<T>, priority: "high" | "low" = "low"): Promise<T> {
    if (this.state !== "connected") {
      return Promise.reject(new LinkError("disconnected", `${this.key}: not connected (${this.state}${this.lastError ? `: ${this.lastError}` : ""})`));
    }
    return new Promise<T>((resolve, reject) => {
      (priority === "high" ? this.high : this.low).push({ unitId, run, resolve: resolve as (v: unknown) => void, reject });
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      for (;;) {
        const job = this.high.shift() ?? this.low.shift();
        if (!job) break;
        const c = this.client;
        if (!c || this.state !== "connected") {
          job.reject(new LinkError("disconnected", `${this.key}: connection lost`));
          continue;
        }
        let failed: LinkError | undefined;
        let guardTimer: NodeJS.Timeout | undefined;
        try {
          const guard = new Promise<never>((_, reject) => {
            this.abortInFlight = reject;
            // modbus-serial's own timeout fires first; this one only catches a request it forgot.
            guardTimer = setTimeout(() => reject(new LinkError("timeout", `${this.key}: no reply within ${this.options.timeoutMs} ms`)), this.options.timeoutMs + 250);
          });
          // Unit id and request in one step: nothing else runs on this link in between.
          c.setID(job.unitId);
          const out = await Promise.race([job.run(c), guard]);
          this.timeouts = 0;
          job.resolve(out);
        } catch (e) {
          failed = e instanceof LinkError ? e : this.classify(e);
          job.reject(failed);
        } finally {
          clearTimeout(guardTimer);
          this.abortInFlight = undefined;
        }
        if (this.endpoint.kind === "rtu") {
          // The silent interval between frames; after a timeout, long enough for a late reply to pass
          // rather than be taken for the answer to the next request.
          await sleep(failed?.kind === "timeout" ? Math.max(20, this.options.timeoutMs / 4) : rtuGapMs(this.endpoint.baud));
        }
      }
    } finally {
      this.busy = false;
    }
  }

  private classify(e: unknown): LinkError {
    const err = e as { message?: string; errno?: string; modbusCode?: number };
    const msg = `${this.key}: ${err?.message ?? String(e)}`;
    if (typeof err?.modbusCode === "number") return new LinkError("exception", msg, err.modbusCode);
    if (err?.errno === "ETIMEDOUT") {
      this.timeouts++;
      if (this.timeouts >= (this.options.maxConsecutiveTimeouts ?? 3)) {
        this.log.warn({ link: this.key, timeouts: this.timeouts }, "modbus link: repeated timeouts, reconnecting");
        this.lost(`${this.timeouts} timeouts in a row`);
      }
      return new LinkError("timeout", msg);
    }
    if (err?.errno === "ECONNREFUSED" || /Port Not Open|ECONNRESET|EPIPE|closed/i.test(err?.message ?? "")) {
      this.lost(err?.message ?? "connection error");
      return new LinkError("disconnected", msg);
    }
    return new LinkError("decode", msg);
  }

  private async connect(): Promise<void> {
    if (this.state === "stopped") return;
    const c = new ModbusRTU();
    const deadline = this.options.connectTimeoutMs ?? Math.max(1000, this.options.timeoutMs * 4);
    const stop = new AbortController();
    try {
      const opening =
        this.endpoint.kind === "tcp"
          ? c.connectTCP(this.endpoint.host, { port: this.endpoint.port })
          : c.connectRTUBuffered(this.endpoint.path, {
              baudRate: this.endpoint.baud,
              parity: this.endpoint.parity,
              dataBits: this.endpoint.dataBits,
              stopBits: this.endpoint.stopBits,
            });
      const timedOut = sleep(deadline, stop.signal).then(() => {
        if (!stop.signal.aborted) throw new Error(`connect timed out after ${deadline} ms`);
      });
      await Promise.race([opening, timedOut]);
      stop.abort();
    } catch (e) {
      stop.abort();
      try {
        c.destroy();
      } catch {
        // already gone
      }
      this.lastError = (e as Error)?.message ?? String(e);
      this.scheduleRetry();
      return;
    }
    if (this.stopped()) {
      c.close();
      return;
    }
    c.setTimeout(this.options.timeoutMs);
    c.on("close", () => {
      if (this.client === c) this.lost("connection closed by peer");
    });
    c.on("error", (e: unknown) => {
      if (this.client === c) this.lost((e as Error)?.message ?? String(e));
    });
    this.client = c;
    this.state = "connected";
    this.connects++;
    this.epoch++;
    this.timeouts = 0;
    this.lastError = undefined;
    this.backoff.reset();
    this.log.info({ link: this.key, reconnects: this.connects - 1 }, "modbus link: connected");
    for (const fn of this.connectedListeners) fn();
  }

  private lost(reason: string): void {
    if (this.state !== "connected") return;
    this.lastError = reason;
    this.log.warn({ link: this.key, reason }, "modbus link: connection lost");
    this.abortInFlight?.(new LinkError("disconnected", `${this.key}: ${reason}`));
    this.failQueued(new LinkError("disconnected", `${this.key}: ${reason}`));
    void this.drop();
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.state === "stopped") return;
    this.state = "backoff";
    const delay = this.backoff.next();
    this.log.debug({ link: this.key, delay_ms: delay, attempt: this.backoff.attempts, error: this.lastError }, "modbus link: reconnect scheduled");
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      if (this.state === "stopped") return;
      this.state = "connecting";
      void this.connect();
    }, delay);
    this.retryTimer.unref?.();
  }

  private async drop(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (!c) return;
    await new Promise<void>((resolve) => {
      try {
        c.close(() => resolve());
      } catch {
        resolve();
      }
      // close() never calls back on a socket that is already gone.
      setTimeout(resolve, 200).unref?.();
    });
    try {
      c.destroy();
    } catch {
      // already gone
    }
  }

  private failQueued(e: LinkError): void {
    for (const q of [this.high, this.low]) for (const job of q.splice(0)) job.reject(e);
  }
}

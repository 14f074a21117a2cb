// The agents of a bench run: one agent OS process per microgrid, started as
// deploy/ starts it in the field (`node --max-semi-space-size=2 bin/run-ts.mjs
// agent/bin.ts --config <site>`, the same as `blackstart agent`) (inside its network namespace when the run has one), reached
// over its HTTP port: POST /tick drives an external-clock agent one tick,
// POST /restore calls for a restoration, GET /state reads what it thinks.
// Kill and restart act on the real process; CPU and memory are summed over
// its lives.
import { join } from "node:path";
import type { TickReport } from "../../agent/runtime/restorer.js";
import { ChildProc, jsonLine, type ProcSample } from "./processes.js";

const ROOT = join(import.meta.dirname, "../..");
/** The agent's command line as deploy/ runs it on a gateway (systemd unit, container): the agent entry alone, a small young generation. */
export const AGENT_COMMAND = [process.execPath, "--max-semi-space-size=2", join(ROOT, "bin/run-ts.mjs"), join(ROOT, "agent/bin.ts")];

export interface AgentSpec {
  microgrid: string;
  siteFile: string;
  /** Network namespace to run in (partition and packet-loss faults), and the address the bench reaches its HTTP at. */
  netns?: { name: string; address: string };
}

export interface AgentUsage {
  lives: number;
  cpu_s: number;
  peak_rss_mb: number;
  /** Resident memory at the last sample (MiB). */
  rss_mb: number;
}

export class AgentHandle {
  proc: ChildProc | undefined;
  url: string | undefined;
  lives = 0;
  private cpuEarlier = 0;
  private peakRss = 0;
  /** Ticks asked, and their outcomes (per life, in order). */
  readonly ticks: { tick: number; ok: boolean; ms: number; error?: string }[] = [];

  constructor(
    readonly spec: AgentSpec,
    private readonly logDir: string,
  ) {}

  get microgrid(): string {
    return this.spec.microgrid;
  }

  get alive(): boolean {
    return this.proc?.alive ?? false;
  }

  async start(readyTimeoutMs = 60_000): Promise<void> {
    if (this.alive) return;
    this.account();
    const node = [...AGENT_COMMAND, "--config", this.spec.siteFile];
    const [command, ...args] = this.spec.netns ? ["ip", "netns", "exec", this.spec.netns.name, ...node] : node;
    const { proc, ready } = await ChildProc.spawn({
      name: `agent ${this.microgrid}`,
      command: command!,
      args,
      logFile: join(this.logDir, `agent-${this.microgrid}.log`),
      readyTimeoutMs,
      // pino's line `{"msg":"agent running","http":"http://host:port",...}`
      ready: (line) => {
        const j = jsonLine(line);
        return j && j.msg === "agent running" && typeof j.http === "string" ? j.http : undefined;
      },
    });
    this.proc = proc;
    this.lives++;
    const u = new URL(ready);
    if (this.spec.netns || u.hostname === "0.0.0.0") u.hostname = this.spec.netns?.address ?? "127.0.0.1";
    this.url = u.origin;
  }

  /** Fold the finished life's CPU into the total before a new life starts. */
  private account(): void {
    if (this.proc) {
      const s = this.proc.sample();
      this.cpuEarlier += s?.cpuS ?? 0;
      this.peakRss = Math.max(this.peakRss, s?.peakRssMb ?? 0);
      this.proc = undefined;
    }
  }

  kill(signal: NodeJS.Signals): void {
    this.proc?.kill(signal);
  }

  async stop(): Promise<void> {
    if (this.proc?.alive) await this.proc.stop(15_000);
  }

  sample(): ProcSample | undefined {
    return this.proc?.sample();
  }

  usage(): AgentUsage {
    const s = this.proc?.sample() ?? this.proc?.last;
    return {
      lives: this.lives,
      cpu_s: this.cpuEarlier + (s?.cpuS ?? 0),
      peak_rss_mb: Math.max(this.peakRss, s?.peakRssMb ?? 0),
      rss_mb: s?.rssMb ?? 0,
    };
  }

  private async post(path: string, body: unknown, timeoutMs: number): Promise<{ status: number; json: unknown }> {
    if (!this.url) throw new Error(`agent ${this.microgrid} has no HTTP address`);
    const res = await fetch(`${this.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: res.status, json: await res.json().catch(() => null) };
  }

  /** One tick (external clock); its report, or why there is none (process gone, refused, timed out). */
  async tick(tick: number, timeoutMs: number): Promise<{ report?: TickReport; error?: string }> {
    const t0 = performance.now();
    try {
      const r = await this.post("/tick", {}, timeoutMs);
      const ms = performance.now() - t0;
      if (r.status !== 200) {
        const error = `HTTP ${r.status}: ${(r.json as { error?: string } | null)?.error ?? "no body"}`;
        this.ticks.push({ tick, ok: false, ms, error });
        return { error };
      }
      this.ticks.push({ tick, ok: true, ms });
      return { report: r.json as TickReport };
    } catch (e) {
      const error = (e as Error).name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : (e as Error).message;
      this.ticks.push({ tick, ok: false, ms: performance.now() - t0, error });
      return { error };
    }
  }

  async restore(reason: string): Promise<boolean> {
    try {
      return (await this.post("/restore", { reason }, 5000)).status === 202;
    } catch {
      return false;
    }
  }

  /** GET /healthz: live/ready and the reasons (e.g. `peer bus down: static quota only`). */
  async health(): Promise<{ live: boolean; ready: boolean; reasons: string[] } | undefined> {
    if (!this.url) return undefined;
    try {
      const res = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(3000) });
      return (await res.json()) as { live: boolean; ready: boolean; reasons: string[] };
    } catch {
      return undefined;
    }
  }

  async state(): Promise<unknown> {
    if (!this.url) return undefined;
    try {
      const res = await fetch(`${this.url}/state`, { signal: AbortSignal.timeout(3000) });
      return await res.json();
    } catch {
      return undefined;
    }
  }
}

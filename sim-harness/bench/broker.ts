// The bench's MQTT broker, in its own OS process so that a fault can kill it
// and start it again on the same port: the embedded aedes broker of
// agent/bus (retained messages kept in SQLite across restarts).
import { join } from "node:path";
import type { BenchBusCredentials } from "./sites.js";
import { ChildProc, jsonLine, type ProcSample } from "./processes.js";

export type BrokerKind = "embedded";

export interface BrokerStartOptions {
  dir: string;
  /** Address it listens on (0.0.0.0 when agents sit in network namespaces). */
  host: string;
  baseTopic: string;
  fleet: readonly string[];
}

const RUN_TS = join(import.meta.dirname, "../../bin/run-ts.mjs");
const ENTRY = join(import.meta.dirname, "broker-process.ts");

export class Broker {
  private proc: ChildProc | undefined;
  port = 0;
  lives = 0;
  private cpuEarlier = 0;
  private peakRss = 0;

  private constructor(
    readonly kind: BrokerKind,
    private readonly o: BrokerStartOptions,
  ) {}

  static async start(kind: BrokerKind, o: BrokerStartOptions): Promise<Broker> {
    const b = new Broker(kind, o);
    await b.spawn();
    return b;
  }

  private async spawn(): Promise<void> {
    const { proc, ready } = await ChildProc.spawn({
      name: "broker",
      command: process.execPath,
      args: [RUN_TS, ENTRY, "--host", this.o.host, "--port", String(this.port), "--store", join(this.o.dir, "broker-retained.db"), "--base", this.o.baseTopic],
      logFile: join(this.o.dir, "logs", "broker.log"),
      readyTimeoutMs: 30_000,
      ready: (line) => {
        const j = jsonLine(line);
        return j && typeof j.port === "number" ? j.port : undefined;
      },
    });
    this.proc = proc;
    this.port = ready;
    this.lives++;
  }

  /** What the bench itself connects to. */
  get localUrl(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** What an agent connects to (the host end of its bus link when it sits in a namespace). */
  urlFor(hostIp?: string): string {
    return `mqtt://${hostIp ?? "127.0.0.1"}:${this.port}`;
  }

  agentCredentials(_microgrid: string): BenchBusCredentials | undefined {
    return undefined;
  }

  observerCredentials(): { username?: string; password?: string } {
    return {};
  }

  get alive(): boolean {
    return this.proc?.alive ?? false;
  }

  kill(signal: NodeJS.Signals): void {
    this.proc?.kill(signal);
  }

  /** Start it again on the same port (its retained messages come back from SQLite). */
  async restart(): Promise<void> {
    if (this.proc?.alive) await this.proc.stop();
    await this.proc?.exited;
    const s = this.proc?.last;
    this.cpuEarlier += s?.cpuS ?? 0;
    this.peakRss = Math.max(this.peakRss, s?.peakRssMb ?? 0);
    await this.spawn();
  }

  usage(): { lives: number; cpu_s: number; peak_rss_mb: number } {
    const s: ProcSample | undefined = this.proc?.sample() ?? this.proc?.last;
    return { lives: this.lives, cpu_s: this.cpuEarlier + (s?.cpuS ?? 0), peak_rss_mb: Math.max(this.peakRss, s?.peakRssMb ?? 0) };
  }

  async stop(): Promise<void> {
    if (this.proc?.alive) await this.proc.stop();
  }
}

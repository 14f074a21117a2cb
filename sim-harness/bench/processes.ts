// The bench's child processes: each agent and the broker run as their own OS
// process, as in the field, with their output in a log file of the run, their
// readiness read from what they print, and their CPU time and memory read
// from /proc while they run. kill() sends a real signal (kill -9 included).
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, readFileSync, type WriteStream } from "node:fs";
import { createConnection } from "node:net";
import { createInterface } from "node:readline";
import { BlackstartError } from "../../shared/errors.js";
import { BenchErrors } from "./errors.js";

export interface ProcSample {
  /** User + system CPU seconds so far. */
  cpuS: number;
  /** Resident set now and its peak (MiB). */
  rssMb: number;
  peakRssMb: number;
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** CPU and memory of a live process from /proc (undefined when it is gone or /proc is absent). */
export function sampleProc(pid: number): ProcSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const cpuS = (Number(f[11]) + Number(f[12])) / CLOCK_TICKS;
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? 0);
    return { cpuS, rssMb: kb("VmRSS") / 1024, peakRssMb: kb("VmHWM") / 1024 };
  } catch {
    return undefined;
  }
}

export interface SpawnOptions<T> {
  name: string;
  command: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  logFile: string;
  /** Looks at each stdout line (and stderr's with `readyOnStderr`); the first non-undefined result means the process is ready. */
  ready: (line: string) => T | undefined;
  readyOnStderr?: boolean;
  /** Or asked every 100 ms (e.g. whether its port accepts connections). */
  probe?: () => Promise<T | undefined>;
  readyTimeoutMs: number;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class ChildProc {
  readonly exited: Promise<Exit>;
  private exit: Exit | undefined;
  private readonly tail: string[] = [];
  /** Last sample taken while it ran (what it used up to its end). */
  last: ProcSample | undefined;
  /** Samples of earlier lives are summed by the owner; this is one life. */
  readonly startedAt = performance.now();

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
    private readonly log: WriteStream,
  ) {
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        this.exit = { code, signal };
        this.log.write(`--- ${name} exited: ${signal ?? `code ${code}`}\n`);
        resolve(this.exit);
      });
    });
  }

  static async spawn<T>(o: SpawnOptions<T>): Promise<{ proc: ChildProc; ready: T }> {
    const log = createWriteStream(o.logFile, { flags: "a" });
    log.write(`--- ${new Date().toISOString()} ${o.command} ${o.args.join(" ")}\n`);
    const child = spawn(o.command, [...o.args], { env: o.env ?? process.env, cwd: o.cwd, stdio: ["ignore", "pipe", "pipe"] });
    const proc = new ChildProc(o.name, child, log);
    let resolveReady!: (v: T) => void;
    const ready = new Promise<T>((r) => (resolveReady = r));
    let found = false;
    const keep = (line: string) => {
      log.write(`${line}\n`);
      proc.tail.push(line);
      if (proc.tail.length > 20) proc.tail.shift();
    };
    const watch = (line: string) => {
      keep(line);
      if (found) return;
      const r = o.ready(line);
      if (r !== undefined) {
        found = true;
        resolveReady(r);
      }
    };
    createInterface({ input: child.stdout! }).on("line", watch);
    createInterface({ input: child.stderr! }).on("line", o.readyOnStderr ? watch : keep);
    child.once("error", (e) => keep(`spawn error: ${e.message}`));
    const prober = o.probe
      ? setInterval(() => {
          if (found) return;
          void o.probe!().then((r) => {
            if (r !== undefined && !found) {
              found = true;
              resolveReady(r);
            }
          });
        }, 100)
      : undefined;
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      ready.then((v) => ({ ok: true as const, v })),
      proc.exited.then((x) => ({ ok: false as const, why: `exited (${x.signal ?? `code ${x.code}`}) before it was ready` })),
      new Promise<{ ok: false; why: string }>((r) => (timer = setTimeout(() => r({ ok: false, why: `not ready after ${o.readyTimeoutMs} ms` }), o.readyTimeoutMs))),
    ]);
    clearTimeout(timer);
    clearInterval(prober);
    if (!outcome.ok) {
      proc.kill("SIGKILL");
      await proc.exited;
      throw new BlackstartError(BenchErrors.PROCESS, `${o.name} ${outcome.why}; last output: ${proc.tail.slice(-3).join(" | ") || "(none)"} (log: ${o.logFile})`);
    }
    proc.sample();
    return { proc, ready: outcome.v };
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get alive(): boolean {
    return this.exit === undefined;
  }

  /** Take a CPU/memory sample now (kept as `last`). */
  sample(): ProcSample | undefined {
    if (!this.alive) return this.last;
    const s = sampleProc(this.pid);
    if (s) this.last = s;
    return this.last;
  }

  kill(signal: NodeJS.Signals): void {
    if (!this.alive) return;
    this.sample();
    try {
      this.child.kill(signal);
    } catch {
      // already gone
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 5000): Promise<Exit> {
    if (!this.alive) return this.exit!;
    this.kill("SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([this.exited.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), graceMs)))]);
    clearTimeout(timer);
    if (timedOut) this.kill("SIGKILL");
    const exit = await this.exited;
    this.log.end();
    return exit;
  }

  lastOutput(n = 3): string[] {
    return this.tail.slice(-n);
  }
}

/** The first JSON object on a line, or undefined. */
export function jsonLine(line: string): Record<string, unknown> | undefined {
  const t = line.trim();
  if (!t.startsWith("{")) return undefined;
  try {
    const v = JSON.parse(t) as unknown;
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Whether something accepts TCP connections at host:port (a readiness probe). */
export function tcpOpen(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once("connect", () => done(true));
    sock.once("error", () => done(false));
  });
}

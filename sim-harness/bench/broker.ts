// The bench's MQTT broker, in its own OS process so that a fault can kill it
// and start it again on the same port:
// - `embedded`: the aedes broker of agent/bus (retained messages kept in
//   SQLite across restarts), plain MQTT on the bench's own host;
// - `mosquitto`: Debian's mosquitto with the fleet configuration shipped in
//   deploy/mosquitto (its mosquitto.conf and acl, unchanged but for paths and
//   port; certificates and passwords made by its own make-certs.sh and
//   make-passwords.sh): TLS, a user per microgrid, the per-microgrid ACL. The
//   agents run unchanged across it; the bench observes as the `operator` user.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { BlackstartError } from "../../shared/errors.js";
import { BenchErrors } from "./errors.js";
import type { BenchBusCredentials } from "./sites.js";
import { ChildProc, jsonLine, tcpOpen, type ProcSample } from "./processes.js";

export type BrokerKind = "embedded" | "mosquitto";

export interface BrokerStartOptions {
  dir: string;
  /** Address it listens on (0.0.0.0 when agents sit in network namespaces). */
  host: string;
  /** Addresses agents reach it at (certificate names for mosquitto). */
  reachAt?: readonly string[];
  baseTopic: string;
  fleet: readonly string[];
}

const ROOT = resolve(import.meta.dirname, "../..");
const RUN_TS = join(ROOT, "bin/run-ts.mjs");
const ENTRY = join(import.meta.dirname, "broker-process.ts");
export const MOSQUITTO_DEPLOY = join(ROOT, "deploy/mosquitto");

/** A free TCP port on the host (for a broker that must keep its port across restarts). */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, host, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

export function mosquittoAvailable(): boolean {
  try {
    execFileSync("mosquitto", ["-h"], { stdio: "ignore" });
  } catch (e) {
    // `mosquitto -h` exits 3 after printing its help: present.
    if ((e as { status?: number }).status === undefined) return false;
  }
  try {
    execFileSync("mosquitto_passwd", ["-h"], { stdio: "ignore" });
  } catch (e) {
    if ((e as { status?: number }).status === undefined) return false;
  }
  return true;
}

export class Broker {
  private proc: ChildProc | undefined;
  port = 0;
  lives = 0;
  private cpuEarlier = 0;
  private peakRss = 0;
  private readonly secrets: string;
  private conf = "";

  private constructor(
    readonly kind: BrokerKind,
    private readonly o: BrokerStartOptions,
  ) {
    this.secrets = join(o.dir, "mosquitto");
  }

  static async start(kind: BrokerKind, o: BrokerStartOptions): Promise<Broker> {
    const b = new Broker(kind, o);
    if (kind === "mosquitto") await b.prepareMosquitto();
    await b.spawn();
    return b;
  }

  /** Certificates, passwords, ACL and configuration from deploy/mosquitto, for this run. */
  private async prepareMosquitto(): Promise<void> {
    if (!mosquittoAvailable()) throw new BlackstartError(BenchErrors.PROCESS, "--broker mosquitto needs Debian's mosquitto (apt-get install -y mosquitto mosquitto-clients)");
    mkdirSync(join(this.secrets, "data"), { recursive: true });
    const users = [...this.o.fleet, "operator"];
    const names = ["127.0.0.1", "localhost", ...(this.o.reachAt ?? [])].join(",");
    const sh = (script: string, args: string[]) => {
      try {
        execFileSync("bash", [join(MOSQUITTO_DEPLOY, script), ...args], { stdio: ["ignore", "pipe", "pipe"] });
      } catch (e) {
        throw new BlackstartError(BenchErrors.PROCESS, `deploy/mosquitto/${script}: ${((e as { stderr?: Buffer }).stderr ?? "").toString().trim() || (e as Error).message}`);
      }
    };
    sh("make-certs.sh", [this.secrets, names, ...users]);
    sh("make-passwords.sh", [this.secrets, ...users]);
    writeFileSync(join(this.secrets, "acl"), readFileSync(join(MOSQUITTO_DEPLOY, "acl"), "utf8").replaceAll("blackstart/", `${this.o.baseTopic}/`));
    this.port = await freePort(this.o.host === "0.0.0.0" ? "0.0.0.0" : "127.0.0.1");
    // The shipped configuration, with this run's paths and port; logs to the run's log file.
    const conf = readFileSync(join(MOSQUITTO_DEPLOY, "mosquitto.conf"), "utf8")
      .replaceAll("/etc/mosquitto/blackstart/", `${this.secrets}/`)
      .replaceAll("/var/lib/mosquitto/", `${join(this.secrets, "data")}/`)
      .replace(/^listener 8883 0\.0\.0\.0$/m, `listener ${this.port} ${this.o.host}`);
    if (!conf.includes(`listener ${this.port} `)) throw new BlackstartError(BenchErrors.PROCESS, "deploy/mosquitto/mosquitto.conf has no 'listener 8883 0.0.0.0' line to put the bench's port in");
    this.conf = join(this.secrets, "mosquitto.conf");
    // stderr: unbuffered, so the run's log is current.
    writeFileSync(this.conf, `${conf}\nlog_dest stderr\nlog_timestamp true\n`);
    // Started as root, mosquitto drops to its own user: give it its files, as deploy/mosquitto/README.md does.
    if (process.getuid?.() === 0) {
      try {
        execFileSync("chown", ["-R", "mosquitto:", this.secrets], { stdio: "ignore" });
      } catch {
        // no `mosquitto` user: it then keeps running as root
      }
    }
  }

  private async spawn(): Promise<void> {
    if (this.kind === "mosquitto") {
      const { proc } = await ChildProc.spawn({
        name: "mosquitto",
        command: "mosquitto",
        args: ["-c", this.conf],
        logFile: join(this.o.dir, "logs", "broker.log"),
        readyTimeoutMs: 15_000,
        ready: () => undefined,
        probe: async () => ((await tcpOpen("127.0.0.1", this.port)) ? true : undefined),
      });
      this.proc = proc;
    } else {
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
    }
    this.lives++;
  }

  private get scheme(): string {
    return this.kind === "mosquitto" ? "mqtts" : "mqtt";
  }

  /** What the bench itself connects to. */
  get localUrl(): string {
    return `${this.scheme}://127.0.0.1:${this.port}`;
  }

  /** What an agent connects to (the host end of its bus link when it sits in a namespace). */
  urlFor(hostIp?: string): string {
    return `${this.scheme}://${hostIp ?? "127.0.0.1"}:${this.port}`;
  }

  /** An agent's user (its microgrid id), password file and the CA to trust. */
  agentCredentials(microgrid: string): BenchBusCredentials | undefined {
    if (this.kind !== "mosquitto") return undefined;
    return { username: microgrid, password: { file: join(this.secrets, `${microgrid}.password`) }, tls: { ca: join(this.secrets, "ca.crt") } };
  }

  /** The bench reads the fleet as the operator user (the ACL lets every authenticated user read). */
  observerCredentials(): { username?: string; password?: string; tls?: { ca: string } } {
    if (this.kind !== "mosquitto") return {};
    return { username: "operator", password: readFileSync(join(this.secrets, "operator.password"), "utf8").trim(), tls: { ca: join(this.secrets, "ca.crt") } };
  }

  get alive(): boolean {
    return this.proc?.alive ?? false;
  }

  kill(signal: NodeJS.Signals): void {
    this.proc?.kill(signal);
  }

  /** Start it again on the same port (retained messages come back: SQLite for aedes, persistence for mosquitto). */
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

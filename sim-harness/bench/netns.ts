// Agents in their own network namespaces (root only), each with two links to
// the host, as a gateway on a substation LAN would have: a device link (to
// the simulated relays and inverters) and a bus link (to the broker). A
// partition acts on the bus link alone: its namespace end is taken down, so
// the agent finds its broker unreachable at once while the broker's packets
// to it vanish silently (its keepalive gives up on it and fires its last
// will). Packet loss uses the kernel's netem qdisc (`tc qdisc netem loss`)
// on both ends of the bus link; on a kernel without netem the bus link runs
// through a third namespace where lossy-link.py bridges its two halves frame
// by frame and drops the asked share of frames, both ways.
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { BlackstartError } from "../../shared/errors.js";
import { BenchErrors } from "./errors.js";

export interface AgentNet {
  microgrid: string;
  ns: string;
  /** Host and namespace ends of the device link and of the bus link. */
  devHost: string;
  devNs: string;
  busHost: string;
  busNs: string;
  /** Addresses: the host side of each link (what the agent connects to) and the agent's own on the device link (its HTTP). */
  devHostIp: string;
  devNsIp: string;
  busHostIp: string;
  busNsIp: string;
}

function run(cmd: string, args: readonly string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new BlackstartError(BenchErrors.NETWORK, `${cmd} ${args.join(" ")}: ${(err.stderr ?? err.message).trim()}`);
  }
}

/** Whether this kernel has the netem qdisc (packet loss); checked on a throw-away veth pair. */
export function netemAvailable(): boolean {
  const dev = `bsnetem${process.pid % 1000}`;
  try {
    execFileSync("ip", ["link", "add", dev, "type", "veth", "peer", "name", `${dev}p`], { stdio: "ignore" });
  } catch {
    return false;
  }
  try {
    execFileSync("tc", ["qdisc", "add", "dev", dev, "root", "netem", "loss", "1%"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  } finally {
    try {
      execFileSync("ip", ["link", "del", dev], { stdio: "ignore" });
    } catch {
      // gone
    }
  }
}

/** Network namespaces need root and the `ip` and `tc` tools. */
export function netnsAvailable(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync("ip", ["netns", "list"], { stdio: "ignore" });
    execFileSync("tc", ["-V"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const NS_PREFIX = /^bs([0-9a-z]+)-/;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Delete the namespaces of bench runs whose process is gone (killed before its cleanup ran); their
 * veth pairs go with them. A host end left behind keeps its address and route: a new run on the same
 * subnet would then send its replies into a dead link (seen: every agent's broker connection timed out).
 */
export function sweepStale(): string[] {
  let list = "";
  try {
    list = execFileSync("ip", ["netns", "list"], { encoding: "utf8" });
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const line of list.split("\n")) {
    const name = line.split(" ")[0] ?? "";
    const m = NS_PREFIX.exec(name);
    if (!m) continue;
    const pid = Number.parseInt(m[1]!, 36);
    if (pid === process.pid || alive(pid)) continue;
    try {
      execFileSync("ip", ["netns", "del", name], { stdio: "ignore" });
      removed.push(name);
    } catch {
      // another run swept it first
    }
  }
  return removed;
}

/** Two second octets whose 10.x.0.0/16 no address or route on this host touches (another run's, a VPN's). */
export function freeOctets(): [number, number] {
  let used = "";
  try {
    used = execFileSync("ip", ["-o", "-4", "addr"], { encoding: "utf8" }) + execFileSync("ip", ["-4", "route"], { encoding: "utf8" });
  } catch {
    // no ip tool: add() reports it
  }
  const taken = new Set<number>();
  for (const m of used.matchAll(/\b10\.(\d+)\./g)) taken.add(Number(m[1]));
  const free: number[] = [];
  for (let x = 231; x < 255 && free.length < 2; x++) if (!taken.has(x)) free.push(x);
  if (free.length < 2) throw new BlackstartError(BenchErrors.NETWORK, "no free 10.x.0.0/16 subnets between 10.231 and 10.254 for the agents' links (are stale bench namespaces left? `ip netns list`)");
  return [free[0]!, free[1]!];
}

const LOSSY_LINK = join(import.meta.dirname, "lossy-link.py");

interface Bridge {
  proc: ChildProcessWithoutNullStreams;
  /** Resolves with each acknowledgement line, in order. */
  acks: ((line: string) => void)[];
  linkNs: string;
}

export interface NetworkOptions {
  /** Bus links through the user-space lossy bridge (no netem in this kernel). */
  userspaceLoss?: boolean;
  /** Folder for the bridges' logs. */
  logDir?: string;
  /** Keeps names of concurrent runs apart (interface names are at most 15 characters). */
  tag?: string;
}

export class BenchNetwork {
  readonly agents = new Map<string, AgentNet>();
  private readonly lossy = new Set<string>();
  private readonly bridges = new Map<string, Bridge>();
  private readonly tag: string;

  /** Second octets of the device links' and the bus links' 10.x.k.0/30 subnets, chosen free on this host. */
  private readonly octets: readonly [number, number];

  constructor(private readonly o: NetworkOptions = {}) {
    // The whole pid: a namespace left behind by a run that died names a process that is gone (sweepStale).
    this.tag = o.tag ?? process.pid.toString(36);
    sweepStale();
    this.octets = freeOctets();
  }

  /** Create the namespace and both links of agent k (0-based, < 250). */
  async add(microgrid: string, k: number): Promise<AgentNet> {
    const ns = `bs${this.tag}-${microgrid}`.slice(0, 40);
    const base = `b${this.tag}${k}`;
    const a: AgentNet = {
      microgrid,
      ns,
      devHost: `${base}dh`,
      devNs: `${base}dn`,
      busHost: `${base}bh`,
      busNs: `${base}bn`,
      devHostIp: `10.${this.octets[0]}.${k}.1`,
      devNsIp: `10.${this.octets[0]}.${k}.2`,
      busHostIp: `10.${this.octets[1]}.${k}.1`,
      busNsIp: `10.${this.octets[1]}.${k}.2`,
    };
    run("ip", ["netns", "add", ns]);
    this.agents.set(microgrid, a);
    run("ip", ["-n", ns, "link", "set", "lo", "up"]);
    const links: (readonly [string, string, string, string])[] = [[a.devHost, a.devNs, a.devHostIp, a.devNsIp]];
    if (!this.o.userspaceLoss) links.push([a.busHost, a.busNs, a.busHostIp, a.busNsIp]);
    for (const [host, inNs, hostIp, nsIp] of links) {
      run("ip", ["link", "add", host, "type", "veth", "peer", "name", inNs, "netns", ns]);
      run("ip", ["addr", "add", `${hostIp}/30`, "dev", host]);
      run("ip", ["link", "set", host, "up"]);
      run("ip", ["-n", ns, "addr", "add", `${nsIp}/30`, "dev", inNs]);
      run("ip", ["-n", ns, "link", "set", inNs, "up"]);
    }
    if (this.o.userspaceLoss) await this.bridgedBusLink(a, base);
    return a;
  }

  /** The bus link as two veth pairs meeting in a link namespace, bridged by lossy-link.py. */
  private async bridgedBusLink(a: AgentNet, base: string): Promise<void> {
    const linkNs = `${a.ns}-l`;
    const [la, lb] = [`${base}la`, `${base}lb`];
    run("ip", ["netns", "add", linkNs]);
    run("ip", ["link", "add", a.busHost, "type", "veth", "peer", "name", lb, "netns", linkNs]);
    run("ip", ["-n", linkNs, "link", "add", la, "type", "veth", "peer", "name", a.busNs, "netns", a.ns]);
    run("ip", ["addr", "add", `${a.busHostIp}/30`, "dev", a.busHost]);
    run("ip", ["link", "set", a.busHost, "up"]);
    run("ip", ["-n", a.ns, "addr", "add", `${a.busNsIp}/30`, "dev", a.busNs]);
    run("ip", ["-n", a.ns, "link", "set", a.busNs, "up"]);
    for (const dev of [la, lb]) run("ip", ["-n", linkNs, "link", "set", dev, "up", "promisc", "on"]);
    // Frames leave a veth with their checksums to be filled in and TCP segments merged (offloads):
    // a bridge in user space must see finished frames of at most the MTU.
    const off = ["tx", "off", "rx", "off", "tso", "off", "gso", "off", "gro", "off"];
    run("ip", ["netns", "exec", a.ns, "ethtool", "-K", a.busNs, ...off]);
    run("ethtool", ["-K", a.busHost, ...off]);
    for (const dev of [la, lb]) run("ip", ["netns", "exec", linkNs, "ethtool", "-K", dev, ...off]);
    const proc = spawn("ip", ["netns", "exec", linkNs, "/usr/bin/python3", LOSSY_LINK, la, lb], { stdio: ["pipe", "pipe", "pipe"] });
    const log = this.o.logDir ? createWriteStream(join(this.o.logDir, `lossy-link-${a.microgrid}.log`), { flags: "a" }) : undefined;
    const bridge: Bridge = { proc, acks: [], linkNs };
    this.bridges.set(a.microgrid, bridge);
    let ready!: () => void;
    const isReady = new Promise<void>((r) => (ready = r));
    createInterface({ input: proc.stdout }).on("line", (line) => {
      log?.write(`${line}\n`);
      if (line === "ready") ready();
      else if (line.startsWith("ok ")) bridge.acks.shift()?.(line);
    });
    proc.stderr.on("data", (d: Buffer) => log?.write(d));
    const t = setTimeout(() => ready(), 5000);
    await isReady;
    clearTimeout(t);
    if (proc.exitCode !== null) throw new BlackstartError(BenchErrors.NETWORK, `lossy-link.py for ${a.microgrid} exited (${proc.exitCode}); needs root and /usr/bin/python3`);
  }

  private get(microgrid: string): AgentNet {
    const a = this.agents.get(microgrid);
    if (!a) throw new BlackstartError(BenchErrors.FAULTS, `no network namespace for microgrid '${microgrid}' (the run has: ${[...this.agents.keys()].join(", ")})`);
    return a;
  }

  /** Drop `percent` % of the packets on both ends of the agent's bus link (0 removes the loss). */
  async busLoss(microgrid: string, percent: number): Promise<void> {
    const a = this.get(microgrid);
    const bridge = this.bridges.get(microgrid);
    if (bridge) {
      const ack = new Promise<string>((r) => bridge.acks.push(r));
      bridge.proc.stdin.write(`loss ${percent}\n`);
      await Promise.race([ack, new Promise((r) => setTimeout(r, 2000))]);
      return;
    }
    for (const [dev, ns] of [
      [a.busHost, undefined],
      [a.busNs, a.ns],
    ] as const) {
      const pre = ns ? ["-n", ns] : [];
      const key = `${ns ?? ""}/${dev}`;
      if (this.lossy.has(key)) {
        run("tc", [...pre, "qdisc", "del", "dev", dev, "root"]);
        this.lossy.delete(key);
      }
      if (percent > 0) {
        run("tc", [...pre, "qdisc", "add", "dev", dev, "root", "netem", "loss", `${percent}%`]);
        this.lossy.add(key);
      }
    }
  }

  partition(microgrid: string): void {
    const a = this.get(microgrid);
    run("ip", ["-n", a.ns, "link", "set", a.busNs, "down"]);
  }

  heal(microgrid: string): void {
    const a = this.get(microgrid);
    run("ip", ["-n", a.ns, "link", "set", a.busNs, "up"]);
  }

  /** Remove every namespace and link this run made (deleting a namespace deletes its veth pairs). */
  close(): void {
    for (const b of this.bridges.values()) {
      b.proc.stdin.end();
      b.proc.kill("SIGTERM");
      try {
        execFileSync("ip", ["netns", "del", b.linkNs], { stdio: "ignore" });
      } catch {
        // already gone
      }
    }
    this.bridges.clear();
    for (const a of this.agents.values()) {
      try {
        execFileSync("ip", ["netns", "del", a.ns], { stdio: "ignore" });
      } catch {
        // already gone
      }
      for (const dev of [a.devHost, a.busHost]) {
        try {
          execFileSync("ip", ["link", "del", dev], { stdio: "ignore" });
        } catch {
          // went with the namespace
        }
      }
    }
    this.agents.clear();
  }
}

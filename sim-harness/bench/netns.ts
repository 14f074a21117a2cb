// Agents in their own network namespaces (root only), each with two links to
// the host, as a gateway on a substation LAN would have: a device link (to
// the simulated relays and inverters) and a bus link (to the broker). A
// partition acts on the bus link alone: its namespace end is taken down, so
// the agent finds its broker unreachable at once while the broker's packets
// to it vanish silently (its keepalive gives up on it and fires its last
// will). Packet loss uses the kernel's netem qdisc (`tc qdisc netem loss`)
// on both ends of the bus link, when the kernel has it.
import { execFileSync } from "node:child_process";
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

export class BenchNetwork {
  readonly agents = new Map<string, AgentNet>();
  private readonly lossy = new Set<string>();

  /** `tag` keeps names of concurrent runs apart (interface names are at most 15 characters). */
  constructor(private readonly tag = (process.pid % 10000).toString(36)) {}

  /** Create the namespace and both links of agent k (0-based, < 250). */
  add(microgrid: string, k: number): AgentNet {
    const ns = `bs${this.tag}-${microgrid}`.slice(0, 40);
    const base = `b${this.tag}${k}`;
    const a: AgentNet = {
      microgrid,
      ns,
      devHost: `${base}dh`,
      devNs: `${base}dn`,
      busHost: `${base}bh`,
      busNs: `${base}bn`,
      devHostIp: `10.231.${k}.1`,
      devNsIp: `10.231.${k}.2`,
      busHostIp: `10.232.${k}.1`,
      busNsIp: `10.232.${k}.2`,
    };
    run("ip", ["netns", "add", ns]);
    this.agents.set(microgrid, a);
    run("ip", ["-n", ns, "link", "set", "lo", "up"]);
    for (const [host, inNs, hostIp, nsIp] of [
      [a.devHost, a.devNs, a.devHostIp, a.devNsIp],
      [a.busHost, a.busNs, a.busHostIp, a.busNsIp],
    ] as const) {
      run("ip", ["link", "add", host, "type", "veth", "peer", "name", inNs, "netns", ns]);
      run("ip", ["addr", "add", `${hostIp}/30`, "dev", host]);
      run("ip", ["link", "set", host, "up"]);
      run("ip", ["-n", ns, "addr", "add", `${nsIp}/30`, "dev", inNs]);
      run("ip", ["-n", ns, "link", "set", inNs, "up"]);
    }
    return a;
  }

  private get(microgrid: string): AgentNet {
    const a = this.agents.get(microgrid);
    if (!a) throw new BlackstartError(BenchErrors.FAULTS, `no network namespace for microgrid '${microgrid}' (the run has: ${[...this.agents.keys()].join(", ")})`);
    return a;
  }

  /** Drop `percent` % of the packets on both ends of the agent's bus link (0 removes the loss). */
  busLoss(microgrid: string, percent: number): void {
    const a = this.get(microgrid);
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

import { execFileSync, spawnSync } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { freeOctets, netnsAvailable, sweepStale } from "../netns.js";

// A bench run killed before its cleanup leaves its namespaces and the host ends of their links, with
// their addresses and routes: a later run on the same subnets sent its replies into the dead link and
// every agent's broker connection timed out. These need root (network namespaces); elsewhere they skip.
const root = netnsAvailable();

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(r.stdout);
}

describe.skipIf(!root)("stale bench namespaces", () => {
  const made: string[] = [];
  afterEach(() => {
    for (const ns of made.splice(0)) spawnSync("ip", ["netns", "del", ns]);
    spawnSync("ip", ["link", "del", "bstalehost"]);
  });

  it("are swept when their run's process is gone, and their subnets are not reused", () => {
    const ns = `bs${deadPid().toString(36)}-mgx`;
    const live = `bs${process.pid.toString(36)}-mgy`;
    made.push(ns, live);
    execFileSync("ip", ["netns", "add", ns]);
    execFileSync("ip", ["netns", "add", live]);
    execFileSync("ip", ["link", "add", "bstalehost", "type", "veth", "peer", "name", "bstalens", "netns", ns]);
    execFileSync("ip", ["addr", "add", "10.231.0.1/30", "dev", "bstalehost"]);
    execFileSync("ip", ["link", "set", "bstalehost", "up"]);
    // While the stale host end holds 10.231.0.1, a new run must pick other subnets.
    expect(freeOctets()).not.toContain(231);

    const removed = sweepStale();
    expect(removed).toContain(ns);
    expect(removed).not.toContain(live);
    const list = execFileSync("ip", ["netns", "list"], { encoding: "utf8" });
    expect(list).not.toContain(ns);
    expect(list).toContain(live);
    // The veth pair went with its namespace: the address and its route are free again.
    expect(execFileSync("ip", ["-o", "-4", "addr"], { encoding: "utf8" })).not.toContain("10.231.0.1");
  });
});

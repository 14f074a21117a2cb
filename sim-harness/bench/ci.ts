// Which shipped fault scenarios CI runs (`.ci/run`) and which it leaves to
// `npm run bench`, one line each: `<name>\trun` or `<name>\tskip\t<why>`.
//   node bin/run-ts.mjs sim-harness/bench/ci.ts
import { existsSync } from "node:fs";
import { loadBenchFaults } from "./fault-file.js";
import { shippedFaults } from "./faults/index.js";
import { netemAvailable, netnsAvailable } from "./netns.js";

const netns = netnsAvailable();
const netem = netns && netemAvailable();
// Without netem, packet loss runs through the user-space bridge (python3).
const userspace = netns && !netem && existsSync("/usr/bin/python3") && ["/usr/sbin/ethtool", "/sbin/ethtool"].some((p) => existsSync(p));
for (const f of shippedFaults()) {
  const doc = loadBenchFaults(f.file);
  const loss = doc.events.some((e) => e.action === "packet-loss");
  const why = !doc.ci
    ? "too long for CI's budget: npm run bench runs it"
    : doc.network && !netns
      ? "needs network namespaces (root): npm run bench as root runs it"
      : loss && !netem && !userspace
        ? "needs the kernel's netem qdisc, or /usr/bin/python3 and ethtool for the user-space lossy bridge"
        : undefined;
  process.stdout.write(why ? `${f.name}\tskip\t${why}\n` : `${f.name}\trun\n`);
}

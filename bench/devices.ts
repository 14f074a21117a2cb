// Simulated devices under polling load: `blackstart sim` serves every device
// of ieee8500-10mg (a child process, so its CPU and memory are its own), and
// one Modbus TCP connection per device polls that device's channels at 10 Hz,
// as an agent would (one request in flight per connection, the reads the
// profile's read planner makes). Figures: missed deadlines (a poll not done
// before the next one is due), read latency p50/p99, the harness's CPU and
// memory while serving. `npm run bench -- devices` (BENCH_DEVICES_SECONDS=30).
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import ModbusRTU from "modbus-serial";
import { profileById } from "../shared/profile/load.js";
import { planReads, type ReadBlock } from "../shared/profile/plan.js";
import type { Endpoint } from "../sim-harness/devices/harness.js";
import { machineSummary, percentile } from "./machine.js";
import type { BenchSuite } from "./suites.js";

const REPO = fileURLToPath(new URL("..", import.meta.url));
const SCENARIO = "ieee8500-10mg";
const PERIOD_MS = 100;

interface ProcSample {
  cpuMs: number;
  rssKb: number;
  hwmKb: number;
}

function sampleProc(pid: number): ProcSample {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? NaN);
  return { cpuMs: (ticks * 1000) / 100, rssKb: kb("VmRSS"), hwmKb: kb("VmHWM") };
}

/** Registers a poll of one device reads: its profile's channel points, planned into requests. */
function pollPlan(profileId: string): ReadBlock[] {
  const p = profileById(profileId);
  return planReads([...p.channels.values()].map((c) => c.point));
}

async function readBlock(c: InstanceType<typeof ModbusRTU>, b: ReadBlock): Promise<void> {
  if (b.table === "holding") await c.readHoldingRegisters(b.address, b.count);
  else if (b.table === "input") await c.readInputRegisters(b.address, b.count);
  else if (b.table === "coil") await c.readCoils(b.address, b.count);
  else await c.readDiscreteInputs(b.address, b.count);
}

export async function runDevicesBench(seconds = 30): Promise<void> {
  const log = (s: string) => process.stderr.write(`devices: ${s}\n`);
  const loadBefore = machineSummary();
  log(`starting blackstart sim --scenario ${SCENARIO} (${loadBefore})`);
  const plantArgs = process.env.BENCH_DEVICES_PLANT ? ["--plant", process.env.BENCH_DEVICES_PLANT] : [];
  const nodeArgs = process.env.BENCH_DEVICES_NODE_ARGS ? process.env.BENCH_DEVICES_NODE_ARGS.split(" ") : [];
  const child = spawn(process.execPath, [...nodeArgs, join(REPO, "bin/blackstart.mjs"), "sim", "--scenario", SCENARIO, "--json", ...plantArgs], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
  let childErr = "";
  child.stderr.on("data", (d) => (childErr += String(d)));
  const first = await createInterface({ input: child.stdout })[Symbol.asyncIterator]().next();
  if (first.done) throw new Error(`blackstart sim printed no endpoints:\n${childErr}`);
  const endpoints = (JSON.parse(first.value as string) as { endpoints: Endpoint[] }).endpoints.filter((e) => e.protocol === "modbus");
  const plant = /on the (\w+) plant/.exec(childErr)?.[1] ?? "?";
  log(`${endpoints.length} Modbus endpoints (${plant} plant); connecting`);

  const clients: InstanceType<typeof ModbusRTU>[] = [];
  for (const e of endpoints) {
    const c = new ModbusRTU();
    await c.connectTCP(e.host, { port: e.port });
    c.setID(e.unit_id ?? 1);
    c.setTimeout(1000);
    clients.push(c);
  }
  const plans = endpoints.map((e) => pollPlan(e.profile));
  const requestsPerPoll = plans.reduce((a, p) => a + p.length, 0);

  // Warm up one second, then measure.
  const latencies: number[] = [];
  let polls = 0;
  let missed = 0;
  let errors = 0;
  let measuring = false;
  const t0 = performance.now();
  const warmupMs = 1000;
  const endAt = t0 + warmupMs + seconds * 1000;
  let before: ProcSample | undefined;
  let beforeSelf: NodeJS.CpuUsage | undefined;
  // The poller's own stalls (a loaded machine) count as missed deadlines too: measured, to tell them apart.
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();
  const progress = setInterval(() => log(`${((performance.now() - t0) / 1000).toFixed(0)} s: ${polls} polls, ${missed} missed, ${errors} errors`), 5000);

  await Promise.all(
    clients.map(async (c, i) => {
      // Stagger devices across the period, as independent pollers would be.
      let due = t0 + (i / clients.length) * PERIOD_MS;
      while (due < endAt) {
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        if (!measuring && performance.now() >= t0 + warmupMs) {
          measuring = true;
          before = sampleProc(child.pid!);
          beforeSelf = process.cpuUsage();
        }
        const start = performance.now();
        for (const b of plans[i]!) {
          const s = performance.now();
          try {
            await readBlock(c, b);
          } catch {
            errors++;
          }
          if (measuring) latencies.push(performance.now() - s);
        }
        const done = performance.now();
        if (measuring) {
          polls++;
          if (done > due + PERIOD_MS) missed++;
        }
        due += PERIOD_MS;
        // A late poll does not pile up: the next one is due on the grid after it finished.
        while (due < done) {
          due += PERIOD_MS;
          if (measuring) missed++;
        }
        void start;
      }
    }),
  );
  clearInterval(progress);
  loopDelay.disable();
  const after = sampleProc(child.pid!);
  const self = process.cpuUsage(beforeSelf);
  const wallMs = endAt - (t0 + warmupMs);
  for (const c of clients) c.close(() => {});
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));

  const cpuPct = ((after.cpuMs - before!.cpuMs) / wallMs) * 100;
  const selfPct = ((self.user + self.system) / 1000 / wallMs) * 100;
  const expected = endpoints.length * (seconds * 1000) / PERIOD_MS;
  console.log(`machine: ${loadBefore}`);
  console.log(`scenario ${SCENARIO}: ${endpoints.length} devices (${plant} plant), ${requestsPerPoll / endpoints.length} reads per poll, ${(1000 / PERIOD_MS).toFixed(0)} Hz, ${seconds} s measured`);
  console.log(`polls: ${polls} of ${expected.toFixed(0)} expected; missed deadlines: ${missed}; errors: ${errors}`);
  console.log(`read latency: p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms, max ${percentile(latencies, 100).toFixed(2)} ms (${latencies.length} reads, ${(latencies.length / (wallMs / 1000)).toFixed(0)}/s)`);
  console.log(`poller event-loop delay: p99 ${(loopDelay.percentile(99) / 1e6).toFixed(1)} ms, max ${(loopDelay.max / 1e6).toFixed(1)} ms (stalls of the measuring side)`);
  console.log(`harness: CPU ${cpuPct.toFixed(1)} % of one core, RSS ${(after.rssKb / 1024).toFixed(0)} MiB (peak ${(after.hwmKb / 1024).toFixed(0)} MiB); poller CPU ${selfPct.toFixed(1)} %`);
  console.log(`target: no missed deadline at 10 Hz: ${missed === 0 ? "met" : `MISSED (${missed})`}`);
}

export const devices: BenchSuite = {
  name: "devices",
  description: "all simulated devices of ieee8500-10mg polled at 10 Hz over loopback: missed deadlines, read latency, harness CPU and memory",
  run: () => runDevicesBench(Number(process.env.BENCH_DEVICES_SECONDS ?? 30)),
};

// The journal on this machine's disk: what a durable step costs
// (synchronous=FULL, one fsync per command state), a decision with the
// shield's full input (the section graph stored once), batched observations,
// and a TRUNCATE checkpoint; bytes per decision.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Journal } from "../agent/journal/index.js";
import { bindScenarioFile } from "../sim-harness/scenarios/bind.js";
import { median, percentile } from "./machine.js";
import type { BenchSuite } from "./suites.js";

const fmt = (v: number[]) => `p50 ${median(v).toFixed(3)} ms, p99 ${percentile(v, 99).toFixed(3)} ms, max ${Math.max(...v).toFixed(3)} ms (n=${v.length})`;

export const journalSuite: BenchSuite = {
  name: "journal",
  description: "journal: durable command step (synchronous=FULL), decision with full shield input, batched observations, checkpoint",
  async run() {
    const dir = mkdtempSync(join(tmpdir(), "bench-journal-"));
    try {
      const graph = bindScenarioFile("ieee8500-10mg").sections;
      const mg = graph.microgrids[0]!;
      const j = Journal.open(join(dir, "mg1.db"), { microgrid: mg.id, maintenanceIntervalMs: 0 });
      const decisions: number[] = [];
      const steps: number[] = [];
      const N = 300;
      const before = j.sizeBytes();
      for (let i = 0; i < N; i++) {
        const input = {
          now_ms: i * 1000,
          microgrid: mg.id,
          switches: mg.switches.map((e) => ({ element: e, closed: false, open: true, read_at_ms: i * 1000 - 100 })),
          peers: graph.microgrids.slice(1).map((p) => ({ microgrid: p.id, fresh: true, switches: Object.fromEntries(p.switches.map((e) => [e, "open"])) })),
          generation: { quota_kw: 240, committed_kw: 0, leases: [], bus_up: true },
          graph,
        };
        const t0 = performance.now();
        const d = j.decision(i, {
          session: "s1",
          step: i,
          policy: { kind: "onnx", label: "bench" },
          observation: new Float32Array(10),
          logits: Float32Array.from({ length: 30 }, (_, k) => Math.sin(i + k)),
          mask: new Uint8Array(30).fill(1),
          actions: new Int32Array(10).fill(2),
          shieldInput: input,
          verdicts: [{ element: mg.switches[0]!, action: "close", rule: "generation", detail: "bench", values: { pickup_kw: 300, available_kw: 240 } }],
          outcome: { admitted: [] },
        });
        const t1 = performance.now();
        const c = j.commandIntended({ decisionId: d, element: mg.switches[1]!, action: "close" });
        const t2 = performance.now();
        j.commandState(c, "written");
        const t3 = performance.now();
        j.commandState(c, "confirmed");
        j.commandState(c, "resolved");
        decisions.push(t1 - t0);
        steps.push(t2 - t1, t3 - t2);
      }
      const perDecision = (j.sizeBytes() - before) / N;
      console.log(`decision with full shield input (ieee8500-10mg mg1, graph by hash): ${fmt(decisions)}`);
      console.log(`durable command step (intended/written; synchronous=FULL): ${fmt(steps)}`);
      console.log(`bytes per decision + its command (db + WAL): ${(perDecision / 1024).toFixed(1)} KiB`);
      const obs = performance.now();
      const R = 20_000;
      for (let i = 0; i < R; i++) j.observation(i, { tick: i, v: [1, 0, 1, 0, 230.1, 229.8, 231.0, 12.5] });
      j.flush();
      const dt = performance.now() - obs;
      console.log(`batched observations: ${Math.round(R / (dt / 1000))} rows/s (${R} rows, batches of 200)`);
      const c0 = performance.now();
      const cp = j.checkpoint();
      console.log(`wal_checkpoint(TRUNCATE): ${(performance.now() - c0).toFixed(1)} ms, busy ${cp.busy}, ${cp.checkpointed} frames`);
      j.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

// A bench fault file (sim-harness/bench/faults/*.yaml, docs/bench.md): what
// goes wrong during a bench run and when, and the end state it must lead to.
// Process and network events (kill an agent, kill the broker, partition an
// agent from the bus, packet loss on the bus) are the bench's own; device
// faults (a stuck switch, a spontaneous trip, wire faults) are the device
// harness's format (sim-harness/devices/faults.ts), passed through.
import { z } from "zod";
import { loadDocument, parseDocumentText } from "../../shared/documents.js";
import { ElementRef } from "../../shared/scenario/schema.js";
import { Fault } from "../devices/faults.js";

const Microgrid = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, "expected a microgrid id");

const When = {
  /** Bench tick at which it happens (lockstep: before the tick's agents are asked; realtime: period count since the restore command). */
  at_tick: z.number().int().nonnegative(),
};

export const BenchEvent = z.discriminatedUnion("action", [
  z
    .object({
      action: z.literal("kill-agent"),
      microgrid: Microgrid,
      ...When,
      /** Wall milliseconds after the tick was asked of the agent (0: at once, while it reads its devices). */
      delay_ms: z.number().int().nonnegative().default(0),
      /** Instead of a delay: once the plant has applied this many of its operations in the tick (mid-decision, commands in flight). */
      after_operations: z.number().int().positive().optional(),
      signal: z.enum(["SIGKILL", "SIGTERM"]).default("SIGKILL"),
    })
    .strict(),
  z.object({ action: z.literal("restart-agent"), microgrid: Microgrid, ...When }).strict(),
  z.object({ action: z.literal("kill-broker"), ...When, signal: z.enum(["SIGKILL", "SIGTERM"]).default("SIGKILL") }).strict(),
  z.object({ action: z.literal("restart-broker"), ...When }).strict(),
  /** Cut one agent off the bus (its device links stay up), then heal. */
  z.object({ action: z.literal("partition"), microgrid: Microgrid, ...When }).strict(),
  z.object({ action: z.literal("heal"), microgrid: Microgrid, ...When }).strict(),
  /** Random loss on the bus links of the agents (all when `microgrids` is absent) for a wall-clock duration. */
  z
    .object({
      action: z.literal("packet-loss"),
      ...When,
      percent: z.number().min(0).max(100),
      duration_s: z.number().positive(),
      microgrids: z.array(Microgrid).optional(),
    })
    .strict(),
  /** Call for a restoration again (operator command to every live agent). */
  z.object({ action: z.literal("restore"), ...When }).strict(),
]);
export type BenchEvent = z.infer<typeof BenchEvent>;

export const Expectation = z
  .object({
    /** Served load at the end, % of the cap (paper) at least. */
    restored_pct_of_cap_min: z.number().min(0).max(100).optional(),
    /** Served load at the end, % of the optimum at least; the optimum is recomputed with `optimum_fixed` switches held. */
    pct_of_optimum_min: z.number().min(0).max(100).optional(),
    optimum_fixed: z.record(ElementRef, z.enum(["open", "closed"])).optional(),
    /** Switch states at the end, as the plant holds them. */
    switch_states: z.record(ElementRef, z.enum(["open", "closed"])).optional(),
    /** Alarms some agent must have journaled (kind, optionally the microgrid and the element). */
    alarms: z.array(z.object({ kind: z.string(), microgrid: Microgrid.optional(), element: ElementRef.optional() }).strict()).default([]),
    /** Agents that must have run part of the restoration on their static quota (bus down or cut off). */
    quota_fallback: z.array(Microgrid).default([]),
    /** Agents whose last will must have been seen (kill, partition). */
    dropped: z.array(Microgrid).default([]),
    /** Every agent alive and on the bus at the end. */
    all_live_at_end: z.boolean().default(true),
  })
  .strict();
export type Expectation = z.infer<typeof Expectation>;

export const BenchFaultFile = z
  .object({
    version: z.literal(1).default(1),
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/),
    description: z.string(),
    /** Scenario it is written for (used when the bench is not given one). */
    scenario: z.string().default("ieee123-5mg"),
    /** Fits CI's time budget: `.ci/run` runs it; the others run under `npm run bench`. */
    ci: z.boolean().default(true),
    /** Clock the scenario is meant for (a 60 s packet loss wants the real one); `bench --clock` overrides. */
    clock: z.enum(["lockstep", "realtime"]).default("lockstep"),
    /** Needs network namespaces (root). */
    network: z.boolean().default(false),
    /** Ticks to run at least (the episode is extended when faults hold the restoration back). */
    min_ticks: z.number().int().positive().optional(),
    events: z.array(BenchEvent).default([]),
    /** Device faults for the harness (docs/devices.md). */
    devices: z.array(Fault).default([]),
    expect: Expectation,
  })
  .strict()
  .superRefine((f, ctx) => {
    const needsNet = f.events.some((e) => e.action === "partition" || e.action === "heal" || e.action === "packet-loss");
    if (needsNet && !f.network) ctx.addIssue({ code: "custom", path: ["network"], message: "partition, heal and packet-loss events need `network: true`" });
  });
export type BenchFaultFile = z.infer<typeof BenchFaultFile>;

export function loadBenchFaults(file: string): BenchFaultFile {
  return loadDocument(file, BenchFaultFile).value;
}

export function parseBenchFaults(text: string, file: string): BenchFaultFile {
  return parseDocumentText(text, file, BenchFaultFile).value;
}

/** Ticks the fault file needs at least: past its last event, plus room to finish. */
export function ticksNeeded(f: BenchFaultFile, episode: number): number {
  const last = Math.max(0, ...f.events.map((e) => e.at_tick));
  return Math.max(f.min_ticks ?? 0, episode, last + episode);
}

// The policy directory contract: what the trainer writes and what the edge
// agent, the bench and `scenario eval` load. Documented in docs/policy.md.
//
//   <dir>/manifest.json   this schema
//   <dir>/<agent>.onnx    one actor per agent (kind "onnx")
//   <dir>/plan.json       the switching sequence (kind "plan")
//   <dir>/MODEL_CARD.md   what it was trained on, how well it does, its limits
import { z } from "zod";
import { ElementRef } from "../scenario/schema.js";

export const ObservationKind = z.enum([
  /** The paper's: the agent's own switch states (1 closed, 0 open), in `elements` order. */
  "switch-states",
  /** What an edge controller measures: switch states, served kW behind each switch, headroom, voltages (docs/policy.md). */
  "measured",
]);
export type ObservationKind = z.infer<typeof ObservationKind>;

export const PolicyAgent = z
  .object({
    /** Microgrid id, as in the scenario and the site config. */
    id: z.string(),
    /** ONNX file relative to the directory (kind "onnx"). */
    onnx: z.string().optional(),
    /** Feeder elements behind the action vector, in order: one 3-way head (close/open/noop) per element. */
    elements: z.array(ElementRef).min(1),
    observation_size: z.number().int().positive(),
    /** sha256 of the ONNX file, checked at load so a damaged or swapped file is refused. */
    sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
    /** ONNX input and output tensor names. */
    input_name: z.string().default("obs"),
    output_name: z.string().default("logits"),
  })
  .strict();
export type PolicyAgent = z.infer<typeof PolicyAgent>;

export const PolicyManifest = z
  .object({
    format: z.literal("blackstart-policy/1"),
    kind: z.enum(["onnx", "plan"]),
    /** Name of the scenario it was trained on or planned for. */
    scenario: z.string(),
    /** sha256 of the scenario's canonical content (shared/scenario/hash.ts). */
    scenario_hash: z.string().regex(/^[0-9a-f]{64}$/),
    algorithm: z.string(),
    observation: z.object({ kind: ObservationKind }).strict(),
    /** Actions per element: always 3 (close, open, noop). */
    actions_per_element: z.literal(3),
    agents: z.array(PolicyAgent).min(1),
    created: z.string(),
    /** Free-form training facts (seed, iterations, steps, wall time, final metrics). */
    training: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();
export type PolicyManifest = z.infer<typeof PolicyManifest>;

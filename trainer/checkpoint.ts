// Checkpoints: everything a training run needs to continue in a later sitting
// (networks, Adam moments, value normalisers, random streams, counters,
// learning curves) and what export-onnx needs to write a policy directory.
//   <dir>/checkpoint.json   metadata, layouts, offsets (format blackstart-checkpoint/1)
//   <dir>/tensors.bin       all float32 arrays, concatenated (little-endian)
// Written to temporary files and renamed, tensors first; the JSON carries the
// sha256 of tensors.bin, so a checkpoint torn by a crash is refused, not loaded.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { BlackstartError } from "../shared/errors.js";
import { parseDocumentText } from "../shared/documents.js";
import { TrainConfig } from "./config.js";
import { TrainerErrors } from "./errors.js";
import type { MlpLayout } from "./model/mlp.js";

const Range = z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]);
const RngState = z.tuple([z.number(), z.number(), z.number(), z.number()]);

export const NetRecord = z.object({
  name: z.string(),
  layout: z.custom<MlpLayout>((v) => typeof v === "object" && v !== null && "inputSize" in v),
  params: z.array(Range),
  adam: z.object({ step: z.number().int().nonnegative(), m: z.array(Range), v: z.array(Range) }),
  value_norm: z.object({ mean: z.number(), meanSq: z.number(), debias: z.number() }).optional(),
});
export type NetRecord = z.infer<typeof NetRecord>;

export const CheckpointMeta = z.object({
  format: z.literal("blackstart-checkpoint/1"),
  created: z.string(),
  config: TrainConfig,
  scenario: z.object({
    name: z.string(),
    hash: z.string(),
    file: z.string().optional(),
    episode_length: z.number().int().positive(),
    gamma: z.number(),
    cap_kw: z.number().optional(),
  }),
  /** How to rebuild the environment on resume. */
  env_source: z.object({ module: z.string(), export: z.string(), options: z.unknown() }),
  eval_env_source: z.object({ module: z.string(), export: z.string(), options: z.unknown() }).optional(),
  optimum: z.object({ weightedRestored: z.number(), restoredKw: z.number(), source: z.string() }).optional(),
  agents: z.array(z.object({ id: z.string(), elements: z.array(z.string()), observationSize: z.number().int().positive() })),
  state_size: z.number().int().positive(),
  progress: z.object({
    iteration: z.number().int().nonnegative(),
    env_steps: z.number().int().nonnegative(),
    wall_seconds: z.number().nonnegative(),
    sittings: z.number().int().positive(),
    /** First evaluation at >= 95 % of the cap without a breach. */
    time_to_95: z.object({ wall_seconds: z.number(), env_steps: z.number(), iteration: z.number() }).optional(),
  }),
  rng: RngState,
  env_rng: z.array(RngState),
  nets: z.array(NetRecord),
  curves: z.array(z.record(z.string(), z.union([z.number(), z.string(), z.null()]))),
  last_eval: z.unknown().optional(),
  /** Deterministic evaluations at the end of the run, with and without the shield's mask. */
  final_eval: z.object({ shield: z.unknown().optional(), no_shield: z.unknown().optional(), random_starts: z.unknown().optional() }).optional(),
  /** Observation kind the actors read (the policy manifest's). */
  observation: z.enum(["switch-states", "measured"]).optional(),
  /** The command that started the run (model cards quote it). */
  command: z.string().optional(),
  tensors_sha256: z.string(),
});
export type CheckpointMeta = z.infer<typeof CheckpointMeta>;

/** Collects arrays into one buffer and hands out [offset, length] ranges. */
export class TensorPack {
  private readonly parts: Float32Array[] = [];
  private size = 0;
  add(a: Float32Array): [number, number] {
    const r: [number, number] = [this.size, a.length];
    this.parts.push(a);
    this.size += a.length;
    return r;
  }
  bytes(): Uint8Array {
    const all = new Float32Array(this.size);
    let o = 0;
    for (const p of this.parts) {
      all.set(p, o);
      o += p.length;
    }
    return new Uint8Array(all.buffer);
  }
}

export function writeCheckpoint(dir: string, meta: Omit<CheckpointMeta, "tensors_sha256">, pack: TensorPack): void {
  mkdirSync(dir, { recursive: true });
  const bytes = pack.bytes();
  const full: CheckpointMeta = { ...meta, tensors_sha256: createHash("sha256").update(bytes).digest("hex") };
  const tmpT = join(dir, `tensors.bin.tmp-${process.pid}`);
  const tmpJ = join(dir, `checkpoint.json.tmp-${process.pid}`);
  writeFileSync(tmpT, bytes);
  writeFileSync(tmpJ, JSON.stringify(full, null, 1));
  renameSync(tmpT, join(dir, "tensors.bin"));
  renameSync(tmpJ, join(dir, "checkpoint.json"));
}

export interface LoadedCheckpoint {
  meta: CheckpointMeta;
  tensors: Float32Array;
  slice(r: readonly [number, number]): Float32Array;
}

export function readCheckpoint(dir: string): LoadedCheckpoint {
  const file = join(dir, "checkpoint.json");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new BlackstartError(TrainerErrors.CHECKPOINT, `no checkpoint in ${dir} (expected checkpoint.json and tensors.bin, written by 'blackstart train')`, { file });
  }
  const meta = parseDocumentText(text, file, CheckpointMeta).value;
  const binFile = join(dir, "tensors.bin");
  let bytes: Buffer;
  try {
    bytes = readFileSync(binFile);
  } catch {
    throw new BlackstartError(TrainerErrors.CHECKPOINT, `checkpoint has no tensors.bin`, { file: binFile });
  }
  if (createHash("sha256").update(bytes).digest("hex") !== meta.tensors_sha256) {
    throw new BlackstartError(TrainerErrors.CHECKPOINT, `tensors.bin does not match checkpoint.json (torn or mixed checkpoint)`, { file: binFile });
  }
  const tensors = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return { meta, tensors, slice: ([o, n]) => tensors.slice(o, o + n) };
}

// One agent's actor as an ONNX model run by onnxruntime-node. The session is
// created once and reused (creating sessions in a loop leaks, onnxruntime
// #25325), with explicit thread counts (idle pools spin and fight the rest of
// a gateway's work, #13974).
//
// Model contract (docs/policy.md): input `obs` float32 [batch, observation_size],
// output `logits` float32 [batch, 3 * elements], element-major: element k's
// close, open and no-op scores at 3k, 3k+1, 3k+2.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type * as Ort from "onnxruntime-node";
import { BlackstartError } from "../errors.js";
import { PolicyErrors } from "./errors.js";
import type { PolicyAgent } from "./manifest.js";

export interface RuntimeOptions {
  /** Threads inside one operator (default 1: one decision is tiny, and a gateway has other work). */
  intraOpThreads?: number;
  /** Threads across operators (default 1). */
  interOpThreads?: number;
}

/** onnxruntime-node ships binaries for these (64-bit only; 32-bit Node on a 64-bit Pi looks for linux/arm, #19028). */
const SUPPORTED: Record<string, readonly string[]> = {
  linux: ["x64", "arm64"],
  darwin: ["x64", "arm64"],
  win32: ["x64", "arm64"],
};

let ortModule: Promise<typeof Ort> | undefined;

/** Load onnxruntime-node once, after checking it can run on this platform and architecture. */
export function loadRuntime(): Promise<typeof Ort> {
  const archs = SUPPORTED[process.platform];
  if (!archs?.includes(process.arch)) {
    return Promise.reject(
      new BlackstartError(
        PolicyErrors.RUNTIME,
        `onnxruntime-node has no binary for ${process.platform}/${process.arch}; use a 64-bit Node on Linux (glibc >= 2.28), macOS or Windows (x64 or arm64)`,
      ),
    );
  }
  ortModule ??= import("onnxruntime-node").catch((e: unknown) => {
    ortModule = undefined;
    throw new BlackstartError(
      PolicyErrors.RUNTIME,
      `cannot load onnxruntime-node on ${process.platform}/${process.arch}: ${(e as Error).message} (it needs glibc, not musl/Alpine)`,
      {},
      { cause: e },
    );
  });
  return ortModule;
}

function threads(v: number | undefined, name: string): number {
  const n = v ?? 1;
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new BlackstartError(PolicyErrors.INPUT, `${name} must be an integer 1-64, got ${v}`);
  return n;
}

export function sha256File(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** A loaded ONNX actor: fixed sizes, one session, `logits()` for one observation or a batch. */
export class OnnxActor {
  private constructor(
    private readonly ort: typeof Ort,
    private readonly session: Ort.InferenceSession,
    readonly file: string,
    readonly inputName: string,
    readonly outputName: string,
    readonly observationSize: number,
    readonly outputSize: number,
  ) {}

  static async open(dir: string, agent: PolicyAgent, options: RuntimeOptions = {}): Promise<OnnxActor> {
    const file = `${dir}/${agent.onnx}`;
    const fail = (detail: string, cause?: unknown): never => {
      throw new BlackstartError(PolicyErrors.INVALID, `agent '${agent.id}': ${detail}`, { file }, cause === undefined ? undefined : { cause });
    };
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(file);
    } catch (e) {
      throw new BlackstartError(PolicyErrors.INVALID, `agent '${agent.id}': cannot read its ONNX file: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { file });
    }
    if (agent.sha256 !== undefined) {
      const got = sha256File(bytes);
      if (got !== agent.sha256) fail(`sha256 is ${got.slice(0, 12)}…, the manifest says ${agent.sha256.slice(0, 12)}… (damaged or replaced file)`);
    }
    const ort = await loadRuntime();
    let session: Ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes, {
        intraOpNumThreads: threads(options.intraOpThreads, "intraOpThreads"),
        interOpNumThreads: threads(options.interOpThreads, "interOpThreads"),
        executionMode: "sequential",
        graphOptimizationLevel: "all",
      });
    } catch (e) {
      return fail(`onnxruntime cannot load the model: ${(e as Error).message.split("\n")[0]}`, e);
    }
    const outputSize = agent.elements.length * 3;
    if (!session.inputNames.includes(agent.input_name)) fail(`the model has no input '${agent.input_name}' (inputs: ${session.inputNames.join(", ")})`);
    if (!session.outputNames.includes(agent.output_name)) fail(`the model has no output '${agent.output_name}' (outputs: ${session.outputNames.join(", ")})`);
    const inMeta = session.inputMetadata.find((m) => m.name === agent.input_name);
    const inDim = inMeta && inMeta.isTensor ? inMeta.shape[inMeta.shape.length - 1] : undefined;
    if (typeof inDim === "number" && inDim !== agent.observation_size) {
      fail(`the model's input '${agent.input_name}' takes ${inDim} values, the manifest says observation_size ${agent.observation_size}`);
    }
    const actor = new OnnxActor(ort, session, file, agent.input_name, agent.output_name, agent.observation_size, outputSize);
    // A probe run proves the output size (3 per element) before any real decision.
    const probe = await actor.logitsBatch(new Float32Array(agent.observation_size), 1).catch((e: unknown) => fail(`probe run failed: ${(e as Error).message}`, e));
    if (probe.length !== outputSize) {
      fail(`the model outputs ${probe.length} logits, the manifest's ${agent.elements.length} elements need ${outputSize} (3 per element)`);
    }
    return actor;
  }

  /** Logits for a batch of observations laid out row by row: returns [batch * outputSize]. */
  async logitsBatch(obs: Float32Array, batch: number): Promise<Float32Array> {
    const input = new this.ort.Tensor("float32", obs, [batch, this.observationSize]);
    let out: Ort.InferenceSession.ReturnType;
    try {
      out = await this.session.run({ [this.inputName]: input });
    } catch (e) {
      throw new BlackstartError(PolicyErrors.RUNTIME, `onnxruntime failed to run ${this.file}: ${(e as Error).message.split("\n")[0]}`, { file: this.file }, { cause: e });
    }
    const t = out[this.outputName];
    if (!t || t.type !== "float32") {
      throw new BlackstartError(PolicyErrors.INVALID, `${this.file}: output '${this.outputName}' is missing or not float32`, { file: this.file });
    }
    return t.data as Float32Array;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

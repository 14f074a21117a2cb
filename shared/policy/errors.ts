// Error codes of the policy runner (docs/policy.md). A policy that does not
// match what it is asked to control never runs: it fails with one of these.
import { defineError } from "../errors.js";

export const PolicyErrors = {
  /** The policy directory disagrees with the scenario, the environment or the agent's site binding. */
  MISMATCH: defineError("POLICY_MISMATCH", "A policy directory does not match the scenario or the agent's bindings (agents, elements, sizes, scenario hash)."),
  /** The directory's files are missing, malformed or inconsistent with the manifest. */
  INVALID: defineError("POLICY_INVALID", "A policy directory is missing a file, or a file contradicts its manifest."),
  /** onnxruntime-node cannot run here (platform, architecture) or failed to run a model. */
  RUNTIME: defineError("POLICY_RUNTIME", "The ONNX runtime cannot load or run a policy on this machine.", 3),
  /** A caller passed an observation or mask of the wrong size or with non-finite values. */
  INPUT: defineError("POLICY_INPUT", "An observation or action mask passed to a policy has the wrong size or bad values."),
} as const;

// Error codes of the bench and of replay (docs/bench.md, docs/replay.md list them).
import { defineError } from "../../shared/errors.js";

export const BenchErrors = {
  /** A bench fault file or option is malformed or does not fit the scenario. */
  FAULTS: defineError("BENCH_FAULTS", "A bench fault file or option is malformed or names something the scenario does not have."),
  /** A child process (agent, broker) could not start or died unexpectedly. */
  PROCESS: defineError("BENCH_PROCESS", "A bench child process (agent, broker) did not start or became unusable.", 3),
  /** Network namespaces, veth or netem could not be set up. */
  NETWORK: defineError("BENCH_NETWORK", "The bench could not set up network namespaces, links or packet loss.", 3),
  /** No policy to run: no shipped policy for the scenario and none given. */
  POLICY: defineError("BENCH_POLICY", "The bench found no policy for the scenario."),
  /** Replay input: an unreadable journal, or journals from different runs. */
  REPLAY: defineError("REPLAY_INPUT", "A journal given to replay cannot be read or does not belong with the others."),
} as const;

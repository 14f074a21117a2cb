// Error codes of the edge agent (see shared/errors.ts for the registry).
import { defineError } from "../shared/errors.js";

export const AgentErrors = {
  SECRET_MISSING: defineError("AGENT_SECRET_MISSING", "A secret named in the site file (environment variable or file) is not there."),
  PROFILE: defineError("AGENT_PROFILE", "A device's hardware profile is missing or does not offer what its binding needs."),
  DEVICE: defineError("AGENT_DEVICE", "A field device did not answer, answered with an exception, or answered nonsense.", 3),
  HTTP_LISTEN: defineError("AGENT_HTTP_LISTEN", "The agent's HTTP port could not be opened.", 3),
  RECOVERY: defineError("AGENT_RECOVERY", "A command left in flight by a crash could not be resolved by reading the device.", 3),
} as const;

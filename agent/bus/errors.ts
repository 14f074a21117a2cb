// Error codes of the peer bus (see shared/errors.ts for the registry).
import { defineError } from "../../shared/errors.js";

export const BusErrors = {
  TLS_FILE: defineError("BUS_TLS_FILE", "A TLS file named for the bus (CA, certificate, key) cannot be read."),
  BROKER_LISTEN: defineError("BUS_BROKER_LISTEN", "The embedded MQTT broker could not listen on its address.", 3),
  NOT_STARTED: defineError("BUS_NOT_STARTED", "The peer bus was used before start() or after close().", 4),
} as const;

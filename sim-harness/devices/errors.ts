// Error codes of the simulated devices (docs/devices.md lists them).
import { defineError } from "../../shared/errors.js";

export const DeviceErrors = {
  /** A scenario binds an element to a profile of the wrong kind or protocol, or names an unknown device. */
  BINDING: defineError("DEVICE_BINDING", "A scenario's device binding does not fit (profile kind or protocol, unknown device)."),
  /** A fault (file or --fault) is malformed or names a device that does not exist or a kind it cannot have. */
  FAULT: defineError("DEVICE_FAULT", "A fault injection is malformed or does not apply to its device."),
  /** A server could not listen (port in use, PKI not writable). */
  LISTEN: defineError("DEVICE_LISTEN", "A simulated device server could not start listening.", 3),
} as const;

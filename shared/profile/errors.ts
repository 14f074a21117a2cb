// Error codes of the hardware-profile room (docs/profiles.md lists them).
import { defineError } from "../errors.js";

export const ProfileErrors = {
  /** A profile references a point, channel or command that does not exist, or breaks a layout rule. */
  INVALID: defineError("PROFILE_INVALID", "A hardware profile is inconsistent (unknown point, overlapping addresses, wrong model length, missing channel)."),
  NOT_FOUND: defineError("PROFILE_NOT_FOUND", "No hardware profile with that id."),
  /** A value does not fit a point (out of the type's range, outside its limits, unknown enum symbol). */
  POINT_VALUE: defineError("POINT_VALUE", "A value cannot be encoded for a point (range, limits, type)."),
  /** No SunSpec marker at any base, or a broken model chain. */
  SUNSPEC: defineError("SUNSPEC_DISCOVERY", "A SunSpec device could not be discovered (no 'SunS' marker, broken model chain).", 3),
} as const;

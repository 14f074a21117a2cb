// Error codes of the safety shield (see shared/errors.ts for the registry).
import { defineError } from "../errors.js";

export const ShieldErrors = {
  INPUT: defineError(
    "SHIELD_INPUT",
    "The shield was given switches or sections its section graph does not have, or a switch another microgrid owns.",
  ),
} as const;

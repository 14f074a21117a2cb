// Error codes of the trainer (docs/policy.md).
import { defineError } from "../shared/errors.js";

export const TrainerErrors = {
  CHECKPOINT: defineError("TRAIN_CHECKPOINT", "A training checkpoint is missing, torn or does not fit the run resuming it."),
  OPTIONS: defineError("TRAIN_OPTIONS", "Training options are invalid or contradict each other."),
  ENV: defineError("TRAIN_ENV", "The environment cannot be built or does not fit the trainer (agents, sizes).", 3),
} as const;

// The rules in the order they are checked (all are checked; every objection is reported).
import { deadBusRule } from "./dead-bus.js";
import { deadToDeadRule } from "./dead-to-dead.js";
import { faultedRule } from "./faulted.js";
import { generationRule } from "./generation.js";
import { heldRule } from "./held.js";
import { minIntervalRule } from "./min-interval.js";
import { oneOperationRule } from "./one-operation.js";
import { positionRule } from "./position.js";
import { regionClaimRule } from "./region-claim.js";
import type { ShieldRule } from "./rule.js";
import { selectBeforeOperateRule } from "./select-before-operate.js";

export const RULES: readonly ShieldRule[] = [
  positionRule,
  heldRule,
  oneOperationRule,
  minIntervalRule,
  selectBeforeOperateRule,
  faultedRule,
  deadBusRule,
  deadToDeadRule,
  regionClaimRule,
  generationRule,
];

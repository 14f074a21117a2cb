// The deployed shield run over a policy's steps: before each step every agent's
// proposed operations go through `admit` (shared/shield) on the state the
// agent would read then (the environment's readings: fresh, measured terminal
// voltages, peers' states), exactly as the edge agent passes its policy's
// choice through the shield. The audit records every veto and the load each
// agent's admitted closes pick up (what its ledger would commit against its
// quota and leases); the actions go to the environment unchanged, so the
// replay shows what the proposals do.
import { SwitchAction } from "../../shared/encoding/actions.js";
import { admit, type Operation, type Verdict } from "../../shared/shield/index.js";
import type { RestorationEnv } from "../env/env.js";
import type { ResetResult } from "../env/types.js";
import type { EnvPolicy } from "./policies.js";

export interface ShieldVeto extends Pick<Verdict, "element" | "rule" | "detail"> {
  /** Step of the episode (1-based) and the agent whose shield vetoed. */
  step: number;
  agent: string;
  action: Operation;
}

export class ShieldAudit implements EnvPolicy {
  readonly name: string;
  readonly observation;
  readonly vetoes: ShieldVeto[] = [];
  /** kW picked up by each agent's admitted closes (nominal, as the shield counts), by agent id. */
  readonly pickupKw = new Map<string, number>();
  private step = 0;

  constructor(private readonly inner: EnvPolicy) {
    this.name = inner.name;
    this.observation = inner.observation;
  }

  begin(env: RestorationEnv, reset: ResetResult, seed: number): void {
    this.vetoes.length = 0;
    this.pickupKw.clear();
    this.step = 0;
    this.inner.begin(env, reset, seed);
  }

  async act(env: RestorationEnv, obs: readonly Float32Array[]): Promise<Int32Array[]> {
    const actions = await this.inner.act(env, obs);
    this.step++;
    const inputs = env.shieldInputs();
    actions.forEach((a, i) => {
      const proposed: { index: number; action: Operation }[] = [];
      a.forEach((act, j) => {
        if (act === SwitchAction.close) proposed.push({ index: j, action: "close" });
        else if (act === SwitchAction.open) proposed.push({ index: j, action: "open" });
      });
      if (proposed.length === 0) return;
      const agent = env.agents[i]!.id;
      const r = admit(env.shieldIndex, inputs[i]!, proposed);
      for (const v of r.verdicts) this.vetoes.push({ step: this.step, agent, element: v.element, action: v.action, rule: v.rule, detail: v.detail });
      for (const op of r.admitted) this.pickupKw.set(agent, (this.pickupKw.get(agent) ?? 0) + op.pickup_kw);
    });
    return actions;
  }

  close(): Promise<void> {
    return this.inner.close?.() ?? Promise.resolve();
  }
}

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadPolicy } from "../runner.js";
import { errorOf, scenario, writePlanPolicy } from "./fixtures.js";

const s = scenario();
// mg1: step 0 close L1; step 1 close L2 and L3; step 2 open L1 (a plan may reopen).
// mg2: step 1 close L10.
const steps = [
  { operations: [{ agent: "mg1", element: "Line.L1", action: "close" as const }] },
  {
    operations: [
      { agent: "mg1", element: "Line.L2", action: "close" as const },
      { agent: "mg1", element: "Line.L3", action: "close" as const },
      { agent: "mg2", element: "Line.L10", action: "close" as const },
    ],
  },
  { operations: [{ agent: "mg1", element: "Line.L1", action: "open" as const }] },
];

async function mg1() {
  const policy = await loadPolicy(writePlanPolicy(s, steps), { scenario: s });
  return { policy, actor: await policy.agent({ id: "mg1", elements: ["Line.L1", "Line.L2", "Line.L3"] }) };
}

describe("plan policy", () => {
  it("is labelled a plan everywhere", async () => {
    const { policy, actor } = await mg1();
    expect(policy.kind).toBe("plan");
    expect(policy.label).toMatch(/^plan \(replay of the optimum's switching sequence, not a learned policy\)/);
    expect(actor.kind).toBe("plan");
    const d = await actor.decide([0, 0, 0]);
    expect(d.kind).toBe("plan");
    expect(d.planStep).toBe(0);
  });

  it("replays the sequence as the switches show each step done", async () => {
    const { actor } = await mg1();
    const d0 = await actor.decide([0, 0, 0]);
    expect([...d0.actions]).toEqual([0, 2, 2]);
    expect(d0.best).toMatchObject({ element: "Line.L1", name: "close" });
    const d1 = await actor.decide([1, 0, 0]);
    expect(d1.planStep).toBe(1);
    expect([...d1.actions]).toEqual([2, 0, 0]);
    const d2 = await actor.decide([1, 1, 1]);
    expect(d2.planStep).toBe(2);
    expect([...d2.actions]).toEqual([1, 2, 2]);
    const d3 = await actor.decide([0, 1, 1]);
    expect([...d3.actions]).toEqual([2, 2, 2]);
    expect(d3.best).toBeNull();
    // Plans give the planned action logit 0 and the others -20: log-probs are ~0 and ~-20.
    expect(d2.logits[0]).toBe(-20);
    expect(d2.logits[1]).toBe(0);
    expect(d2.logProbs[1]).toBeCloseTo(0, 6);
  });

  it("proposes only what the states do not show yet (a step done by hand is skipped)", async () => {
    const { actor } = await mg1();
    // L1 and L2 already closed: next is L3 (step 1), not L1 again.
    const d = await actor.decide([1, 1, 0]);
    expect([...d.actions]).toEqual([2, 2, 0]);
  });

  it("retries a vetoed operation later instead of skipping it", async () => {
    const { actor } = await mg1();
    await actor.decide([0, 0, 0]);
    // After L1 closed: the shield vetoes closing L2; L3 goes ahead, L2 stays pending.
    const veto = new Uint8Array(9).fill(1);
    veto[3 * 1 + 0] = 0;
    const d1 = await actor.decide([1, 0, 0], { mask: veto });
    expect([...d1.actions]).toEqual([2, 2, 0]);
    // Next decision, L3 done, veto lifted: L2 is proposed before the later step's open L1.
    const d2 = await actor.decide([1, 0, 1]);
    expect([...d2.actions]).toEqual([2, 0, 2]);
    expect(d2.planStep).toBe(1);
  });

  it("an operation that keeps failing yields to later steps after retry_limit tries, then is retried", async () => {
    const { actor } = await mg1();
    // Close L1 never takes (relay fails): proposed three times.
    for (let i = 0; i < 3; i++) expect([...(await actor.decide([0, 0, 0])).actions]).toEqual([0, 2, 2]);
    // Fourth time it yields: step 1's operations go first.
    const d = await actor.decide([0, 0, 0]);
    expect([...d.actions]).toEqual([2, 0, 0]);
    // Those done, L1 is retried.
    const d2 = await actor.decide([0, 1, 1]);
    expect([...d2.actions]).toEqual([0, 2, 2]);
    // reset() forgets retries and progress.
    actor.reset();
    expect((await actor.decide([0, 0, 0])).planStep).toBe(0);
  });

  it("plan files that contradict their manifest are refused", async () => {
    const dir = writePlanPolicy(s, [{ operations: [{ agent: "mg1", element: "Line.L9", action: "close" }] }]);
    const e = await errorOf(() => loadPolicy(dir));
    expect(e.code).toBe("BLACKSTART_ERR_POLICY_INVALID");
    expect(e.message).toMatch(/plan\.json:\d+: field 'steps\.0\.operations\.0\.element'.*unknown element of agent 'mg1' 'Line.L9'/);
    const dir2 = writePlanPolicy(s, steps, { scenario_hash: "0".repeat(64) });
    expect((await errorOf(() => loadPolicy(dir2))).message).toMatch(/plan was made for a different scenario/);
    const dir3 = writePlanPolicy(s, steps);
    writeFileSync(join(dir3, "plan.json"), "{ not json");
    expect((await errorOf(() => loadPolicy(dir3))).code).toBe("BLACKSTART_ERR_PARSE");
  });
});

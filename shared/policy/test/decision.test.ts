// The masked choice: no-op wins ties, and with the switches' positions an
// action that would leave a switch where it is counts as holding.
import { describe, expect, it } from "vitest";
import { decide } from "../decision.js";
import { PLAN_CHOSEN_LOGIT as ON, PLAN_OTHER_LOGIT as OFF } from "../plan.js";

const els = ["Line.L1", "Line.L2", "Line.L3"];

describe("decide", () => {
  it("a plan's masked close leaves open and no-op tied at -20: no-op wins, nothing is proposed", () => {
    // L1: planned close (masked by the shield); L2: planned open (allowed); L3: hold.
    const logits = Float32Array.from([ON, OFF, OFF, OFF, ON, OFF, OFF, OFF, ON]);
    const mask = Uint8Array.from([0, 1, 1, 1, 1, 1, 1, 1, 1]);
    const d = decide("plan", "mg1", els, logits, mask);
    expect([...d.actions]).toEqual([2, 1, 2]);
    expect(d.operations.map((o) => `${o.name} ${o.element}`)).toEqual(["open Line.L2"]);
  });

  it("between close and open tied above no-op, the lower index (close) as argmax does", () => {
    const d = decide("onnx", "mg1", ["Line.L1"], Float32Array.from([1, 1, 0]));
    expect([...d.actions]).toEqual([0]);
  });

  it("with positions, an open on an open switch (or close on a closed one) is holding, and its score holds the switch", () => {
    // L1 open: the policy prefers 'open' (stay), then close, then no-op: it holds, it does not close.
    // L2 closed: prefers 'close' (stay): holds. L3 unknown: the best action as such.
    const logits = Float32Array.from([2, 5, 1, 5, 2, 1, 0, 3, 1]);
    const plain = decide("onnx", "mg1", els, logits);
    expect([...plain.actions]).toEqual([1, 0, 1]);
    const d = decide("onnx", "mg1", els, logits, undefined, ["open", "closed", null]);
    expect([...d.actions]).toEqual([2, 2, 1]);
    expect(d.operations.map((o) => `${o.name} ${o.element}`)).toEqual(["open Line.L3"]);
    // A real operation strictly better than both holding and staying is still chosen.
    const go = decide("onnx", "mg1", ["Line.L1"], Float32Array.from([6, 5, 1]), undefined, ["open"]);
    expect([...go.actions]).toEqual([0]);
    // Tied with staying: holding wins.
    const tie = decide("onnx", "mg1", ["Line.L1"], Float32Array.from([5, 5, 1]), undefined, ["open"]);
    expect([...tie.actions]).toEqual([2]);
  });

  it("refuses positions of the wrong length", () => {
    expect(() => decide("onnx", "mg1", els, new Float32Array(9), undefined, ["open"])).toThrow(/3/);
  });
});

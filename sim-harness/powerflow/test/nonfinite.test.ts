import { describe, expect, it } from "vitest";
import { BlackstartError } from "../../../shared/errors.js";
import { PowerFlow } from "../index.js";
import { fixedPoint } from "../solve.js";
import { line, load, network, source } from "./helpers.js";

// A NaN anywhere in the injections makes every node voltage NaN, and NaN
// compares false: a convergence check that only looks for the largest change
// would call such a solve converged.
describe("non-finite values never pass as a converged solution", () => {
  const spec = () =>
    network([source("src", 12.47), line("l1", "src", "a", [0.3, 0.9], [0.1, 0.4]), load("ld", "a", 12.47, 1500, 600)]);

  it("refuses non-finite loads, outputs and multipliers with a coded error", () => {
    const pf = PowerFlow.fromSpec(spec());
    expect(() => pf.setLoad("Load.ld", Number.NaN, 0)).toThrow(BlackstartError);
    expect(() => pf.setLoad("Load.ld", 100, Number.POSITIVE_INFINITY)).toThrow(/must be a finite number/);
    expect(() => pf.setLoadMult(Number.NaN)).toThrow(/BLACKSTART_ERR_BAD_VALUE/);
    pf.setLoad("Load.ld", 1000, 300);
    expect(pf.solve().converged).toBe(true);
  });

  it("reports a NaN voltage as not converged, with a message that says so", () => {
    const pf = PowerFlow.fromSpec(spec());
    expect(pf.solve().converged).toBe(true);
    const c = pf.circuit;
    // Poison the present voltages, as a bad injection would.
    for (let n = 1; n < c.vRe.length; n++) c.vRe[n] = Number.NaN;
    const r = fixedPoint(c);
    expect(r.converged).toBe(false);
    expect(Number.isNaN(r.maxError)).toBe(true);
  });
});

// The `measured` observation's voltage feature and the shield's terminal
// voltages mean what the edge agent's devices read: the switch's own phases
// at each terminal (a single-phase switch on a three-phase bus sees its one
// phase), not the bus's lowest phase. Checked on the power flow against the
// simulated devices' own measurement (PowerFlowPlant.measure, what the
// recloser's voltage registers carry) for random partially-restored states.
import { describe, expect, it } from "vitest";
import { switchVoltageFeature } from "../../../shared/encoding/observation.js";
import { PowerFlowPlant } from "../../devices/powerflow-plant.js";
import { createEnv } from "../create.js";
import type { PowerFlowGrid } from "../powerflow-grid.js";

/** A device terminal's phase voltages (V, 0 = phase absent or dead) as the agent turns them into pu (agent/runtime/views.ts). */
function devicePu(volts: readonly number[], nominalV: number): { min: number; max: number } | undefined {
  const live = volts.filter((x) => x > 0).map((x) => x / nominalV);
  return live.length ? { min: Math.min(...live), max: Math.max(...live) } : undefined;
}

describe("voltage readings in the environment and at the devices", () => {
  it.each(["ieee123-fault-lateral", "ieee123-5mg"])("%s: the observation's voltage and the shield's terminal voltages are the switch's own phases, as measured", (name) => {
    const env = createEnv(name, { observation: "measured", randomPartialProbability: 1 });
    let checked = 0;
    let busDiffers = 0;
    for (let seed = 0; seed < 4; seed++) {
      const r = env.reset(seed);
      const plant = new PowerFlowPlant((env.grid as PowerFlowGrid).powerflow);
      const inputs = env.shieldInputs();
      env.agentSwitches.forEach((sw, i) =>
        sw.forEach((k, j) => {
          const ref = env.bound.switches[k]!.ref;
          const m = plant.measure(ref);
          const t1 = devicePu(m.voltageV, m.nominalV!);
          const t2 = devicePu(m.voltage2V!, m.nominalV!);
          const feature = switchVoltageFeature(t1?.min ?? 0, t2?.min ?? 0);
          expect(r.obs[i]![5 * j + 4], `${name} seed ${seed} ${ref}`).toBeCloseTo(feature, 5);
          const pu = inputs[i]!.switches[j]!.terminal_pu!;
          expect(pu[0]).toBeCloseTo(t1?.max ?? 0, 9);
          expect(pu[1]).toBeCloseTo(t2?.max ?? 0, 9);
          checked++;
          // Where the bus's lowest phase is not the switch's (the reading this replaced).
          const e = env.bound.topology.byRef.get(ref.toLowerCase())!;
          const bus = env.lastResult.busVoltage(e.terminals[0]!.bus);
          if (t1 && bus && Math.abs(bus.min - t1.min) > 1e-3) busDiffers++;
        }),
      );
    }
    expect(checked).toBeGreaterThan(100);
    // Not vacuous: on 123's single-phase laterals the bus's lowest phase is often another phase.
    expect(busDiffers).toBeGreaterThan(5);
  });
});

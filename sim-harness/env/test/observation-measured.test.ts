// The `measured` observation and the shield's terminal voltages mean what the
// edge agent's devices read: a terminal's voltage over the switch's own
// phases (a single-phase switch on a three-phase bus sees its one phase, not
// the bus's lowest), and the kW through a switch as its device measures it
// (PV downstream and losses included, not only the load beyond it). Checked
// on the power flow against the simulated devices' own measurement
// (PowerFlowPlant.measure, what the recloser's registers carry) for random
// partially-restored states.
import { describe, expect, it } from "vitest";
import { switchVoltageFeature } from "../../../shared/encoding/observation.js";
import { PowerFlowPlant } from "../../devices/powerflow-plant.js";
import { createEnv } from "../create.js";
import { switchFlows } from "../observe.js";
import type { PowerFlowGrid } from "../powerflow-grid.js";

/** A device terminal's phase voltages (V, 0 = phase absent or dead) as the agent turns them into pu (agent/runtime/views.ts). */
function devicePu(volts: readonly number[], nominalV: number): { min: number; max: number } | undefined {
  const live = volts.filter((x) => x > 0).map((x) => x / nominalV);
  return live.length ? { min: Math.min(...live), max: Math.max(...live) } : undefined;
}

describe("measured readings in the environment and at the devices", () => {
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

  it("ieee8500-fault-lateral: the observation's kW through a switch is its device's (PV beyond it offsets the load)", () => {
    const env = createEnv("ieee8500-fault-lateral", { observation: "measured", randomPartialProbability: 1 });
    const norm = env.bound.sections.total_load_kw;
    let checked = 0;
    let offset = 0;
    for (let seed = 0; seed < 5; seed++) {
      const r = env.reset(seed);
      const plant = new PowerFlowPlant((env.grid as PowerFlowGrid).powerflow);
      env.agentSwitches.forEach((sw, i) =>
        sw.forEach((k, j) => {
          const m = plant.measure(env.bound.switches[k]!.ref);
          const want = env.energy.closed[k] && m.energized ? Math.abs(m.pKw) : 0;
          expect(r.obs[i]![5 * j + 3]! * norm).toBeCloseTo(want, 1);
          if (want > 0) checked++;
          // The load beyond it (the nominal model's figure) is not what the device reads where PV sits beyond it.
          if (want > 0 && Math.abs(switchFlows(env.energy, env.sectionKwEstimate())[k]! - want) > 50) offset++;
        }),
      );
    }
    expect(checked).toBeGreaterThan(10);
    expect(offset).toBeGreaterThan(0);
  });

  it.each(["ieee123-5mg", "ieee123-fault-lateral"])("%s: the observation's headroom is counted in nominal kW, as the edge agent counts it", (name) => {
    const env = createEnv(name, { observation: "measured", randomPartialProbability: 1 });
    const cap = env.bound.scenario.limits.generation_cap_kw;
    const norm = cap ?? env.bound.sections.total_load_kw;
    for (let seed = 0; seed < 4; seed++) {
      const r = env.reset(seed);
      const g = env.energy;
      let energized = 0;
      for (let s = 0; s < g.sectionCount; s++) if (g.energized(s)) energized += g.sectionLoadKw[s]!;
      env.agents.forEach((_, i) => {
        const mg = env.bound.scenario.microgrids[i]!;
        const f = g.forming.findIndex((x) => x.id === mg.forming_unit);
        const isl = f >= 0 ? g.islands()[g.islandOf(g.forming[f]!.section)]! : undefined;
        const want = isl ? isl.ratingKw - isl.sections.reduce((t, s) => t + g.sectionLoadKw[s]!, 0) : cap! - energized;
        const o = r.obs[i]!;
        expect(o[o.length - 2]! * norm).toBeCloseTo(want, 1);
      });
    }
  });
});

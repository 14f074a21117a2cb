// Small hand-built networks for unit tests (no OpenDSS script involved).
import type { CMatrixSpec, LineSpec, LoadSpec, NetworkSpec, VsourceSpec } from "../network.js";
import { DEFAULT_SOLVE_OPTIONS } from "../network.js";

export function diagMatrix(n: number, re: number, im: number, offRe = 0, offIm = 0): CMatrixSpec {
  const m: CMatrixSpec = { order: n, re: new Float64Array(n * n), im: new Float64Array(n * n) };
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      m.re[i * n + j] = i === j ? re : offRe;
      m.im[i * n + j] = i === j ? im : offIm;
    }
  return m;
}

export function source(bus: string, basekV: number, opts: Partial<VsourceSpec> = {}): VsourceSpec {
  return {
    kind: "vsource",
    name: "Vsource.source",
    enabled: true,
    terminals: [
      { bus, nodes: [1, 2, 3] },
      { bus, nodes: [0, 0, 0] },
    ],
    phases: 3,
    basekV,
    pu: 1,
    angleDeg: 0,
    r1: 0.01,
    x1: 0.1,
    r0: 0.02,
    x0: 0.3,
    ...opts,
  };
}

export function line(name: string, bus1: string, bus2: string, zs: [number, number], zm: [number, number], opts: Partial<LineSpec> = {}): LineSpec {
  return {
    kind: "line",
    name: `Line.${name}`,
    enabled: true,
    terminals: [
      { bus: bus1, nodes: [1, 2, 3] },
      { bus: bus2, nodes: [1, 2, 3] },
    ],
    phases: 3,
    z: diagMatrix(3, zs[0], zs[1], zm[0], zm[1]),
    yc: diagMatrix(3, 0, 0),
    isSwitch: false,
    normAmps: 400,
    emergAmps: 600,
    ...opts,
  };
}

export function load(name: string, bus: string, kV: number, kW: number, kvar: number, opts: Partial<LoadSpec> = {}): LoadSpec {
  return {
    kind: "load",
    name: `Load.${name}`,
    enabled: true,
    terminals: [{ bus, nodes: [1, 2, 3, 0] }],
    phases: 3,
    conn: "wye",
    kV,
    kW,
    kvar,
    model: 1,
    vminpu: 0.95,
    vmaxpu: 1.05,
    vlowpu: 0.5,
    zipv: [],
    cvrWatts: 1,
    cvrVars: 2,
    exempt: false,
    rneut: -1,
    xneut: 0,
    ...opts,
  };
}

export function network(elements: NetworkSpec["elements"], extra: Partial<NetworkSpec> = {}): NetworkSpec {
  return {
    name: "test",
    elements,
    regControls: [],
    capControls: [],
    voltageBases: [12.47],
    calcVoltageBases: true,
    options: { ...DEFAULT_SOLVE_OPTIONS, tolerance: 1e-10, maxIterations: 100 },
    ...extra,
  };
}

// The power flow's input: a circuit as plain numbers, one spec per element,
// in OpenDSS's terms (terminals of conductors on bus nodes, node 0 = ground).
// The OpenDSS language front end (sim-harness/dss) resolves names, defaults
// and units and fills these; tests and the environment may also build them
// directly. Units are the ones in the field names (ohms, siemens, kV, kW).

/** One terminal: the bus and, per conductor, the bus node it lands on (0 = ground/reference). */
export interface TerminalSpec {
  bus: string;
  nodes: number[];
}

interface ElementBase {
  /** `Class.name`, class as OpenDSS prints it, name lower-case (`Line.l45`). */
  name: string;
  enabled: boolean;
  terminals: TerminalSpec[];
  /** Per terminal, per conductor: false where `open Class.name term=N` opened it (all closed when absent). */
  closed?: boolean[][];
}

/** Row-major square complex matrix: re and im of order*order entries. */
export interface CMatrixSpec {
  order: number;
  re: Float64Array;
  im: Float64Array;
}

export interface VsourceSpec extends ElementBase {
  kind: "vsource";
  phases: number;
  /** Line-to-line base kV for phases > 1, line-to-neutral for 1 phase. */
  basekV: number;
  pu: number;
  angleDeg: number;
  /** Source impedance in ohms (sequence values); z2 defaults to z1. */
  r1: number;
  x1: number;
  r0: number;
  x0: number;
  r2?: number;
  x2?: number;
}

export interface LineSpec extends ElementBase {
  kind: "line";
  phases: number;
  /** Total series impedance (ohms) and total shunt admittance (siemens, j*omega*C incl.) for the whole length. */
  z: CMatrixSpec;
  yc: CMatrixSpec;
  isSwitch: boolean;
  normAmps: number;
  emergAmps: number;
}

export interface WindingSpec {
  conn: "wye" | "delta";
  kV: number;
  kVA: number;
  tap: number;
  /** Winding resistance, per unit on winding 1's kVA. */
  rPu: number;
  /** Neutral impedance in ohms; rneut < 0 means open (the default). */
  rneut: number;
  xneut: number;
  minTap: number;
  maxTap: number;
  numTaps: number;
}

export interface TransformerSpec extends ElementBase {
  kind: "transformer";
  phases: number;
  windings: WindingSpec[];
  /** Short-circuit reactances in pu on winding 1's kVA: [X12] or [X12, X13, X23]. */
  xsc: number[];
  pctNoLoadLoss: number;
  pctImag: number;
  /** Parts per million of winding admittance to ground against floating windings. */
  ppmAntifloat: number;
  /** LeadLag=lead (Euro): HV leads LV. ANSI lag by default. */
  hvLeadsLv: boolean;
  normHkVA: number;
  emergHkVA: number;
}

/** Generic two-terminal or shunt impedance element (Reactor; also Capacitor steps). */
export interface ReactorSpec extends ElementBase {
  kind: "reactor";
  phases: number;
  conn: "wye" | "delta";
  /** Per-phase (or full matrix) admittance in siemens of the branch. */
  y: CMatrixSpec;
  /** true: between terminals 1 and 2 (series); false: shunt from terminal 1 (to terminal 2 nodes, usually ground). */
  series: boolean;
  normAmps: number;
}

export interface CapacitorSpec extends ElementBase {
  kind: "capacitor";
  phases: number;
  conn: "wye" | "delta";
  /** Per-step admittance matrices (phases x phases, siemens), from kvar/kV or cmatrix; series R/XL already folded in. */
  steps: CMatrixSpec[];
  /** Initial state per step (1 closed, 0 open). */
  states: number[];
  /** Whether bus2 was given (series capacitor between terminals). */
  series: boolean;
  kvarPerStep: number[];
  kV: number;
  normAmps: number;
}

export type LoadModel = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;

export interface LoadSpec extends ElementBase {
  kind: "load";
  phases: number;
  conn: "wye" | "delta";
  kV: number;
  kW: number;
  kvar: number;
  model: LoadModel;
  vminpu: number;
  vmaxpu: number;
  vlowpu: number;
  /** ZIPV coefficients (model 8): Zp Ip Pp Zq Iq Pq Vcutoff. */
  zipv: number[];
  cvrWatts: number;
  cvrVars: number;
  /** Exempt and fixed loads ignore the circuit load multiplier. */
  exempt: boolean;
  rneut: number;
  xneut: number;
}

export interface GeneratorSpec extends ElementBase {
  kind: "generator";
  phases: number;
  conn: "wye" | "delta";
  kV: number;
  kW: number;
  kvar: number;
  /** 1 = constant P and Q, 2 = constant admittance. */
  model: number;
  vminpu: number;
  vmaxpu: number;
  kVA: number;
}

export interface XYCurveSpec {
  x: number[];
  y: number[];
}

export interface PVSystemSpec extends ElementBase {
  kind: "pvsystem";
  phases: number;
  conn: "wye" | "delta";
  kV: number;
  kVA: number;
  pmpp: number;
  irradiance: number;
  temperature: number;
  pf: number;
  /** kvar set directly (overrides pf when defined). */
  kvar?: number;
  pctPmpp: number;
  ptCurve?: XYCurveSpec;
  effCurve?: XYCurveSpec;
  pctCutin: number;
  pctCutout: number;
  vminpu: number;
  vmaxpu: number;
}

export interface StorageSpec extends ElementBase {
  kind: "storage";
  phases: number;
  conn: "wye" | "delta";
  kV: number;
  kWrated: number;
  kVA: number;
  /** Snapshot output: positive discharges into the grid, negative charges. */
  kW: number;
  kvar: number;
  vminpu: number;
  vmaxpu: number;
}

export type ElementSpec =
  | VsourceSpec
  | LineSpec
  | TransformerSpec
  | ReactorSpec
  | CapacitorSpec
  | LoadSpec
  | GeneratorSpec
  | PVSystemSpec
  | StorageSpec;

export interface RegControlSpec {
  name: string;
  enabled: boolean;
  /** `Transformer.name` of the controlled transformer. */
  transformer: string;
  /** Winding whose voltage is regulated (1-based) and the one whose tap moves. */
  winding: number;
  tapWinding: number;
  vreg: number;
  band: number;
  ptRatio: number;
  ctPrim: number;
  r: number;
  x: number;
  /** 1-based phase sensed, or "max"/"min" over phases. */
  ptPhase: number | "max" | "min";
  delay: number;
  tapDelay: number;
  maxTapChange: number;
  reversible: boolean;
  revVreg: number;
  revBand: number;
  revR: number;
  revX: number;
  /** Voltage limit on the regulated winding (secondary volts), 0 = none. */
  vlimit: number;
  /** Line-drop compensation in the LDC_Z form (0 = off). */
  ldcZ: number;
  revLdcZ: number;
  inverseTime: boolean;
}

export interface CapControlSpec {
  name: string;
  enabled: boolean;
  /** Monitored element and terminal. */
  element: string;
  terminal: number;
  capacitor: string;
  type: "voltage" | "current" | "kvar" | "pf" | "time";
  onSetting: number;
  offSetting: number;
  delay: number;
  delayOff: number;
  deadTime: number;
  ptRatio: number;
  ctRatio: number;
  /** 1-based phase sensed, or "avg"/"max"/"min". */
  ptPhase: number | "avg" | "max" | "min";
  ctPhase: number | "avg" | "max" | "min";
  vmax: number;
  vmin: number;
  voltOverride: boolean;
}

export interface SolveOptions {
  /** Convergence tolerance on |ΔV| per unit of node base (OpenDSS `tolerance`, 1e-4). */
  tolerance: number;
  /** Fixed-point iteration cap per control iteration (OpenDSS `maxiterations`, 15). */
  maxIterations: number;
  /** Control iteration cap (OpenDSS `maxcontroliter`, 10). */
  maxControlIterations: number;
  /** "static" (default), or "off" to skip RegControl/CapControl. */
  controlMode: "static" | "off";
  /** Base frequency in Hz (60). */
  baseFrequency: number;
  /** Circuit load multiplier (OpenDSS `loadmult`). */
  loadMult: number;
}

export const DEFAULT_SOLVE_OPTIONS: SolveOptions = {
  tolerance: 1e-4,
  maxIterations: 15,
  maxControlIterations: 10,
  controlMode: "static",
  baseFrequency: 60,
  loadMult: 1,
};

export interface NetworkSpec {
  name: string;
  elements: ElementSpec[];
  regControls: RegControlSpec[];
  capControls: CapControlSpec[];
  /** Line-to-line kV list for calcvoltagebases (OpenDSS `voltagebases`). */
  voltageBases: number[];
  /** Whether `calcvoltagebases` ran (bases then come from a no-load solution and `voltageBases`). */
  calcVoltageBases: boolean;
  /** Explicit bus kV bases (line-to-neutral kV), e.g. from `setkVBase`; override computed ones. */
  busKvBase?: Record<string, number>;
  options: SolveOptions;
}

// What a simulated device needs from the physics: operate a switch, limit a
// DER, solve, and read an element's solved state. The power flow implements
// it (powerflow-plant.ts); the energization model (nominal-plant.ts) is a
// coarse, fast stand-in for benches that only need topology and nominal kW.

export type Phase3 = [number, number, number];

/** The solved state of one element, as a field device at its terminal 1 would measure it. */
export interface ElementMeasurement {
  /** Some phase of terminal 1 is live (voltage above 10 % of nominal). */
  energized: boolean;
  /** Current magnitude per phase A, B, C (A); 0 for a phase the element does not have. */
  currentA: Phase3;
  /** Voltage magnitude line to neutral at terminal 1, per phase (V); 0 where absent. */
  voltageV: Phase3;
  /** A switch: voltage magnitude line to neutral at terminal 2 (its load side), per phase (V); 0 where absent or dead. */
  voltage2V?: Phase3;
  /** Nominal voltage line to neutral at the element (V): the base of its per-unit voltages. */
  nominalV?: number;
  /** Three-phase power into terminal 1 (for a DER: delivered to the grid), kW and kvar. */
  pKw: number;
  qKvar: number;
  frequencyHz: number;
}

export interface SolveReport {
  converged: boolean;
  iterations: number;
  /** Counts the solutions the plant has computed: devices re-read measurements only when it moves. */
  solution: number;
}

export interface Plant {
  /** Whether a switchable element conducts (both terminals closed). */
  isClosed(element: string): boolean;
  /** Open or close a switchable element (all conductors of both terminals, as `open/close Class.name term=N`). Cheap: no solve. */
  setClosed(element: string, closed: boolean): void;
  /**
   * Cap a DER's active power output (kW), as an inverter's power-limit function
   * does; undefined lifts the cap. Cheap: no solve.
   */
  setDerLimit(element: string, kw: number | undefined): void;
  /** Solve the circuit as it now stands (or reuse the last solution if nothing changed). */
  solve(): SolveReport;
  /** The last solution at an element (call solve() first). Unknown elements throw. */
  measure(element: string): ElementMeasurement;
}

export const DEAD: ElementMeasurement = { energized: false, currentA: [0, 0, 0], voltageV: [0, 0, 0], pKw: 0, qKvar: 0, frequencyHz: 0 };

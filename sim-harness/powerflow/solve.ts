// OpenDSS's snapshot solution (Solution.pas SolveSnap): a control loop
// around a fixed-point loop. Each fixed-point iteration gathers the source
// and PC-element injection currents from the present voltages and solves
// Y V = I on the factorized matrix; it stops when no node's voltage
// magnitude moved more than `tolerance` per unit of its base (relative when
// a node has no base) after at least two iterations, or at `maxIterations`.
// After a converged solve, controls sample and the queue's earliest actions
// run; a control iteration with no queued action ends the loop.
import type { Circuit } from "./circuit.js";
import { CapControl } from "./controls/capcontrol.js";
import { ControlQueue } from "./controls/queue.js";
import { RegControl } from "./controls/regcontrol.js";

export interface FixedPointResult {
  converged: boolean;
  iterations: number;
  maxError: number;
}

/** Initial voltages: the matrix (loads at nominal admittance) with source currents only (OpenDSS SolveYDirect). */
export function solveDirect(c: Circuit): void {
  c.lu.solve(c.srcRe.subarray(1), c.srcIm.subarray(1), c.vRe.subarray(1), c.vIm.subarray(1));
  c.vRe[0] = 0;
  c.vIm[0] = 0;
}

export function fixedPoint(c: Circuit): FixedPointResult {
  const { injRe, injIm, vRe, vIm, srcRe, srcIm, energized, nodeVbase, vmagSaved } = c;
  const N = c.topo.nodeCount;
  const tol = c.options.tolerance;
  const maxIt = c.options.maxIterations;
  const enabled = c.enabled;
  let it = 0;
  let converged = false;
  let maxError = Infinity;
  const bRe = injRe.subarray(1);
  const bIm = injIm.subarray(1);
  const xRe = vRe.subarray(1);
  const xIm = vIm.subarray(1);
  const dead: number[] = [];
  for (let n = 1; n <= N; n++) if (!energized[n]) dead.push(n);
  do {
    it++;
    injRe.set(srcRe);
    injIm.set(srcIm);
    c.injections.inject(enabled, vRe, vIm, injRe, injIm);
    for (const n of dead) {
      injRe[n] = 0;
      injIm[n] = 0;
    }
    c.lu.solve(bRe, bIm, xRe, xIm);
    maxError = 0;
    // A NaN voltage compares false everywhere below and would never raise
    // maxError: count it apart so such a solve can never report converged.
    let nonFinite = false;
    for (let n = 1; n <= N; n++) {
      const vm = Math.sqrt(vRe[n]! * vRe[n]! + vIm[n]! * vIm[n]!);
      if (vm !== vm) nonFinite = true;
      const base = nodeVbase[n]!;
      if (base > 0) {
        // err = |dV| / base. A change below maxError * base (less a margin of several roundings)
        // cannot raise maxError, so most nodes skip the division; maxError is the same number.
        const d = Math.abs(vm - vmagSaved[n]!);
        if (d > maxError * base * (1 - 1e-15)) {
          const err = d / base;
          if (err > maxError) maxError = err;
        }
      } else if (vm !== 0) {
        const err = Math.abs(1 - vmagSaved[n]! / vm);
        if (err > maxError) maxError = err;
      }
      vmagSaved[n] = vm;
    }
    if (nonFinite) maxError = NaN;
    converged = maxError <= tol && !nonFinite;
  } while (!(converged && it >= 2) && it < maxIt);
  return { converged, iterations: it, maxError };
}

export interface SnapResult {
  converged: boolean;
  /** Fixed-point iterations over all control iterations. */
  iterations: number;
  controlIterations: number;
  maxIterationsInOneStep: number;
  /** The control loop hit its cap with actions still queued. */
  controlLimitReached: boolean;
  /** Last fixed-point error (per unit). */
  maxError: number;
  /** Human-readable problems (non-convergence, control limit). */
  messages: string[];
}

/** The control devices of a circuit, in the order OpenDSS samples them. */
export class Controls {
  regs: RegControl[];
  caps: CapControl[];
  readonly queue = new ControlQueue();

  constructor(c: Circuit) {
    const spec = c.topo.spec;
    this.regs = spec.regControls.filter((r) => r.enabled).map((r) => new RegControl(r, c));
    this.caps = spec.capControls.filter((r) => r.enabled).map((r) => new CapControl(r, c));
  }

  bind(c: Circuit): void {
    for (const r of this.regs) r.bind(c);
    for (const k of this.caps) k.bind(c);
  }

  reset(): void {
    this.queue.clear();
    for (const r of this.regs) r.reset();
    for (const k of this.caps) k.reset();
  }

  sample(): void {
    for (const k of this.caps) k.sample(this.queue);
    for (const r of this.regs) r.sample(this.queue);
  }
}

/** One `solve` in snapshot mode, controls included. */
export function solveSnap(c: Circuit, controls: Controls): SnapResult {
  const newly = c.prepare();
  if (!c.initialized) {
    solveDirect(c);
    c.initialized = true;
  } else if (newly.length) {
    // Newly energized nodes start from the direct solution; the rest keep their voltages. The
    // injection vectors hold the direct solution meanwhile (each iteration refills them).
    c.lu.solve(c.srcRe.subarray(1), c.srcIm.subarray(1), c.injRe.subarray(1), c.injIm.subarray(1));
    for (const n of newly) {
      c.vRe[n] = c.injRe[n]!;
      c.vIm[n] = c.injIm[n]!;
    }
  }
  for (let n = 1; n <= c.topo.nodeCount; n++)
    if (!c.energized[n]) {
      c.vRe[n] = 0;
      c.vIm[n] = 0;
    }
  controls.queue.clear();
  for (const r of controls.regs) r.reset();
  for (const k of controls.caps) {
    k.pendingChange = 0;
    k.armed = false;
  }
  const messages: string[] = c.warnings.splice(0);
  const maxCtl = c.options.maxControlIterations;
  let ctl = 0;
  let total = 0;
  let most = 0;
  let done = false;
  let last: FixedPointResult = { converged: false, iterations: 0, maxError: Infinity };
  do {
    ctl++;
    last = fixedPoint(c);
    total += last.iterations;
    if (last.iterations > most) most = last.iterations;
    if (c.options.controlMode === "off") done = true;
    else if (ctl < maxCtl) {
      if (last.converged) {
        controls.sample();
        if (controls.queue.isEmpty) done = true;
        else {
          controls.queue.doNearestActions();
          c.prepare();
          messages.push(...c.warnings.splice(0));
        }
      } else done = true;
    }
  } while (!done && ctl < maxCtl);
  if (!last.converged && Number.isNaN(last.maxError))
    messages.push(`power flow did not converge: a node voltage is not a number after ${last.iterations} iterations (an injection or admittance is invalid)`);
  else if (!last.converged)
    messages.push(
      `power flow did not converge in ${last.iterations} iterations (max |dV| ${last.maxError.toExponential(2)} pu > tolerance ${c.options.tolerance}); raise maxiterations or check the circuit`,
    );
  const controlLimitReached = !done && ctl >= maxCtl;
  if (controlLimitReached) messages.push(`max control iterations (${maxCtl}) exceeded with control actions still pending`);
  return {
    converged: last.converged,
    iterations: total,
    controlIterations: ctl,
    maxIterationsInOneStep: most,
    controlLimitReached,
    maxError: last.maxError,
    messages,
  };
}

// RegControl in OpenDSS's static control mode (RegControl.pas Sample and
// DoPendingAction): the regulated winding's voltage on the PT secondary,
// plus line-drop compensation (R + jX) * I / CTprim, against vreg +- band/2;
// the proposal round((vreg - V) * PTratio / Vbase / step) steps is queued
// after `delay`, and when it runs the tap moves trunc(0.7 * proposal) steps
// (at least one, at most maxtapchange), clamped to the tap range.
import type { Circuit } from "../circuit.js";
import type { CompiledElement } from "../compile.js";
import type { RegControlSpec, TransformerSpec } from "../network.js";
import { elementCurrents } from "../terminals.js";
import { deltaDirection, windingVBase } from "../yprim/transformer.js";
import { roundHalfEven, type ControlDevice, type ControlQueue } from "./queue.js";

const ACTION_TAPCHANGE = 0;

export class RegControl implements ControlDevice {
  readonly spec: RegControlSpec;
  readonly name: string;
  readonly xf: CompiledElement;
  private readonly xs: TransformerSpec;
  pending = 0;
  armed = false;
  handle = 0;
  lastChange = 0;
  private circuit: Circuit;
  private readonly iRe: Float64Array;
  private readonly iIm: Float64Array;

  constructor(spec: RegControlSpec, circuit: Circuit) {
    this.spec = spec;
    this.name = spec.name;
    this.circuit = circuit;
    this.xf = circuit.element(spec.transformer);
    this.xs = this.xf.spec as TransformerSpec;
    this.iRe = new Float64Array(this.xf.nodes.length);
    this.iIm = new Float64Array(this.xf.nodes.length);
  }

  bind(circuit: Circuit): void {
    this.circuit = circuit;
  }

  get tapWinding(): number {
    return this.spec.tapWinding;
  }

  increment(): number {
    const w = this.xs.windings[this.spec.tapWinding - 1]!;
    return w.numTaps > 0 ? (w.maxTap - w.minTap) / w.numTaps : 0;
  }

  presentTap(): number {
    return this.circuit.taps[this.xf.index]![this.spec.tapWinding - 1]!;
  }

  /** OpenDSS TapNum: steps from the middle of the range. */
  tapPosition(): number {
    const w = this.xs.windings[this.spec.tapWinding - 1]!;
    const inc = this.increment();
    return inc > 0 ? Math.round((this.presentTap() - (w.maxTap + w.minTap) / 2) / inc) + 0 : 0;
  }

  /** Is the regulated winding energized? De-energized regulators are left alone. */
  energized(): boolean {
    const c = this.circuit;
    const e = this.xf;
    const start = (this.spec.winding - 1) * e.conductors;
    for (let k = start; k < start + this.xs.phases; k++) if (!c.energized[e.nodes[k]!]) return false;
    return c.enabled[e.index] === 1;
  }

  reset(): void {
    this.pending = 0;
    this.armed = false;
    this.handle = 0;
  }

  sample(queue: ControlQueue): void {
    const s = this.spec;
    if (s.maxTapChange === 0) {
      this.pending = 0;
      return;
    }
    if (!this.energized()) return;
    const c = this.circuit;
    const e = this.xf;
    const np = this.xs.phases;
    const nc = e.conductors;
    const w = s.winding;
    const off = (w - 1) * nc;
    const wdg = this.xs.windings[w - 1]!;
    const dir = deltaDirection(this.xs);
    // Winding voltages per phase.
    const vr: number[] = [];
    const vi: number[] = [];
    for (let i = 0; i < np; i++) {
      const a = e.nodes[off + i]!;
      let b: number;
      if (wdg.conn === "wye") b = e.nodes[off + np]!;
      else {
        let j = i + 1 + dir;
        if (np > 2) {
          if (j > np) j = 1;
          if (j < 1) j = np;
        } else if (j < 1) j = 3;
        b = e.nodes[off + j - 1]!;
      }
      vr.push(c.vRe[a]! - c.vRe[b]!);
      vi.push(c.vIm[a]! - c.vIm[b]!);
    }
    let phase: number;
    if (s.ptPhase === "max" || s.ptPhase === "min") {
      phase = 0;
      let best = Math.hypot(vr[0]!, vi[0]!);
      for (let i = 1; i < np; i++) {
        const m = Math.hypot(vr[i]!, vi[i]!);
        if (s.ptPhase === "max" ? m > best : m < best) {
          best = m;
          phase = i;
        }
      }
    } else phase = Math.min(np, s.ptPhase) - 1;
    let vcr = vr[phase]! / s.ptRatio;
    let vci = vi[phase]! / s.ptRatio;
    const vlocal = Math.hypot(vcr, vci);
    if (s.r !== 0 || s.x !== 0 || s.ldcZ > 0) {
      elementCurrents(c, e, this.iRe, this.iIm);
      const ir = this.iRe[off + phase]! / s.ctPrim;
      const ii = this.iIm[off + phase]! / s.ctPrim;
      if (s.ldcZ === 0) {
        vcr += s.r * ir - s.x * ii;
        vci += s.r * ii + s.x * ir;
      } else {
        vcr = Math.hypot(vcr, vci) - Math.hypot(ir, ii) * s.ldcZ;
        vci = 0;
      }
    }
    const vactual = Math.hypot(vcr, vci);
    let needed = Math.abs(s.vreg - vactual) > s.band / 2;
    const vlimitActive = s.vlimit > 0;
    if (vlimitActive && vlocal > s.vlimit) needed = true;
    if (needed) {
      let vboost = s.vreg - vactual;
      if (vlimitActive && vlocal > s.vlimit) vboost = s.vlimit - vlocal;
      const boost = (vboost * s.ptRatio) / windingVBase(wdg, np);
      const inc = this.increment();
      this.pending = inc > 0 ? roundHalfEven(boost / inc) * inc : 0;
      if (s.tapWinding !== s.winding) this.pending = -this.pending;
      if (this.pending !== 0 && !this.armed) {
        const tw = this.xs.windings[s.tapWinding - 1]!;
        const tap = this.presentTap();
        const can = this.pending > 0 ? tap < tw.maxTap : tap > tw.minTap;
        if (can) {
          const delay = s.inverseTime ? s.delay / Math.min(10, (2 * Math.abs(s.vreg - vactual)) / s.band) : s.delay;
          this.handle = queue.push(delay, ACTION_TAPCHANGE, this);
          this.armed = true;
        }
      }
    } else {
      this.pending = 0;
      if (this.armed) {
        queue.delete(this.handle);
        this.armed = false;
        this.handle = 0;
      }
    }
  }

  doPendingAction(_code: number): void {
    if (this.pending === 0) {
      this.armed = false;
      return;
    }
    const inc = this.increment();
    let n = Math.trunc((0.7 * Math.abs(this.pending)) / inc);
    if (n === 0) n = 1;
    if (n > this.spec.maxTapChange) n = this.spec.maxTapChange;
    const change = this.pending > 0 ? n * inc : -n * inc;
    this.lastChange = this.pending > 0 ? n : -n;
    this.circuit.setWindingTap(this.xf.spec.name, this.spec.tapWinding, this.presentTap() + change);
    this.pending = 0;
    this.armed = false;
  }
}

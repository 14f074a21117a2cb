// CapControl in static mode (CapControl.pas Sample and DoPendingAction):
// voltage, current, kvar, pf and time types with the voltage override,
// ON/OFF delays and the dead time; a switching action adds or removes one
// step, and opening the last step opens the capacitor's terminal.
import type { Circuit } from "../circuit.js";
import type { CompiledElement } from "../compile.js";
import type { CapacitorSpec, CapControlSpec } from "../network.js";
import { elementCurrents, terminalPower } from "../terminals.js";
import type { ControlDevice, ControlQueue } from "./queue.js";

const NONE = 0;
const OPEN = 1;
const CLOSE = 2;

export class CapControl implements ControlDevice {
  readonly spec: CapControlSpec;
  readonly name: string;
  readonly cap: CompiledElement;
  readonly monitored: CompiledElement;
  private circuit: Circuit;
  pendingChange = NONE;
  armed = false;
  handle = 0;
  /** Seconds; OpenDSS starts it at -deadtime so the first close is not delayed. */
  lastOpenTime: number;
  private readonly iRe: Float64Array;
  private readonly iIm: Float64Array;

  constructor(spec: CapControlSpec, circuit: Circuit) {
    this.spec = spec;
    this.name = spec.name;
    this.circuit = circuit;
    this.cap = circuit.element(spec.capacitor);
    this.monitored = circuit.element(spec.element);
    this.lastOpenTime = -spec.deadTime;
    this.iRe = new Float64Array(this.monitored.nodes.length);
    this.iIm = new Float64Array(this.monitored.nodes.length);
  }

  bind(circuit: Circuit): void {
    this.circuit = circuit;
  }

  reset(): void {
    this.pendingChange = NONE;
    this.armed = false;
    this.handle = 0;
    this.lastOpenTime = -this.spec.deadTime;
  }

  private steps(): Int8Array {
    return this.circuit.capStates[this.cap.index]!;
  }

  private lastStepInService(): number {
    const st = this.steps();
    let last = 0;
    for (let k = 0; k < st.length; k++) if (st[k] === 1) last = k + 1;
    return last;
  }

  private presentState(): number {
    return this.circuit.isTerminalClosed(this.cap.spec.name, 1) ? CLOSE : OPEN;
  }

  energized(): boolean {
    const c = this.circuit;
    for (const n of this.cap.nodes.subarray(0, this.cap.conductors)) if (n > 0 && !c.energized[n]) return false;
    const t = this.spec.terminal;
    const m = this.monitored;
    for (let k = (t - 1) * m.conductors; k < t * m.conductors; k++) {
      const n = m.nodes[k]!;
      if (n > 0 && !c.energized[n]) return false;
    }
    return c.enabled[this.cap.index] === 1;
  }

  private controlVoltage(): number {
    const c = this.circuit;
    const m = this.monitored;
    const s = this.spec;
    const t = s.terminal;
    const np = (m.spec as { phases: number }).phases;
    const v = (i: number) => {
      const n = m.nodes[(t - 1) * m.conductors + i]!;
      return [c.vRe[n]!, c.vIm[n]!] as const;
    };
    if (s.ptPhase === "avg" || s.ptPhase === "max" || s.ptPhase === "min") {
      let acc = s.ptPhase === "min" ? 1e50 : 0;
      for (let i = 0; i < np; i++) {
        const [a, b] = v(i);
        const mag = Math.hypot(a, b);
        if (s.ptPhase === "avg") acc += mag;
        else if (s.ptPhase === "max") acc = Math.max(acc, mag);
        else acc = Math.min(acc, mag);
      }
      return (s.ptPhase === "avg" ? acc / np : acc) / s.ptRatio;
    }
    const p = s.ptPhase - 1;
    const [a, b] = v(p);
    if ((this.cap.spec as CapacitorSpec).conn === "delta") {
      let q = p + 1;
      if (q >= np) q = 0;
      const [c2, d2] = v(q);
      return Math.hypot(a - c2, b - d2) / s.ptRatio;
    }
    return Math.hypot(a, b) / s.ptRatio;
  }

  private controlCurrent(): number {
    const s = this.spec;
    const m = this.monitored;
    elementCurrents(this.circuit, m, this.iRe, this.iIm);
    const off = (s.terminal - 1) * m.conductors;
    const np = (m.spec as { phases: number }).phases;
    const mag = (i: number) => Math.hypot(this.iRe[off + i]!, this.iIm[off + i]!);
    if (s.ctPhase === "avg") {
      let acc = 0;
      for (let i = 0; i < np; i++) acc += mag(i);
      return acc / np / s.ctRatio;
    }
    if (s.ctPhase === "max" || s.ctPhase === "min") {
      let acc = s.ctPhase === "min" ? 1e50 : 0;
      for (let i = 0; i < np; i++) acc = s.ctPhase === "max" ? Math.max(acc, mag(i)) : Math.min(acc, mag(i));
      return acc / s.ctRatio;
    }
    return mag(s.ctPhase - 1) / s.ctRatio;
  }

  private power(): [number, number] {
    const m = this.monitored;
    elementCurrents(this.circuit, m, this.iRe, this.iIm);
    return terminalPower(this.circuit, m, this.spec.terminal, this.iRe, this.iIm);
  }

  sample(queue: ControlQueue): void {
    if (!this.energized()) return;
    const s = this.spec;
    const present = this.presentState();
    const available = this.steps().length - this.lastStepInService();
    let shouldSwitch = false;
    if (s.voltOverride && s.type !== "voltage") {
      const vt = this.controlVoltage();
      if (present === OPEN && vt < s.vmin) {
        this.pendingChange = CLOSE;
        shouldSwitch = true;
      } else if (present === CLOSE && vt > s.vmax) {
        this.pendingChange = OPEN;
        shouldSwitch = true;
      }
    }
    if (!shouldSwitch) {
      const decide = (value: number, closeWhen: (x: number) => boolean, openWhen: (x: number) => boolean, resetOnClosedAtLimit: boolean) => {
        if (present === OPEN) {
          if (closeWhen(value)) {
            this.pendingChange = CLOSE;
            shouldSwitch = true;
          } else this.pendingChange = NONE;
        } else {
          if (!resetOnClosedAtLimit) this.pendingChange = NONE;
          if (openWhen(value)) {
            this.pendingChange = OPEN;
            shouldSwitch = true;
          } else if (available > 0) {
            if (closeWhen(value)) {
              this.pendingChange = CLOSE;
              shouldSwitch = true;
            }
          } else if (resetOnClosedAtLimit) this.pendingChange = NONE;
        }
      };
      switch (s.type) {
        case "current": {
          const i = this.controlCurrent();
          decide(i, (x) => x > s.onSetting, (x) => x < s.offSetting, true);
          break;
        }
        case "voltage": {
          const v = this.controlVoltage();
          decide(v, (x) => x < s.onSetting, (x) => x > s.offSetting, false);
          break;
        }
        case "kvar": {
          const q = this.power()[1] * 0.001;
          decide(q, (x) => x > s.onSetting, (x) => x < s.offSetting, true);
          break;
        }
        case "pf": {
          const [p, q] = this.power();
          const sabs = Math.hypot(p, q);
          let pf = sabs !== 0 ? Math.abs(p) / sabs : 1;
          if (q < 0) pf = 2 - pf;
          const qk = q * 0.001;
          const cap = this.cap.spec as CapacitorSpec;
          const total = cap.kvarPerStep.reduce((a, b) => a + b, 0);
          if (present === OPEN) {
            if (pf < s.onSetting && qk > total * 0.5) {
              this.pendingChange = CLOSE;
              shouldSwitch = true;
            } else this.pendingChange = NONE;
          } else if (pf > s.offSetting) {
            this.pendingChange = OPEN;
            shouldSwitch = true;
          } else if (available > 0) {
            if (pf < s.onSetting && qk > (total / cap.kvarPerStep.length) * 0.5) {
              this.pendingChange = CLOSE;
              shouldSwitch = true;
            }
          } else this.pendingChange = NONE;
          break;
        }
        case "time": {
          // A snapshot sits at hour 0, second 0.
          const t = 0;
          const on = s.onSetting;
          const off = s.offSetting;
          const inOn = off > on ? t >= on && t < off : t >= on && t < 24;
          const inOff = off > on ? t >= off || t < on : t >= off && t < on;
          decide(t, () => inOn, () => inOff, true);
          break;
        }
      }
    }
    if (shouldSwitch && !this.armed) {
      let delay: number;
      if (this.pendingChange === CLOSE) {
        const since = 0 - this.lastOpenTime;
        delay = since < s.deadTime ? Math.max(s.delay, s.deadTime + s.delay - since) : s.delay;
      } else delay = s.delayOff;
      this.handle = queue.push(delay, this.pendingChange, this);
      this.armed = true;
    }
    if (this.armed && this.pendingChange === NONE) {
      queue.delete(this.handle);
      this.armed = false;
    }
  }

  doPendingAction(_code: number): void {
    const c = this.circuit;
    const st = Array.from(this.steps());
    const name = this.cap.spec.name;
    const present = this.presentState();
    if (this.pendingChange === OPEN) {
      if (present === CLOSE) {
        const last = this.lastStepInService();
        if (st.length === 1) {
          c.setTerminal(name, 1, false);
          if (last > 0) st[last - 1] = 0;
          c.setCapacitorSteps(name, st);
          this.lastOpenTime = 0;
        } else {
          if (last > 0) st[last - 1] = 0;
          c.setCapacitorSteps(name, st);
          if (last - 1 <= 0) c.setTerminal(name, 1, false);
        }
      }
    } else if (this.pendingChange === CLOSE) {
      if (present === OPEN) c.setTerminal(name, 1, true);
      const last = this.lastStepInService();
      if (last < st.length) {
        st[last] = 1;
        c.setCapacitorSteps(name, st);
      }
    }
    this.pendingChange = NONE;
    this.armed = false;
  }
}

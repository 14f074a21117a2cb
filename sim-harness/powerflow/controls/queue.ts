// OpenDSS's control queue in static mode: actions pushed with a delay, kept
// sorted by time (ties in push order); each control iteration executes every
// action at the earliest time and leaves the rest queued.
export interface ControlDevice {
  readonly name: string;
  /** Executes a queued action. */
  doPendingAction(code: number): void;
}

interface Action {
  time: number;
  handle: number;
  code: number;
  device: ControlDevice;
}

export class ControlQueue {
  private actions: Action[] = [];
  private nextHandle = 1;

  push(time: number, code: number, device: ControlDevice): number {
    const handle = this.nextHandle++;
    let i = this.actions.length;
    while (i > 0 && this.actions[i - 1]!.time > time) i--;
    this.actions.splice(i, 0, { time, handle, code, device });
    return handle;
  }

  delete(handle: number): void {
    const i = this.actions.findIndex((a) => a.handle === handle);
    if (i >= 0) this.actions.splice(i, 1);
  }

  get isEmpty(): boolean {
    return this.actions.length === 0;
  }

  clear(): void {
    this.actions = [];
  }

  /** Executes all actions at the earliest queued time; returns how many ran. */
  doNearestActions(): number {
    if (this.actions.length === 0) return 0;
    const t = this.actions[0]!.time;
    let n = 0;
    while (this.actions.length && this.actions[0]!.time <= t) {
      const a = this.actions.shift()!;
      a.device.doPendingAction(a.code);
      n++;
    }
    return n;
  }
}

/** Pascal's Round: ties to even (banker's rounding), as OpenDSS computes tap proposals. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

// A small restoration environment for the trainer's tests (a test double of
// sim-harness/env, no power flow): each agent owns a chain of switches, and
// switch k feeds its load block only while switches 0..k-1 of its chain are
// closed too. Restored load is the sum of fed blocks; going over the cap costs
// -M (restored - cap)^2 and ends the episode, as in the paper's environment.
// The optimum is known in closed form for tests: the best-weighted set of
// chain prefixes under the cap.
import type { AgentSpec, MultiAgentEnv, ResetResult, StepInfo, StepResult } from "../../../sim-harness/env/types.js";
import { Rng } from "../../util/rng.js";

export interface ToyOptions {
  /** Switches per agent (heterogeneous sizes). */
  sizes: number[];
  /** kW per block, per agent and switch (default from a seeded draw). */
  kw?: number[][];
  weights?: number[][];
  capKw: number;
  episodeLength: number;
  penaltyM?: number;
  randomResetProbability?: number;
  seed?: number;
}

export class ToyEnv implements MultiAgentEnv {
  readonly scenarioName = "toy";
  readonly agents: AgentSpec[];
  readonly stateSize: number;
  readonly episodeLength: number;
  readonly kw: number[][];
  readonly weights: number[][];
  private closed: Uint8Array[];
  private t = 0;
  private rng: Rng;

  constructor(private readonly o: ToyOptions) {
    const draw = new Rng(o.seed ?? 5);
    this.kw = o.kw ?? o.sizes.map((n) => Array.from({ length: n }, () => 50 + draw.int(200)));
    this.weights = o.weights ?? o.sizes.map((n) => Array.from({ length: n }, () => 1 + draw.int(10)));
    this.agents = o.sizes.map((n, i) => ({ id: `mg${i + 1}`, elements: Array.from({ length: n }, (_, k) => `Line.a${i + 1}s${k + 1}`), observationSize: n }));
    this.stateSize = o.sizes.reduce((s, n) => s + n, 0) + 1;
    this.episodeLength = o.episodeLength;
    this.closed = o.sizes.map((n) => new Uint8Array(n));
    this.rng = new Rng(o.seed ?? 5, 77);
  }

  private fed(closed: Uint8Array[]): { kw: number; weighted: number } {
    let kw = 0;
    let weighted = 0;
    closed.forEach((c, i) => {
      for (let k = 0; k < c.length && c[k]; k++) {
        kw += this.kw[i]![k]!;
        weighted += this.kw[i]![k]! * this.weights[i]![k]!;
      }
    });
    return { kw, weighted };
  }

  private observe(info: StepInfo): ResetResult {
    const obs = this.closed.map((c) => Float32Array.from(c));
    const state = new Float32Array(this.stateSize);
    let o = 0;
    for (const c of this.closed) for (const v of c) state[o++] = v;
    state[o] = this.t / this.episodeLength;
    return { obs, state, info };
  }

  private info(operations: string[], breached: boolean): StepInfo {
    const f = this.fed(this.closed);
    return { restored_kw: f.kw, weighted_restored: f.weighted, cap_kw: this.o.capKw, cap_breached: breached, islands: [], violations: [], tap_positions: {}, operations, nonconverged: false };
  }

  reset(seed?: number): ResetResult {
    if (seed !== undefined) this.rng = new Rng(seed, 78);
    this.t = 0;
    this.closed = this.o.sizes.map((n) => new Uint8Array(n));
    if (this.rng.next() < (this.o.randomResetProbability ?? 0)) {
      // A random feasible partial restoration: close random switches while under the cap.
      for (let tries = 0; tries < 10; tries++) {
        const i = this.rng.int(this.closed.length);
        const k = this.rng.int(this.closed[i]!.length);
        this.closed[i]![k] = 1;
        if (this.fed(this.closed).kw > this.o.capKw) this.closed[i]![k] = 0;
      }
    }
    return this.observe(this.info([], false));
  }

  step(actions: readonly (Int32Array | readonly number[])[]): StepResult {
    const before = this.fed(this.closed).weighted;
    const ops: string[] = [];
    actions.forEach((a, i) =>
      a.forEach((x, k) => {
        const c = this.closed[i]!;
        if (x === 0 && !c[k]) ops.push(`close ${this.agents[i]!.elements[k]}`);
        if (x === 1 && c[k]) ops.push(`open ${this.agents[i]!.elements[k]}`);
        if (x === 0) c[k] = 1;
        if (x === 1) c[k] = 0;
      }),
    );
    this.t++;
    const f = this.fed(this.closed);
    const breached = f.kw > this.o.capKw;
    const reward = breached ? -(this.o.penaltyM ?? 1) * (f.kw - this.o.capKw) ** 2 / 1000 : (f.weighted - before) / 100;
    const done = breached || this.t >= this.episodeLength;
    const r = this.observe(this.info(ops, breached));
    return { ...r, rewards: this.agents.map(() => reward), teamReward: reward, done };
  }

  /** The shield: no close that would push the restored load over the cap (all of this agent's closes counted alone). */
  actionMask(): Uint8Array[] {
    const now = this.fed(this.closed).kw;
    return this.closed.map((c, i) => {
      const m = new Uint8Array(c.length * 3).fill(1);
      for (let k = 0; k < c.length; k++) {
        if (c[k]) continue;
        const trial = this.closed.map((x) => Uint8Array.from(x));
        trial[i]![k] = 1;
        if (this.fed(trial).kw > this.o.capKw && this.fed(trial).kw > now) m[3 * k] = 0;
      }
      return m;
    });
  }

  /** Best weighted restoration under the cap (exhaustive over chain prefixes). */
  optimum(): { kw: number; weighted: number } {
    let best = { kw: 0, weighted: 0 };
    const rec = (i: number, kw: number, w: number) => {
      if (kw > this.o.capKw) return;
      if (i === this.kw.length) {
        if (w > best.weighted) best = { kw, weighted: w };
        return;
      }
      let k = 0;
      let kk = kw;
      let ww = w;
      rec(i + 1, kk, ww);
      for (; k < this.kw[i]!.length; k++) {
        kk += this.kw[i]![k]!;
        ww += this.kw[i]![k]! * this.weights[i]![k]!;
        rec(i + 1, kk, ww);
      }
    };
    rec(0, 0, 0);
    return best;
  }
}

/** Factory for EnvSource (rollout workers build their own environments). */
export function createToyEnv(options: unknown): ToyEnv {
  return new ToyEnv(options as ToyOptions);
}

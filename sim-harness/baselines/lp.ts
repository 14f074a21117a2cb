// A small builder for mixed-integer linear programs, written out in CPLEX LP
// format and solved by HiGHS (wasm, one thread). Variables and rows carry
// short generated names; callers keep their own maps to them.
import highsLoader from "highs";
import { BlackstartError } from "../../shared/errors.js";
import { ScenarioErrors } from "../scenarios/errors.js";

type Highs = Awaited<ReturnType<typeof highsLoader>>;
let highs: Promise<Highs> | undefined;

/** HiGHS, loaded once per process. */
export function loadHighs(): Promise<Highs> {
  highs ??= highsLoader();
  return highs;
}

export interface Term {
  v: number;
  c: number;
}

interface Var {
  name: string;
  lb: number;
  ub: number;
  kind: "binary" | "continuous";
  obj: number;
}

interface Row {
  name: string;
  terms: Term[];
  sense: "<=" | ">=" | "=";
  rhs: number;
}

export interface MilpSolution {
  status: string;
  objective: number;
  values: Float64Array;
  ms: number;
}

export class Milp {
  private readonly vars: Var[] = [];
  private readonly rows: Row[] = [];
  readonly sense: "max" | "min";

  constructor(sense: "max" | "min") {
    this.sense = sense;
  }

  binary(prefix: string, obj = 0): number {
    return this.add(prefix, 0, 1, "binary", obj);
  }

  continuous(prefix: string, lb: number, ub: number, obj = 0): number {
    return this.add(prefix, lb, ub, "continuous", obj);
  }

  fix(v: number, value: number): void {
    const x = this.vars[v]!;
    x.lb = value;
    x.ub = value;
  }

  row(prefix: string, terms: Term[], sense: Row["sense"], rhs: number): void {
    const merged = new Map<number, number>();
    for (const t of terms) merged.set(t.v, (merged.get(t.v) ?? 0) + t.c);
    const clean = [...merged].filter(([, c]) => c !== 0).map(([v, c]) => ({ v, c }));
    if (clean.length === 0) {
      const ok = sense === "<=" ? 0 <= rhs + 1e-9 : sense === ">=" ? 0 >= rhs - 1e-9 : Math.abs(rhs) < 1e-9;
      if (!ok) throw new BlackstartError(ScenarioErrors.OPTIMUM, `row ${prefix}: 0 ${sense} ${rhs} can never hold`);
      return;
    }
    this.rows.push({ name: `${prefix}${this.rows.length}`, terms: clean, sense, rhs });
  }

  get size(): { vars: number; rows: number; binaries: number } {
    return { vars: this.vars.length, rows: this.rows.length, binaries: this.vars.filter((v) => v.kind === "binary").length };
  }

  private add(prefix: string, lb: number, ub: number, kind: Var["kind"], obj: number): number {
    this.vars.push({ name: `${prefix}${this.vars.length}`, lb, ub, kind, obj });
    return this.vars.length - 1;
  }

  toLp(): string {
    const num = (c: number) => (Number.isInteger(c) ? String(c) : c.toPrecision(15).replace(/\.?0+(e|$)/, "$1"));
    const expr = (terms: readonly Term[]) => {
      const parts: string[] = [];
      for (const t of terms) {
        const name = this.vars[t.v]!.name;
        const sign = t.c < 0 ? "-" : "+";
        parts.push(`${sign} ${num(Math.abs(t.c))} ${name}`);
      }
      return parts.length ? parts.join(" ") : "0";
    };
    const lines: string[] = [this.sense === "max" ? "Maximize" : "Minimize"];
    const objTerms = this.vars.map((v, i) => ({ v: i, c: v.obj })).filter((t) => t.c !== 0);
    lines.push(` obj: ${objTerms.length ? expr(objTerms) : `0 ${this.vars[0]?.name ?? ""}`}`);
    lines.push("Subject To");
    for (const r of this.rows) lines.push(` ${r.name}: ${expr(r.terms)} ${r.sense} ${num(r.rhs)}`);
    lines.push("Bounds");
    for (const v of this.vars) {
      if (v.kind === "binary" && v.lb === 0 && v.ub === 1) continue;
      const lb = v.lb === -Infinity ? "-inf" : num(v.lb);
      const ub = v.ub === Infinity ? "+inf" : num(v.ub);
      lines.push(` ${lb} <= ${v.name} <= ${ub}`);
    }
    const bins = this.vars.filter((v) => v.kind === "binary").map((v) => v.name);
    if (bins.length) {
      lines.push("Binaries");
      for (let i = 0; i < bins.length; i += 20) lines.push(` ${bins.slice(i, i + 20).join(" ")}`);
    }
    lines.push("End");
    return lines.join("\n");
  }

  async solve(options: { timeLimitS?: number; relGap?: number } = {}): Promise<MilpSolution> {
    const h = await loadHighs();
    const t0 = performance.now();
    const lp = this.toLp();
    const res = h.solve(lp, {
      output_flag: false,
      mip_rel_gap: options.relGap ?? 1e-9,
      mip_abs_gap: 1e-9,
      ...(options.timeLimitS !== undefined ? { time_limit: options.timeLimitS } : {}),
    } as Parameters<Highs["solve"]>[1]);
    const ms = performance.now() - t0;
    const values = new Float64Array(this.vars.length);
    if (res.Status === "Optimal") {
      const cols = res.Columns as Record<string, { Primal: number }>;
      this.vars.forEach((v, i) => (values[i] = cols[v.name]?.Primal ?? 0));
    }
    return { status: res.Status, objective: res.Status === "Optimal" ? res.ObjectiveValue : NaN, values, ms };
  }
}

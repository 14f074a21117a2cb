// From the OpenDSS interpreter's circuit (sim-harness/dss) to the power
// flow's NetworkSpec: each element's properties, read with OpenDSS's rules
// (which definition was given last, defaults, units), become plain numbers.
// Line impedances and transformer windings come from the DSS classes' own
// state (line constants are computed there).
import { BlackstartError } from "../../../shared/errors.js";
import type { DssCircuit, DssElement } from "../../dss/model.js";
import { lineDataOf, lineImpedance } from "../../dss/classes/line.js";
import { transformerOf } from "../../dss/classes/transformer.js";
import { DssErrors } from "../../dss/errors.js";
import { symMatrix } from "../../dss/values.js";
import { CMatrix } from "../yprim/cmatrix.js";
import type {
  CapacitorSpec,
  CapControlSpec,
  CMatrixSpec,
  ElementSpec,
  GeneratorSpec,
  LineSpec,
  LoadModel,
  LoadSpec,
  NetworkSpec,
  PVSystemSpec,
  ReactorSpec,
  RegControlSpec,
  StorageSpec,
  TerminalSpec,
  TransformerSpec,
  VsourceSpec,
  XYCurveSpec,
} from "../network.js";
import { impedanceFromIsc, impedanceFromMVAsc } from "../yprim/vsource.js";

const SQRT3 = Math.sqrt(3);
const TWO_PI = 2 * Math.PI;

function unsupported(el: DssElement, detail: string): BlackstartError {
  return new BlackstartError(DssErrors.UNSUPPORTED, `${el.fullName}: ${detail}`, { file: el.definedAt.file, line: el.definedAt.line });
}

/** Property index by exact OpenDSS name, cached per class (thousands of elements read the same names). */
const indexCache = new WeakMap<DssElement["cls"], Map<string, number>>();
function idx(el: DssElement, name: string): number {
  let m = indexCache.get(el.cls);
  if (!m) {
    m = new Map();
    indexCache.set(el.cls, m);
  }
  let i = m.get(name);
  if (i === undefined) {
    i = el.cls.propertyIndex(name);
    m.set(name, i);
  }
  return i;
}

function has(el: DssElement, name: string): boolean {
  return idx(el, name) >= 0;
}

function value(el: DssElement, name: string) {
  const i = idx(el, name);
  return i >= 0 ? el.values[i] : undefined;
}

function num(el: DssElement, name: string, dflt: number): number {
  const v = value(el, name);
  return typeof v === "number" && !Number.isNaN(v) ? v : dflt;
}

function nums(el: DssElement, name: string): number[] {
  const v = value(el, name);
  if (Array.isArray(v)) return (v as unknown[]).map(Number);
  return typeof v === "number" ? [v] : [];
}

function text(el: DssElement, name: string, dflt: string): string {
  const v = value(el, name);
  return v === undefined ? dflt : String(v).toLowerCase();
}

function given(el: DssElement, name: string): boolean {
  const i = idx(el, name);
  return i >= 0 && el.isGivenAt(i);
}

function conn(el: DssElement): "wye" | "delta" {
  const c = text(el, "conn", "wye");
  return c.startsWith("d") || c === "ll" ? "delta" : "wye";
}

/** `terminals()` makes fresh objects on every call: they become the spec's own. */
function terminalsOf(el: DssElement): TerminalSpec[] {
  return el.terminals();
}

function base(el: DssElement) {
  return { name: el.fullName, enabled: el.enabled, terminals: terminalsOf(el), closed: el.closed?.map((t) => [...t]) };
}

function phasesOf(el: DssElement): number {
  return el.layout()?.phases ?? num(el, "phases", 3);
}

function cmatrix(order: number): CMatrixSpec {
  return { order, re: new Float64Array(order * order), im: new Float64Array(order * order) };
}

function diag(order: number, re: number, im: number): CMatrixSpec {
  const m = cmatrix(order);
  for (let i = 0; i < order; i++) {
    m.re[i * order + i] = re;
    m.im[i * order + i] = im;
  }
  return m;
}

// ---------------------------------------------------------------- sources

function vsource(el: DssElement): VsourceSpec {
  const phases = phasesOf(el);
  const basekV = num(el, "basekv", 115);
  let zType = 1;
  const last = el.lastGivenOf(
    ...["MVAsc3", "MVAsc1", "Isc3", "Isc1", "R1", "X1", "R0", "X0", "Z1", "Z0", "Z2", "puZ1", "puZ0", "puZ2"].filter((n) => has(el, n)),
  );
  if (last) {
    const l = last.toLowerCase();
    if (l.startsWith("mvasc")) zType = 1;
    else if (l.startsWith("isc")) zType = 2;
    else zType = 3;
  }
  const x1r1 = num(el, "x1r1", 4);
  const x0r0 = num(el, "x0r0", 3);
  let z: { r1: number; x1: number; r0: number; x0: number; r2?: number; x2?: number };
  if (zType === 1) z = impedanceFromMVAsc(basekV, phases, num(el, "MVAsc3", 2000), num(el, "MVAsc1", 2100), x1r1, x0r0);
  else if (zType === 2) z = impedanceFromIsc(basekV, phases, num(el, "Isc3", 10000), num(el, "Isc1", 10540), x1r1, x0r0);
  else {
    const lastZ = el.lastGivenOf(...["R1", "X1", "R0", "X0", "Z1", "Z0", "Z2"].filter((n) => has(el, n)));
    const puGiven = ["puZ1", "puZ0", "puZ2"].some((n) => given(el, n));
    if (puGiven && !lastZ) {
      const zb = (basekV * basekV) / num(el, "baseMVA", 100);
      const p1 = nums(el, "puZ1");
      const p0 = nums(el, "puZ0");
      const p2 = nums(el, "puZ2");
      z = { r1: (p1[0] ?? 0) * zb, x1: (p1[1] ?? 0) * zb, r0: (p0[0] ?? 0) * zb, x0: (p0[1] ?? 0) * zb };
      if (given(el, "puZ2")) {
        z.r2 = (p2[0] ?? 0) * zb;
        z.x2 = (p2[1] ?? 0) * zb;
      }
    } else {
      z = { r1: num(el, "R1", 1.65), x1: num(el, "X1", 6.6), r0: num(el, "R0", 1.9), x0: num(el, "X0", 5.7) };
      if (given(el, "Z1")) [z.r1, z.x1] = nums(el, "Z1") as [number, number];
      if (given(el, "Z0")) [z.r0, z.x0] = nums(el, "Z0") as [number, number];
      if (given(el, "Z2")) [z.r2, z.x2] = nums(el, "Z2") as [number, number];
    }
  }
  return {
    kind: "vsource",
    ...base(el),
    phases,
    basekV,
    pu: num(el, "pu", 1),
    angleDeg: num(el, "angle", 0),
    ...z,
  };
}

// ---------------------------------------------------------------- PD elements

function line(el: DssElement, frequency: number): LineSpec {
  const d = lineDataOf(el);
  const m = lineImpedance(el, frequency);
  return {
    kind: "line",
    ...base(el),
    phases: d.phases,
    z: m.z,
    yc: m.yc,
    isSwitch: d.isSwitch,
    normAmps: num(el, "normamps", d.normAmps),
    emergAmps: num(el, "emergamps", d.emergAmps),
  };
}

function transformer(el: DssElement): TransformerSpec {
  const d = transformerOf(el);
  return {
    kind: "transformer",
    ...base(el),
    phases: d.phases,
    windings: d.windings.map((w) => ({
      conn: w.conn,
      kV: w.kV,
      kVA: w.kVA,
      tap: w.tap,
      rPu: w.rPu,
      rneut: w.rNeut,
      xneut: w.xNeut,
      minTap: w.minTap,
      maxTap: w.maxTap,
      numTaps: w.numTaps,
    })),
    xsc: [...d.xsc],
    pctNoLoadLoss: d.pctNoLoadLoss,
    pctImag: d.pctImag,
    ppmAntifloat: d.ppmFloatFactor * 1e6,
    hvLeadsLv: d.hvLeadsLV,
    normHkVA: d.normHkVA,
    emergHkVA: d.emergHkVA,
  };
}

/** Per-phase kV for kvar ratings: L-L for delta and 1-phase, L-N otherwise. */
function phaseKv(kV: number, c: "wye" | "delta", phases: number): number {
  if (c === "delta") return kV;
  return phases === 2 || phases === 3 ? kV / SQRT3 : kV;
}

function reactor(el: DssElement, frequency: number): ReactorSpec {
  const phases = phasesOf(el);
  const c = conn(el);
  const terms = el.terminals();
  const series = given(el, "bus2") && terms.length > 1 && terms[1]!.nodes.some((n) => n !== 0);
  const w = TWO_PI * frequency;
  let y: CMatrixSpec;
  const lastSpec = el.lastGivenOf(...["kvar", "kv", "R", "X", "Rmatrix", "Xmatrix", "Z", "Z1", "LmH"].filter((n) => has(el, n)));
  const l = lastSpec?.toLowerCase();
  if (l === "rmatrix" || l === "xmatrix") {
    const z = new CMatrix(phases);
    z.re.set(symMatrix((el.get("Rmatrix") as number[][] | undefined) ?? [], phases));
    z.im.set(symMatrix((el.get("Xmatrix") as number[][] | undefined) ?? [], phases));
    if (!z.invert()) throw unsupported(el, "the reactor's impedance matrix is singular");
    y = z;
  } else {
    let r: number;
    let x: number;
    if (l === "r" || l === "x" || l === "z" || l === "z1" || l === "lmh") {
      r = num(el, "R", 0);
      x = num(el, "X", 0);
      if (l === "lmh") x = (num(el, "LmH", 0) / 1000) * w;
      if (l === "z" || l === "z1") [r, x] = nums(el, l === "z" ? "Z" : "Z1") as [number, number];
    } else {
      const kvar = num(el, "kvar", 1200);
      const kv = phaseKv(num(el, "kv", 12.47), c, phases);
      r = 0;
      x = (kv * kv * 1000) / (kvar / phases);
    }
    const rp = num(el, "Rp", 0);
    const parallel = has(el, "Parallel") && el.get("Parallel") === true;
    let gr: number;
    let gi: number;
    if (parallel) {
      gr = r !== 0 ? 1 / r : 0;
      gi = x !== 0 ? -1 / x : 0;
    } else {
      const m = r * r + x * x;
      if (m === 0) throw unsupported(el, "the reactor has zero impedance");
      gr = r / m;
      gi = -x / m;
    }
    if (rp > 0) gr += 1 / rp;
    y = diag(phases, gr, gi);
  }
  return { kind: "reactor", ...base(el), phases, conn: c, y, series, normAmps: num(el, "normamps", 400) };
}

function capacitor(el: DssElement, frequency: number): CapacitorSpec {
  const phases = phasesOf(el);
  const c = conn(el);
  const terms = el.terminals();
  const series = given(el, "bus2") && terms.length > 1 && terms[1]!.nodes.some((n) => n !== 0);
  const w = TWO_PI * frequency;
  const numSteps = Math.max(1, num(el, "numsteps", 1));
  const pad = (a: number[], d: number) => Array.from({ length: numSteps }, (_, k) => a[k] ?? a[a.length - 1] ?? d);
  const kvar = pad(nums(el, "kvar"), 1200);
  const kV = num(el, "kv", 12.47);
  const rr = pad(nums(el, "R"), 0);
  const xl = pad(nums(el, "XL"), 0);
  const lastSpec = el.lastGivenOf(...["kvar", "cuf", "cmatrix"].filter((n) => has(el, n)))?.toLowerCase();
  const steps: CMatrixSpec[] = [];
  for (let s = 0; s < numSteps; s++) {
    let m: CMatrixSpec;
    if (lastSpec === "cmatrix") {
      const cm = symMatrix((el.get("cmatrix") as number[][] | undefined) ?? [], phases);
      m = { order: phases, re: new Float64Array(phases * phases), im: cm.map((v) => v * 1e-6 * w) };
    } else {
      let cap: number;
      if (lastSpec === "cuf") cap = (pad(nums(el, "cuf"), 0)[s] ?? 0) * 1e-6;
      else {
        const pk = phaseKv(kV, c, phases);
        cap = 1 / ((TWO_PI * frequency * pk * pk * 1000) / (kvar[s]! / phases));
      }
      let yr = 0;
      let yi = cap * w;
      if (rr[s]! + Math.abs(xl[s]!) > 0) {
        // Series filter reactor: Y = 1 / (R + jXL + 1/(jwC))
        const zr = rr[s]!;
        const zi = xl[s]! - 1 / (cap * w);
        const m2 = zr * zr + zi * zi;
        yr = zr / m2;
        yi = -zi / m2;
      }
      m = diag(phases, yr, yi);
    }
    steps.push(m);
  }
  const statesRaw = nums(el, "states");
  const states = Array.from({ length: numSteps }, (_, k) => (statesRaw[k] ?? 1) ? 1 : 0);
  return {
    kind: "capacitor",
    ...base(el),
    phases,
    conn: c,
    steps,
    states,
    series,
    kvarPerStep: kvar,
    kV,
    normAmps: num(el, "normamps", 0),
  };
}

// ---------------------------------------------------------------- PC elements

function loadPower(el: DssElement, circuit: DssCircuit): { kW: number; kvar: number } {
  let kW = num(el, "kW", 10);
  let pf = num(el, "pf", 0.88);
  let kvar = num(el, "kvar", 5);
  const last = el.lastGivenOf(...["kW", "kvar", "kVA", "xfkVA", "allocationfactor", "kWh", "kwhdays", "Cfactor"].filter((n) => has(el, n)));
  const kvarFromPf = (p: number, f: number) => {
    let q = p * Math.sqrt(1 / (f * f) - 1);
    if (f < 0) q = -q;
    return q;
  };
  const l = last?.toLowerCase();
  // A pf given after kvar turns the load back to kW + pf.
  const pfAfter = given(el, "pf") && el.lastAssigned("pf") > (last ? el.lastAssigned(last) : -1);
  if (l === "kvar" && !pfAfter) {
    return { kW, kvar };
  }
  if (l === "kva") {
    const kva = num(el, "kVA", 0);
    kW = kva * Math.abs(pf);
    return { kW, kvar: kvarFromPf(kW, pf) };
  }
  if (l === "xfkva" || l === "allocationfactor") {
    const xf = num(el, "xfkVA", 0);
    const af = num(el, "allocationfactor", circuit.options.allocationFactor ?? 0.5);
    if (xf > 0) {
      kW = xf * af * Math.abs(pf);
      return { kW, kvar: kvarFromPf(kW, pf) };
    }
  }
  if (l === "kwh" || l === "kwhdays" || l === "cfactor") {
    const kwh = num(el, "kWh", 0);
    const days = num(el, "kwhdays", 30);
    const cf = num(el, "Cfactor", 4);
    if (kwh > 0) {
      kW = (kwh / (days * 24)) * cf;
      return { kW, kvar: kvarFromPf(kW, pf) };
    }
  }
  if (l === "kvar" && pfAfter) pf = num(el, "pf", 0.88);
  return { kW, kvar: kvarFromPf(kW, pf) };
}

function load(el: DssElement, circuit: DssCircuit): LoadSpec {
  const phases = phasesOf(el);
  const model = Math.round(num(el, "model", 1));
  if (model < 1 || model > 8) throw unsupported(el, `load model ${model} is not one of OpenDSS's models 1-8`);
  const p = loadPower(el, circuit);
  const status = text(el, "status", "variable");
  return {
    kind: "load",
    ...base(el),
    phases,
    conn: conn(el),
    kV: num(el, "kV", 12.47),
    kW: p.kW,
    kvar: p.kvar,
    model: model as LoadModel,
    vminpu: num(el, "Vminpu", 0.95),
    vmaxpu: num(el, "Vmaxpu", 1.05),
    vlowpu: num(el, "Vlowpu", 0.5),
    zipv: nums(el, "ZIPV"),
    cvrWatts: num(el, "CVRwatts", 1),
    cvrVars: num(el, "CVRvars", 2),
    // Fixed loads ignore the multiplier in every mode; exempt ones ignore it in snapshot.
    exempt: status.startsWith("e") || status.startsWith("f"),
    rneut: num(el, "Rneut", -1),
    xneut: num(el, "Xneut", 0),
  };
}

function generator(el: DssElement, circuit: DssCircuit): GeneratorSpec {
  const model = Math.round(num(el, "model", 1));
  if (model !== 1 && model !== 2)
    throw unsupported(el, `generator model ${model} is not modelled (the snapshot power flow supports model 1, constant P and Q, and model 2, constant admittance)`);
  const kW = num(el, "kW", 1000) * circuit.options.genMult;
  const pf = num(el, "pf", 0.88);
  // OpenDSS keeps the kvar property (default 60) unless a pf was given after it.
  const last = el.lastGivenOf(...["pf", "kvar"].filter((n) => has(el, n)));
  let kvar = num(el, "kvar", 60) * circuit.options.genMult;
  if (last?.toLowerCase() === "pf") kvar = kW * Math.sqrt(1 / (pf * pf) - 1) * (pf < 0 ? -1 : 1);
  return {
    kind: "generator",
    ...base(el),
    phases: phasesOf(el),
    conn: conn(el),
    kV: num(el, "kv", 12.47),
    kW,
    kvar,
    model,
    vminpu: num(el, "Vminpu", 0.9),
    vmaxpu: num(el, "Vmaxpu", 1.1),
    kVA: num(el, "kVA", kW * 1.2),
  };
}

function curve(circuit: DssCircuit, name: string): XYCurveSpec | undefined {
  if (!name) return undefined;
  const c = circuit.find("xycurve", name);
  if (!c) return undefined;
  const x = nums(c, "xarray");
  const y = nums(c, "yarray");
  const n = Math.min(x.length, y.length, has(c, "npts") ? num(c, "npts", x.length) : x.length);
  return { x: x.slice(0, n), y: y.slice(0, n) };
}

function pvsystem(el: DssElement, circuit: DssCircuit): PVSystemSpec {
  const pfGivenLast = el.lastGivenOf(...["pf", "kvar"].filter((n) => has(el, n)))?.toLowerCase();
  return {
    kind: "pvsystem",
    ...base(el),
    phases: phasesOf(el),
    conn: conn(el),
    kV: num(el, "kv", 12.47),
    kVA: num(el, "kVA", 500),
    pmpp: num(el, "Pmpp", 500),
    irradiance: num(el, "irradiance", 1),
    temperature: num(el, "Temperature", 25),
    pf: num(el, "pf", 1),
    ...(pfGivenLast === "kvar" ? { kvar: num(el, "kvar", 0) } : {}),
    pctPmpp: num(el, "%Pmpp", 100),
    ptCurve: curve(circuit, text(el, "P-TCurve", "")),
    effCurve: curve(circuit, text(el, "EffCurve", "")),
    pctCutin: num(el, "%Cutin", 20),
    pctCutout: num(el, "%Cutout", 20),
    vminpu: num(el, "Vminpu", 0.9),
    vmaxpu: num(el, "Vmaxpu", 1.1),
  };
}

function storage(el: DssElement): StorageSpec {
  const kWrated = num(el, "kWrated", 25);
  const state = text(el, "State", "idling");
  let kW = 0;
  if (given(el, "kW")) kW = num(el, "kW", 0);
  else if (state.startsWith("d")) kW = (kWrated * num(el, "%Discharge", 100)) / 100;
  else if (state.startsWith("c")) kW = (-kWrated * num(el, "%Charge", 100)) / 100;
  const pf = num(el, "pf", 1);
  const kvar = given(el, "kvar") ? num(el, "kvar", 0) : pf === 1 ? 0 : kW * Math.sqrt(1 / (pf * pf) - 1) * Math.sign(pf);
  return {
    kind: "storage",
    ...base(el),
    phases: phasesOf(el),
    conn: conn(el),
    kV: num(el, "kv", 12.47),
    kWrated,
    kVA: num(el, "kVA", kWrated),
    kW,
    kvar,
    vminpu: num(el, "Vminpu", 0.9),
    vmaxpu: num(el, "Vmaxpu", 1.1),
  };
}

// ---------------------------------------------------------------- controls

function phaseSel(v: string, dflt: number): number | "max" | "min" {
  const s = v.toLowerCase();
  if (s.startsWith("max")) return "max";
  if (s.startsWith("min")) return "min";
  const n = Number(s);
  return Number.isFinite(n) && n >= 1 ? n : dflt;
}

function regcontrol(el: DssElement): RegControlSpec {
  if (given(el, "bus")) throw unsupported(el, "regulated bus (bus=) is not modelled; remove it to regulate at the winding");
  if (text(el, "reversible", "no").startsWith("y"))
    throw unsupported(el, "reversible operation (reverse power flow) is not modelled; set reversible=no");
  if (text(el, "cogen", "no").startsWith("y")) throw unsupported(el, "cogeneration mode is not modelled");
  const winding = Math.round(num(el, "winding", 1));
  const r = num(el, "R", 0);
  const x = num(el, "X", 0);
  return {
    name: el.name,
    enabled: el.enabled,
    transformer: `Transformer.${text(el, "transformer", "")}`,
    winding,
    tapWinding: given(el, "TapWinding") ? Math.round(num(el, "TapWinding", winding)) : winding,
    vreg: num(el, "vreg", 120),
    band: num(el, "band", 3),
    ptRatio: num(el, "ptratio", 60),
    ctPrim: num(el, "CTprim", 300),
    r,
    x,
    ptPhase: phaseSel(text(el, "PTphase", "1"), 1),
    delay: num(el, "delay", 15),
    tapDelay: num(el, "tapdelay", 2),
    maxTapChange: Math.round(num(el, "maxtapchange", 16)),
    reversible: text(el, "reversible", "no").startsWith("y"),
    revVreg: num(el, "revvreg", 120),
    revBand: num(el, "revband", 3),
    revR: num(el, "revR", 0),
    revX: num(el, "revX", 0),
    vlimit: num(el, "vlimit", 0),
    ldcZ: num(el, "LDC_Z", 0),
    revLdcZ: num(el, "rev_Z", 0),
    inverseTime: text(el, "inversetime", "no").startsWith("y"),
  };
}

function capcontrol(el: DssElement): CapControlSpec {
  if (given(el, "VBus")) throw unsupported(el, "a voltage-override bus (VBus=) is not modelled; the monitored terminal's voltage is used");
  if (given(el, "UserModel")) throw unsupported(el, "user-written capacitor controls are not modelled");
  const t = text(el, "type", "current");
  const type = t.startsWith("v") ? "voltage" : t.startsWith("k") ? "kvar" : t.startsWith("p") ? "pf" : t.startsWith("t") ? "time" : "current";
  const sel = (v: string): number | "avg" | "max" | "min" => {
    const s = v.toLowerCase();
    if (s.startsWith("a")) return "avg";
    if (s.startsWith("max")) return "max";
    if (s.startsWith("min")) return "min";
    const n = Number(s);
    return Number.isFinite(n) && n >= 1 ? n : 1;
  };
  const elementName = text(el, "element", "");
  return {
    name: el.name,
    enabled: el.enabled,
    element: elementName,
    terminal: Math.round(num(el, "terminal", 1)),
    capacitor: `Capacitor.${text(el, "capacitor", "")}`,
    type,
    onSetting: num(el, "ONsetting", 300),
    offSetting: num(el, "OFFsetting", 200),
    delay: num(el, "Delay", 15),
    delayOff: num(el, "DelayOFF", 15),
    deadTime: num(el, "DeadTime", 300),
    ptRatio: num(el, "PTratio", 60),
    ctRatio: num(el, "CTratio", 60),
    ptPhase: sel(text(el, "PTPhase", "1")),
    ctPhase: sel(text(el, "CTPhase", "1")),
    vmax: num(el, "Vmax", 126),
    vmin: num(el, "Vmin", 115),
    voltOverride: text(el, "VoltOverride", "no").startsWith("y"),
  };
}

// ---------------------------------------------------------------- circuit

/** Classes that never affect a snapshot solve (accepted by the parser, skipped here). */
const NO_EFFECT = new Set(["swtcontrol", "monitor", "energymeter", "sensor", "fuse", "relay", "recloser"]);

export interface DssNetworkOptions {
  /** Voltage bases by bus from an earlier calcvoltagebases (kV L-N), carried across recompiles. */
  busKvBase?: Record<string, number>;
}

export function networkFromDss(circuit: DssCircuit, opts: DssNetworkOptions = {}): NetworkSpec {
  const f = circuit.options.frequency;
  const elements: ElementSpec[] = [];
  const regControls: RegControlSpec[] = [];
  const capControls: CapControlSpec[] = [];
  for (const el of circuit.circuitElements()) {
    switch (el.cls.key) {
      case "vsource":
        elements.push(vsource(el));
        break;
      case "line":
        elements.push(line(el, f));
        break;
      case "transformer":
        elements.push(transformer(el));
        break;
      case "reactor":
        elements.push(reactor(el, f));
        break;
      case "capacitor":
        elements.push(capacitor(el, f));
        break;
      case "load":
        elements.push(load(el, circuit));
        break;
      case "generator":
        elements.push(generator(el, circuit));
        break;
      case "pvsystem":
        elements.push(pvsystem(el, circuit));
        break;
      case "storage":
        elements.push(storage(el));
        break;
      case "regcontrol":
        regControls.push(regcontrol(el));
        break;
      case "capcontrol":
        capControls.push(capcontrol(el));
        break;
      default:
        if (NO_EFFECT.has(el.cls.key) || el.cls.def.ignored) break;
        throw unsupported(el, `class ${el.cls.name} is not modelled by the power flow`);
    }
  }
  const o = circuit.options;
  return {
    name: circuit.name,
    elements,
    regControls,
    capControls,
    voltageBases: [...o.voltageBases],
    calcVoltageBases: false,
    ...(opts.busKvBase ? { busKvBase: opts.busKvBase } : {}),
    options: {
      tolerance: o.tolerance,
      maxIterations: o.maxIterations,
      maxControlIterations: o.maxControlIterations,
      controlMode: o.controlMode === "off" ? "off" : "static",
      baseFrequency: o.defaultBaseFrequency,
      loadMult: o.loadMult,
    },
  };
}

// The OpenDSS script interpreter: reads command lines (from files or
// strings), runs them against the active circuit the way OpenDSS's executive
// does, and calls the engine on `solve` and `calcvoltagebases`.
//
//   const dss = new DssInterpreter({ engine });
//   dss.compile("feeders/ieee13/IEEE13Nodeckt.dss");
//   dss.command("open Line.671692 term=1");
//   const circuit = dss.activeCircuit();
//
// Every error is a one-line BlackstartError naming file and line.
import { readFileSync, statSync } from "node:fs";
import { dirname, relative } from "node:path";
import { BlackstartError, Errors } from "../../shared/errors.js";
import { closestNames } from "../../shared/names.js";
import { CLASSES, UNSUPPORTED_CLASSES } from "./classes/index.js";
import { COMMANDS, COMMAND_NAMES, IGNORED_COMMANDS } from "./commands.js";
import { recordingEngine, type DssEngine } from "./engine.js";
import { DssErrors, dssError, type SourceLocation } from "./errors.js";
import { FileResolver } from "./files.js";
import { busSpecError } from "./buses.js";
import { copyValue, DssCircuit, DssClass, DssElement, defaultOptions, type DssValue, type EditContext, type PropertyDef } from "./model.js";
import { IGNORED_OPTIONS, OPTIONS, OPTION_NAMES, parseControlMode, parseMode } from "./options.js";
import { LineTokenizer, type Param } from "./tokenizer.js";
import { toBool, toInteger, toMatrixRows, toNumber, toNumbers, toStrings, ValueError } from "./values.js";

/** The classes, built once (they hold only their tables and name caches). */
const CLASS_BY_KEY = new Map<string, DssClass>(CLASSES.map((d) => [d.name.toLowerCase(), new DssClass(d)]));
const UNSUPPORTED = new Set(UNSUPPORTED_CLASSES.map((c) => c.toLowerCase()));

export function dssClass(name: string): DssClass | undefined {
  return CLASS_BY_KEY.get(name.toLowerCase());
}

export interface InterpreterOptions {
  /** Called on `solve` and `calcvoltagebases`; default only records the requests. */
  engine?: DssEngine;
  /** Directory relative file names start from before any compile (default: process.cwd()). */
  cwd?: string;
}

/** One parsed step of a redirect: a command line with its location. */
interface Line {
  text: string;
  at: SourceLocation;
}

export class DssInterpreter {
  private engine: DssEngine;
  private cwd: string;
  private files = new FileResolver();
  /** OpenDSS's DefaultBaseFreq: global, survives `clear`. */
  defaultBaseFrequency = 60;
  /** Every circuit made since the last clear; the last is active. */
  circuits: DssCircuit[] = [];
  /** Library objects (LineCode, WireData, LoadShape...) defined since the last clear, seen by every circuit. */
  private library: DssElement[] = [];
  /** Holds library objects defined before the first `New Circuit`. */
  private preCircuit: DssCircuit;
  private activeClass: DssClass | undefined;
  private activeElement: DssElement | undefined;
  /** Files being read, innermost last (for messages). */
  private stack: string[] = [];
  private validatedRevision = -1;

  constructor(opts: InterpreterOptions = {}) {
    this.engine = opts.engine ?? recordingEngine;
    this.cwd = opts.cwd ?? process.cwd();
    this.preCircuit = new DssCircuit("", defaultOptions(this.defaultBaseFrequency));
    this.createDefaultObjects();
  }

  /** The objects OpenDSS defines at start and after every clear (CreateDefaultDSSItems). */
  private createDefaultObjects(): void {
    const at = { file: "<OpenDSS defaults>", line: 0 };
    for (const [cls, names] of DEFAULT_OBJECTS) {
      const c = CLASS_BY_KEY.get(cls)!;
      for (const n of names) this.createElement(c, n, at);
    }
  }

  /** The active circuit, or undefined before `New Circuit`. */
  get circuit(): DssCircuit | undefined {
    return this.circuits[this.circuits.length - 1];
  }

  /** The active circuit; throws NO_CIRCUIT when the script made none. */
  activeCircuit(): DssCircuit {
    const c = this.circuit;
    if (!c) throw dssError(DssErrors.NO_CIRCUIT, "the script defines no circuit (New Circuit.name ...)");
    return c;
  }

  // ---------------------------------------------------------------- files

  /** `compile file`: runs a script and makes its directory the data path. */
  compile(path: string, at?: SourceLocation): void {
    const file = this.findScript(path, at);
    this.cwd = dirname(file);
    this.runFile(file);
  }

  /** `redirect file`: runs a script from its directory, then returns to the current one. */
  redirect(path: string, at?: SourceLocation): void {
    const file = this.findScript(path, at);
    const saved = this.cwd;
    this.cwd = dirname(file);
    try {
      this.runFile(file);
    } finally {
      this.cwd = saved;
    }
  }

  /** Runs commands from a string (several lines allowed); `file` names them in errors. */
  run(text: string, file = "<command>"): void {
    this.runLines(splitLines(text, file));
  }

  /**
   * One command line. A failure that is not the user's (a bug here) still
   * comes out as one located line, code BLACKSTART_ERR_INTERNAL.
   */
  command(text: string, at: SourceLocation = { file: "<command>", line: 1 }): void {
    try {
      this.execute(text, at);
    } catch (e) {
      if (e instanceof BlackstartError) throw e;
      throw new BlackstartError(Errors.INTERNAL, `while running '${text.trim().slice(0, 80)}': ${(e as Error).message}`, { file: at.file, line: at.line }, { cause: e });
    }
  }

  private findScript(path: string, at?: SourceLocation): string {
    const file = this.files.resolveScript(this.cwd, path);
    if (!file) throw dssError(DssErrors.FILE_NOT_FOUND, `script '${path}' not found (looked in ${this.cwd})`, at);
    return file;
  }

  private display(file: string): string {
    const r = relative(process.cwd(), file);
    return r.startsWith("..") ? file : r;
  }

  private runFile(file: string): void {
    let text: string;
    try {
      text = readFileSync(file, "latin1");
    } catch (e) {
      throw new BlackstartError(Errors.FILE_NOT_FOUND, `cannot read ${file}: ${(e as Error).message}`, { file });
    }
    this.stack.push(file);
    try {
      this.runLines(splitLines(text, this.display(file)));
    } finally {
      this.stack.pop();
    }
  }

  private runLines(lines: Line[]): void {
    for (const l of lines) this.command(l.text, l.at);
  }

  // ---------------------------------------------------------------- dispatch

  private execute(text: string, at: SourceLocation): void {
    const t = new LineTokenizer(text);
    const first = t.next();
    if (first.value.length === 0) return;
    if (first.name.length > 0) {
      // Class.name.property=value (or property=value on the active element)
      this.propertyReference(first, t, at);
      return;
    }
    const idx = COMMANDS.find(first.value);
    if (idx < 0) {
      throw dssError(DssErrors.UNKNOWN_COMMAND, unknown("command", first.value, COMMAND_NAMES), at);
    }
    const cmd = COMMAND_NAMES[idx]!.toLowerCase();
    switch (cmd) {
      case "new":
        return this.doNew(t, at);
      case "edit":
        return this.doEdit(t, at);
      case "more":
      case "m":
      case "~":
        if (!this.activeElement) throw dssError(DssErrors.SYNTAX, `'${first.value}' continues an element, but no element was defined or selected before`, at);
        return this.editElement(this.activeElement, t, at);
      case "select":
        return this.doSelect(t, at);
      case "solve":
        this.doSet(t, at);
        return this.solve(at);
      case "set":
        return this.doSet(t, at);
      case "enable":
      case "disable":
        return this.doEnable(t, at, cmd === "enable");
      case "open":
      case "close":
        return this.doOpenClose(t, at, cmd === "close");
      case "redirect":
      case "compile": {
        const p = t.next();
        if (p.value.length === 0) return;
        return cmd === "compile" ? this.compile(p.value, at) : this.redirect(p.value, at);
      }
      case "clear":
      case "clearall":
        return this.clear();
      case "calcvoltagebases":
        return this.calcVoltageBases(at);
      case "buscoords":
        return this.doBusCoords(t, at);
      case "batchedit":
        return this.doBatchEdit(t, at);
      case "cd": {
        const p = t.next();
        const dir = this.files.resolve(this.cwd, p.value);
        if (!dir) throw dssError(DssErrors.FILE_NOT_FOUND, `directory '${p.value}' not found`, at);
        this.cwd = dir;
        return;
      }
      default:
        if (IGNORED_COMMANDS.has(cmd)) return;
        throw dssError(DssErrors.UNSUPPORTED, `the OpenDSS command '${COMMAND_NAMES[idx]}' is not supported by blackstart (see docs/dss.md)`, at);
    }
  }

  // ---------------------------------------------------------------- circuit & objects

  private clear(): void {
    this.engine.reset?.();
    this.circuits = [];
    this.library = [];
    this.preCircuit = new DssCircuit("", defaultOptions(this.defaultBaseFrequency));
    this.activeClass = undefined;
    this.activeElement = undefined;
    this.validatedRevision = -1;
    this.createDefaultObjects();
  }

  /** Where new objects go: the active circuit, or the pre-circuit holder for library objects. */
  private store(): DssCircuit {
    return this.circuit ?? this.preCircuit;
  }

  private classOf(name: string, at: SourceLocation): DssClass {
    const cls = CLASS_BY_KEY.get(name.toLowerCase());
    if (cls) return cls;
    if (UNSUPPORTED.has(name.toLowerCase())) {
      throw dssError(DssErrors.UNSUPPORTED, `the OpenDSS class '${name}' is not modelled by blackstart (see docs/dss.md)`, at);
    }
    throw dssError(DssErrors.UNKNOWN_CLASS, unknown("element class", name, [...CLASSES.map((c) => c.name), "Circuit"]), at);
  }

  /** `Class.name` -> [class, name]; no dot = the active class (OpenDSS ParseObjectClassandName). */
  private splitObject(spec: string, at: SourceLocation): [string, string] {
    const dot = spec.indexOf(".");
    if (dot < 0) {
      if (!this.activeClass) throw dssError(DssErrors.SYNTAX, `'${spec}' names no class and no class is active`, at);
      return [this.activeClass.name, spec];
    }
    return [spec.slice(0, dot), spec.slice(dot + 1)];
  }

  /** First parameter of New/Edit/Select: `[object=]Class.name`. */
  private objectParam(t: LineTokenizer, at: SourceLocation, verb: string): [string, string] {
    const p = t.next();
    if (p.name.length > 0 && !"object".startsWith(p.name.toLowerCase())) {
      throw dssError(DssErrors.SYNTAX, `${verb}: object=Class.name expected first, found '${p.name}='`, at);
    }
    if (p.value.length === 0) throw dssError(DssErrors.SYNTAX, `${verb}: object name missing`, at);
    return this.splitObject(p.value, at);
  }

  private doNew(t: LineTokenizer, at: SourceLocation): void {
    const [clsName, name] = this.objectParam(t, at, "New");
    if (name.length === 0) throw dssError(DssErrors.SYNTAX, `New ${clsName}: object name missing`, at);
    if (clsName.toLowerCase() === "circuit") return this.newCircuit(name, t, at);
    const cls = this.classOf(clsName, at);
    const kind = cls.def.kind;
    if (kind !== "general" && !this.circuit) {
      throw dssError(DssErrors.NO_CIRCUIT, `New ${cls.name}.${name}: create a circuit first (New Circuit.name)`, at);
    }
    this.activeClass = cls;
    const store = this.store();
    const existing = store.find(cls.key, name);
    if (existing && !store.options.allowDuplicates) {
      // OpenDSS: New on an existing name edits it.
      this.activeElement = existing;
      return this.editElement(existing, t, at);
    }
    const el = this.createElement(cls, name, at);
    this.activeElement = el;
    this.editElement(el, t, at);
  }

  private createElement(cls: DssClass, name: string, at: SourceLocation): DssElement {
    const store = this.store();
    const el = new DssElement(cls, name, at);
    const bf = cls.propertyIndex("basefreq");
    if (bf >= 0 && cls.properties[bf]!.name === "basefreq") el.values[bf] = store.options.defaultBaseFrequency;
    cls.def.init?.(el, this.editContext(el, at));
    store.add(el);
    if (cls.def.kind === "general") this.library.push(el);
    return el;
  }

  private newCircuit(name: string, t: LineTokenizer, at: SourceLocation): void {
    const circuit = new DssCircuit(name, defaultOptions(this.defaultBaseFrequency));
    const prev = this.circuit;
    if (prev) circuit.options = { ...defaultOptions(this.defaultBaseFrequency), earthModel: prev.options.earthModel };
    else circuit.options.earthModel = this.preCircuit.options.earthModel;
    for (const el of this.library) circuit.add(el);
    this.circuits.push(circuit);
    const vs = CLASS_BY_KEY.get("vsource")!;
    this.activeClass = vs;
    const source = this.createElement(vs, "source", at);
    this.activeElement = source;
    // OpenDSS: New object=vsource.source Bus1=SourceBus, then the rest of the line edits it.
    this.editElement(source, new LineTokenizer("bus1=sourcebus"), at, false);
    this.editElement(source, t, at);
  }

  private findElement(clsName: string, name: string, at: SourceLocation): DssElement {
    const cls = this.classOf(clsName, at);
    const el = this.store().find(cls.key, name);
    if (!el) {
      const names = this.store().ofClass(cls.key).map((e) => e.name);
      throw dssError(DssErrors.UNKNOWN_ELEMENT, unknown(cls.name, name, names), at);
    }
    return el;
  }

  private doEdit(t: LineTokenizer, at: SourceLocation): void {
    const [clsName, name] = this.objectParam(t, at, "Edit");
    if (clsName.toLowerCase() === "circuit") return;
    const el = this.findElement(clsName, name, at);
    this.activeClass = el.cls;
    this.activeElement = el;
    this.editElement(el, t, at);
  }

  private doSelect(t: LineTokenizer, at: SourceLocation): void {
    const [clsName, name] = this.objectParam(t, at, "Select");
    if (clsName.toLowerCase() === "circuit") return;
    const el = this.findElement(clsName, name, at);
    this.activeClass = el.cls;
    this.activeElement = el;
  }

  /** `Class.name.property=value [more]` and `property=value` (active element), as OpenDSS ProcessCommand. */
  private propertyReference(first: Param, t: LineTokenizer, at: SourceLocation): void {
    if (first.name.toLowerCase() === "command") throw dssError(DssErrors.UNKNOWN_COMMAND, `unknown command '${first.value}'`, at);
    const full = first.name;
    const d1 = full.indexOf(".");
    let objName = "";
    let prop = full;
    if (d1 >= 0) {
      prop = full.slice(d1 + 1);
      const d2 = prop.indexOf(".");
      if (d2 < 0) objName = full.slice(0, d1);
      else {
        objName = full.slice(0, d1 + d2 + 1);
        prop = prop.slice(d2 + 1);
      }
    }
    let el = this.activeElement;
    if (objName.length > 0) {
      const [clsName, name] = this.splitObject(objName, at);
      el = this.findElement(clsName, name, at);
      this.activeClass = el.cls;
      this.activeElement = el;
    }
    if (!el) throw dssError(DssErrors.UNKNOWN_COMMAND, `'${full}=' is neither a command nor a property of an element`, at);
    this.editElement(el, t, at, true, { name: prop, value: first.value, quoted: first.quoted });
  }

  // ---------------------------------------------------------------- editing

  private editContext(el: DssElement, at: SourceLocation): EditContext {
    return new EditCtx(this, this.store(), el, at);
  }

  /** For EditCtx: reads vectors and files with this interpreter's current directory. */
  readNumbersAt(text: string, quoted: boolean, at: SourceLocation): number[] {
    return this.readNumbers(text, quoted, at);
  }

  /**
   * Applies `name=value` and positional parameters to an element, in order,
   * as OpenDSS's class Edit does: a positional value fills the property
   * after the last one set.
   */
  private editElement(el: DssElement, t: LineTokenizer, at: SourceLocation, countAsGiven = true, firstParam?: Param): void {
    const cls = el.cls;
    const ctx = this.editContext(el, at);
    if (cls.def.ignored && cls.properties.length === 0) {
      // Accepted, kept as written, not checked (class cannot affect a snapshot).
      for (let p = firstParam ?? t.next(); p.value.length > 0; p = t.next()) {
        if (p.name.toLowerCase() === "like") continue;
        if (p.name.toLowerCase() === "enabled") el.enabled = safeBool(p.value, el.enabled);
      }
      el.revision++;
      return;
    }
    let ptr = -1;
    for (let p = firstParam ?? t.next(); p.value.length > 0; p = t.next()) {
      if (p.name.length === 0) ptr++;
      else {
        ptr = cls.propertyIndex(p.name);
        if (ptr < 0) {
          throw dssError(DssErrors.UNKNOWN_PROPERTY, unknown(`property of ${cls.name}`, p.name, cls.properties.map((q) => q.name)), at);
        }
      }
      if (ptr >= cls.properties.length) {
        throw dssError(DssErrors.BAD_VALUE, `${el.fullName}: value '${p.value}' follows the last property of ${cls.name}`, at);
      }
      this.assign(el, ptr, p, ctx, countAsGiven);
    }
    cls.def.onEditEnd?.(el, ctx);
    el.revision++;
    this.store().revision++;
  }

  private assign(el: DssElement, index: number, p: Param, ctx: EditContext, countAsGiven: boolean): void {
    const def = el.cls.properties[index]!;
    if (def.unsupported) throw ctx.unsupported(`property '${def.name}' is not supported by blackstart (see docs/dss.md)`);
    const lname = def.name.toLowerCase();
    if (lname === "like") {
      const other = ctx.require(el.cls.key, p.value, "like");
      this.makeLike(el, other, ctx);
      return;
    }
    let v: DssValue;
    try {
      v = this.readValue(def, p, ctx);
    } catch (e) {
      if (e instanceof ValueError) throw ctx.badValue(index, e.message);
      throw e;
    }
    el.values[index] = v;
    if (countAsGiven) el.order.push(index);
    if (lname === "enabled") el.enabled = v === true;
    el.cls.def.onSet?.(el, index, ctx);
  }

  private readValue(def: PropertyDef, p: Param, ctx: EditContext): DssValue {
    const text = p.value;
    switch (def.type) {
      case "number":
        return toNumber(text, p.quoted);
      case "int":
        return toInteger(text, p.quoted);
      case "bool":
        return toBool(text);
      case "bus": {
        const err = busSpecError(text);
        if (err) throw new ValueError(err);
        return text;
      }
      case "string":
        return text;
      case "numbers":
        return this.readNumbers(text, p.quoted, ctx.at);
      case "strings":
        return toStrings(text);
      case "matrix":
        return toMatrixRows(text);
      case "enum": {
        const v = def.parse?.(text);
        if (v === undefined) throw new ValueError(`'${text}' is not one of ${(def.choices ?? []).join(", ")}`);
        return v;
      }
      case "ref": {
        const name = text.toLowerCase();
        if (name !== "none" && name !== "" && def.ref && !ctx.circuit.find(def.ref, name)) {
          // Shapes only matter in time series: OpenDSS warns and solves a snapshot anyway.
          if (CLASS_BY_KEY.get(def.ref)?.def.ignored) ctx.warn(`${def.name} '${text}' is not a defined ${CLASS_BY_KEY.get(def.ref)!.name}`);
          else ctx.require(def.ref, text, def.name);
        }
        return name;
      }
    }
  }

  /** A vector, or the numbers of a file given as `file=name` / `(file=name)` (csv columns flattened). */
  private readNumbers(text: string, quoted: boolean, at: SourceLocation): number[] {
    const m = /^\s*(file|csvfile|sngfile|dblfile)\s*=\s*(.+?)\s*$/i.exec(text);
    if (!m) return toNumbers(text);
    const kind = m[1]!.toLowerCase();
    const name = m[2]!.replace(/^["']|["']$/g, "");
    const file = this.files.resolve(this.cwd, name);
    if (!file || !statSync(file).isFile()) throw dssError(DssErrors.FILE_NOT_FOUND, `data file '${name}' not found (looked in ${this.cwd})`, at);
    if (kind === "sngfile" || kind === "dblfile") {
      const buf = readFileSync(file);
      const arr = kind === "sngfile" ? new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength >> 2) : new Float64Array(buf.buffer, buf.byteOffset, buf.byteLength >> 3);
      return Array.from(arr);
    }
    const out: number[] = [];
    for (const line of readFileSync(file, "latin1").split(/\r?\n/)) {
      for (const tok of line.split(/[\s,]+/)) {
        if (tok.length === 0) continue;
        const n = Number(tok);
        if (Number.isNaN(n)) throw dssError(DssErrors.BAD_VALUE, `'${tok}' in ${name} is not a number`, at);
        out.push(n);
      }
    }
    return out;
  }

  /** `like=`: copies the definition but not the connections (OpenDSS MakeLike does not set buses). */
  private makeLike(el: DssElement, other: DssElement, ctx: EditContext): void {
    const props = el.cls.properties;
    for (let i = 0; i < other.values.length; i++) if (props[i]!.type !== "bus") el.values[i] = copyValue(other.values[i]);
    for (const i of other.order) if (props[i]!.type !== "bus") el.order.push(i);
    if (el.cls.def.like) el.cls.def.like(el, other, ctx);
    else if (other.data !== undefined) el.data = typeof other.data === "object" && other.data !== null ? { ...(other.data as object) } : other.data;
  }

  // ---------------------------------------------------------------- options

  private doSet(t: LineTokenizer, at: SourceLocation): void {
    let ptr = -1;
    for (let p = t.next(); p.value.length > 0; p = t.next()) {
      if (p.name.length === 0) ptr++;
      else {
        ptr = OPTIONS.find(p.name);
        if (ptr < 0) throw dssError(DssErrors.UNKNOWN_OPTION, unknown("option", p.name, OPTION_NAMES), at);
      }
      const name = OPTION_NAMES[ptr];
      if (name === undefined) throw dssError(DssErrors.UNKNOWN_OPTION, `value '${p.value}' follows the last option`, at);
      this.setOption(name.toLowerCase(), p, at);
    }
  }

  private setOption(name: string, p: Param, at: SourceLocation): void {
    const bad = (detail: string) => dssError(DssErrors.BAD_VALUE, `set ${name}: ${detail}`, at);
    const num = () => {
      try {
        return toNumber(p.value, p.quoted);
      } catch (e) {
        throw bad((e as Error).message);
      }
    };
    if (name === "defaultbasefrequency") {
      this.defaultBaseFrequency = num();
      this.preCircuit.options.defaultBaseFrequency = this.defaultBaseFrequency;
      if (this.circuit) this.circuit.options.defaultBaseFrequency = this.defaultBaseFrequency;
      return;
    }
    if (name === "datapath") {
      const dir = this.files.resolve(this.cwd, p.value);
      if (!dir) throw dssError(DssErrors.FILE_NOT_FOUND, `data path '${p.value}' not found`, at);
      this.cwd = dir;
      return;
    }
    if (IGNORED_OPTIONS.has(name)) return;
    const circuit = this.circuit;
    if (name === "earthmodel" && !circuit) {
      this.preCircuit.options.earthModel = this.earthModel(p.value, bad);
      return;
    }
    if (!circuit) throw dssError(DssErrors.NO_CIRCUIT, `set ${name}: create a circuit first (New Circuit.name)`, at);
    const o = circuit.options;
    circuit.revision++;
    switch (name) {
      case "mode": {
        const m = parseMode(p.value);
        if (!m) throw bad(`'${p.value}' is not an OpenDSS solution mode`);
        o.mode = m;
        return;
      }
      case "controlmode": {
        const m = parseControlMode(p.value);
        if (!m) throw bad(`'${p.value}' is not a control mode (static, event, time, off)`);
        o.controlMode = m;
        return;
      }
      case "tolerance": o.tolerance = num(); return;
      case "maxiterations": o.maxIterations = Math.round(num()); return;
      case "maxcontroliter": o.maxControlIterations = Math.round(num()); return;
      case "miniterations": o.minIterations = Math.round(num()); return;
      case "loadmult": o.loadMult = num(); return;
      case "genmult": o.genMult = num(); return;
      case "frequency": o.frequency = num(); return;
      case "basefrequency": o.defaultBaseFrequency = num(); return;
      case "number": o.number = Math.round(num()); return;
      case "normvminpu": o.normVminpu = num(); return;
      case "normvmaxpu": o.normVmaxpu = num(); return;
      case "emergvminpu": o.emergVminpu = num(); return;
      case "emergvmaxpu": o.emergVmaxpu = num(); return;
      case "voltagebases":
        try {
          o.voltageBases = toNumbers(p.value);
        } catch (e) {
          throw bad((e as Error).message);
        }
        return;
      case "earthmodel": o.earthModel = this.earthModel(p.value, bad); return;
      case "algorithm": {
        const s = p.value.toLowerCase();
        if ("normal".startsWith(s)) o.algorithm = "normal";
        else if ("newton".startsWith(s)) o.algorithm = "newton";
        else throw bad(`'${p.value}' is not normal or newton`);
        return;
      }
      case "loadmodel": {
        const s = p.value.toLowerCase();
        if ("powerflow".startsWith(s)) o.loadModel = "powerflow";
        else if ("admittance".startsWith(s)) o.loadModel = "admittance";
        else throw bad(`'${p.value}' is not powerflow or admittance`);
        return;
      }
      case "allowduplicates":
        o.allowDuplicates = safeBool(p.value, false);
        return;
      case "defaultdaily": o.defaultDaily = p.value.toLowerCase(); return;
      case "defaultyearly": o.defaultYearly = p.value.toLowerCase(); return;
      case "stepsize":
      case "h":
        o.stepSize = stepSeconds(p.value, bad);
        return;
      case "year":
        if (num() !== 0) throw dssError(DssErrors.UNSUPPORTED, "set year: load growth years are not modelled (snapshot at year 0)", at);
        return;
      case "allocationfactors":
      case "cfactors": {
        const x = num();
        const prop = name === "allocationfactors" ? "allocationfactor" : "Cfactor";
        for (const load of circuit.ofClass("load")) this.editElement(load, new LineTokenizer(`${prop}=${x}`), at);
        return;
      }
      case "cktmodel": {
        if (!"multiphase".startsWith(p.value.toLowerCase())) throw dssError(DssErrors.UNSUPPORTED, "set cktmodel: only the multiphase circuit model is supported", at);
        return;
      }
      case "neglectloady":
        if (safeBool(p.value, false)) throw dssError(DssErrors.UNSUPPORTED, "set neglectloady=yes is not supported", at);
        return;
      case "adiakoptics":
        return;
      case "circuit":
        return;
      default:
        throw dssError(DssErrors.UNSUPPORTED, `set ${name} is not supported by blackstart (see docs/dss.md)`, at);
    }
  }

  private earthModel(text: string, bad: (d: string) => Error): "carson" | "fullcarson" | "deri" {
    const s = text.toLowerCase();
    if (s.startsWith("c")) return "carson";
    if (s.startsWith("f")) return "fullcarson";
    if (s.startsWith("d")) return "deri";
    throw bad(`'${text}' is not an earth model (carson, fullcarson, deri)`);
  }

  // ---------------------------------------------------------------- other commands

  private doEnable(t: LineTokenizer, at: SourceLocation, enable: boolean): void {
    const p = t.next();
    if (p.value.length === 0) return;
    const [clsName, name] = this.splitObject(p.value, at);
    if (clsName.toLowerCase() === "circuit") return;
    if (name === "*") {
      const cls = this.classOf(clsName, at);
      for (const el of this.store().ofClass(cls.key)) {
        el.enabled = enable;
        el.revision++;
      }
      this.store().revision++;
      return;
    }
    const el = this.findElement(clsName, name, at);
    el.enabled = enable;
    el.revision++;
    this.store().revision++;
  }

  /** `open|close Class.name [terminal] [conductor]`: conductor 0 or none = all conductors of the terminal. */
  private doOpenClose(t: LineTokenizer, at: SourceLocation, close: boolean): void {
    const p = t.next();
    if (p.value.length === 0) throw dssError(DssErrors.SYNTAX, `${close ? "close" : "open"}: element name missing`, at);
    const [clsName, name] = this.splitObject(p.value, at);
    const el = this.findElement(clsName, name, at);
    const readInt = (q: Param, what: string) => {
      if (q.value.length === 0) return 0;
      try {
        return toInteger(q.value, q.quoted);
      } catch {
        throw dssError(DssErrors.BAD_VALUE, `${close ? "close" : "open"} ${el.fullName}: ${what} '${q.value}' is not an integer`, at);
      }
    };
    let terminal = readInt(t.next(), "terminal");
    const conductor = readInt(t.next(), "conductor");
    const layout = el.layout();
    if (!layout) throw dssError(DssErrors.BAD_VALUE, `${el.fullName} has no terminals to ${close ? "close" : "open"}`, at);
    const nterm = layout.buses.length;
    if (terminal === 0) terminal = 1;
    if (terminal < 1 || terminal > nterm) throw dssError(DssErrors.BAD_VALUE, `${el.fullName} has terminals 1..${nterm}, not ${terminal}`, at);
    if (conductor < 0 || conductor > layout.conductors) throw dssError(DssErrors.BAD_VALUE, `${el.fullName} has conductors 1..${layout.conductors}, not ${conductor}`, at);
    if (!el.closed || el.closed.length !== nterm || el.closed[0]!.length !== layout.conductors) {
      el.closed = Array.from({ length: nterm }, () => new Array<boolean>(layout.conductors).fill(true));
    }
    const row = el.closed[terminal - 1]!;
    if (conductor === 0) row.fill(close);
    else row[conductor - 1] = close;
    el.revision++;
    this.store().revision++;
  }

  /** `BatchEdit Class.regex prop=value ...`: edits every element of the class whose name matches. */
  private doBatchEdit(t: LineTokenizer, at: SourceLocation): void {
    const p = t.next();
    const [clsName, pattern] = this.splitObject(p.value, at);
    const cls = this.classOf(clsName, at);
    let re: RegExp;
    try {
      re = new RegExp(pattern, "i");
    } catch (e) {
      throw dssError(DssErrors.BAD_VALUE, `BatchEdit: '${pattern}' is not a regular expression (${(e as Error).message})`, at);
    }
    const rest = t.remainder();
    for (const el of this.store().ofClass(cls.key)) {
      if (re.test(el.name)) this.editElement(el, new LineTokenizer(rest), at);
    }
  }

  /** `Buscoords file`: lines of `bus, x, y`. */
  private doBusCoords(t: LineTokenizer, at: SourceLocation): void {
    const p = t.next();
    const circuit = this.activeCircuit();
    const file = this.files.resolve(this.cwd, p.value);
    if (!file) throw dssError(DssErrors.FILE_NOT_FOUND, `bus coordinate file '${p.value}' not found (looked in ${this.cwd})`, at);
    const lines = readFileSync(file, "latin1").split("\n");
    const where = this.display(file);
    const tok = new LineTokenizer();
    for (let i = 0; i < lines.length; i++) {
      tok.reset(lines[i]!);
      const b = tok.next();
      if (b.value.length === 0) continue;
      const x = tok.next();
      const y = tok.next();
      try {
        circuit.busCoords.set(b.value.toLowerCase(), { x: toNumber(x.value, x.quoted), y: toNumber(y.value, y.quoted) });
      } catch (e) {
        throw dssError(DssErrors.BAD_VALUE, `bus coordinates of '${b.value}': ${(e as Error).message}`, { file: where, line: i + 1 });
      }
    }
  }

  // ---------------------------------------------------------------- engine

  /** Checks every control's element references (they may be defined in any order before a solve). */
  validate(at?: SourceLocation): void {
    const circuit = this.circuit;
    if (!circuit || circuit.revision === this.validatedRevision) return;
    for (const el of circuit.elements) {
      const refs = el.cls.def.elementRefs;
      if (!refs) continue;
      for (const r of refs) {
        const idx = el.cls.propertyIndex(r.property);
        const v = el.values[idx];
        if (typeof v !== "string" || v.length === 0) {
          if (r.className) {
            throw dssError(DssErrors.UNDEFINED_REFERENCE, `${el.fullName}: no ${r.property} given`, el.definedAt);
          }
          continue;
        }
        let target: DssElement | undefined;
        if (r.className) target = circuit.find(r.className, v);
        else {
          const dot = v.indexOf(".");
          target = dot > 0 ? circuit.find(v.slice(0, dot), v.slice(dot + 1)) : undefined;
        }
        if (!target) {
          throw dssError(DssErrors.UNDEFINED_REFERENCE, `${el.fullName}: ${r.property} '${v}' is not a defined element`, at ?? el.definedAt);
        }
      }
    }
    this.validatedRevision = circuit.revision;
  }

  private solve(at: SourceLocation): void {
    const circuit = this.activeCircuit();
    this.validate(at);
    if (circuit.options.mode !== "snapshot") {
      throw dssError(DssErrors.UNSUPPORTED, `solve in mode ${circuit.options.mode}: only snapshot solutions are supported`, at);
    }
    circuit.requests.push({ command: "solve", at });
    this.engine.solve(circuit, { at });
  }

  private calcVoltageBases(at: SourceLocation): void {
    const circuit = this.activeCircuit();
    this.validate(at);
    circuit.requests.push({ command: "calcvoltagebases", at });
    this.engine.calcVoltageBases(circuit, { at });
  }
}

// ------------------------------------------------------------------ helpers

/** What class edit rules may use (a class, not closures: one small object per edited line). */
class EditCtx implements EditContext {
  constructor(
    private readonly dss: DssInterpreter,
    readonly circuit: DssCircuit,
    private readonly el: DssElement,
    readonly at: SourceLocation,
  ) {}

  require(className: string, name: string, what: string): DssElement {
    const hit = this.circuit.find(className, name);
    if (hit) return hit;
    const cls = CLASS_BY_KEY.get(className);
    const names = this.circuit.ofClass(className).map((e) => e.name);
    const close = names.length ? ` (closest: ${closestNames(name, names).join(", ")})` : "";
    throw dssError(DssErrors.UNDEFINED_REFERENCE, `${this.el.fullName}: ${what} '${name}' is not a defined ${cls?.name ?? className}${close}`, this.at);
  }

  warn(message: string): void {
    this.circuit.warnings.push({ at: this.at, message: `${this.el.fullName}: ${message}` });
  }

  readNumbers(text: string, quoted: boolean): number[] {
    return this.dss.readNumbersAt(text, quoted, this.at);
  }

  badValue(index: number, detail: string): Error {
    return dssError(DssErrors.BAD_VALUE, `${this.el.fullName}.${this.el.cls.properties[index]?.name ?? "?"}: ${detail}`, this.at);
  }

  unsupported(detail: string): Error {
    return dssError(DssErrors.UNSUPPORTED, `${this.el.fullName}: ${detail}`, this.at);
  }
}

/** OpenDSS's built-in library objects (their contents only matter outside a snapshot). */
const DEFAULT_OBJECTS: readonly [string, readonly string[]][] = [
  ["loadshape", ["default"]],
  ["growthshape", ["default"]],
  ["spectrum", ["default", "defaultload", "defaultgen", "defaultvsource", "linear", "pwm6", "dc6"]],
  ["tcc_curve", ["a", "d", "tlink", "klink", "uv1547", "ov1547", "mod_inv", "very_inv", "ext_inv", "definite"]],
];

function unknown(kind: string, name: string, candidates: readonly string[]): string {
  const close = closestNames(name, candidates);
  return close.length ? `unknown ${kind} '${name}' (closest: ${close.join(", ")})` : `unknown ${kind} '${name}'`;
}

function safeBool(text: string, dflt: boolean): boolean {
  try {
    return toBool(text);
  } catch {
    return dflt;
  }
}

function stepSeconds(text: string, bad: (d: string) => Error): number {
  const m = /^([0-9.eE+-]+)\s*([smh]?)$/.exec(text.trim());
  if (!m) throw bad(`'${text}' is not a step size (e.g. 900, 15m, 1h)`);
  const v = Number(m[1]);
  if (Number.isNaN(v)) throw bad(`'${text}' is not a step size`);
  return m[2] === "h" ? v * 3600 : m[2] === "m" ? v * 60 : v;
}

/** Splits script text into command lines with 1-based line numbers; skips `/* ... *\/` blocks as OpenDSS does. */
function splitLines(text: string, file: string): Line[] {
  const out: Line[] = [];
  let start = 0;
  let lineNo = 0;
  let inBlock = false;
  const n = text.length;
  while (start <= n) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = n;
    lineNo++;
    let s = text.slice(start, end);
    if (s.endsWith("\r")) s = s.slice(0, -1);
    start = end + 1;
    const trimmed = s.trimStart();
    if (inBlock) {
      if (trimmed.includes("*/")) inBlock = false;
      continue;
    }
    if (trimmed.startsWith("/*")) {
      if (!trimmed.includes("*/")) inBlock = true;
      continue;
    }
    if (trimmed.length === 0) continue;
    out.push({ text: s, at: { file, line: lineNo } });
    if (end === n) break;
  }
  return out;
}

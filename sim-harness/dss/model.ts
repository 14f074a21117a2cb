// The model the OpenDSS interpreter produces, and what the power flow reads.
//
//   DssCircuit  — one circuit: its elements in definition order, lookup by
//                 class and name, the `set` options, bus coordinates, and the
//                 library objects (linecodes, wiredata, curves...) it can see.
//   DssElement  — one object: its class, lower-case name, the value of every
//                 property (OpenDSS's default until the user gives one), which
//                 properties the user gave and in what order (OpenDSS's "last
//                 one given wins" rules need it: kW/pf/kvar/kVA/xfkVA on loads,
//                 MVAsc vs R1/X1 on sources ...), enabled flag, open/closed
//                 conductors, where it was defined, and for some classes a
//                 typed `data` record kept by the class's edit rules
//                 (Transformer windings, Line impedance definition ...).
//   DssClass    — a class: its property table in OpenDSS's own order (which
//                 also decides abbreviations) and its edit rules.
//
// Everything here is plain data plus small accessors: no I/O, no solving.
import { NameList } from "./names.js";
import { resolveTerminal, type TerminalConnection } from "./buses.js";
import type { SourceLocation } from "./errors.js";

/** A property value after reading: numbers, text, yes/no, vectors, string lists, matrix rows. */
export type DssValue = number | string | boolean | number[] | string[] | number[][];

/**
 * How a property's text is read:
 * - number, int, bool: scalars (a quoted number is an RPN expression);
 * - string: text kept as written (names are lower-cased by `ref`);
 * - bus: a bus spec `name.1.2.3`, kept as written;
 * - numbers / strings: vectors `[1 2 3]`, `[a b]`; numbers also accept `(file=x.txt)`;
 * - matrix: rows `[a | b c | d e f]`, kept as the rows written (see values.symMatrix);
 * - enum: one of `choices`, matched by OpenDSS's rule for that property (`parse`);
 * - ref: the name of another object of class `ref`, which must already exist.
 */
export type PropType = "number" | "int" | "bool" | "string" | "bus" | "numbers" | "strings" | "matrix" | "enum" | "ref";

export interface PropertyDef {
  /** Name as OpenDSS spells it (lookup is case-insensitive). */
  readonly name: string;
  readonly type: PropType;
  /** OpenDSS's default; undefined = no value until given. */
  readonly default?: DssValue;
  /** For `ref` (and `strings` of names): the class the names refer to, lower-case. */
  readonly ref?: string;
  /** For `enum`: reads the text, returns the canonical choice or undefined when invalid. */
  readonly parse?: (text: string) => string | undefined;
  /** For `enum`: the canonical choices, for error messages and docs. */
  readonly choices?: readonly string[];
  /** Accepted and stored, but cannot affect a snapshot power flow (listed in docs/dss.md). */
  readonly ignored?: boolean;
  /** Accepted by OpenDSS but not modelled here and able to change the answer: setting it is an error. */
  readonly unsupported?: boolean;
}

/** What an edit rule may use besides the element: other objects, for references. */
export interface EditContext {
  readonly circuit: DssCircuit;
  readonly at: SourceLocation;
  /** An object of `className` by name, or throws UNDEFINED_REFERENCE naming file and line. */
  require(className: string, name: string, what: string): DssElement;
  /** Records a warning (OpenDSS warns and goes on; so do we). */
  warn(message: string): void;
  /** Reads a value with the interpreter's rules (RPN, files relative to the script). */
  readNumbers(text: string, quoted: boolean): number[];
  /** A located BAD_VALUE error about property `index` of the element being edited. */
  badValue(index: number, detail: string): Error;
  /** A located UNSUPPORTED error. */
  unsupported(detail: string): Error;
}

/** Terminals, phases and conductors of a circuit element, after its properties are final. */
export interface Layout {
  phases: number;
  /** Conductors per terminal. */
  conductors: number;
  /** Bus spec of each terminal, as given (or the class default, e.g. bus2 = bus1 grounded). */
  buses: string[];
}

export type ClassKind = "source" | "pd" | "pc" | "control" | "meter" | "general";

export interface DssClassDef {
  /** Class name as OpenDSS spells it: "Line", "LineCode", "PVSystem". */
  readonly name: string;
  readonly kind: ClassKind;
  /** Own properties then inherited ones, in OpenDSS's order (it decides abbreviations and positional filling). */
  readonly properties: readonly PropertyDef[];
  /** Whole class has no effect on a snapshot solve (monitors, meters): accepted and kept, not used. */
  readonly ignored?: boolean;
  /** Creates the typed `data` record of a new element (before any property). */
  init?(el: DssElement, ctx: EditContext): void;
  /** Side effects of assigning property `index` (the value is already stored). */
  onSet?(el: DssElement, index: number, ctx: EditContext): void;
  /** After all properties of one command line are applied (OpenDSS RecalcElementData time). */
  onEditEnd?(el: DssElement, ctx: EditContext): void;
  /** `like=other`: copies other's state; default copies values, given flags and `data`. */
  like?(el: DssElement, other: DssElement, ctx: EditContext): void;
  /** Terminals/conductors for circuit elements; absent for general objects. */
  layout?(el: DssElement): Layout;
  /**
   * Properties naming circuit elements (a RegControl's transformer, a
   * CapControl's capacitor and monitored element). Checked when the script
   * solves or ends, since OpenDSS allows defining them in either order.
   * `className` absent: the value is `Class.name`.
   */
  elementRefs?: readonly { property: string; className?: string }[];
}

/** A class ready for use: the definition plus its name lookup. */
export class DssClass {
  readonly def: DssClassDef;
  readonly name: string;
  /** Lower-case class name, the key in circuit lookups. */
  readonly key: string;
  readonly properties: readonly PropertyDef[];
  private readonly lookup: NameList;
  private readonly defaults: (DssValue | undefined)[];

  constructor(def: DssClassDef) {
    this.def = def;
    this.name = def.name;
    this.key = def.name.toLowerCase();
    this.properties = def.properties;
    this.lookup = new NameList(def.properties.map((p) => p.name));
    this.defaults = def.properties.map((p) => p.default);
  }

  /** Property index for a (possibly abbreviated) name, or -1. */
  propertyIndex(name: string): number {
    return this.lookup.find(name);
  }

  /**
   * Fresh copy of the defaults. Array defaults are shared between elements:
   * values are replaced on assignment, never changed in place (treat them as read-only).
   */
  defaultValues(): (DssValue | undefined)[] {
    return this.defaults.slice();
  }
}

export function copyValue(v: DssValue | undefined): DssValue | undefined {
  if (Array.isArray(v)) return v.map((x) => (Array.isArray(x) ? [...x] : x)) as DssValue;
  return v;
}

/** One OpenDSS object (circuit element or library object such as a LineCode). */
export class DssElement {
  readonly cls: DssClass;
  /** Lower-case name (OpenDSS names are case-insensitive). */
  readonly name: string;
  /** Value of every property by index: the last one given, else OpenDSS's default. */
  readonly values: (DssValue | undefined)[];
  /** Index of each property assignment in the order the user made them (repeats kept). */
  readonly order: number[] = [];
  enabled = true;
  /** Where `New` created it. */
  readonly definedAt: SourceLocation;
  /** Class-specific typed state kept by the class's edit rules (see each classes/*.ts). */
  data: unknown = undefined;
  /**
   * Closed state per terminal per conductor, set by `open`/`close`
   * (undefined = everything closed, OpenDSS's default).
   */
  closed: boolean[][] | undefined = undefined;
  /** Bumped on every change, so a solver can tell what to rebuild. */
  revision = 0;

  constructor(cls: DssClass, name: string, at: SourceLocation) {
    this.cls = cls;
    this.name = name.toLowerCase();
    this.values = cls.defaultValues();
    this.definedAt = at;
  }

  /** "Line.l115": class as OpenDSS spells it, name lower-case. */
  get fullName(): string {
    return `${this.cls.name}.${this.name}`;
  }

  private index(name: string): number {
    const i = this.cls.propertyIndex(name);
    if (i < 0) throw new Error(`${this.cls.name} has no property '${name}'`);
    return i;
  }

  /** Value of a property by (abbreviable) name. */
  get(name: string): DssValue | undefined {
    return this.values[this.index(name)];
  }

  num(name: string): number {
    const v = this.values[this.index(name)];
    return typeof v === "number" ? v : Number.NaN;
  }

  str(name: string): string {
    const v = this.values[this.index(name)];
    return typeof v === "string" ? v : v === undefined ? "" : String(v);
  }

  bool(name: string): boolean {
    return this.values[this.index(name)] === true;
  }

  nums(name: string): number[] {
    const v = this.values[this.index(name)];
    return Array.isArray(v) ? (v as number[]) : [];
  }

  /** Did the user give this property (directly, positionally or through like=)? */
  isGiven(name: string): boolean {
    return this.order.includes(this.index(name));
  }

  /** Same by property index. */
  isGivenAt(index: number): boolean {
    return this.order.includes(index);
  }

  /** Position in `order` of the last assignment of the property, -1 if never. */
  lastAssigned(name: string): number {
    const i = this.index(name);
    return this.order.lastIndexOf(i);
  }

  /** Of the named properties, the one given last (OpenDSS's "last one wins"), or undefined. */
  lastGivenOf(...names: string[]): string | undefined {
    let best: string | undefined;
    let bestAt = -1;
    for (const n of names) {
      const at = this.lastAssigned(n);
      if (at > bestAt) {
        bestAt = at;
        best = this.cls.properties[this.index(n)]!.name;
      }
    }
    return best;
  }

  /** Terminals with their nodes after the fill-in rule; [] for library objects. */
  terminals(): TerminalConnection[] {
    const layout = this.cls.def.layout?.(this);
    if (!layout) return [];
    return layout.buses.map((b) => resolveTerminal(b, layout.phases, layout.conductors));
  }

  layout(): Layout | undefined {
    return this.cls.def.layout?.(this);
  }

  /** Is conductor `conductor` (1-based) of terminal `terminal` (1-based) closed? */
  isClosed(terminal: number, conductor: number): boolean {
    return this.closed?.[terminal - 1]?.[conductor - 1] ?? true;
  }
}

/** Options set with `set` (and `solve ...`), with OpenDSS's defaults. Units in the names. */
export interface CircuitOptions {
  /** Solution mode; only "snapshot" is solved here (others are refused at solve). */
  mode: string;
  /** "static" (default), "event", "time" or "off" (controls disabled). */
  controlMode: "static" | "event" | "time" | "off";
  /** Convergence tolerance on per-unit voltage change, OpenDSS default 1e-4. */
  tolerance: number;
  /** Power-flow iterations per solve, default 15. */
  maxIterations: number;
  /** Control iterations per solve, default 10. */
  maxControlIterations: number;
  /** Power-flow iterations done at least, default 2. */
  minIterations: number;
  /** Global load multiplier, default 1. */
  loadMult: number;
  /** Global generation multiplier, default 1. */
  genMult: number;
  /** Legal voltage bases, kV line-to-line, for calcvoltagebases. */
  voltageBases: number[];
  /** Base frequency new elements take (Hz); a global in OpenDSS, kept across clear. */
  defaultBaseFrequency: number;
  /** Solution frequency (Hz); the circuit's fundamental unless set. */
  frequency: number;
  /** Earth model for line constants: "deri" (OpenDSS default since clear sets it) or "carson". */
  earthModel: "carson" | "fullcarson" | "deri";
  /** "normal" (fixed point) or "newton". */
  algorithm: "normal" | "newton";
  /** "powerflow" (loads as injections) or "admittance". */
  loadModel: "powerflow" | "admittance";
  /** Voltage limits for reports (per unit). */
  normVminpu: number;
  normVmaxpu: number;
  emergVminpu: number;
  emergVmaxpu: number;
  /** Allow two objects of one class with one name (else New = Edit). */
  allowDuplicates: boolean;
  /** Default daily / yearly load shape names. */
  defaultDaily: string;
  defaultYearly: string;
  /** Number of solutions per solve (snapshot: 1). */
  number: number;
  /** Solution time step in seconds. */
  stepSize: number;
  /** Global allocation factor applied by `set allocationfactors=`, if used. */
  allocationFactor?: number;
}

export function defaultOptions(defaultBaseFrequency: number): CircuitOptions {
  return {
    mode: "snapshot",
    controlMode: "static",
    tolerance: 1e-4,
    maxIterations: 15,
    maxControlIterations: 10,
    minIterations: 2,
    loadMult: 1,
    genMult: 1,
    voltageBases: [0.208, 0.48, 12.47, 24.9, 34.5, 115, 230],
    defaultBaseFrequency,
    frequency: defaultBaseFrequency,
    earthModel: "deri",
    algorithm: "normal",
    loadModel: "powerflow",
    normVminpu: 0.95,
    normVmaxpu: 1.05,
    emergVminpu: 0.9,
    emergVmaxpu: 1.08,
    allowDuplicates: false,
    defaultDaily: "default",
    defaultYearly: "default",
    number: 1,
    stepSize: 3600,
  };
}

/** A solve or calcvoltagebases the script asked for, in order, with where it was asked. */
export interface EngineRequest {
  command: "solve" | "calcvoltagebases";
  at: SourceLocation;
}

/**
 * One circuit. `elements` holds every object the circuit can see in
 * definition order: library objects (LineCode, WireData, LoadShape ...) and
 * circuit elements (Vsource, Line, Load ...). Use `ofClass` / `find` for
 * lookup and `circuitElements()` for what goes into the admittance matrix.
 */
export class DssCircuit {
  readonly name: string;
  readonly elements: DssElement[] = [];
  private readonly byClass = new Map<string, Map<string, DssElement>>();
  options: CircuitOptions;
  /** Bus coordinates from `buscoords`, by lower-case bus name. */
  readonly busCoords = new Map<string, { x: number; y: number }>();
  /** Every solve/calcvoltagebases requested so far (also when an engine ran them). */
  readonly requests: EngineRequest[] = [];
  /** What OpenDSS itself only warns about (e.g. a load's daily shape that is not defined), with where. */
  readonly warnings: { at: SourceLocation; message: string }[] = [];
  /** Bumped on every change to any element or option. */
  revision = 0;

  constructor(name: string, options: CircuitOptions) {
    this.name = name.toLowerCase();
    this.options = options;
  }

  /** Adds an element (after any existing one of the same class and name unless duplicates are allowed). */
  add(el: DssElement): void {
    let m = this.byClass.get(el.cls.key);
    if (!m) {
      m = new Map();
      this.byClass.set(el.cls.key, m);
    }
    m.set(el.name, el);
    this.elements.push(el);
    this.revision++;
  }

  /** Element of a class (lower-case or OpenDSS spelling) by name, case-insensitive. */
  find(className: string, name: string): DssElement | undefined {
    return this.byClass.get(className.toLowerCase())?.get(name.toLowerCase());
  }

  /** All elements of a class in definition order. */
  ofClass(className: string): DssElement[] {
    const m = this.byClass.get(className.toLowerCase());
    return m ? [...m.values()] : [];
  }

  /** Circuit elements (sources, PD, PC, controls) in definition order, enabled or not. */
  circuitElements(): DssElement[] {
    return this.elements.filter((e) => e.cls.def.kind !== "general" && e.cls.def.kind !== "meter");
  }

  /** The circuit's source: `Vsource.source`, created by `New Circuit`. */
  get source(): DssElement | undefined {
    return this.find("vsource", "source");
  }
}

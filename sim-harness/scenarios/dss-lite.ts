// A reader of just enough of the OpenDSS language to get a feeder's topology
// (new/edit/~, like=, redirect/compile with case-insensitive file names,
// open/close, enabled=). It stands in until sim-harness/dss (the full parser)
// parses the paper feeders; the power flow never uses it.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { BlackstartError, Errors } from "../../shared/errors.js";
import { canonicalElement } from "../../shared/names.js";
import { buildTopology, type FeederElement, type Terminal, type Topology } from "./topology.js";

/** Resolve a file name the way Windows-written scripts expect: case-insensitively, segment by segment. */
export function resolveCaseInsensitive(base: string, name: string): string | undefined {
  const direct = resolve(base, name);
  if (existsSync(direct)) return direct;
  let cur = name.startsWith("/") ? "/" : base;
  for (const seg of name.split(/[\\/]+/).filter(Boolean)) {
    if (seg === "." || seg === "..") {
      cur = resolve(cur, seg);
      continue;
    }
    let entries: string[];
    try {
      entries = readdirSync(cur);
    } catch {
      return undefined;
    }
    const hit = entries.find((e) => e.toLowerCase() === seg.toLowerCase());
    if (!hit) return undefined;
    cur = join(cur, hit);
  }
  return cur;
}

/** Split a command line into tokens, keeping bracketed and quoted values whole. */
export function tokenize(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  const closing: Record<string, string> = { "(": ")", "[": "]", "{": "}", '"': '"', "'": "'" };
  while (i < line.length) {
    while (i < line.length && /[\s,]/.test(line[i]!)) i++;
    if (i >= line.length) break;
    let tok = "";
    while (i < line.length && !/[\s,]/.test(line[i]!)) {
      const c = line[i]!;
      const close = closing[c];
      if (close) {
        const end = line.indexOf(close, i + 1);
        const stop = end < 0 ? line.length : end + 1;
        tok += line.slice(i, stop);
        i = stop;
      } else {
        tok += c;
        i++;
      }
    }
    out.push(tok);
  }
  return out;
}

function stripComment(line: string): string {
  let q: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (q) {
      if (c === q) q = undefined;
    } else if (c === '"' || c === "'") q = c;
    else if (c === "!") return line.slice(0, i);
    else if (c === "/" && line[i + 1] === "/") return line.slice(0, i);
  }
  return line;
}

function unwrap(v: string): string {
  return v.replace(/^[("'[{]\s*/, "").replace(/\s*[)"'\]}]$/, "");
}

function parseBus(spec: string): Terminal {
  const parts = unwrap(spec).split(".");
  return { bus: (parts[0] ?? "").toLowerCase(), nodes: parts.slice(1).map(Number).filter((n) => Number.isFinite(n)) };
}

function isFalse(v: string): boolean {
  return /^(f|n|0)/i.test(unwrap(v));
}

/** Read a master file plus commands applied after it; returns the topology as the feeder stands. */
export function readTopology(master: string, commands: readonly string[] = []): Topology {
  const reader = topologyReader(master);
  commands.forEach((c, i) => reader.run(c, i + 1));
  return reader.topology();
}

export interface TopologyReader {
  /** Run one more command (after the master), numbered for errors. */
  run(command: string, index: number): void;
  topology(): Topology;
}

/** Read a master file; more commands can follow, with the topology taken at any point. */
export function topologyReader(master: string): TopologyReader {
  const elements: FeederElement[] = [];
  const byRef = new Map<string, FeederElement>();
  let active: FeederElement | undefined;
  let windingCursor = 0;

  const terminalCount = (cls: string, props: Record<string, string>): number => {
    if (cls === "transformer" || cls === "autotrans") return Number(unwrap(props["windings"] ?? "2")) || 2;
    if (cls === "line" || cls === "reactor" || cls === "capacitor" || cls === "vsource" || cls === "isource") return 2;
    return 1;
  };

  const setProp = (e: FeederElement, key: string, value: string) => {
    const k = key.toLowerCase();
    e.props[k] = value;
    if (k === "like") {
      const base = byRef.get(`${e.cls}.${unwrap(value).toLowerCase()}`);
      if (base) {
        for (const [pk, pv] of Object.entries(base.props)) if (!(pk in e.props) || pk === "like") e.props[pk] = pv;
        e.terminals = base.terminals.map((t) => ({ bus: t.bus, nodes: [...t.nodes] }));
        e.open = e.terminals.map(() => false);
      }
    } else if (k === "bus1" || k === "bus2" || k === "bus3") {
      const idx = Number(k[3]) - 1;
      while (e.terminals.length <= idx) e.terminals.push({ bus: "", nodes: [] });
      e.terminals[idx] = parseBus(value);
    } else if (k === "buses") {
      unwrap(value)
        .split(/[\s,]+/)
        .filter(Boolean)
        .forEach((b, i) => {
          while (e.terminals.length <= i) e.terminals.push({ bus: "", nodes: [] });
          e.terminals[i] = parseBus(b);
        });
    } else if (k === "wdg") {
      windingCursor = Number(unwrap(value)) - 1;
    } else if (k === "bus" && (e.cls === "transformer" || e.cls === "autotrans")) {
      while (e.terminals.length <= windingCursor) e.terminals.push({ bus: "", nodes: [] });
      e.terminals[windingCursor] = parseBus(value);
    } else if (k === "enabled") {
      e.enabled = !isFalse(value);
    }
    e.open.length = e.terminals.length;
    for (let i = 0; i < e.open.length; i++) e.open[i] ??= false;
  };

  const applyProps = (e: FeederElement, tokens: string[]) => {
    for (const tok of tokens) {
      const eq = tok.indexOf("=");
      if (eq > 0) setProp(e, tok.slice(0, eq), tok.slice(eq + 1));
      // Positional values (no `name=`) never set a topology property in these feeders.
    }
  };

  const create = (clsName: string, props: string[]) => {
    const dot = clsName.indexOf(".");
    let cls = clsName.slice(0, dot).toLowerCase();
    let name = clsName.slice(dot + 1).toLowerCase();
    if (cls === "object") {
      const d2 = name.indexOf(".");
      cls = name.slice(0, d2);
      name = name.slice(d2 + 1);
    }
    if (cls === "circuit") {
      // A circuit brings its source, Vsource.source, at bus1 (default `sourcebus`).
      cls = "vsource";
      name = "source";
    }
    const ref = canonicalElement(`${cls}.${name}`);
    const e: FeederElement = { ref, cls, name, terminals: [], enabled: true, open: [], props: {} };
    windingCursor = 0;
    if (cls === "vsource") e.terminals = [{ bus: "sourcebus", nodes: [] }];
    applyProps(e, props);
    const n = terminalCount(cls, e.props);
    while (e.terminals.length < n) e.terminals.push({ bus: "", nodes: [] });
    // Second terminals left undefined go to ground (vsource, capacitor): not a connection.
    if (cls === "vsource" || cls === "capacitor" || cls === "reactor") {
      if (!e.props["bus2"]) e.terminals[1] = { bus: "", nodes: [] };
    }
    e.open = e.terminals.map(() => false);
    const key = ref.toLowerCase();
    const prev = byRef.get(key);
    if (prev) elements.splice(elements.indexOf(prev), 1);
    byRef.set(key, e);
    elements.push(e);
    active = e;
  };

  const run = (line: string, file: string, lineNo: number, dir: string) => {
    const tokens = tokenize(stripComment(line).trim());
    if (tokens.length === 0) return;
    const cmd = tokens[0]!.toLowerCase();
    const rest = tokens.slice(1);
    switch (cmd) {
      case "new": {
        let target = rest[0] ?? "";
        let props = rest.slice(1);
        if (target.toLowerCase().startsWith("object=")) target = target.slice(7);
        create(target, props);
        return;
      }
      case "~":
      case "more":
        if (active) applyProps(active, rest);
        return;
      case "edit": {
        const e = byRef.get(canonicalElement(rest[0] ?? "").toLowerCase());
        if (e) {
          active = e;
          applyProps(e, rest.slice(1));
        }
        return;
      }
      case "redirect":
      case "compile": {
        const target = unwrap(rest[0] ?? "");
        const path = resolveCaseInsensitive(dir, target);
        if (!path) {
          throw new BlackstartError(Errors.FILE_NOT_FOUND, `${cmd} ${target}: no such file (looked case-insensitively in ${dir})`, {
            file,
            line: lineNo,
          });
        }
        readFile(path);
        return;
      }
      case "open":
      case "close": {
        const e = byRef.get(canonicalElement(rest[0] ?? "").toLowerCase());
        if (!e) return;
        const termTok = rest.find((t) => /^term(inal)?=/i.test(t)) ?? rest[1];
        const term = termTok ? Number(unwrap(termTok.split("=").pop() ?? "")) : NaN;
        const idx = Number.isFinite(term) && term >= 1 ? [term - 1] : e.terminals.map((_, i) => i);
        for (const i of idx) e.open[i] = cmd === "open";
        return;
      }
      case "disable":
      case "enable": {
        const e = byRef.get(canonicalElement(rest[0] ?? "").toLowerCase());
        if (e) e.enabled = cmd === "enable";
        return;
      }
      case "clear":
        elements.length = 0;
        byRef.clear();
        active = undefined;
        return;
      default:
        // `Line.x.enabled=false` style edits
        if (/^[a-z]+\.[^=]+\.[a-z0-9]+=/i.test(tokens[0]!)) {
          const [lhs, value] = [tokens[0]!.slice(0, tokens[0]!.indexOf("=")), tokens[0]!.slice(tokens[0]!.indexOf("=") + 1)];
          const last = lhs.lastIndexOf(".");
          const e = byRef.get(canonicalElement(lhs.slice(0, last)).toLowerCase());
          if (e) setProp(e, lhs.slice(last + 1), value);
        }
      // set, solve, calcvoltagebases, buscoords, show...: nothing topological.
    }
  };

  const readFile = (path: string) => {
    const text = readFileSync(path, "utf8");
    const dir = dirname(path);
    let inBlock = false;
    text.split(/\r?\n/).forEach((raw, i) => {
      let line = raw;
      if (inBlock) {
        const end = line.indexOf("*/");
        if (end < 0) return;
        line = line.slice(end + 2);
        inBlock = false;
      }
      if (line.trimStart().startsWith("/*")) {
        if (!line.includes("*/")) inBlock = true;
        return;
      }
      run(line, path, i + 1, dir);
    });
  };

  readFile(master);
  return {
    run: (c, i) => run(c, `${master} (command ${i})`, i, dirname(master)),
    topology: () => buildTopology([...elements]),
  };
}

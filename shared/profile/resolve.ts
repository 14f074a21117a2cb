// A validated profile document -> a resolved profile: points with their
// absolute addresses (SunSpec models laid out one after another), scale
// factors and read-backs linked, channels and commands checked against the
// device kind's standard set. Every inconsistency is one error naming the
// file, the line, the point and the field.
import { BlackstartError, type ErrorLocation } from "../errors.js";
import { closestNames } from "../names.js";
import { CHANNELS, COMMANDS, type ChannelSpec } from "./channels.js";
import { isBitTable, registerCount, rawToRegisters, sunspecNotImplemented, toRaw, type CodecPoint, type PointValue } from "./codec.js";
import { ProfileErrors } from "./errors.js";
import type { Access, Command, Literal, ModbusTable, Point, Profile, Readback, Write } from "./schema.js";
import { unitFactor } from "./units.js";

export interface ResolvedPoint extends CodecPoint {
  /** Qualified name: `name`, or `Model.name` in SunSpec profiles. */
  ref: string;
  name: string;
  description?: string | undefined;
  /** Registers (or bits) it occupies. */
  size: number;
  /** Modbus: table and absolute 0-based address (SunSpec: as served at the first discovery base). */
  table?: ModbusTable | undefined;
  address?: number | undefined;
  /** SunSpec: the model it belongs to and its offset from the model's ID register (ID is 0, L is 1, the first point 2). */
  model?: { id: number; name: string; index: number } | undefined;
  modelOffset?: number | undefined;
  /** OPC UA: node identifier relative to the device. */
  node?: string | undefined;
  unit?: string | undefined;
  access: Access;
  readback?: string | undefined;
  value?: Literal | undefined;
  sameAs?: string | undefined;
}

export interface ResolvedChannel {
  id: string;
  spec: ChannelSpec;
  point: ResolvedPoint;
  /** channel = point * factor (number channels). */
  factor: number;
  /** Enumerated channels: point value (as a string) -> channel symbol. */
  map?: Readonly<Record<string, string>> | undefined;
}

export interface SunSpecLayout {
  bases: readonly number[];
  unitId: number;
  /** Models in chain order with the address of their ID register (as served at bases[0]). */
  models: readonly { id: number; name: string; length: number; address: number }[];
  /** Address of the end-of-chain marker (0xFFFF, 0). */
  endAddress: number;
}

export interface ResolvedProfile {
  id: string;
  file: string;
  profile: Profile;
  kind: Profile["kind"];
  protocol: Profile["protocol"];
  unitId: number;
  points: readonly ResolvedPoint[];
  byRef: ReadonlyMap<string, ResolvedPoint>;
  channels: ReadonlyMap<string, ResolvedChannel>;
  commands: ReadonlyMap<string, Command>;
  sunspec?: SunSpecLayout | undefined;
}

type LineOf = (path: readonly (string | number)[]) => number | undefined;

function fail(file: string, lineOf: LineOf, path: (string | number)[], detail: string): never {
  const line = lineOf(path);
  const loc: ErrorLocation = { file, field: path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("") };
  if (line !== undefined) loc.line = line;
  throw new BlackstartError(ProfileErrors.INVALID, detail, loc);
}

/** Numeric value of a point as a channel, or the symbol of an enumerated one. */
export function channelValue(ch: ResolvedChannel, v: PointValue | null): PointValue | null {
  if (v === null) return null;
  if (ch.spec.type === "number") return typeof v === "number" ? v * ch.factor : null;
  if (ch.map) {
    const m = ch.map[String(v)];
    if (m === undefined) return null;
    return ch.spec.type === "bool" ? m === "true" : m;
  }
  return v;
}

/** Inverse of channelValue: the point value that shows a channel value (simulators use it). */
export function pointValueOf(ch: ResolvedChannel, v: PointValue): PointValue {
  if (ch.spec.type === "number") return (v as number) / ch.factor;
  if (ch.map) {
    for (const [pv, cv] of Object.entries(ch.map)) if (cv === String(v)) return pv === "true" ? true : pv === "false" ? false : /^-?\d+$/.test(pv) && ch.point.type !== "enum" ? Number(pv) : pv;
    throw new BlackstartError(ProfileErrors.POINT_VALUE, `channel '${ch.id}': no point value maps to '${String(v)}'`);
  }
  return v;
}

export function resolveProfile(profile: Profile, file: string, lineOf: LineOf = () => undefined): ResolvedProfile {
  const err: Err = (path, detail) => fail(file, lineOf, path, detail);
  const d = profile.discovery;
  const points: ResolvedPoint[] = [];
  const byRef = new Map<string, ResolvedPoint>();
  const pathOf = new Map<string, (string | number)[]>();

  if (d.kind === "opcua" && profile.protocol !== "opcua") err(["discovery", "kind"], "discovery 'opcua' needs protocol 'opcua'");
  if (d.kind !== "opcua" && profile.protocol !== "modbus") err(["discovery", "kind"], `discovery '${d.kind}' needs protocol 'modbus'`);

  const basePoint = (pt: Point, ref: string, path: (string | number)[]): ResolvedPoint => {
    const where = (f: string) => [...path, f];
    if (pt.type === "string" && pt.length === undefined) err(where("length"), `point '${ref}': a string needs its length in registers`);
    if (pt.type !== "string" && pt.length !== undefined) err(where("length"), `point '${ref}': length applies to strings only`);
    if (pt.type === "enum" && (!pt.values || Object.keys(pt.values).length === 0)) err(where("values"), `point '${ref}': an enum needs its values`);
    if (pt.type !== "enum" && (pt.values !== undefined || pt.base !== undefined)) err(where(pt.values ? "values" : "base"), `point '${ref}': values and base apply to enums only`);
    if (pt.scale !== undefined && pt.scale_factor !== undefined) err(where("scale"), `point '${ref}': give scale or scale_factor, not both`);
    if ((pt.scale !== undefined || pt.scale_factor !== undefined) && ["bool", "string", "enum"].includes(pt.type))
      err(where(pt.scale !== undefined ? "scale" : "scale_factor"), `point '${ref}': a ${pt.type} cannot be scaled`);
    const rp: ResolvedPoint = {
      ref,
      name: pt.name,
      description: pt.description,
      type: pt.type,
      length: pt.length,
      values: pt.values,
      base: pt.base,
      table: pt.table,
      byteOrder: pt.byte_order ?? profile.byte_order,
      wordOrder: pt.word_order ?? profile.word_order,
      scale: pt.scale,
      scaleFactor: pt.scale_factor,
      limits: pt.limits,
      size: registerCount(pt),
      node: pt.node,
      unit: pt.unit,
      access: pt.access,
      readback: pt.readback,
      value: pt.value,
      sameAs: pt.same_as,
    };
    if (pt.not_implemented !== undefined) rp.notImplemented = rawToRegisters(rp, pt.not_implemented);
    return rp;
  };

  const add = (rp: ResolvedPoint, path: (string | number)[]) => {
    if (byRef.has(rp.ref)) err([...path, "name"], `point '${rp.ref}' is defined twice`);
    byRef.set(rp.ref, rp);
    pathOf.set(rp.ref, path);
    points.push(rp);
  };

  let sunspec: SunSpecLayout | undefined;
  if (d.kind === "sunspec") {
    if (profile.points.length > 0) err(["points"], "a SunSpec profile lists its points under models[].points");
    if (profile.models.length === 0) err(["models"], "a SunSpec profile needs its model chain");
    if (profile.models[0]!.id !== 1) err(["models", 0, "id"], "the first SunSpec model must be the common model (id 1)");
    const base = d.bases[0]!;
    let addr = base + 2; // after 'SunS'
    const models: { id: number; name: string; length: number; address: number }[] = [];
    const names = new Set<string>();
    profile.models.forEach((m, mi) => {
      if (names.has(m.name)) err(["models", mi, "name"], `model name '${m.name}' is used twice`);
      names.add(m.name);
      models.push({ id: m.id, name: m.name, length: m.length, address: addr });
      let off = 2;
      m.points.forEach((pt, pi) => {
        const path = ["models", mi, "points", pi];
        const ref = `${m.name}.${pt.name}`;
        if (pt.table !== undefined || pt.address !== undefined || pt.node !== undefined)
          err([...path, pt.table !== undefined ? "table" : pt.address !== undefined ? "address" : "node"], `point '${ref}': SunSpec points follow each other; give no table, address or node`);
        if (pt.type === "bool") err([...path, "type"], `point '${ref}': SunSpec has no bool type (use u16 or an enum)`);
        const rp = basePoint({ ...pt, table: "holding" }, ref, path);
        rp.table = "holding";
        rp.address = addr + off;
        rp.model = { id: m.id, name: m.name, index: mi };
        rp.modelOffset = off;
        if (rp.scaleFactor !== undefined && !rp.scaleFactor.includes(".")) rp.scaleFactor = `${m.name}.${rp.scaleFactor}`;
        if (rp.readback !== undefined && !rp.readback.includes(".")) rp.readback = `${m.name}.${rp.readback}`;
        if (rp.sameAs !== undefined && !rp.sameAs.includes(".")) rp.sameAs = `${m.name}.${rp.sameAs}`;
        rp.notImplemented ??= sunspecNotImplemented(rp);
        off += rp.size;
        add(rp, path);
      });
      if (off - 2 !== m.length) err(["models", mi, "length"], `model ${m.id} (${m.name}): its points take ${off - 2} registers, its length says ${m.length}`);
      addr += 2 + m.length;
    });
    if (addr + 2 > 0x10000) err(["models"], "the model chain runs past register 65535");
    sunspec = { bases: d.bases, unitId: d.unit_id, models, endAddress: addr };
  } else {
    if (profile.models.length > 0) err(["models"], "models apply to SunSpec profiles only (discovery kind 'sunspec')");
    const base = d.kind === "fixed" ? d.base : 0;
    profile.points.forEach((pt, pi) => {
      const path = ["points", pi];
      const ref = pt.name;
      if (d.kind === "fixed") {
        if (pt.table === undefined) err([...path, "table"], `point '${ref}': a Modbus point needs its table (coil, discrete, holding, input)`);
        if (pt.address === undefined) err([...path, "address"], `point '${ref}': a Modbus point needs its 0-based address`);
        if (pt.node !== undefined) err([...path, "node"], `point '${ref}': node ids belong to OPC UA profiles`);
        if (isBitTable(pt.table) && pt.type !== "bool") err([...path, "type"], `point '${ref}': ${pt.table} holds bits; its type must be bool`);
        if ((pt.table === "discrete" || pt.table === "input") && pt.access !== "read") err([...path, "access"], `point '${ref}': ${pt.table} is read-only`);
      } else {
        if (pt.node === undefined) err([...path, "node"], `point '${ref}': an OPC UA point needs its node`);
        if (pt.table !== undefined || pt.address !== undefined) err([...path, pt.table !== undefined ? "table" : "address"], `point '${ref}': tables and addresses belong to Modbus profiles`);
      }
      const rp = basePoint(pt, ref, path);
      if (pt.address !== undefined) {
        rp.address = base + pt.address;
        if (rp.address + rp.size > 0x10000) err([...path, "address"], `point '${ref}': runs past address 65535`);
      }
      add(rp, path);
    });
    // No two points may share a register (or a bit) of the same table.
    if (d.kind === "fixed") {
      const sorted = [...points].sort((a, b) => a.table!.localeCompare(b.table!) || a.address! - b.address!);
      for (let i = 1; i < sorted.length; i++) {
        const a = sorted[i - 1]!;
        const b = sorted[i]!;
        if (a.table === b.table && b.address! < a.address! + a.size)
          err([...pathOf.get(b.ref)!, "address"], `point '${b.ref}': ${b.table} ${b.address} overlaps point '${a.ref}' (${a.address}..${a.address! + a.size - 1})`);
      }
    }
    if (d.kind === "fixed" && d.identity) {
      if (!byRef.has(d.identity.point)) err(["discovery", "identity", "point"], unknownPoint(d.identity.point, byRef));
    }
  }

  // Links between points: scale factors and read-backs.
  for (const rp of points) {
    const path = pathOf.get(rp.ref)!;
    if (rp.scaleFactor !== undefined) {
      const sf = byRef.get(rp.scaleFactor);
      if (!sf) err([...path, "scale_factor"], `point '${rp.ref}': ${unknownPoint(rp.scaleFactor, byRef)}`);
      if (sf.type !== "i16") err([...path, "scale_factor"], `point '${rp.ref}': scale factor '${sf.ref}' must be an i16 point`);
    }
    if (rp.readback !== undefined && !byRef.has(rp.readback)) err([...path, "readback"], `point '${rp.ref}': ${unknownPoint(rp.readback, byRef)}`);
    if (rp.sameAs !== undefined) {
      const other = byRef.get(rp.sameAs);
      if (!other) err([...path, "same_as"], `point '${rp.ref}': ${unknownPoint(rp.sameAs, byRef)}`);
      if (other.type !== rp.type || JSON.stringify(other.values) !== JSON.stringify(rp.values))
        err([...path, "same_as"], `point '${rp.ref}': same_as '${other.ref}' needs the same type and values`);
    }
    if (rp.value !== undefined && rp.scaleFactor === undefined) {
      try {
        toRaw(rp, rp.value);
      } catch (e) {
        err([...path, "value"], (e as BlackstartError).detail ?? String(e));
      }
    }
  }

  const channels = resolveChannels(profile, byRef, err);
  const commands = resolveCommands(profile, byRef, err);
  const unitId = d.kind === "opcua" ? 0 : d.unit_id;
  return { id: profile.id, file, profile, kind: profile.kind, protocol: profile.protocol, unitId, points, byRef, channels, commands, sunspec };
}

function unknownPoint(ref: string, byRef: ReadonlyMap<string, ResolvedPoint>): string {
  const close = closestNames(ref, byRef.keys());
  return `unknown point '${ref}'${close.length ? ` (closest: ${close.join(", ")})` : ""}`;
}

type Err = (path: (string | number)[], detail: string) => never;

function resolveChannels(profile: Profile, byRef: ReadonlyMap<string, ResolvedPoint>, err: Err): Map<string, ResolvedChannel> {
  const specs = CHANNELS[profile.kind];
  const out = new Map<string, ResolvedChannel>();
  for (const [id, m] of Object.entries(profile.channels)) {
    const path = ["channels", id];
    const spec = specs[id];
    if (!spec) {
      const close = closestNames(id, Object.keys(specs));
      err(path, `'${id}' is not a standard channel of a ${profile.kind}${close.length ? ` (closest: ${close.join(", ")})` : ""}`);
    }
    const point = byRef.get(m.point);
    if (!point) err(path, `channel '${id}': ${unknownPoint(m.point, byRef)}`);
    let factor = 1;
    if (spec.type === "number") {
      if (["bool", "string", "enum"].includes(point.type)) err(path, `channel '${id}' is a number; point '${point.ref}' is a ${point.type}`);
      const f = unitFactor(point.unit, spec.unit);
      if (f === undefined) err(path, `channel '${id}' is in ${spec.unit}; point '${point.ref}' is in ${point.unit ?? "(no unit)"}`);
      factor = f;
    } else {
      if (point.type === "string" || (["u32", "i32", "u64", "i64", "f32"].includes(point.type) && !m.map))
        err(path, `channel '${id}' is a ${spec.type}; point '${point.ref}' is a ${point.type}`);
      if (spec.type === "enum" && !m.map && point.type !== "enum") err([...path, "map"], `channel '${id}': map the point's values to ${spec.symbols!.join("/")}`);
      if (m.map) {
        for (const [k, v] of Object.entries(m.map)) {
          if (spec.type === "enum" && !spec.symbols!.includes(v)) err([...path, "map", k], `channel '${id}': '${v}' is not one of ${spec.symbols!.join(", ")}`);
          if (spec.type === "bool" && v !== "true" && v !== "false") err([...path, "map", k], `channel '${id}' is a bool: map to true or false`);
          if (point.type === "enum" && !(k in (point.values ?? {})) && !/^-?\d+$/.test(k))
            err([...path, "map", k], `channel '${id}': '${k}' is not a value of point '${point.ref}' (${Object.keys(point.values ?? {}).join(", ")})`);
          if (point.type === "bool" && k !== "true" && k !== "false") err([...path, "map", k], `channel '${id}': point '${point.ref}' is a bool: map true and false`);
        }
      }
    }
    out.set(id, { id, spec, point, factor, map: m.map });
  }
  for (const [id, spec] of Object.entries(specs)) if (spec.required && !out.has(id)) err(["channels"], `a ${profile.kind} must map the channel '${id}' (${spec.description})`);
  return out;
}

function resolveCommands(profile: Profile, byRef: ReadonlyMap<string, ResolvedPoint>, err: Err): Map<string, Command> {
  const specs = COMMANDS[profile.kind];
  const out = new Map<string, Command>();
  const checkWrite = (w: Write, path: (string | number)[]) => {
    const p = byRef.get(w.point);
    if (!p) err([...path, "point"], unknownPoint(w.point, byRef));
    if (p.access === "read") err([...path, "point"], `point '${p.ref}' is read-only; a command cannot write it`);
    checkLiteral(p, w.value, [...path, "value"]);
  };
  const checkLiteral = (p: ResolvedPoint, v: Literal, path: (string | number)[]) => {
    if (v === "$value" || p.scaleFactor !== undefined) return;
    try {
      toRaw(p, v);
    } catch (e) {
      err(path, (e as BlackstartError).detail ?? String(e));
    }
  };
  const checkReadback = (r: Readback | undefined, path: (string | number)[]) => {
    if (!r) return;
    const p = byRef.get(r.point);
    if (!p) err([...path, "point"], unknownPoint(r.point, byRef));
    if (r.value !== undefined) checkLiteral(p, r.value, [...path, "value"]);
  };
  for (const [id, c] of Object.entries(profile.commands)) {
    const path = ["commands", id];
    if (!specs[id]) {
      const close = closestNames(id, Object.keys(specs));
      err(path, `'${id}' is not a standard command of a ${profile.kind}${close.length ? ` (closest: ${close.join(", ")})` : ""}`);
    }
    if (c.kind === "direct") c.writes.forEach((w, i) => checkWrite(w, [...path, "writes", i]));
    else {
      checkWrite(c.select, [...path, "select"]);
      checkWrite(c.operate, [...path, "operate"]);
      if (c.cancel) checkWrite(c.cancel, [...path, "cancel"]);
      if (c.status && !byRef.has(c.status)) err([...path, "status"], unknownPoint(c.status, byRef));
      if (c.selected) {
        const sel = byRef.get(c.selected);
        if (!sel) err([...path, "selected"], unknownPoint(c.selected, byRef));
        if (sel.type !== "bool") err([...path, "selected"], `point '${sel.ref}' must be a bool to show the selection`);
      }
      const rej = [c.operate_without_select, c.blocked].filter((r) => r !== undefined);
      for (const r of rej)
        if ((profile.protocol === "modbus") !== (r.modbus_exception !== undefined))
          err([...path, "operate_without_select"], `a ${profile.protocol} device refuses with ${profile.protocol === "modbus" ? "modbus_exception" : "opcua_status"}`);
    }
    checkReadback(c.readback, [...path, "readback"]);
    out.set(id, c);
  }
  for (const [id, spec] of Object.entries(specs)) if (spec.required && !out.has(id)) err(["commands"], `a ${profile.kind} must describe the command '${id}' (${spec.description})`);
  return out;
}

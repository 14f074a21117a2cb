// The hardware profile format: one device model described once, as data.
// The agent's drivers and the sim-harness's simulated devices are both built
// from it (OpenEMS Edge style): points say where a value lives on the wire,
// channels map the standard channel set of the device's kind onto points, and
// commands say how an operation is made (direct write or select-before-operate).
// Documented with an annotated example in docs/profiles.md.
import { z } from "zod";

/** Wire data types. Sizes in 16-bit registers: bool 1 (a bit in coil/discrete tables), u16/i16 1, u32/i32/f32 2, u64/i64 4, string `length`, enum its `base`. */
export const DATA_TYPES = ["bool", "u16", "i16", "u32", "i32", "u64", "i64", "f32", "string", "enum"] as const;
export const DataType = z.enum(DATA_TYPES);
export type DataType = z.infer<typeof DataType>;

/** Integer types an enum can be stored as. */
export const EnumBase = z.enum(["u16", "i16", "u32", "i32"]);
export type EnumBase = z.infer<typeof EnumBase>;

/** Modbus data tables: coils and discrete inputs hold bits, holding and input registers hold 16-bit words. Addresses are 0-based PDU addresses. */
export const ModbusTable = z.enum(["coil", "discrete", "holding", "input"]);
export type ModbusTable = z.infer<typeof ModbusTable>;

/** Order of the two bytes in a register, and of the registers in a multi-register value. */
export const Order = z.enum(["big", "little"]);
export type Order = z.infer<typeof Order>;

/** `read`: the device only reports it. `read-write`: the client may write it. `write`: a command register whose read value means nothing. */
export const Access = z.enum(["read", "read-write", "write"]);
export type Access = z.infer<typeof Access>;

export const DeviceKind = z.enum(["switch", "pv-inverter", "battery-inverter"]);
export type DeviceKind = z.infer<typeof DeviceKind>;

export const Protocol = z.enum(["modbus", "opcua"]);
export type Protocol = z.infer<typeof Protocol>;

const NAME_RE = /^[A-Za-z][A-Za-z0-9_]*$/;
export const PointName = z.string().regex(NAME_RE, "expected a point name: a letter, then letters, digits or '_'");
/** A reference to a point: `name`, or `Model.name` in a SunSpec profile (`DERMeasureAC.W`). */
export const PointRef = z
  .string()
  .regex(/^([A-Za-z][A-Za-z0-9_]*\.)?[A-Za-z][A-Za-z0-9_]*$/, "expected a point reference 'name' or 'Model.name'");

/** A literal value written or compared: a number, a boolean, an enum symbol, or `$value` (the command's argument). */
export const Literal = z.union([z.number(), z.boolean(), z.string()]);
export type Literal = z.infer<typeof Literal>;

export const Limits = z
  .object({
    /** Engineering units, after scaling. Writes outside are refused; reads outside are flagged. */
    min: z.number().optional(),
    max: z.number().optional(),
  })
  .strict();

export const Point = z
  .object({
    name: PointName,
    description: z.string().optional(),
    type: DataType,
    /** string: length in registers (two characters each). */
    length: z.number().int().positive().max(125).optional(),
    /** enum: symbol -> wire value. */
    values: z.record(z.string().regex(NAME_RE, "expected an enum symbol"), z.number().int()).optional(),
    /** enum: integer type it is stored as (default u16). */
    base: EnumBase.optional(),
    /** Modbus table and 0-based PDU address (relative to the discovery base). Not used in SunSpec models, whose points follow each other. */
    table: ModbusTable.optional(),
    address: z.number().int().min(0).max(65535).optional(),
    /** OPC UA: node identifier relative to the device (`CSWI1.Pos.Oper.ctlVal`), see `discovery.namespace_uri`. */
    node: z.string().min(1).optional(),
    byte_order: Order.optional(),
    word_order: Order.optional(),
    /** engineering = raw * scale. Exclusive with scale_factor. */
    scale: z.number().refine((v) => v !== 0 && Number.isFinite(v), "scale must be a finite non-zero number").optional(),
    /** SunSpec: engineering = raw * 10^(value of this point), an i16 point (`W_SF`). */
    scale_factor: PointRef.optional(),
    /** Unit of the engineering value (W, kW, var, V, A, Hz, %, Wh, s ...). */
    unit: z.string().optional(),
    access: Access.default("read"),
    /** Point to read back after writing this one (a command's effect). */
    readback: PointRef.optional(),
    limits: Limits.optional(),
    /** Fixed value a device serves (identity strings, model ids, scale factors). Engineering units, or an enum symbol. */
    value: Literal.optional(),
    /** Raw value meaning "not implemented" (SunSpec: 0xFFFF for u16, 0x8000 for i16 ...; set per type by the sunspec discovery). */
    not_implemented: z.number().optional(),
    /** Shows the same value as another point (IEC 61850's CSWI.Pos.stVal mirrors XCBR.Pos.stVal). Simulators keep them equal. */
    same_as: PointRef.optional(),
  })
  .strict();
export type Point = z.infer<typeof Point>;

/** A SunSpec model block: id and length as the SunSpec model definition gives them; points in wire order after the ID and L header. */
export const SunSpecModel = z
  .object({
    id: z.number().int().min(1).max(65534),
    /** SunSpec group name (`common`, `DERMeasureAC`): points are referenced as `<name>.<point>`. */
    name: PointName,
    /** Model length in registers, not counting the two header registers. */
    length: z.number().int().min(0).max(65535),
    points: z.array(Point).default([]),
  })
  .strict();
export type SunSpecModel = z.infer<typeof SunSpecModel>;

/**
 * A SunSpec model taken from the shared layouts in hardware-profiles/sunspec/
 * (`model_<id>.yaml`), with fixed values for some of its points (`set`).
 */
export const SunSpecModelRef = z
  .object({
    use: z.number().int().min(1).max(65534),
    /** Point name -> fixed value the device serves (identity strings, default scale factors, enum symbols). */
    set: z.record(z.string(), Literal).default({}),
  })
  .strict();
export type SunSpecModelRef = z.infer<typeof SunSpecModelRef>;

export const Discovery = z.discriminatedUnion("kind", [
  z
    .object({
      kind: z.literal("fixed"),
      /** Added to every point address. */
      base: z.number().int().min(0).max(65535).default(0),
      unit_id: z.number().int().min(0).max(255).default(1),
      /** A point whose value identifies the model (checked by drivers after connecting). */
      identity: z.object({ point: PointRef, value: Literal }).strict().optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal("sunspec"),
      /** Where the 'SunS' marker (0x5375 0x6e53) is looked for, in this order. Simulators serve at the first. */
      bases: z.array(z.number().int().min(0).max(65535)).min(1).default([40000, 0, 50000]),
      unit_id: z.number().int().min(0).max(255).default(1),
    })
    .strict(),
  z
    .object({
      kind: z.literal("opcua"),
      /** Namespace the device's nodes live in; node ids are `nsu=<uri>;s=<device>/<point.node>`. */
      namespace_uri: z.string().min(1),
      security: z
        .object({
          mode: z.enum(["None", "Sign", "SignAndEncrypt"]).default("SignAndEncrypt"),
          policy: z.enum(["None", "Basic256Sha256", "Aes128_Sha256_RsaOaep", "Aes256_Sha256_RsaPss"]).default("Basic256Sha256"),
        })
        .strict()
        .default({ mode: "SignAndEncrypt", policy: "Basic256Sha256" }),
    })
    .strict(),
]);
export type Discovery = z.infer<typeof Discovery>;

/** One write of a command: a point and the value written (`$value` = the command argument). */
export const Write = z.object({ point: PointRef, value: Literal }).strict();
export type Write = z.infer<typeof Write>;

/** How a device refuses a command: a Modbus exception code, or an OPC UA status code name. */
export const Rejection = z
  .object({
    modbus_exception: z.number().int().min(1).max(255).optional(),
    opcua_status: z.string().regex(/^Bad[A-Za-z]+$/, "expected an OPC UA Bad status code name").optional(),
  })
  .strict()
  .refine((r) => (r.modbus_exception === undefined) !== (r.opcua_status === undefined), "give exactly one of modbus_exception or opcua_status");
export type Rejection = z.infer<typeof Rejection>;

export const Readback = z
  .object({
    point: PointRef,
    /** Value expected after the command (`$value` = the argument). Omitted: the read value is only recorded. */
    value: Literal.optional(),
    /** How long the device may take before the read-back must show it. */
    timeout_ms: z.number().int().positive().default(2000),
  })
  .strict();
export type Readback = z.infer<typeof Readback>;

export const DirectCommand = z
  .object({
    kind: z.literal("direct"),
    description: z.string().optional(),
    /** Written in this order. */
    writes: z.array(Write).min(1),
    readback: Readback.optional(),
    /** Argument limits in engineering units. */
    limits: Limits.optional(),
  })
  .strict();

export const SboCommand = z
  .object({
    kind: z.literal("select-before-operate"),
    description: z.string().optional(),
    select: Write,
    operate: Write,
    cancel: Write.optional(),
    /** A selection expires this long after it was made. */
    select_timeout_ms: z.number().int().positive(),
    /** What an operate without a valid select (none, expired, cancelled, other value) returns. */
    operate_without_select: Rejection,
    /** What a select or operate the device refuses (interlock, lockout, too soon) returns. Defaults to operate_without_select. */
    blocked: Rejection.optional(),
    /** Point telling why the last control was refused (enum). */
    status: PointRef.optional(),
    /** Point showing that a control is selected and waiting for its operate (bool). */
    selected: PointRef.optional(),
    readback: Readback.optional(),
  })
  .strict();

export const Command = z.discriminatedUnion("kind", [DirectCommand, SboCommand]);
export type Command = z.infer<typeof Command>;
export type DirectCommand = z.infer<typeof DirectCommand>;
export type SboCommand = z.infer<typeof SboCommand>;

/** A channel of the device kind's standard set, mapped onto a point. A bare string is `{point: <string>}`. */
export const ChannelMapping = z.union([
  PointRef.transform((point) => ({ point }) as { point: string; map?: Record<string, string> }),
  z
    .object({
      point: PointRef,
      /** Enumerated channels: point value (`true`, `false`, an enum symbol or a number) -> channel symbol. */
      map: z.record(z.string(), z.string()).optional(),
    })
    .strict(),
]);
export type ChannelMapping = z.infer<typeof ChannelMapping>;

export const Timing = z
  .object({
    /** Minimum time between two operations (commands) on the device; faster ones are refused. */
    min_operation_interval_ms: z.number().int().nonnegative().default(0),
    /** Time the mechanism takes from operate to the new position (the simulator waits this long). */
    operate_time_ms: z.number().int().nonnegative().default(0),
    /** Poll period a client should use, and how long it should wait for a reply. */
    poll_interval_ms: z.number().int().positive().default(1000),
    response_timeout_ms: z.number().int().positive().default(1000),
  })
  .strict();
export type Timing = z.infer<typeof Timing>;

export const Profile = z
  .object({
    /** Schema version of this file. */
    version: z.literal(1).default(1),
    /** The profile's id, equal to its file name without extension (`recloser-modbus`). */
    id: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, "expected a lower-case id (letters, digits, '-' and '_')"),
    description: z.string(),
    kind: DeviceKind,
    protocol: Protocol,
    manufacturer: z.string().optional(),
    model: z.string().optional(),
    /** Defaults for every point (big endian, high word first, as Modbus and SunSpec specify). */
    byte_order: Order.default("big"),
    word_order: Order.default("big"),
    discovery: Discovery,
    /** Fixed-map and OPC UA profiles: the points. */
    points: z.array(Point).default([]),
    /** SunSpec profiles: the model chain, in order (model 1 first): full layouts, or `use` of a shared one. */
    models: z.array(z.union([SunSpecModelRef, SunSpecModel])).default([]),
    /** Standard channel id (see shared/profile/channels.ts for the kind) -> point. */
    channels: z.record(z.string(), ChannelMapping),
    /** Standard command id (`open`, `close`, `set_power_limit` ...) -> how it is made. */
    commands: z.record(z.string(), Command).default({}),
    timing: Timing.default({ min_operation_interval_ms: 0, operate_time_ms: 0, poll_interval_ms: 1000, response_timeout_ms: 1000 }),
  })
  .strict();
export type ProfileDocument = z.infer<typeof Profile>;
/** A profile whose model references are expanded (what resolveProfile takes). */
export type Profile = Omit<ProfileDocument, "models"> & { models: SunSpecModel[] };
export type ProfileInput = z.input<typeof Profile>;

// The restoration problem, stated once as data: the contract between the
// sim-harness (env, optimum, devices, bench), the trainer and the edge agent.
// Documented in docs/scenario.md. Keep changes additive: every room reads it.
import { z } from "zod";

/** A feeder element as `Class.name` (e.g. `Line.L45`, `PVSystem.pv1`). Case-insensitive, as in OpenDSS. */
export const ElementRef = z
  .string()
  .regex(/^[A-Za-z]+\.[^\s.]+$/, "expected an element reference 'Class.name' such as 'Line.L45'");
export type ElementRef = z.infer<typeof ElementRef>;

const Id = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, "expected a lower-case id (letters, digits, '-' and '_')");

export const DerKind = z.enum(["pv", "battery", "diesel", "grid-forming"]);
export type DerKind = z.infer<typeof DerKind>;

export const DerUnit = z
  .object({
    id: Id,
    kind: DerKind,
    /** An element already in the feeder that this unit is (e.g. `PVSystem.pv1`); else the unit is added at `bus`. */
    element: ElementRef.optional(),
    /** Bus (with optional nodes, `35.1.2.3`) where the unit is connected when it is not already in the feeder. */
    bus: z.string().optional(),
    phases: z.number().int().min(1).max(3).default(3),
    /** Line-to-line kV for 2-3 phase units, line-to-neutral for single phase (OpenDSS's convention). */
    kv: z.number().positive().optional(),
    /** Active power rating (kW): the most it may deliver. */
    kw: z.number().nonnegative(),
    /** Apparent power rating (kVA) of its inverter or machine. */
    kva: z.number().positive(),
    /** Grid-forming units: voltage set point (pu of the bus base) the unit holds at its terminals (default 1.0). */
    voltage_pu: z.number().min(0.9).max(1.1).optional(),
    /** True if the unit can form an island (voltage source with a rating). Diesel and grid-forming units default to true. */
    grid_forming: z.boolean().optional(),
    /** PV: irradiance in pu of the rating's reference (1 kW/m2). */
    irradiance: z.number().min(0).max(1.5).optional(),
    /** Battery energy (kWh), state of charge and its limits (fractions 0-1). */
    kwh: z.number().positive().optional(),
    soc: z
      .object({ initial: z.number().min(0).max(1), min: z.number().min(0).max(1).default(0.1), max: z.number().min(0).max(1).default(1) })
      .optional(),
    charge_kw: z.number().nonnegative().optional(),
    discharge_kw: z.number().nonnegative().optional(),
    /** Hardware profile the simulated device uses for this unit (defaults from `devices`). */
    profile: z.string().optional(),
  })
  .strict();
export type DerUnit = z.infer<typeof DerUnit>;

export const Microgrid = z
  .object({
    id: Id,
    description: z.string().optional(),
    /** Switchable elements this microgrid's agent operates, in observation/action order. */
    switches: z.array(ElementRef).min(1),
    units: z.array(DerUnit).default([]),
    /** Id of the unit that forms this microgrid's island (physics mode). */
    forming_unit: z.string().optional(),
    /** Generation (kW) the agent may commit on its own when it cannot reach its peers. */
    quota_kw: z.number().nonnegative(),
    /** Element whose dead terminal tells the agent a restoration is needed (point of common coupling). */
    pcc: ElementRef.optional(),
  })
  .strict();
export type Microgrid = z.infer<typeof Microgrid>;

/** Priority weights of loads: explicit values, or a documented seeded generator (docs/scenario.md). */
export const LoadWeights = z.union([
  z
    .object({
      explicit: z.record(z.string(), z.number().nonnegative()),
      /** Weight of any load not listed (default 1). */
      default: z.number().nonnegative().default(1),
    })
    .strict(),
  z
    .object({
      generator: z
        .object({ kind: z.literal("uniform-int"), seed: z.number().int(), min: z.number().int().default(0), max: z.number().int().default(10) })
        .strict(),
    })
    .strict(),
]);
export type LoadWeights = z.infer<typeof LoadWeights>;

export const Outage = z
  .object({
    /** Elements on a faulted section: they must stay open for the whole restoration. */
    faulted: z.array(ElementRef).default([]),
    /** The source lost in the outage (disabled during restoration), e.g. `Vsource.source`. */
    lost_source: ElementRef.optional(),
    /** Extra elements open at the start besides the agents' switches. */
    open: z.array(ElementRef).default([]),
  })
  .strict();

export const Limits = z
  .object({
    /** Total generation cap (kW) over all served load; the paper's P_gen. */
    generation_cap_kw: z.number().positive().optional(),
    voltage_pu: z.object({ min: z.number().positive(), max: z.number().positive() }).strict().default({ min: 0.95, max: 1.05 }),
    /** Thermal limits: lines against normal amps, transformers against kVA, in % of rating. */
    thermal_pct: z.number().positive().default(100),
    /** Meshed operation (closing a loop) allowed. */
    allow_mesh: z.boolean().default(false),
  })
  .strict();

export const Reward = z
  .object({
    /** Paper: penalty factor M of -M (restored - cap)^2 when the cap is exceeded (ends the episode). */
    cap_penalty_m: z.number().nonnegative().default(1),
    /** Physics mode penalties, per pu of voltage outside the band, per % over thermal rating, per kW over an island's units. */
    voltage_penalty: z.number().nonnegative().default(0),
    thermal_penalty: z.number().nonnegative().default(0),
    island_penalty: z.number().nonnegative().default(0),
    /** Scale of the restored-weighted-kW term (reward = scale * delta weighted kW). */
    scale: z.number().positive().default(1),
  })
  .strict();

export const Reset = z
  .object({
    /** `open-agent-switches`: the paper's reset (every agent switch open, then solve). */
    kind: z.enum(["open-agent-switches", "as-compiled"]).default("open-agent-switches"),
    /** Probability of starting from a random partially-restored (but feasible) state instead. */
    random_partial_probability: z.number().min(0).max(1).default(0),
  })
  .strict();

/** Which hardware profile and protocol simulates each kind of field device, with per-element overrides. */
export const DeviceBinding = z.object({ profile: z.string(), protocol: z.enum(["modbus", "opcua"]) }).strict();
export const Devices = z
  .object({
    switch: DeviceBinding.default({ profile: "recloser-modbus", protocol: "modbus" }),
    pv: DeviceBinding.default({ profile: "sunspec-inverter-der", protocol: "modbus" }),
    battery: DeviceBinding.default({ profile: "sunspec-battery-der", protocol: "modbus" }),
    diesel: DeviceBinding.default({ profile: "sunspec-inverter-der", protocol: "modbus" }),
    "grid-forming": DeviceBinding.default({ profile: "sunspec-battery-der", protocol: "modbus" }),
    overrides: z.record(z.string(), DeviceBinding).default({}),
    /** Modbus: one TCP port per device, or one port with a unit id per device. */
    modbus_ports: z.enum(["per-device", "shared"]).default("per-device"),
  })
  .strict();

export const Scenario = z
  .object({
    /** Schema version of this file. */
    version: z.literal(1).default(1),
    name: Id,
    description: z.string(),
    mode: z.enum(["paper", "physics"]),
    feeder: z
      .object({
        /** OpenDSS master file, relative to the scenario file. */
        master: z.string(),
        /** Where the feeder comes from (copied into the repo; notice kept beside it). */
        source: z.string().optional(),
        /** OpenDSS commands applied after compile, before the outage. */
        commands: z.array(z.string()).default([]),
      })
      .strict(),
    microgrids: z.array(Microgrid).min(1),
    weights: LoadWeights.default({ explicit: {}, default: 1 }),
    outage: Outage.default({ faulted: [], open: [] }),
    limits: Limits.default({ voltage_pu: { min: 0.95, max: 1.05 }, thermal_pct: 100, allow_mesh: false }),
    episode: z.object({ length: z.number().int().positive(), gamma: z.number().min(0).max(1).default(0.95) }).strict(),
    reward: Reward.default({ cap_penalty_m: 1, voltage_penalty: 0, thermal_penalty: 0, island_penalty: 0, scale: 1 }),
    reset: Reset.default({ kind: "open-agent-switches", random_partial_probability: 0 }),
    devices: Devices.default({
      switch: { profile: "recloser-modbus", protocol: "modbus" },
      pv: { profile: "sunspec-inverter-der", protocol: "modbus" },
      battery: { profile: "sunspec-battery-der", protocol: "modbus" },
      diesel: { profile: "sunspec-inverter-der", protocol: "modbus" },
      "grid-forming": { profile: "sunspec-battery-der", protocol: "modbus" },
      overrides: {},
      modbus_ports: "per-device",
    }),
    /** Paper-parity details (see ../shared/paper/README.md): where the reward baseline is taken. */
    parity: z
      .object({ reward_baseline: z.enum(["reset", "compiled-all-closed"]).default("reset") })
      .strict()
      .default({ reward_baseline: "reset" }),
  })
  .strict();
export type Scenario = z.infer<typeof Scenario>;
export type ScenarioInput = z.input<typeof Scenario>;

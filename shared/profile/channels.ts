// The standard channel set of each kind of device: what the agent's
// controllers, shield and the simulators see, never registers or node ids.
// A profile maps these onto its vendor's points (OpenEMS Edge's "nature").
import type { DeviceKind } from "./schema.js";

export interface ChannelSpec {
  /** `number` channels carry `unit`; `bool` true/false; `enum` one of `symbols`. */
  type: "number" | "bool" | "enum";
  unit?: string;
  symbols?: readonly string[];
  /** A profile of this kind must map it. */
  required?: boolean;
  /** Clients may write it directly (otherwise only through commands). */
  writable?: boolean;
  description: string;
}

export interface CommandSpec {
  required?: boolean;
  /** Unit of the argument, if the command takes one. */
  argument?: { unit: string; description: string };
  description: string;
}

export const SWITCH_POSITIONS = ["open", "closed", "intermediate", "bad"] as const;
export type SwitchPosition = (typeof SWITCH_POSITIONS)[number];

const phases = (prefix: string, unit: string, what: string): Record<string, ChannelSpec> => ({
  [`${prefix}_a`]: { type: "number", unit, description: `${what}, phase A` },
  [`${prefix}_b`]: { type: "number", unit, description: `${what}, phase B` },
  [`${prefix}_c`]: { type: "number", unit, description: `${what}, phase C` },
});

const faultIndicators: Record<string, ChannelSpec> = {
  fault_a: { type: "bool", description: "fault passage indicator, phase A (fault current seen since the last reset)" },
  fault_b: { type: "bool", description: "fault passage indicator, phase B" },
  fault_c: { type: "bool", description: "fault passage indicator, phase C" },
};

/** Measurements every DER kind reports. */
const derChannels: Record<string, ChannelSpec> = {
  p_kw: { type: "number", unit: "kW", required: true, description: "active power delivered to the grid (negative: absorbed)" },
  q_kvar: { type: "number", unit: "kvar", description: "reactive power delivered" },
  voltage_v: { type: "number", unit: "V", description: "AC voltage, line to neutral, average of the active phases" },
  ...phases("voltage", "V", "AC voltage line to neutral"),
  ...phases("current", "A", "AC current"),
  frequency_hz: { type: "number", unit: "Hz", description: "AC frequency" },
  connected: { type: "bool", description: "connected to the grid (output breaker closed)" },
  p_rating_kw: { type: "number", unit: "kW", required: true, description: "active power rating (nameplate, or the WMax setting)" },
  s_rating_kva: { type: "number", unit: "kVA", description: "apparent power rating" },
  // SunSpec's limits are a percentage of this setting (121 WMax, 702 WMax), which defaults to the rating.
  p_max_kw: { type: "number", unit: "kW", description: "maximum active power setting (SunSpec WMax; the base of p_limit_pct)" },
  p_limit_pct: { type: "number", unit: "%", required: true, writable: true, description: "active power limit in % of the rating" },
  p_limit_enabled: { type: "bool", writable: true, description: "the active power limit is in force" },
};

export const CHANNELS: Record<DeviceKind, Record<string, ChannelSpec>> = {
  switch: {
    position: { type: "enum", symbols: SWITCH_POSITIONS, required: true, description: "breaker or switch position" },
    lockout: { type: "bool", required: true, description: "locked out: it will not close until reset (recloser sequence ended open)" },
    interlock: { type: "bool", description: "closing is blocked by an interlock" },
    ...faultIndicators,
    ...phases("current", "A", "current magnitude"),
    ...phases("voltage", "V", "voltage magnitude line to neutral, source side (terminal 1)"),
    ...phases("load_voltage", "V", "voltage magnitude line to neutral, load side (terminal 2)"),
    nominal_voltage_v: { type: "number", unit: "V", description: "nominal voltage line to neutral the control is set for (the base of per-unit voltages)" },
    p_kw: { type: "number", unit: "kW", description: "three-phase active power through the switch" },
    q_kvar: { type: "number", unit: "kvar", description: "three-phase reactive power through the switch" },
    frequency_hz: { type: "number", unit: "Hz", description: "frequency" },
  },
  "pv-inverter": { ...derChannels },
  "battery-inverter": {
    ...derChannels,
    soc_pct: { type: "number", unit: "%", required: true, description: "state of charge" },
    energy_rating_kwh: { type: "number", unit: "kWh", description: "usable energy capacity" },
    charge_limit_kw: { type: "number", unit: "kW", required: true, description: "maximum charge rate" },
    discharge_limit_kw: { type: "number", unit: "kW", required: true, description: "maximum discharge rate" },
  },
};

export const COMMANDS: Record<DeviceKind, Record<string, CommandSpec>> = {
  switch: {
    open: { required: true, description: "open (trip) the switch" },
    close: { required: true, description: "close the switch" },
    reset_lockout: { description: "reset the lockout (and the fault indicators)" },
  },
  "pv-inverter": {
    set_power_limit: { required: true, argument: { unit: "%", description: "active power limit in % of the rating" }, description: "limit active power output" },
  },
  "battery-inverter": {
    set_power_limit: { required: true, argument: { unit: "%", description: "active power limit in % of the rating" }, description: "limit active power output" },
  },
};

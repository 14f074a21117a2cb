// The device harness: one simulated device per switch and DER of a scenario,
// bound to the plant, served on real Modbus TCP and OPC UA servers, moved by
// a clock. Each step applies the writes devices received (in device order,
// then arrival order), advances the devices' own dynamics, solves the plant
// once and refreshes every device's measurements, so a lockstep run is
// reproducible whatever order packets arrived in within a step.
import { canonicalElement, unknownNameMessage } from "../../shared/names.js";
import { profileById, PROFILES_DIR } from "../../shared/profile/load.js";
import type { ResolvedProfile } from "../../shared/profile/resolve.js";
import { BlackstartError } from "../../shared/errors.js";
import { SimClock, type ClockMode } from "./clock.js";
import { DerDevice, type DerRatings } from "./der.js";
import type { SimDevice } from "./device.js";
import { DeviceErrors } from "./errors.js";
import { FAULT_KINDS, faultActive, type Fault } from "./faults.js";
import { ModbusPort } from "./modbus.js";
import type { OpcUaHost } from "./opcua.js";
import type { Plant, SolveReport } from "./plant.js";
import { derExpectedMax, fitScaleFactors } from "./scale.js";
import { SwitchDevice } from "./switch.js";

export type DeviceKindName = "switch" | "pv" | "battery" | "diesel" | "grid-forming";

/** Which profile and protocol simulate a device (the scenario's `devices` section). */
export interface Binding {
  profile: string;
  protocol: "modbus" | "opcua";
}

export interface PlannedSwitch {
  element: string;
  /** Phases (0-2) it carries, for fault indicators. */
  phases: readonly number[];
  /** On the faulted section: locked out, fault indicators set. */
  faulted: boolean;
  binding: Binding;
}

export interface PlannedDer {
  /** Unit id from the scenario (`pv1`). */
  id: string;
  kind: Exclude<DeviceKindName, "switch">;
  element: string;
  ratings: DerRatings;
  /** Nominal line-to-neutral voltage (V) and phases, to size scale factors. */
  vLnV: number;
  phases: number;
  binding: Binding;
}

export interface HarnessPlan {
  switches: readonly PlannedSwitch[];
  ders: readonly PlannedDer[];
  /** Modbus: one TCP port per device, or one port with a unit id per device. */
  modbusPorts: "per-device" | "shared";
}

export interface HarnessOptions {
  clock?: ClockMode;
  /** Realtime tick (ms). */
  tickMs?: number;
  host?: string;
  /** First Modbus port (consecutive ports after it); 0 = any free ports. */
  modbusPort?: number;
  /** OPC UA port; 0 = any free port. */
  opcuaPort?: number;
  /** Where the OPC UA server keeps its certificates (made at first start). */
  pkiDir?: string;
  faults?: readonly Fault[];
  profilesDir?: string;
  /** Progress and refused requests (stderr in the CLI). */
  log?: (line: string) => void;
}

export interface Endpoint {
  device: string;
  profile: string;
  protocol: "modbus" | "opcua";
  host: string;
  port: number;
  unit_id: number | null;
  endpoint_url: string | null;
  /** Feeder element the device is bound to (`Line.l35`). */
  element: string;
}

export interface StepReport {
  nowMs: number;
  /** Plant actions applied this step, in order (`close Line.l35`). */
  operations: string[];
  solve: SolveReport;
}

const KIND_OF: Record<DeviceKindName, ResolvedProfile["kind"]> = {
  switch: "switch",
  pv: "pv-inverter",
  battery: "battery-inverter",
  diesel: "pv-inverter",
  "grid-forming": "battery-inverter",
};

/** `Line.l35` -> `sw-l35`; OPC UA and the endpoint table use it. */
export function switchDeviceId(element: string): string {
  return `sw-${canonicalElement(element).split(".")[1]}`;
}

export function derDeviceId(unitId: string): string {
  return `der-${unitId}`;
}

export class DeviceHarness {
  readonly clock: SimClock;
  readonly devices: SimDevice[] = [];
  private readonly byName = new Map<string, SimDevice>();
  private readonly modbus: { port: ModbusPort; devices: SimDevice[] }[] = [];
  private opcua: OpcUaHost | undefined;
  private readonly deviceFaults = new Map<string, Fault[]>();
  private readonly log: (line: string) => void;
  private lastReport: StepReport;
  private stopped = false;
  /** The plant solution the devices last read (-1: never). */
  private seenSolution = -1;

  private constructor(
    readonly plan: HarnessPlan,
    readonly plant: Plant,
    private readonly opts: HarnessOptions,
  ) {
    this.clock = new SimClock(opts.clock ?? "lockstep", opts.tickMs ?? 100);
    this.log = opts.log ?? (() => {});
    this.lastReport = { nowMs: 0, operations: [], solve: { converged: true, iterations: 0, solution: 0 } };
  }

  static async start(plan: HarnessPlan, plant: Plant, opts: HarnessOptions = {}): Promise<DeviceHarness> {
    const h = new DeviceHarness(plan, plant, opts);
    try {
      h.build();
      h.lastReport = h.settle([]);
      await h.listen();
    } catch (e) {
      await h.stop();
      throw e;
    }
    h.clock.onStep((now, dt) => {
      h.lastReport = h.runStep(now, dt);
    });
    h.clock.start();
    return h;
  }

  private profile(b: Binding, kind: ResolvedProfile["kind"], what: string): ResolvedProfile {
    const p = profileById(b.profile, this.opts.profilesDir ?? PROFILES_DIR);
    if (p.kind !== kind) throw new BlackstartError(DeviceErrors.BINDING, `${what}: profile '${p.id}' is a ${p.kind}, not a ${kind}`);
    if (p.protocol !== b.protocol) throw new BlackstartError(DeviceErrors.BINDING, `${what}: profile '${p.id}' speaks ${p.protocol}, the scenario asks for ${b.protocol}`);
    return p;
  }

  private build(): void {
    const plan = this.plan;
    const shared = plan.modbusPorts === "shared";
    let modbusCount = 0;
    const unitId = (p: ResolvedProfile) => (p.protocol !== "modbus" ? 0 : shared ? (modbusCount++ % 247) + 1 : p.unitId);
    plan.switches.forEach((s) => {
      const element = canonicalElement(s.element);
      const id = switchDeviceId(element);
      const profile = this.profile(s.binding, "switch", `switch ${element}`);
      const d = new SwitchDevice({ id, index: this.devices.length, profile, element, unitId: unitId(profile) }, this.clock, { faulted: s.faulted, phases: s.phases });
      this.add(d);
    });
    plan.ders.forEach((u) => {
      const element = canonicalElement(u.element);
      const id = derDeviceId(u.id);
      const profile = this.profile(u.binding, KIND_OF[u.kind], `unit ${u.id}`);
      const scaleFactors = fitScaleFactors(profile, derExpectedMax({ ...u.ratings, vLnV: u.vLnV, phases: u.phases }));
      const d = new DerDevice({ id, index: this.devices.length, profile, element, unitId: unitId(profile), scaleFactors }, this.clock, u.ratings);
      this.add(d);
    });
    this.bindFaults(this.opts.faults ?? []);
  }

  private add(d: SimDevice): void {
    if (this.byName.has(d.id)) throw new BlackstartError(DeviceErrors.BINDING, `two devices are named '${d.id}' (${d.element})`);
    this.devices.push(d);
    this.byName.set(d.id, d);
    this.byName.set(d.element.toLowerCase(), d);
  }

  /** A device by name (`sw-l35`) or element (`Line.L35`). */
  device(nameOrElement: string): SimDevice {
    const d = this.byName.get(nameOrElement) ?? this.byName.get(canonicalElement(nameOrElement).toLowerCase());
    if (!d) throw new BlackstartError(DeviceErrors.BINDING, unknownNameMessage("device", nameOrElement, this.devices.map((x) => x.id)));
    return d;
  }

  private bindFaults(faults: readonly Fault[]): void {
    faults.forEach((f, i) => {
      let d: SimDevice;
      try {
        d = this.device(f.device);
      } catch (e) {
        throw new BlackstartError(DeviceErrors.FAULT, `faults[${i}]: ${(e as BlackstartError).detail ?? String(e)}`, { field: `faults[${i}].device` });
      }
      const spec = FAULT_KINDS[f.kind];
      const kind = d instanceof SwitchDevice ? "switch" : "der";
      if (!spec.applies.includes(kind)) throw new BlackstartError(DeviceErrors.FAULT, `faults[${i}]: a ${f.kind} fault applies to ${spec.applies.join(" and ")} devices; ${d.id} is a ${kind}`, { field: `faults[${i}].kind` });
      if (!spec.protocols.includes(d.profile.protocol))
        throw new BlackstartError(DeviceErrors.FAULT, `faults[${i}]: a ${f.kind} fault is injected on ${spec.protocols.join("/")} devices; ${d.id} speaks ${d.profile.protocol}`, { field: `faults[${i}].kind` });
      const list = this.deviceFaults.get(d.id) ?? [];
      list.push(f);
      this.deviceFaults.set(d.id, list);
      if (f.kind === "spontaneous-trip") (d as SwitchDevice).scheduleTrip(f.after_ms);
    });
  }

  /** Device-level faults in force now: flags on the devices. */
  private applyDeviceFaults(now: number): void {
    for (const d of this.devices) {
      const list = this.deviceFaults.get(d.id);
      if (!list) continue;
      d.faults.stuck = list.some((f) => f.kind === "stuck" && faultActive(f, now));
      const lost = [false, false, false];
      for (const f of list) if (f.kind === "lost-fault-indicator" && faultActive(f, now)) for (const ph of f.phases) lost["abc".indexOf(ph)] = true;
      const changed = lost.some((x, i) => x !== d.faults.lostFaultIndicator[i]);
      d.faults.lostFaultIndicator = lost;
      if (changed && d instanceof SwitchDevice) d.showState();
    }
  }

  private async listen(): Promise<void> {
    const host = this.opts.host ?? "127.0.0.1";
    const mb = this.devices.filter((d) => d.profile.protocol === "modbus");
    const groups: SimDevice[][] = this.plan.modbusPorts === "shared" ? chunk(mb, 247) : mb.map((d) => [d]);
    let next = this.opts.modbusPort ?? 0;
    for (const devices of groups) {
      const port = await ModbusPort.listen({
        host,
        port: next,
        devices,
        shared: this.plan.modbusPorts === "shared",
        clock: this.clock,
        faults: this.deviceFaults,
        onEvent: (dev, what) => this.log(`${dev}: ${what}`),
      });
      this.modbus.push({ port, devices });
      if (next !== 0) next++;
    }
    const ua = this.devices.filter((d) => d.profile.protocol === "opcua");
    // node-opcua is loaded only when a scenario has OPC UA devices (it takes a while to import).
    if (ua.length) this.opcua = await (await import("./opcua.js")).OpcUaHost.start({
        host,
        port: this.opts.opcuaPort ?? 0,
        devices: ua,
        pkiDir: this.opts.pkiDir,
        log: this.log,
        faults: this.deviceFaults,
        clock: this.clock,
      });
  }

  endpoints(): Endpoint[] {
    const out: Endpoint[] = [];
    for (const { port, devices } of this.modbus)
      for (const d of devices)
        out.push({ device: d.id, profile: d.profile.id, protocol: "modbus", host: port.host, port: port.port, unit_id: d.unitId, endpoint_url: null, element: d.element });
    if (this.opcua)
      for (const d of this.opcua.devices)
        out.push({ device: d.id, profile: d.profile.id, protocol: "opcua", host: this.opcua.host, port: this.opcua.port, unit_id: null, endpoint_url: this.opcua.endpointUrl, element: d.element });
    const order = new Map(this.devices.map((d, i) => [d.id, i]));
    return out.sort((a, b) => order.get(a.device)! - order.get(b.device)!);
  }

  /** Modbus request counters over all ports (bench). */
  modbusCounters(): { requests: number; faulted: number } {
    return this.modbus.reduce((acc, m) => ({ requests: acc.requests + m.port.counters.requests, faulted: acc.faulted + m.port.counters.faulted }), { requests: 0, faulted: 0 });
  }

  /** Simulated time at which the earliest write some device received takes effect, if any: the bench's lockstep sub-steps go there. */
  nextDueMs(): number | undefined {
    let t: number | undefined;
    for (const d of this.devices) {
      const due = d.nextDueMs();
      if (due !== undefined && (t === undefined || due < t)) t = due;
    }
    return t;
  }

  /** Lockstep: advance the clock by dtMs and run one step. */
  step(dtMs: number): StepReport {
    this.clock.step(dtMs);
    return this.lastReport;
  }

  get last(): StepReport {
    return this.lastReport;
  }

  private runStep(now: number, dt: number): StepReport {
    const actions = this.devices.flatMap((d) => d.takeDueActions(now)).sort((a, b) => a.device - b.device || a.seq - b.seq);
    for (const a of actions) a.apply(this.plant);
    for (const d of this.devices) d.advance(this.plant, now, dt);
    return this.settle(actions.map((a) => a.description), now);
  }

  private settle(operations: string[], now = this.clock.now()): StepReport {
    this.applyDeviceFaults(now);
    const solve = this.plant.solve();
    if (solve.solution !== this.seenSolution) {
      if (!solve.converged) this.log(`t=${now} ms: the power flow did not converge (${solve.iterations} iterations)`);
      // Measurements change only with a new solution; a quiet step costs nothing.
      for (const d of this.devices) d.refresh(this.plant, now);
      this.seenSolution = solve.solution;
    }
    for (const op of operations) this.log(`t=${now} ms: ${op}`);
    return { nowMs: now, operations, solve };
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.clock.stop();
    await Promise.allSettled(this.modbus.map((m) => m.port.close()));
    if (this.opcua) await this.opcua.stop();
  }
}

function chunk<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

// A field device over Modbus, driven entirely by its hardware profile: finds
// its points (fixed map with an identity check, or SunSpec discovery), reads
// the points behind its channels in as few requests as the read plan allows,
// decodes them with the shared point codec (scale factors included), and
// makes commands as the profile describes them (direct writes, or
// select-before-operate). Discovery is redone after every reconnect: the
// device behind the address may have been replaced.
import { decodePoint, discoverSunSpec, encodePoint, locatePoint, planReads } from "../../../shared/profile/index.js";
import type { ReadBlock, ResolvedPoint, ResolvedProfile, Write } from "../../../shared/profile/index.js";
import type { Profile } from "../../../shared/profile/schema.js";
import type { Clock } from "../../runtime/clock.js";
import { DeviceFault, type ChannelSnapshot, type CommandStep, type DeviceStatus, type FieldDevice } from "../device.js";
import { channelsOf, commandWrites } from "../profile-device.js";
import { LinkError, type ModbusClient, type ModbusLink } from "./link.js";

interface Layout {
  epoch: number;
  /** Points by ref with their address on this device. */
  points: Map<string, ResolvedPoint>;
  blocks: ReadBlock[];
}

export class ModbusDevice implements FieldDevice {
  readonly transport: "modbus-tcp" | "modbus-rtu";
  private layout: Layout | undefined;
  private discovering: Promise<Layout> | undefined;

  constructor(
    readonly id: string,
    readonly resolved: ResolvedProfile,
    private readonly link: ModbusLink,
    private readonly unitId: number,
    private readonly clock: Clock,
  ) {
    this.transport = link.endpoint.kind === "tcp" ? "modbus-tcp" : "modbus-rtu";
  }

  get profile(): Profile {
    return this.resolved.profile;
  }

  async start(): Promise<void> {
    this.link.start();
  }

  async stop(): Promise<void> {
    await this.link.stop();
  }

  status(): DeviceStatus {
    return this.link.status();
  }

  commandKind(name: string): "direct" | "select-before-operate" | undefined {
    return this.resolved.commands.get(name)?.kind;
  }

  async read(): Promise<ChannelSnapshot> {
    const layout = await this.ensureLayout();
    const words = new Map<string, number[]>();
    for (const block of layout.blocks) {
      const regs = await this.readBlock(block);
      for (const p of block.points) words.set(p.ref, regs.slice(p.address! - block.address, p.address! - block.address + p.size));
    }
    const decode = (ref: string, sf?: number | null) => decodePoint(layout.points.get(ref)!, words.get(ref)!, sf);
    const { values, invalid } = channelsOf(this.resolved, (p) => {
      const located = layout.points.get(p.ref)!;
      const sf = located.scaleFactor !== undefined ? (decode(located.scaleFactor) as number | null) : undefined;
      return decode(p.ref, sf);
    });
    return { device: this.id, at: this.clock.now(), values, invalid };
  }

  async command(name: string, step: CommandStep, argument?: number): Promise<void> {
    const writes = commandWrites(this.resolved, this.id, name, step);
    const layout = await this.ensureLayout();
    for (const w of writes) await this.write(layout, w, argument);
  }

  private async write(layout: Layout, w: Write, argument: number | undefined): Promise<void> {
    const p = layout.points.get(w.point);
    if (!p) throw new DeviceFault(this.id, "unsupported", `profile ${this.resolved.id} has no point '${w.point}'`);
    const value = w.value === "$value" ? argument : w.value;
    if (value === undefined) throw new DeviceFault(this.id, "unsupported", `write of '${w.point}' needs an argument`);
    let regs: number[];
    try {
      const sf = p.scaleFactor !== undefined ? await this.readScaleFactor(layout, p.scaleFactor) : undefined;
      regs = encodePoint(p, value, sf);
    } catch (e) {
      throw new DeviceFault(this.id, "unsupported", `cannot encode ${JSON.stringify(value)} for '${p.ref}': ${(e as Error).message}`);
    }
    const addr = p.address!;
    await this.call(
      async (c) => {
        if (p.table === "coil") await c.writeCoil(addr, regs[0] !== 0);
        else if (regs.length === 1) await c.writeRegister(addr, regs[0]!);
        else await c.writeRegisters(addr, regs);
      },
      "high",
      true,
    );
  }

  private async readScaleFactor(layout: Layout, ref: string): Promise<number | null> {
    const sfp = layout.points.get(ref)!;
    const regs = await this.readBlock({ table: sfp.table!, address: sfp.address!, count: sfp.size, points: [sfp] });
    return decodePoint(sfp, regs) as number | null;
  }

  private async readBlock(b: ReadBlock): Promise<number[]> {
    return this.call(async (c) => {
      switch (b.table) {
        case "coil":
          return (await c.readCoils(b.address, b.count)).data.slice(0, b.count).map((x) => (x ? 1 : 0));
        case "discrete":
          return (await c.readDiscreteInputs(b.address, b.count)).data.slice(0, b.count).map((x) => (x ? 1 : 0));
        case "holding":
          return checkLength((await c.readHoldingRegisters(b.address, b.count)).data, b);
        case "input":
          return checkLength((await c.readInputRegisters(b.address, b.count)).data, b);
      }
    });
  }

  private async call<T>(run: (c: ModbusClient) => Promise<T>, priority: "high" | "low" = "low", isCommand = false): Promise<T> {
    try {
      return await this.link.request(this.unitId, run, priority);
    } catch (e) {
      if (e instanceof LinkError) {
        // A command refused with an exception is the device saying no (interlock, no selection, too soon).
        const kind = isCommand && e.kind === "exception" ? "rejected" : e.kind;
        throw new DeviceFault(this.id, kind, e.message, e.code);
      }
      throw new DeviceFault(this.id, "decode", (e as Error)?.message ?? String(e));
    }
  }

  /** Points and read plan for the current connection; rediscovered after a reconnect. */
  private async ensureLayout(): Promise<Layout> {
    const epoch = this.link.epoch;
    if (this.layout?.epoch === epoch) return this.layout;
    this.discovering ??= this.discover(epoch).finally(() => (this.discovering = undefined));
    return this.discovering;
  }

  private async discover(epoch: number): Promise<Layout> {
    const r = this.resolved;
    const d = r.profile.discovery;
    const points = new Map<string, ResolvedPoint>();
    if (d.kind === "sunspec") {
      let chain;
      try {
        chain = await discoverSunSpec((address, count) => this.readBlock({ table: "holding", address, count, points: [] }), d.bases);
      } catch (e) {
        if (e instanceof DeviceFault) throw e;
        throw new DeviceFault(this.id, "decode", `SunSpec discovery: ${(e as Error).message}`);
      }
      for (const p of r.points) {
        try {
          points.set(p.ref, { ...p, address: locatePoint(chain, r, p) });
        } catch (e) {
          // Points the device lacks are fine unless a channel or command needs them (checked below).
          void e;
        }
      }
    } else {
      for (const p of r.points) points.set(p.ref, p);
      if (d.kind === "fixed" && d.identity) {
        const ip = points.get(d.identity.point)!;
        const regs = await this.readBlock({ table: ip.table!, address: ip.address!, count: ip.size, points: [ip] });
        const got = decodePoint(ip, regs);
        if (String(got) !== String(d.identity.value)) {
          throw new DeviceFault(this.id, "decode", `identity check: point '${ip.ref}' reads ${JSON.stringify(got)}, profile ${r.id} expects ${JSON.stringify(d.identity.value)} (wrong device at this address?)`);
        }
      }
    }
    const needed = new Map<string, ResolvedPoint>();
    const need = (ref: string, why: string) => {
      const p = points.get(ref);
      if (!p) throw new DeviceFault(this.id, "decode", `the device does not have point '${ref}' (${why})`);
      needed.set(ref, p);
      if (p.scaleFactor !== undefined) need(p.scaleFactor, `scale factor of ${ref}`);
    };
    for (const ch of r.channels.values()) need(ch.point.ref, `channel '${ch.id}'`);
    const layout: Layout = { epoch, points, blocks: planReads([...needed.values()]) };
    this.layout = layout;
    return layout;
  }
}

function checkLength(data: number[], b: ReadBlock): number[] {
  // A short reply was zero-filled by old modbus-serial releases (#369): never decode one.
  if (data.length < b.count) throw new LinkError("decode", `reply to a read of ${b.count} ${b.table} registers at ${b.address} has ${data.length}`);
  return data;
}

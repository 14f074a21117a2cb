// A real Modbus TCP server (modbus-serial's ServerTCP) on a loopback port,
// holding plain register banks per unit id, for the transport's own tests:
// it counts requests, tracks how many are in flight at once, can answer
// slowly, refuse with an exception, or go away and come back. Values are
// written with the shared point codec from a profile's points. The simulated
// field devices with physics behind them live in sim-harness/devices.
import { createServer } from "node:net";
import ModbusRTU from "modbus-serial";
import { encodePoint, type ResolvedProfile } from "../../../shared/profile/index.js";
import type { PointValue } from "../../../shared/profile/codec.js";

const { ServerTCP } = ModbusRTU as unknown as { ServerTCP: new (vector: object, options: object) => ServerHandle };

interface ServerHandle {
  on(ev: string, fn: (...a: unknown[]) => void): void;
  close(cb: () => void): void;
  socks: Map<import("node:net").Socket, 0>;
}

export interface UnitBank {
  holding: Map<number, number>;
  input: Map<number, number>;
  coil: Map<number, boolean>;
  discrete: Map<number, boolean>;
}

export interface BankHooks {
  /** Called on every register write; return a Modbus exception code to refuse it. */
  onWrite?(unit: number, address: number, value: number, bank: UnitBank): number | void;
  /** Delay every reply by this much (ms). */
  delayMs?: number;
  /** Units that never answer (a dead slave behind a gateway). */
  silent?: Set<number>;
  /** Answer reads of a unit with this Modbus exception code (a device reporting an internal failure). */
  readException?(unit: number): number | undefined;
  /** Hold a register write this long before applying and acknowledging it (ms). */
  writeDelayMs?(unit: number, address: number, value: number): number;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export class ModbusBank {
  readonly units = new Map<number, UnitBank>();
  /** Requests by function code ("fc3"...) and unit. */
  readonly requests: { fc: string; unit: number; address: number; count: number }[] = [];
  inFlight = 0;
  maxInFlight = 0;
  hooks: BankHooks = {};
  private server: ServerHandle | undefined;
  port = 0;

  unit(id: number): UnitBank {
    let u = this.units.get(id);
    if (!u) this.units.set(id, (u = { holding: new Map(), input: new Map(), coil: new Map(), discrete: new Map() }));
    return u;
  }

  /** Write a point's engineering value into a unit's bank with the shared codec. */
  set(unit: number, profile: ResolvedProfile, ref: string, value: PointValue, base = 0): void {
    const p = profile.byRef.get(ref);
    if (!p || p.table === undefined || p.address === undefined) throw new Error(`no Modbus point '${ref}' in ${profile.id}`);
    const regs = encodePoint(p, value);
    const u = this.unit(unit);
    regs.forEach((r, i) => {
      const a = p.address! + base + i;
      if (p.table === "coil") u.coil.set(a, r !== 0);
      else if (p.table === "discrete") u.discrete.set(a, r !== 0);
      else u[p.table!].set(a, r);
    });
  }

  async start(port?: number): Promise<number> {
    this.port = port ?? this.port ?? 0;
    if (!this.port) this.port = await freePort();
    // Callback forms with their exact arity: ServerTCP tells the styles apart by Function.length,
    // and takes a whole block only through a callback (its sync form cannot return a promise).
    type Cb<T> = (err: unknown, v?: T) => void;
    const settle = <T>(p: Promise<T>, cb: Cb<T>) => p.then((v) => cb(null, v), (e) => cb(e));
    const block = (table: "holding" | "input") => (addr: number, length: number, unit: number, cb: Cb<number[]>) =>
      settle(
        this.answer(table === "holding" ? "fc3" : "fc4", unit, addr, length, () => {
          const u = this.unit(unit);
          return Array.from({ length }, (_, i) => u[table].get(addr + i) ?? 0);
        }),
        cb,
      );
    const single = (table: "holding" | "input") => (addr: number, unit: number, cb: Cb<number>) =>
      settle(this.answer(table === "holding" ? "fc3" : "fc4", unit, addr, 1, () => this.unit(unit)[table].get(addr) ?? 0), cb);
    const vector = {
      getMultipleHoldingRegisters: block("holding"),
      getMultipleInputRegisters: block("input"),
      getHoldingRegister: single("holding"),
      getInputRegister: single("input"),
      getDiscreteInput: (addr: number, unit: number, cb: Cb<boolean>) => settle(this.bit("fc2", unit, addr, () => this.unit(unit).discrete.get(addr) ?? false), cb),
      getCoil: (addr: number, unit: number, cb: Cb<boolean>) => settle(this.bit("fc1", unit, addr, () => this.unit(unit).coil.get(addr) ?? false), cb),
      setRegister: (addr: number, value: number, unit: number, cb: Cb<void>) => settle(this.answer("fc6", unit, addr, 1, () => this.delayedWrite(unit, addr, [value])), cb),
      setRegisterArray: (addr: number, values: number[], unit: number, cb: Cb<void>) => settle(this.answer("fc16", unit, addr, values.length, () => this.delayedWrite(unit, addr, values)), cb),
      setCoil: (addr: number, value: boolean, unit: number, cb: Cb<void>) =>
        settle(
          this.answer("fc5", unit, addr, 1, () => {
            this.unit(unit).coil.set(addr, value);
          }),
          cb,
        ),
    };
    const server = new ServerTCP(vector, { host: "127.0.0.1", port: this.port, unitID: 255 });
    server.on("socketError", () => {
      // A client's reset must not crash the test process (modbus-serial #116).
    });
    await new Promise<void>((resolve, reject) => {
      server.on("initialized", () => resolve());
      server.on("serverError", (e) => reject(e));
    });
    this.server = server;
    return this.port;
  }

  /** Close the listener and every client socket (a device that went away). */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    for (const sock of s.socks.keys()) sock.destroy();
    await new Promise<void>((r) => s.close(() => r()));
  }

  private async delayedWrite(unit: number, addr: number, values: number[]): Promise<void> {
    const ms = this.hooks.writeDelayMs?.(unit, addr, values[0]!) ?? 0;
    if (ms > 0) await new Promise((r) => setTimeout(r, ms));
    this.write(unit, addr, values);
  }

  private write(unit: number, addr: number, values: number[]): void {
    const u = this.unit(unit);
    values.forEach((v, i) => {
      const code = this.hooks.onWrite?.(unit, addr + i, v, u);
      if (typeof code === "number") throw { modbusErrorCode: code };
      u.holding.set(addr + i, v);
    });
  }

  private bitSeen = new Map<string, number>();
  private async bit<T>(fc: string, unit: number, addr: number, get: () => T): Promise<T> {
    // Bits of one request arrive together: count the request once per burst.
    const key = `${fc}/${unit}`;
    const last = this.bitSeen.get(key);
    if (last === undefined || addr !== last + 1) this.requests.push({ fc, unit, address: addr, count: 1 });
    else this.requests[this.requests.length - 1]!.count++;
    this.bitSeen.set(key, addr);
    if (this.hooks.silent?.has(unit)) return new Promise<T>(() => {});
    const code = this.hooks.readException?.(unit);
    if (code !== undefined) throw { modbusErrorCode: code };
    return get();
  }

  private async answer<T>(fc: string, unit: number, address: number, count: number, work: () => T | Promise<T>): Promise<T> {
    this.requests.push({ fc, unit, address, count });
    this.bitSeen.clear();
    if (this.hooks.silent?.has(unit)) return new Promise<T>(() => {});
    const code = fc === "fc3" || fc === "fc4" ? this.hooks.readException?.(unit) : undefined;
    if (code !== undefined) throw { modbusErrorCode: code };
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.hooks.delayMs) await new Promise((r) => setTimeout(r, this.hooks.delayMs));
      return await work();
    } finally {
      this.inFlight--;
    }
  }
}

// Simulated devices on Modbus TCP: modbus-serial's ServerTCP, one per port,
// answering one device (per-device ports) or several by unit id (a shared
// port, as behind a gateway). Reads are served from each device's register
// image; writes go through the device. Wire faults act here: delays,
// silence, exception codes in the vector; garbage and dropped connections
// on the reply frame as it leaves the socket.
import type { Socket, Server } from "node:net";
import ModbusRTU, { type ServerTCP as ServerTCPType } from "modbus-serial";
import type { ModbusTable } from "../../shared/profile/schema.js";
import { BlackstartError } from "../../shared/errors.js";
import type { SimClock } from "./clock.js";
import type { SimDevice, WriteOutcome } from "./device.js";
import { DeviceErrors } from "./errors.js";
import { faultActive, type Fault } from "./faults.js";

/** Modbus exception codes we answer with. */
export const ILLEGAL_FUNCTION = 0x01;
export const ILLEGAL_DATA_ADDRESS = 0x02;
export const ILLEGAL_DATA_VALUE = 0x03;
export const SERVER_DEVICE_FAILURE = 0x04;
export const GATEWAY_TARGET_FAILED = 0x0b;

const MAX_READ_REGISTERS = 125;
const MAX_READ_BITS = 2000;

// modbus-serial is CommonJS: its server class hangs off the default export.
const { ServerTCP } = ModbusRTU as unknown as { ServerTCP: typeof ServerTCPType };

type Cb<T> = (err: { modbusErrorCode: number; message?: string } | null, value?: T) => void;

/** Answer with an exception. The empty value matters: modbus-serial's FC4 handler reads values[i] even on error (8.0.25). */
function fail<T>(cb: Cb<T>, code: number, message?: string): void {
  cb({ modbusErrorCode: code, ...(message ? { message } : {}) }, [] as unknown as T);
}

export interface ModbusPortOptions {
  host: string;
  /** 0: any free port. */
  port: number;
  devices: readonly SimDevice[];
  /** One device on the port answers whatever unit id it is asked (0 and 255 included); several answer by unit id. */
  shared: boolean;
  clock: SimClock;
  /** Wire faults by device id. */
  faults: ReadonlyMap<string, readonly Fault[]>;
  /** Called for every refused or failed request (logging). */
  onEvent?: (device: string, what: string) => void;
}

export class ModbusPort {
  readonly host: string;
  port = 0;
  private server!: ServerTCPType;
  private readonly byUnit = new Map<number, SimDevice>();
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Requests answered, and requests a fault touched (bench and tests read them). */
  readonly counters = { requests: 0, faulted: 0 };

  private constructor(private readonly opts: ModbusPortOptions) {
    this.host = opts.host;
    for (const d of opts.devices) this.byUnit.set(d.unitId, d);
  }

  static async listen(opts: ModbusPortOptions): Promise<ModbusPort> {
    const p = new ModbusPort(opts);
    await p.start();
    return p;
  }

  private route(unitId: number): SimDevice | undefined {
    if (!this.opts.shared) return this.opts.devices[0];
    return this.byUnit.get(unitId);
  }

  private wireFault(d: SimDevice, fc: number): Fault | undefined {
    const list = this.opts.faults.get(d.id);
    if (!list) return undefined;
    const now = this.opts.clock.now();
    return list.find((f) => faultActive(f, now, fc) && (f.kind === "timeout" || f.kind === "exception" || f.kind === "response-delay"));
  }

  /** Run one request through routing and the vector-level faults. */
  private handle<T>(unitId: number, fc: number, cb: Cb<T>, work: (d: SimDevice) => { error: number; why: string } | { value: T }): void {
    this.counters.requests++;
    const d = this.route(unitId);
    if (!d) {
      fail(cb, GATEWAY_TARGET_FAILED);
      return;
    }
    const answer = () => {
      const r = work(d);
      if ("error" in r) {
        this.opts.onEvent?.(d.id, `fc ${fc}: exception ${r.error}: ${r.why}`);
        fail(cb, r.error, r.why);
      } else cb(null, r.value);
    };
    const f = this.wireFault(d, fc);
    if (!f) return answer();
    this.counters.faulted++;
    if (f.kind === "timeout") return; // never answered
    if (f.kind === "exception") return fail(cb, f.code);
    if (f.kind === "response-delay") {
      const t = setTimeout(() => {
        this.timers.delete(t);
        answer();
      }, f.delay_ms);
      this.timers.add(t);
    }
  }

  private read(table: ModbusTable, address: number, count: number, d: SimDevice): { error: number; why: string } | { value: number[] } {
    const limit = table === "coil" || table === "discrete" ? MAX_READ_BITS : MAX_READ_REGISTERS;
    if (count < 1 || count > limit) return { error: ILLEGAL_DATA_VALUE, why: `count ${count} outside 1..${limit}` };
    const regs = d.readRegisters(table, address, count);
    if (!regs) return { error: ILLEGAL_DATA_ADDRESS, why: `${table} ${address}+${count} is not mapped` };
    return { value: regs };
  }

  private writeResult(out: WriteOutcome): { error: number; why: string } | { value: undefined } {
    if (out.ok) return { value: undefined };
    if (out.kind === "address") return { error: ILLEGAL_DATA_ADDRESS, why: out.reason };
    if (out.kind === "value") return { error: ILLEGAL_DATA_VALUE, why: out.reason };
    return { error: out.rejection.modbus_exception ?? SERVER_DEVICE_FAILURE, why: out.reason };
  }

  private async start(): Promise<void> {
    // The vector's callback forms (4 arguments) let a fault delay or withhold a reply.
    const vector = {
      getCoil: (addr: number, unitID: number, cb: Cb<boolean>) =>
        this.handle(unitID, 1, cb, (d) => {
          const r = this.read("coil", addr, 1, d);
          return "error" in r ? r : { value: r.value[0] === 1 };
        }),
      getDiscreteInput: (addr: number, unitID: number, cb: Cb<boolean>) =>
        this.handle(unitID, 2, cb, (d) => {
          const r = this.read("discrete", addr, 1, d);
          return "error" in r ? r : { value: r.value[0] === 1 };
        }),
      getHoldingRegister: (addr: number, unitID: number, cb: Cb<number>) =>
        this.handle(unitID, 3, cb, (d) => {
          const r = this.read("holding", addr, 1, d);
          return "error" in r ? r : { value: r.value[0]! };
        }),
      getInputRegister: (addr: number, unitID: number, cb: Cb<number>) =>
        this.handle(unitID, 4, cb, (d) => {
          const r = this.read("input", addr, 1, d);
          return "error" in r ? r : { value: r.value[0]! };
        }),
      getMultipleHoldingRegisters: (addr: number, length: number, unitID: number, cb: Cb<number[]>) =>
        this.handle(unitID, 3, cb, (d) => this.read("holding", addr, length, d)),
      getMultipleInputRegisters: (addr: number, length: number, unitID: number, cb: Cb<number[]>) =>
        this.handle(unitID, 4, cb, (d) => this.read("input", addr, length, d)),
      setCoil: (addr: number, value: boolean, unitID: number, cb: Cb<undefined>) =>
        this.handle(unitID, 5, cb, (d) => this.writeResult(d.writeRegisters("coil", addr, [value ? 1 : 0]))),
      setCoilArray: (addr: number, values: boolean[], unitID: number, cb: Cb<undefined>) =>
        this.handle(unitID, 15, cb, (d) => this.writeResult(d.writeRegisters("coil", addr, values.map((v) => (v ? 1 : 0))))),
      setRegister: (addr: number, value: number, unitID: number, cb: Cb<undefined>) =>
        this.handle(unitID, 6, cb, (d) => this.writeResult(d.writeRegisters("holding", addr, [value]))),
      setRegisterArray: (addr: number, values: number[], unitID: number, cb: Cb<undefined>) =>
        this.handle(unitID, 16, cb, (d) => this.writeResult(d.writeRegisters("holding", addr, values))),
    };
    // modbus-serial treats port 0 as "use 502"; the string "0" reaches net.listen and picks a free port.
    const server = new ServerTCP(vector as never, { host: this.opts.host, port: (this.opts.port === 0 ? "0" : this.opts.port) as number, unitID: 255 });
    this.server = server;
    const net = (server as unknown as { _server: Server })._server;
    net.on("connection", (sock: Socket) => this.intercept(sock));
    // A client resetting its connection must not take the harness down (modbus-serial #116).
    server.on("socketError", () => {});
    server.on("error", () => {});
    await new Promise<void>((resolve, reject) => {
      server.on("initialized", () => resolve());
      server.on("serverError", (e: Error | null) =>
        reject(new BlackstartError(DeviceErrors.LISTEN, `Modbus server cannot listen on ${this.opts.host}:${this.opts.port}: ${e?.message ?? "error"}`)),
      );
    });
    const addr = net.address();
    this.port = typeof addr === "object" && addr ? addr.port : this.opts.port;
  }

  /** Reply frames pass here on their way out: garbage and dropped-connection faults act on them. */
  private intercept(sock: Socket): void {
    this.sockets.add(sock);
    sock.once("close", () => this.sockets.delete(sock));
    sock.on("error", () => {});
    const write = sock.write.bind(sock) as (b: Buffer) => boolean;
    (sock as unknown as { write: (b: Buffer) => boolean }).write = (frame: Buffer) => {
      if (frame.length >= 8) {
        const d = this.route(frame[6]!);
        const fc = frame[7]! & 0x7f;
        const list = d ? this.opts.faults.get(d.id) : undefined;
        const f = list?.find((x) => (x.kind === "garbage" || x.kind === "drop-connection") && faultActive(x, this.opts.clock.now(), fc));
        if (f && d) {
          this.counters.faulted++;
          if (f.kind === "drop-connection") {
            sock.destroy();
            return false;
          }
          return write(garble(frame));
        }
      }
      return write(frame);
    };
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * A corrupted reply: MBAP header and unit id kept (so the client matches it to
 * its request), the PDU replaced by bytes that cannot be a valid reply: the
 * function code kept, the byte count claiming more data than follows.
 */
export function garble(frame: Buffer): Buffer {
  const out = Buffer.from(frame);
  let x = (frame.readUInt16BE(0) * 2654435761) >>> 0;
  for (let i = 8; i < out.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  if (out.length > 8) out[8] = Math.min(255, out.length - 9 + 7); // byte count: 7 more than there is
  return out;
}

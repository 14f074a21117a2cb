// A real Modbus TCP client (modbus-serial) for tests: one connection, one request at a time.
import ModbusRTU from "modbus-serial";
import { decodePoint, type PointValue } from "../../../../shared/profile/codec.js";
import type { ResolvedPoint, ResolvedProfile } from "../../../../shared/profile/resolve.js";

export type Client = InstanceType<typeof ModbusRTU>;

export async function connect(port: number, unitId = 1, timeoutMs = 1000): Promise<Client> {
  const c = new ModbusRTU();
  await c.connectTCP("127.0.0.1", { port });
  c.setID(unitId);
  c.setTimeout(timeoutMs);
  return c;
}

export async function close(c: Client): Promise<void> {
  if (!c.isOpen) return; // modbus-serial never calls back when closing a closed port
  await Promise.race([new Promise<void>((resolve) => c.close(() => resolve())), new Promise<void>((resolve) => setTimeout(resolve, 500))]);
}

/** The Modbus exception code of a failed request (undefined if it failed otherwise). */
export async function exceptionOf(p: Promise<unknown>): Promise<number | undefined> {
  try {
    await p;
  } catch (e) {
    return (e as { modbusCode?: number }).modbusCode;
  }
  throw new Error("expected the request to fail");
}

/** Read one point over the wire and decode it (with its scale factor's value, read too). */
export async function readPoint(c: Client, profile: ResolvedProfile, ref: string): Promise<PointValue | null> {
  const p = profile.byRef.get(ref)!;
  const regs = await readRaw(c, p);
  let sf: number | null | undefined;
  if (p.scaleFactor) {
    const s = profile.byRef.get(p.scaleFactor)!;
    const v = decodePoint(s, await readRaw(c, s));
    sf = typeof v === "number" ? v : null;
  }
  return decodePoint(p, regs, sf);
}

export async function readRaw(c: Client, p: ResolvedPoint): Promise<number[]> {
  const a = p.address!;
  switch (p.table) {
    case "coil":
      return (await c.readCoils(a, 1)).data.slice(0, 1).map((b) => (b ? 1 : 0));
    case "discrete":
      return (await c.readDiscreteInputs(a, 1)).data.slice(0, 1).map((b) => (b ? 1 : 0));
    case "input":
      return (await c.readInputRegisters(a, p.size)).data;
    default:
      return (await c.readHoldingRegisters(a, p.size)).data;
  }
}

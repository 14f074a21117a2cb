// Fault injection: what can go wrong with a field device, from a fault file
// or the command line, each kind with the end state it should lead to.
// Wire faults act on a device's Modbus replies; device faults on its
// behaviour. Documented in docs/devices.md.
import { z } from "zod";
import { parseDocumentText, loadDocument } from "../../shared/documents.js";
import { BlackstartError } from "../../shared/errors.js";
import { DeviceErrors } from "./errors.js";

const Window = {
  /** Device name (`sw-l35`) or its element (`Line.L35`). */
  device: z.string().min(1),
  /** Simulated time (ms) the fault starts; for a spontaneous trip, when the switch opens. */
  after_ms: z.number().int().nonnegative().default(0),
  /** How long it lasts (ms); for ever when absent. */
  duration_ms: z.number().int().positive().optional(),
  /** Wire faults: only requests with these Modbus function codes (all when absent). */
  function_codes: z.array(z.number().int().min(1).max(127)).optional(),
};

export const Fault = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("response-delay"), delay_ms: z.number().int().positive(), ...Window }).strict(),
  z.object({ kind: z.literal("timeout"), ...Window }).strict(),
  z.object({ kind: z.literal("exception"), code: z.number().int().min(1).max(255), ...Window }).strict(),
  z.object({ kind: z.literal("garbage"), ...Window }).strict(),
  z.object({ kind: z.literal("drop-connection"), ...Window }).strict(),
  z.object({ kind: z.literal("stuck"), ...Window }).strict(),
  z.object({ kind: z.literal("spontaneous-trip"), ...Window }).strict(),
  z.object({ kind: z.literal("lost-fault-indicator"), phases: z.array(z.enum(["a", "b", "c"])).min(1).default(["a", "b", "c"]), ...Window }).strict(),
]);
export type Fault = z.infer<typeof Fault>;
export type FaultKind = Fault["kind"];

export const FaultFile = z
  .object({
    version: z.literal(1).default(1),
    faults: z.array(Fault),
  })
  .strict();

export interface FaultKindSpec {
  level: "wire" | "device";
  /** Device kinds it applies to. */
  applies: readonly ("switch" | "der")[];
  protocols: readonly ("modbus" | "opcua")[];
  /** What a client sees, and the end state the system should reach. */
  expect: string;
}

export const FAULT_KINDS: Record<FaultKind, FaultKindSpec> = {
  "response-delay": {
    level: "wire",
    applies: ["switch", "der"],
    protocols: ["modbus", "opcua"],
    expect: "every matching reply (Modbus) or Read/Write of the device's nodes (OPC UA) arrives delay_ms late with correct data, a write taking effect when it is answered; a client whose timeout is shorter sees timeouts (a Modbus client must then discard the late replies by transaction id)",
  },
  timeout: {
    level: "wire",
    applies: ["switch", "der"],
    protocols: ["modbus", "opcua"],
    expect: "matching requests (OPC UA: Reads and Writes of the device's nodes) get no reply at all: the client times out; writes are not applied; the agent marks the device's data stale and holds position",
  },
  exception: {
    level: "wire",
    applies: ["switch", "der"],
    protocols: ["modbus"],
    expect: "matching requests are answered with Modbus exception `code` (e.g. 6 server busy, 11 gateway target failed); writes are not applied; the client reports that exception code",
  },
  garbage: {
    level: "wire",
    applies: ["switch", "der"],
    protocols: ["modbus"],
    expect: "the reply frame keeps its MBAP header and unit id but its PDU is random bytes with a wrong byte count: the client rejects it as malformed (and may reconnect); a write was applied (the device did the work, the reply was lost)",
  },
  "drop-connection": {
    level: "wire",
    applies: ["switch", "der"],
    protocols: ["modbus"],
    expect: "the server closes the TCP connection instead of replying: the request in flight fails, the client must reconnect; a write was applied before the close",
  },
  stuck: {
    level: "device",
    applies: ["switch"],
    protocols: ["modbus", "opcua"],
    expect: "select and operate are accepted, the position does not change: the read-back shows the old position, the operation is reported failed and the section stays as it was",
  },
  "spontaneous-trip": {
    level: "device",
    applies: ["switch"],
    protocols: ["modbus", "opcua"],
    expect: "at after_ms the switch opens without a command (no lockout, no fault indicator): its position reads open and the section it fed is de-energized in the power flow; the agent sees an unexpected change",
  },
  "lost-fault-indicator": {
    level: "device",
    applies: ["switch"],
    protocols: ["modbus", "opcua"],
    expect: "the fault indicator of the listed phases stays clear although fault current passed (the section is still faulted and the switch locked out): the agent must not rely on the indicator alone",
  },
};

/** A fault given on the command line: `device:kind[:key=value,key=value]` (e.g. `sw-l35:exception:code=6`). */
export function parseFaultArg(arg: string): Fault {
  const m = /^([^:]+):([a-z-]+)(?::(.*))?$/.exec(arg.trim());
  if (!m) throw new BlackstartError(DeviceErrors.FAULT, `fault '${arg}': expected device:kind[:key=value,...]`, { field: "--fault" });
  const obj: Record<string, unknown> = { device: m[1], kind: m[2] };
  for (const kv of (m[3] ?? "").split(",").filter(Boolean)) {
    const [k, v] = kv.split("=");
    if (!k || v === undefined) throw new BlackstartError(DeviceErrors.FAULT, `fault '${arg}': '${kv}' is not key=value`, { field: "--fault" });
    obj[k] = k === "phases" || k === "function_codes" ? v.split("+").map((x) => (k === "phases" ? x : Number(x))) : /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
  }
  const parsed = Fault.safeParse(obj);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new BlackstartError(DeviceErrors.FAULT, `fault '${arg}': ${issue.path.join(".") || "kind"}: ${issue.message}`, { field: "--fault" });
  }
  return parsed.data;
}

export function loadFaultFile(file: string): Fault[] {
  return loadDocument(file, FaultFile).value.faults;
}

export function parseFaultText(text: string, file: string): Fault[] {
  return parseDocumentText(text, file, FaultFile).value.faults;
}

/** Is a fault in force at simulated time `nowMs` for a request with function code `fc`? */
export function faultActive(f: Fault, nowMs: number, fc?: number): boolean {
  if (nowMs < f.after_ms) return false;
  if (f.duration_ms !== undefined && nowMs >= f.after_ms + f.duration_ms) return false;
  if (fc !== undefined && f.function_codes && !f.function_codes.includes(fc)) return false;
  return true;
}

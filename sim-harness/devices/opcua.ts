// One node-opcua server hosting every OPC UA device of a scenario: a folder
// per device (its logical device name) under Objects, the profile's node
// paths as objects and variables beneath (`sw-l35/XCBR1.Pos.stVal`), values
// read from and written through the device. SignAndEncrypt with
// Basic256Sha256 only; the server makes its own certificate at first start
// and, being a bench, trusts the certificates of clients that connect.
import { homedir } from "node:os";
import { join } from "node:path";
import { format } from "node:util";
import {
  setErrorLogger,
  setWarningLogger,
  DataType,
  DataValue,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAServer,
  SecurityPolicy,
  StatusCodes,
  Variant,
  type Namespace,
  type StatusCode,
  type UAObject,
} from "node-opcua";
import { decodeVariant, encodeVariant } from "../../shared/profile/codec.js";
import type { ResolvedPoint } from "../../shared/profile/resolve.js";
import { BlackstartError } from "../../shared/errors.js";
import type { SimClock } from "./clock.js";
import type { SimDevice } from "./device.js";
import { DeviceErrors } from "./errors.js";
import { faultActive, type Fault } from "./faults.js";

// node-opcua logs warnings with console.log, on stdout: where `blackstart sim --json` writes its one
// line of JSON. Its warnings and errors go to stderr instead.
const toStderr = (_ctx?: unknown, ...args: unknown[]) => process.stderr.write(`opcua: ${format(...args)}\n`);
setWarningLogger(toStderr);
setErrorLogger(toStderr);

export interface OpcUaHostOptions {
  host: string;
  port: number;
  devices: readonly SimDevice[];
  pkiDir?: string | undefined;
  log?: (line: string) => void;
  /** Wire faults by device id (response delays and timeouts act on reads and writes of its nodes). */
  faults?: ReadonlyMap<string, readonly Fault[]>;
  clock?: SimClock;
}

/** Where the simulator's OPC UA certificates live unless told otherwise. */
export function defaultPkiDir(): string {
  const state = process.env.XDG_STATE_HOME ?? join(homedir(), ".local", "state");
  return join(state, "blackstart", "sim-pki");
}

export const RESOURCE_PATH = "/blackstart/sim";

export class OpcUaHost {
  readonly host: string;
  port = 0;
  endpointUrl = "";
  readonly devices: readonly SimDevice[];
  private server: OPCUAServer | undefined;
  private readonly faults: ReadonlyMap<string, readonly Fault[]>;
  private readonly clock: SimClock | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(opts: OpcUaHostOptions) {
    this.host = opts.host;
    this.devices = opts.devices;
    this.faults = opts.faults ?? new Map();
    this.clock = opts.clock;
  }

  /** Answer now, later (response-delay) or never (timeout), as the device's wire faults say. */
  private answer(d: SimDevice, respond: () => void): void {
    const f = this.faults.get(d.id)?.find((x) => (x.kind === "response-delay" || x.kind === "timeout") && faultActive(x, this.clock?.now() ?? 0));
    if (!f) return respond();
    if (f.kind === "timeout") return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      respond();
    }, f.kind === "response-delay" ? f.delay_ms : 0);
    this.timers.add(t);
  }

  static async start(opts: OpcUaHostOptions): Promise<OpcUaHost> {
    const h = new OpcUaHost(opts);
    await h.run(opts);
    return h;
  }

  private async run(opts: OpcUaHostOptions): Promise<void> {
    const rootFolder = opts.pkiDir ?? defaultPkiDir();
    const serverCertificateManager = new OPCUACertificateManager({ rootFolder, automaticallyAcceptUnknownCertificate: true });
    const uris = new Set(this.devices.map((d) => (d.profile.profile.discovery.kind === "opcua" ? d.profile.profile.discovery.namespace_uri : "")));
    const server = new OPCUAServer({
      host: opts.host,
      hostname: opts.host,
      port: opts.port,
      resourcePath: RESOURCE_PATH,
      securityModes: [MessageSecurityMode.SignAndEncrypt],
      securityPolicies: [SecurityPolicy.Basic256Sha256],
      serverCertificateManager,
      allowAnonymous: true,
      // Discovery (GetEndpoints) stays reachable over a restricted, unlisted None channel, as the
      // specification asks; sessions need SignAndEncrypt.
      buildInfo: { productName: "blackstart simulated switchgear", manufacturerName: "blackstart", softwareVersion: "0.1.0" },
      serverInfo: { applicationUri: "urn:blackstart:sim", productUri: "urn:blackstart:sim" },
    });
    this.server = server;
    try {
      await server.initialize();
    } catch (e) {
      throw new BlackstartError(DeviceErrors.LISTEN, `OPC UA server cannot initialise (PKI in ${rootFolder}): ${(e as Error).message}`);
    }
    const addressSpace = server.engine.addressSpace!;
    const namespaces = new Map<string, Namespace>();
    for (const uri of uris) namespaces.set(uri, addressSpace.registerNamespace(uri));
    for (const d of this.devices) {
      const disc = d.profile.profile.discovery;
      const ns = namespaces.get(disc.kind === "opcua" ? disc.namespace_uri : "")!;
      this.addDevice(ns, addressSpace.rootFolder.objects, d);
    }
    try {
      await server.start();
    } catch (e) {
      throw new BlackstartError(DeviceErrors.LISTEN, `OPC UA server cannot listen on ${opts.host}:${opts.port}: ${(e as Error).message}`);
    }
    const ep = server.endpoints[0];
    this.port = ep ? (ep as unknown as { port: number }).port : opts.port;
    this.endpointUrl = `opc.tcp://${opts.host}:${this.port}${RESOURCE_PATH}`;
  }

  private addDevice(ns: Namespace, objects: UAObject, d: SimDevice): void {
    const root = ns.addObject({ organizedBy: objects, browseName: d.id, nodeId: `s=${d.id}`, description: `${d.profile.id} bound to ${d.element}` });
    const folders = new Map<string, UAObject>([["", root]]);
    const folder = (path: string[]): UAObject => {
      const key = path.join(".");
      let f = folders.get(key);
      if (f) return f;
      const parent = folder(path.slice(0, -1));
      f = ns.addObject({ componentOf: parent, browseName: path[path.length - 1]!, nodeId: `s=${d.id}/${key}` });
      folders.set(key, f);
      return f;
    };
    for (const p of d.profile.points) {
      const path = p.node!.split(".");
      const parent = folder(path.slice(0, -1));
      this.addVariable(ns, parent, d, p, path[path.length - 1]!);
    }
  }

  private addVariable(ns: Namespace, parent: UAObject, d: SimDevice, p: ResolvedPoint, name: string): void {
    const read = (): Variant => {
      const v = d.get(p.ref);
      const enc = encodeVariant(p, v === null ? (p.type === "bool" ? false : p.type === "string" ? "" : 0) : v, d.scaleFactorOf(p));
      return new Variant({ dataType: DataType[enc.dataType], value: enc.value });
    };
    const write = (variant: Variant): StatusCode => {
      const value = decodeVariant(p, variant.value, d.scaleFactorOf(p));
      if (value === null) return StatusCodes.BadTypeMismatch;
      const out = d.write(p, value);
      if (out.ok) return StatusCodes.Good;
      if (out.kind === "refused") return (StatusCodes as unknown as Record<string, StatusCode>)[out.rejection.opcua_status ?? "BadInvalidState"] ?? StatusCodes.BadInvalidState;
      return out.kind === "address" ? StatusCodes.BadNotWritable : StatusCodes.BadOutOfRange;
    };
    const writable = p.access !== "read";
    // Callback forms, so a wire fault can delay or withhold the answer.
    const timestamped_get = (callback: (err: Error | null, dv?: DataValue) => void) =>
      this.answer(d, () => callback(null, new DataValue({ value: read(), statusCode: StatusCodes.Good, sourceTimestamp: new Date() })));
    const timestamped_set = (dv: DataValue, callback: (err: Error | null, st?: StatusCode) => void) => this.answer(d, () => callback(null, write(dv.value)));
    ns.addVariable({
      componentOf: parent,
      browseName: name,
      nodeId: `s=${d.id}/${p.node}`,
      dataType: encodeVariant(p, p.type === "bool" ? false : p.type === "string" ? "" : p.type === "enum" ? Number(Object.values(p.values ?? {})[0] ?? 0) : 0).dataType,
      description: p.description ?? p.ref,
      minimumSamplingInterval: 100,
      accessLevel: writable ? "CurrentRead | CurrentWrite" : "CurrentRead",
      userAccessLevel: writable ? "CurrentRead | CurrentWrite" : "CurrentRead",
      value: writable ? { timestamped_get, timestamped_set } : { timestamped_get },
    });
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (this.server) await this.server.shutdown(0);
    this.server = undefined;
  }
}

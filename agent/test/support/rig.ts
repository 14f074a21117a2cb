// The pipeline rig: an agent (external clock, real journal, plan policy, the
// shield) over real Modbus TCP to two simulated reclosers (units 1 and 2 of a
// ModbusBank) for the tiny three-section feeder of site-fixture.ts.
import { dirname, join } from "node:path";
import { Writable } from "node:stream";
import Database from "better-sqlite3";
import { startAgent, type RunningAgent } from "../../main.js";
import { ModbusBank } from "./modbus-bank.js";
import { fillRecloser, sboLogic } from "./recloser.js";
import { siteObject, writeSite } from "./site-fixture.js";

export const silent = () => new Writable({ write: (_c, _e, cb) => cb() });

export interface RigOptions {
  closed?: [boolean, boolean];
  site?: Record<string, unknown>;
  plan?: unknown;
  sections?: unknown;
  /** Change the banks before the agent starts (fault indicators, currents ...). */
  prepare?: (bank: ModbusBank) => void;
}

export interface Rig {
  bank: ModbusBank;
  /** Every operate a device accepted (what reached the switch). */
  operated: { unit: number; value: number }[];
  stuck: Set<number>;
  agent: RunningAgent;
  file: string;
  journalPath: string;
}

export async function rig(cleanup: (() => Promise<unknown>)[], opts: RigOptions = {}): Promise<Rig> {
  const bank = new ModbusBank();
  const [c1, c2] = opts.closed ?? [false, false];
  fillRecloser(bank, 1, c1);
  fillRecloser(bank, 2, c2);
  opts.prepare?.(bank);
  const operated: { unit: number; value: number }[] = [];
  const stuck = new Set<number>();
  sboLogic(bank, { operated, stuck });
  const port = await bank.start();
  cleanup.push(() => bank.stop());
  const tcp = (unit: number) => ({ kind: "modbus-tcp", host: "127.0.0.1", port, unit_id: unit, timeout_ms: 200 });
  const file = writeSite(
    siteObject({
      clock: "external",
      devices: [
        { id: "sw-l1", profile: "recloser-modbus", transport: tcp(1) },
        { id: "sw-l2", profile: "recloser-modbus", transport: tcp(2) },
      ],
      http: { port: 0 },
      poll: { period_ms: 1000, timeout_ms: 300 },
      limits: { min_operation_interval_ms: 0, confirm_timeout_ms: 500 },
      ...opts.site,
    }),
    { ...(opts.plan ? { plan: opts.plan } : {}), ...(opts.sections ? { sections: opts.sections } : {}) },
  );
  const agent = await startAgent(file, { logDestination: silent() });
  cleanup.push(() => agent.stop("test end"));
  const end = Date.now() + 5000;
  while (!agent.devices.every((d) => d.status().state === "connected")) {
    if (Date.now() > end) throw new Error("devices did not connect");
    await new Promise((r) => setTimeout(r, 10));
  }
  return { bank, operated, stuck, agent, file, journalPath: join(dirname(file), "journal.db") };
}

export function rows<T>(path: string, sql: string): T[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

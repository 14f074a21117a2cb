// The agent's Modbus transport against a server nobody here wrote: Debian's
// python3-pymodbus, over TCP (two units behind one address, as behind a
// gateway) and over RTU on a serial line (a socat pseudo-terminal pair, 19200
// 8N1, two units on one line). The register images are the recloser profile's
// points encoded with the shared codec; the driver must read every channel,
// pass the identity check, keep one request in flight, and write.
// Run by .ci/run (needs /usr/bin/python3 with pymodbus, and socat).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { encodePoint } from "../../../shared/profile/index.js";
import { systemClock } from "../../runtime/clock.js";
import { freePort } from "../../test/support/modbus-bank.js";
import { recloser } from "../../test/support/recloser.js";
import { ModbusDevice } from "../modbus/device.js";
import { ModbusLink, type LinkEndpoint } from "../modbus/link.js";

const HERE = resolve(fileURLToPath(import.meta.url), "..");
const quiet = { info() {}, warn() {}, debug() {} };
const children: ChildProcess[] = [];
const links: ModbusLink[] = [];
afterEach(async () => {
  for (const l of links.splice(0)) await l.stop();
  for (const c of children.splice(0)) {
    c.kill("SIGTERM");
    await new Promise((r) => (c.exitCode !== null ? r(undefined) : c.once("exit", r)));
  }
});

type Image = Record<string, Record<"hr" | "ir" | "di" | "co", Record<string, number>>>;

/** A recloser's register image for one unit, through the shared codec. */
function recloserImage(closed: boolean, currentA: number): Image[string] {
  const t: Image[string] = { hr: {}, ir: {}, di: {}, co: {} };
  const put = (ref: string, v: number | boolean | string) => {
    const p = recloser.byRef.get(ref)!;
    const table = p.table === "holding" ? "hr" : p.table === "input" ? "ir" : p.table === "discrete" ? "di" : "co";
    encodePoint(p, v).forEach((w, i) => (t[table][String(p.address! + i)] = w));
  };
  put("model_name", "BR-3");
  put("manufacturer", "blackstart");
  put("serial_number", "IOP-1");
  put("closed", closed);
  for (const b of ["lockout", "fault_a", "fault_b", "fault_c", "interlock", "selected"]) put(b, false);
  put("current_a", currentA);
  put("current_b", currentA);
  put("current_c", currentA);
  for (const v of ["voltage_a", "voltage_b", "voltage_c"]) put(v, 7199);
  for (const v of ["load_voltage_a", "load_voltage_b", "load_voltage_c"]) put(v, closed ? 7198 : 0);
  put("nominal_voltage", 7200);
  put("p_total", closed ? 812.3 : 0);
  put("q_total", closed ? 301.7 : 0);
  put("frequency", 60);
  put("ctl_select", "none");
  put("ctl_operate", "none");
  put("ctl_status", "idle");
  put("ctl_cancel", 1);
  put("lockout_reset", 1);
  put("operations", 42);
  return t;
}

async function server(args: string[], image: Image): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "blackstart-iop-"));
  const file = join(dir, "image.json");
  writeFileSync(file, JSON.stringify({ units: image }));
  const child = spawn("/usr/bin/python3", [join(HERE, "peers/pymodbus_server.py"), "--image", file, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let err = "";
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  await new Promise<void>((res, rej) => {
    child.stdout!.on("data", (d: Buffer) => d.toString().includes("ready") && res());
    child.once("exit", (code) => rej(new Error(`pymodbus server exited ${code}: ${err}`)));
  });
}

async function ptyPair(): Promise<[string, string]> {
  const dir = mkdtempSync(join(tmpdir(), "blackstart-pty-"));
  const a = join(dir, "agent");
  const b = join(dir, "device");
  const socat = spawn("socat", ["-d", "-d", `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: ["ignore", "ignore", "pipe"] });
  children.push(socat);
  await new Promise<void>((res) => {
    let seen = 0;
    socat.stderr!.on("data", (d: Buffer) => {
      seen += (d.toString().match(/PTY is/g) ?? []).length;
      if (seen >= 2) setTimeout(res, 100);
    });
  });
  return [a, b];
}

async function connected(link: ModbusLink): Promise<void> {
  link.start();
  const end = Date.now() + 10000;
  while (link.status().state !== "connected") {
    if (Date.now() > end) throw new Error(`link did not connect: ${link.status().lastError}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function exercise(endpoint: LinkEndpoint): Promise<void> {
  const link = new ModbusLink(endpoint, { timeoutMs: 500, backoffMinMs: 100, backoffMaxMs: 500 }, quiet);
  links.push(link);
  await connected(link);
  const sw1 = new ModbusDevice("sw-1", recloser, link, 1, systemClock);
  const sw2 = new ModbusDevice("sw-2", recloser, link, 2, systemClock);
  // Concurrent reads of both units on one connection: every reply goes to its own unit.
  const reads = await Promise.all([sw1.read(), sw2.read(), sw1.read(), sw2.read()]);
  for (const [i, r] of reads.entries()) {
    const closed = i % 2 === 0;
    expect(r.invalid).toEqual([]);
    expect(r.values).toMatchObject({ position: closed ? "closed" : "open", lockout: false, voltage_a: 7199, frequency_hz: 60 });
    expect(r.values.current_a).toBeCloseTo(closed ? 112.5 : 0, 6);
    if (closed) expect(r.values.p_kw).toBeCloseTo(812.3, 6);
  }
  // A write the server stores and serves back (a plain datastore has no select logic).
  await sw2.command("close", "select");
  const sel = recloser.byRef.get("ctl_select")!;
  const back = await link.request(2, (c) => c.readHoldingRegisters(sel.address!, 1));
  expect(back.data[0]).toBe(2);
}

describe("Modbus transport against python3-pymodbus", () => {
  it("TCP: two units behind one address", async () => {
    const port = await freePort();
    await server(["--tcp", String(port)], { "1": recloserImage(true, 112.5), "2": recloserImage(false, 0) });
    await exercise({ kind: "tcp", host: "127.0.0.1", port });
  }, 60_000);

  // Pseudo-terminals refuse parity (EINVAL from termios), so the line is 8N1 here; parity is the
  // serial driver's business, the RTU framing and timing under test are the same.
  it("RTU: two units on one serial line, 19200 8N1", async () => {
    const [agentSide, deviceSide] = await ptyPair();
    await server(["--rtu", deviceSide, "--baud", "19200", "--parity", "N"], { "1": recloserImage(true, 112.5), "2": recloserImage(false, 0) });
    await exercise({ kind: "rtu", path: agentSide, baud: 19200, parity: "none", dataBits: 8, stopBits: 1 });
  }, 60_000);
});

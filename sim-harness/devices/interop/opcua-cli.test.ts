// `blackstart sim` end to end with node-opcua's client: the CLI serves the
// IEEE 123 scenario's switches as OPC UA switchgear; the client connects
// with SignAndEncrypt / Basic256Sha256, browses the switchgear, operates it
// through SBOw / Oper while a lockstep clock is stepped on the CLI's stdin,
// reads the position back; SIGTERM shuts the CLI down cleanly.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BrowseDirection, DataType, StatusCodes } from "node-opcua";
import { REPO_ROOT } from "../../../test/support/paths.js";
import type { Endpoint } from "../harness.js";
import { connectUa, type UaClient } from "../test/support/opcua-client.js";

let dir: string;
let sim: ChildProcessWithoutNullStreams;
let lines: AsyncIterator<string>;
let endpoints: Endpoint[];
let ua: UaClient;
let stderr = "";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "bs-sim-cli-"));
  const shipped = join(REPO_ROOT, "sim-harness/scenarios/ieee123-5mg.yaml");
  const master = resolve(REPO_ROOT, "sim-harness/scenarios/feeders/ieee123-paper/IEEE123Master.dss");
  const text =
    readFileSync(shipped, "utf8").replace(/master: .*/, `master: ${master}`).replace(/^name: .*/m, "name: ieee123-opcua") +
    "devices:\n  switch: { profile: switchgear-opcua, protocol: opcua }\n";
  const scenario = join(dir, "ieee123-opcua.yaml");
  writeFileSync(scenario, text);
  sim = spawn(process.execPath, [join(REPO_ROOT, "bin/blackstart.mjs"), "sim", "--scenario", scenario, "--json", "--clock", "lockstep", "--pki", join(dir, "pki"), "--plant", "nominal"], {
    cwd: REPO_ROOT,
  });
  sim.stderr.on("data", (d) => (stderr += String(d)));
  lines = createInterface({ input: sim.stdout })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done) throw new Error(`blackstart sim printed nothing: ${stderr}`);
  endpoints = (JSON.parse(first.value) as { endpoints: Endpoint[] }).endpoints;
  ua = await connectUa(endpoints[0]!.endpoint_url!);
});

afterAll(async () => {
  await ua?.close().catch(() => {});
  if (sim && sim.exitCode === null) sim.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

async function step(ms: number): Promise<unknown> {
  sim.stdin.write(`step ${ms}\n`);
  const r = await lines.next();
  return JSON.parse(r.value as string);
}

describe("blackstart sim with OPC UA switchgear, driven by node-opcua's client", () => {
  it("prints one JSON line listing every endpoint once all listen", () => {
    expect(endpoints).toHaveLength(26);
    for (const e of endpoints) {
      expect(Object.keys(e).sort()).toEqual(["device", "element", "endpoint_url", "host", "port", "profile", "protocol", "unit_id"]);
      expect(e).toMatchObject({ protocol: "opcua", profile: "switchgear-opcua", unit_id: null });
    }
    expect(endpoints.find((e) => e.device === "sw-l35")!.element).toBe("Line.l35");
  });

  it("browses every switch's logical device", async () => {
    const refs = (await ua.session.browse({ nodeId: "ns=0;i=85", referenceTypeId: "HierarchicalReferences", browseDirection: BrowseDirection.Forward, includeSubtypes: true, resultMask: 63 })).references!;
    const names = refs.map((r) => r.browseName.name);
    for (const e of endpoints) expect(names).toContain(e.device);
  });

  it("operates a switch through SBOw / Oper and reads it back after a lockstep step", async () => {
    expect(await ua.read("sw-l35", "XCBR1.Pos.stVal")).toBe(1); // open at the paper's reset
    expect(await ua.write("sw-l35", "CSWI1.Pos.Oper.ctlVal", DataType.Boolean, true)).toBe(StatusCodes.BadInvalidState);
    expect((await ua.write("sw-l35", "CSWI1.Pos.SBOw.ctlVal", DataType.Boolean, true)).name).toBe("Good");
    expect((await ua.write("sw-l35", "CSWI1.Pos.Oper.ctlVal", DataType.Boolean, true)).name).toBe("Good");
    expect(await step(100)).toMatchObject({ step: { nowMs: 100, operations: ["close Line.l35"] } });
    expect(await ua.read("sw-l35", "XCBR1.Pos.stVal")).toBe(2);
  });

  it("shuts down cleanly on SIGTERM", async () => {
    await ua.close();
    const exited = new Promise<number | null>((resolve) => sim.once("exit", (code) => resolve(code)));
    sim.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(stderr).toMatch(/SIGTERM: stopping/);
    expect(stderr).toMatch(/sim: stopped/);
  });
});

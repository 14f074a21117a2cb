// node-opcua prints its warnings with console.log (on Node 20, at load, the
// [NODE-OPCUA-W27] RSA PKCS#1 notice): with the agent's OPC UA device loaded,
// none of it may reach stdout, where the agent's JSON log lines go.
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../../test/support/paths.js";

describe("node-opcua's own logging", () => {
  it("goes to stderr (or the agent's log), never to stdout", async () => {
    const script = `await import("./agent/transports/opcua/device.ts"); await new Promise((r) => setTimeout(r, Number(process.env.WAIT_MS)));`;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: REPO_ROOT, env: { ...process.env, WAIT_MS: "6000" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      // Seen where it belongs: no need to wait longer.
      if (/NODE-OPCUA-W27/.test(stderr) && /CVE-2023-46809/.test(stderr)) child.kill();
    });
    await new Promise((r) => child.on("close", r));
    expect(stdout).toBe("");
    // On Node 20 node-opcua says it; on later versions it has nothing to say.
    if (/^v20\./.test(process.version)) expect(stderr).toMatch(/^node-opcua: \[NODE-OPCUA-W27\]/m);
  }, 30_000);
});

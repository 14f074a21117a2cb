// A real mosquitto for the interop tests, configured from the files in
// deploy/mosquitto/ (the same config, ACL and scripts a site uses), with the
// paths pointed at a temporary directory and the port at a free one.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, connect as tcpConnect, type AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import { REPO_ROOT } from "../../../../test/support/paths.js";

export const DEPLOY = resolve(REPO_ROOT, "deploy/mosquitto");

export function haveMosquitto(): boolean {
  return spawnSync("mosquitto", ["-h"]).status !== null && spawnSync("mosquitto_passwd", ["-h"]).error === undefined;
}

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** Certificates and passwords made by the deploy scripts themselves. */
export function provision(dir: string, users: string[]): Record<string, string> {
  const run = (script: string, args: string[]) => {
    const r = spawnSync(join(DEPLOY, script), args, { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`${script} failed: ${r.stderr}`);
  };
  run("make-certs.sh", [dir, "localhost,127.0.0.1", ...users]);
  run("make-passwords.sh", [dir, ...users]);
  return Object.fromEntries(users.map((u) => [u, readFileSync(join(dir, `${u}.password`), "utf8")]));
}

export interface Mosquitto {
  port: number;
  url: string;
  proc: ChildProcess;
  log(): string;
  stop(): Promise<void>;
}

/** Start mosquitto with deploy/mosquitto/<confName>, its paths moved to `dir`, listening on a free port. */
export async function startMosquitto(dir: string, confName = "mosquitto.conf"): Promise<Mosquitto> {
  const port = await freePort();
  writeFileSync(join(dir, "acl"), readFileSync(join(DEPLOY, "acl")));
  const conf = readFileSync(join(DEPLOY, confName), "utf8")
    .replaceAll("/etc/mosquitto/blackstart", dir)
    .replaceAll("/var/lib/mosquitto/", `${dir}/`)
    .replace(/^listener \d+ 0\.0\.0\.0$/m, `listener ${port} 127.0.0.1`)
    // Tests run as root: keep root rather than dropping to the mosquitto user, which cannot read the temp dir's keys.
    .concat("\nuser root\nlog_dest stderr\n");
  const confPath = join(dir, `test-${confName}`);
  writeFileSync(confPath, conf);
  const proc = spawn("mosquitto", ["-c", confPath], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  proc.stderr!.on("data", (d: Buffer) => (log += d.toString()));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`mosquitto exited: ${log}`);
    const ok = await new Promise<boolean>((res) => {
      const s = tcpConnect(port, "127.0.0.1", () => {
        s.destroy();
        res(true);
      });
      s.on("error", () => res(false));
    });
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`mosquitto did not listen on ${port}: ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    url: `mqtts://localhost:${port}`,
    proc,
    log: () => log,
    stop: () =>
      new Promise<void>((res) => {
        if (proc.exitCode !== null) return res();
        proc.once("exit", () => res());
        proc.kill("SIGTERM");
      }),
  };
}

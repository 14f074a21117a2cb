// Running the third-party peers: mbpoll (C, libmodbus) and a pymodbus script
// on Debian's own python3 (the python3 on PATH may be another one).
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const PYTHON = "/usr/bin/python3";
const PEER = fileURLToPath(new URL("./peers/pymodbus_peer.py", import.meta.url));

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], timeoutMs = 20_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** Why the peers cannot run here, or undefined. */
export async function peersMissing(): Promise<string | undefined> {
  if ((await run("mbpoll", ["-V"])).code !== 0 && !existsSync("/usr/bin/mbpoll")) return "mbpoll is not installed (apt-get install -y mbpoll)";
  const py = await run(PYTHON, ["-c", "import pymodbus; print(pymodbus.__version__)"]);
  if (py.code !== 0) return `python3-pymodbus is not importable by ${PYTHON} (apt-get install -y python3-pymodbus): ${py.stderr.trim()}`;
  return undefined;
}

/** mbpoll once against 127.0.0.1:port; `args` are its options (-t, -r, -c, -0 ...), `writes` the values to write. */
export async function mbpoll(port: number, args: string[], writes: number[] = []): Promise<Run & { values: number[] }> {
  const r = await run("mbpoll", ["-m", "tcp", "-p", String(port), "-1", "-o", "2", ...args, "127.0.0.1", ...(writes.length ? ["--", ...writes.map(String)] : [])]);
  const values = [...r.stdout.matchAll(/^\[(\d+)\]:\s+(\S+)/gm)].map((m) => Number(m[2]));
  return { ...r, values };
}

export async function pymodbus(action: string, ...args: (string | number)[]): Promise<Record<string, unknown>> {
  const r = await run(PYTHON, [PEER, action, ...args.map(String)]);
  if (!r.stdout.trim()) throw new Error(`pymodbus peer ${action} failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as Record<string, unknown>;
}

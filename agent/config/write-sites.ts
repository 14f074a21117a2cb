// `blackstart agent site`: site files for a scenario's microgrids, written as
// YAML with a header saying how they were made. Tooling, not the agent's run
// path: it binds the scenario with the sim-harness to get its section graph.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { BlackstartError, Errors } from "../../shared/errors.js";
import { unknownNameMessage } from "../../shared/names.js";
import { fieldEndpoints, siteFor, type DeviceEndpoint } from "./generate.js";

export interface WriteSitesArgs {
  scenario: string;
  microgrid: string[];
  policy: string;
  endpoints?: string;
  out?: string;
  journal: string;
  sections?: string;
  clock: string;
  httpPort: string;
  bus?: string;
  baseTopic?: string;
  /** `{mg}` is replaced by the microgrid. */
  busUser?: string;
  busPasswordFile?: string;
  busCa?: string;
  httpTokenFile?: string;
  httpHost?: string;
}

const sub = (template: string, mg: string) => template.replaceAll("{mg}", mg);

function readEndpoints(arg: string): DeviceEndpoint[] {
  const text = existsSync(arg) ? readFileSync(arg, "utf8") : arg;
  const line = text.split("\n").find((l) => l.trim().startsWith("{") || l.trim().startsWith("["));
  let v: unknown;
  try {
    v = JSON.parse(line ?? text);
  } catch (e) {
    throw new BlackstartError(Errors.PARSE, `endpoint table is not JSON: ${(e as Error).message}`, { field: "--endpoints" });
  }
  const list = Array.isArray(v) ? v : (v as { endpoints?: unknown }).endpoints;
  if (!Array.isArray(list)) throw new BlackstartError(Errors.INVALID_DOCUMENT, "expected an array of endpoints, or an object with 'endpoints'", { field: "--endpoints" });
  return list as DeviceEndpoint[];
}

export async function writeSiteFiles(a: WriteSitesArgs): Promise<string[]> {
  if (a.clock !== "realtime" && a.clock !== "external") throw new BlackstartError(Errors.INVALID_DOCUMENT, `--clock must be realtime or external, got '${a.clock}'`, { field: "--clock" });
  const firstPort = Number(a.httpPort);
  if (!Number.isInteger(firstPort) || firstPort < 0 || firstPort > 65535) throw new BlackstartError(Errors.INVALID_DOCUMENT, `--http-port must be 0..65535, got '${a.httpPort}'`, { field: "--http-port" });
  const { bindScenarioFile } = await import("../../sim-harness/scenarios/bind.js");
  const bound = bindScenarioFile(a.scenario);
  const scenario = bound.scenario;
  const ids = a.microgrid.length ? a.microgrid.flatMap((m) => m.split(",")) : scenario.microgrids.map((m) => m.id);
  for (const id of ids) {
    if (!scenario.microgrids.some((m) => m.id === id)) {
      throw new BlackstartError(Errors.UNKNOWN_NAME, unknownNameMessage("microgrid", id, scenario.microgrids.map((m) => m.id)), { field: "--microgrid" });
    }
  }
  const endpoints = a.endpoints ? readEndpoints(a.endpoints) : fieldEndpoints(scenario);
  const header = (mg: string) =>
    [
      `# Site of microgrid ${mg}, scenario ${scenario.name} (docs/agent.md).`,
      `# Made by: blackstart agent site --scenario ${a.scenario} --policy ${a.policy}${a.endpoints ? " --endpoints <table>" : ""} ... (deploy/sites/README.md)`,
      ...(a.endpoints ? [] : ["# Device addresses are placeholders in 192.0.2.0/24 (RFC 5737): put the real ones in."]),
      "",
    ].join("\n");
  const written: string[] = [];
  ids.forEach((mg, i) => {
    const site = siteFor({
      scenario,
      graph: bound.sections,
      microgrid: mg,
      endpoints,
      policyDir: a.policy,
      journalPath: sub(a.journal, mg),
      ...(a.sections ? { sectionsFile: a.sections } : {}),
      clock: a.clock as "realtime" | "external",
      http: {
        port: firstPort === 0 ? 0 : firstPort + i,
        ...(a.httpHost ? { host: a.httpHost } : {}),
        ...(a.httpTokenFile ? { token: { file: sub(a.httpTokenFile, mg) } } : {}),
      },
      ...(a.bus
        ? {
            bus: {
              url: a.bus,
              ...(a.baseTopic ? { base_topic: a.baseTopic } : {}),
              ...(a.busUser ? { username: sub(a.busUser, mg) } : {}),
              ...(a.busPasswordFile ? { password: { file: sub(a.busPasswordFile, mg) } } : {}),
              ...(a.busCa ? { tls: { ca: sub(a.busCa, mg) } } : {}),
            },
          }
        : {}),
    });
    const text = header(mg) + stringify(site, { lineWidth: 0 });
    if (a.out) {
      mkdirSync(a.out, { recursive: true });
      const file = join(a.out, `${mg}.yaml`);
      writeFileSync(file, text);
      written.push(file);
    } else process.stdout.write(text + (i < ids.length - 1 ? "---\n" : ""));
  });
  if (a.out && a.sections && !existsSync(join(a.out, a.sections))) {
    writeFileSync(join(a.out, a.sections), JSON.stringify(bound.sections, null, 1) + "\n");
    written.push(join(a.out, a.sections));
  }
  return written;
}

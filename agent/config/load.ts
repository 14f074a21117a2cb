// Loading a site file: validate it (file, line and field on error), make its
// paths absolute, read the section graph, resolve secrets, and check it
// against the policy it will run. Everything that can be wrong with the
// configuration fails here, before a device is touched.
import { existsSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { loadDocument, type LoadedDocument } from "../../shared/documents.js";
import { BlackstartError, Errors } from "../../shared/errors.js";
import { canonicalElement, unknownNameMessage } from "../../shared/names.js";
import { PolicyManifest, type PolicyAgent } from "../../shared/policy/manifest.js";
import { SectionGraph, type SectionMicrogrid } from "../../shared/scenario/sections.js";
import { SiteConfig, type SecretRef } from "../../shared/site/schema.js";
import { resolveSecret, type Secret } from "./secrets.js";

export interface SiteSecrets {
  busPassword?: Secret;
  busKeyPassphrase?: Secret;
  httpToken?: Secret;
  /** OPC UA user passwords by device id. */
  opcuaPasswords: Map<string, Secret>;
}

export interface LoadedPolicyRef {
  dir: string;
  manifest: PolicyManifest;
  agent: PolicyAgent;
}

export interface Site {
  /** Absolute path of the site file. */
  file: string;
  /** The validated configuration, every path in it absolute. */
  config: SiteConfig;
  sections: SectionGraph;
  /** This microgrid in the section graph. */
  microgrid: SectionMicrogrid;
  /** Static generation quota (kW): the site's, else the graph's. */
  quotaKw: number;
  /** Fleet generation cap (kW) from the graph, if the scenario has one. */
  capKw: number | undefined;
  secrets: SiteSecrets;
  policy: LoadedPolicyRef;
  /** The policy's feeder elements for this microgrid, canonical (`Line.l45`), in action order. */
  elements: string[];
  /** Line of a field in the site file, for errors found later (device profiles). */
  lineOf(path: readonly (string | number)[]): number | undefined;
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** Skip reading the policy (used by `agent --check` when the policy lives elsewhere); never at run time. */
  policy?: LoadedPolicyRef;
}

/** Load and check everything a site file names. Throws a BlackstartError naming file, line and field. */
export function loadSite(file: string, options: LoadOptions = {}): Site {
  const abs = resolve(file);
  const doc = loadDocument(abs, SiteConfig);
  const base = dirname(abs);
  const rel = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const config = absolutePaths(doc.value, rel);
  const sections = loadSections(doc, config, rel);
  const secrets = loadSecrets(doc, config, options.env ?? process.env, rel);
  const policy = options.policy ?? loadPolicyRef(config.policy.dir, doc);
  const elements = checkBindings(config, policy, doc);
  const microgrid = checkScenario(config, policy, sections, doc);
  return {
    file: abs,
    config,
    sections,
    microgrid,
    quotaKw: config.quota_kw ?? microgrid.quota_kw,
    capKw: sections.cap_kw,
    secrets,
    policy,
    elements,
    lineOf: doc.lineOf,
  };
}

function absolutePaths(c: SiteConfig, rel: (p: string) => string): SiteConfig {
  return {
    ...c,
    policy: { ...c.policy, dir: rel(c.policy.dir) },
    profiles: c.profiles.map(rel),
    sections: isFileRef(c.sections) ? { file: rel(c.sections.file) } : c.sections,
    devices: c.devices.map((d) => {
      const t = d.transport;
      if (t.kind !== "opcua") return d;
      return {
        ...d,
        transport: {
          ...t,
          ...(t.certificate ? { certificate: rel(t.certificate) } : {}),
          ...(t.private_key ? { private_key: rel(t.private_key) } : {}),
          ...(t.pki_dir ? { pki_dir: rel(t.pki_dir) } : {}),
        },
      };
    }),
    ...(c.bus
      ? {
          bus: {
            ...c.bus,
            ...(c.bus.tls
              ? {
                  tls: {
                    ...c.bus.tls,
                    ...(c.bus.tls.ca ? { ca: rel(c.bus.tls.ca) } : {}),
                    ...(c.bus.tls.cert ? { cert: rel(c.bus.tls.cert) } : {}),
                    ...(c.bus.tls.key ? { key: rel(c.bus.tls.key) } : {}),
                  },
                }
              : {}),
          },
        }
      : {}),
    journal: { ...c.journal, path: rel(c.journal.path) },
  };
}

function at(doc: LoadedDocument<unknown>, path: (string | number)[]) {
  const line = doc.lineOf(path);
  return { file: doc.file, field: fieldName(path), ...(line !== undefined ? { line } : {}) };
}

function fieldName(path: (string | number)[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}

function isFileRef(s: SiteConfig["sections"]): s is { file: string } {
  return "file" in s;
}

function loadSections(doc: LoadedDocument<SiteConfig>, c: SiteConfig, rel: (p: string) => string): SectionGraph {
  const s = c.sections;
  if (!isFileRef(s)) return s;
  const file = rel(s.file);
  if (!existsSync(file)) throw new BlackstartError(Errors.FILE_NOT_FOUND, `section graph ${file} does not exist`, at(doc, ["sections", "file"]));
  return loadDocument(file, SectionGraph).value;
}

function loadSecrets(doc: LoadedDocument<SiteConfig>, c: SiteConfig, env: NodeJS.ProcessEnv, rel: (p: string) => string): SiteSecrets {
  const get = (ref: SecretRef, path: (string | number)[]) => resolveSecret(ref, at(doc, path), env, rel);
  const out: SiteSecrets = { opcuaPasswords: new Map() };
  if (c.bus?.password) out.busPassword = get(c.bus.password, ["bus", "password"]);
  if (c.bus?.tls?.key_passphrase) out.busKeyPassphrase = get(c.bus.tls.key_passphrase, ["bus", "tls", "key_passphrase"]);
  if (c.http.token) out.httpToken = get(c.http.token, ["http", "token"]);
  c.devices.forEach((d, i) => {
    if (d.transport.kind === "opcua" && d.transport.user) {
      out.opcuaPasswords.set(d.id, get(d.transport.user.password, ["devices", i, "transport", "user", "password"]));
    }
  });
  return out;
}

function loadPolicyRef(dir: string, doc: LoadedDocument<SiteConfig>): LoadedPolicyRef {
  const manifestFile = join(dir, "manifest.json");
  if (!existsSync(manifestFile)) {
    throw new BlackstartError(Errors.FILE_NOT_FOUND, `policy directory ${dir} has no manifest.json`, at(doc, ["policy", "dir"]));
  }
  const manifest = loadDocument(manifestFile, PolicyManifest).value;
  const agent = manifest.agents.find((a) => a.id === doc.value.microgrid);
  if (!agent) {
    throw new BlackstartError(
      Errors.MISMATCH,
      `policy ${manifestFile} has no agent '${doc.value.microgrid}' (agents: ${manifest.agents.map((a) => a.id).join(", ")})`,
      at(doc, ["microgrid"]),
    );
  }
  return { dir, manifest, agent };
}

/**
 * The agent refuses to start unless the policy's elements and the site's
 * bindings are the same set: an unbound element could never be operated, and
 * a bound element the policy does not know would be operated by nobody.
 * Returns the canonical elements in the policy's order.
 */
export function checkBindings(c: SiteConfig, policy: LoadedPolicyRef, doc: LoadedDocument<unknown>): string[] {
  const elements = policy.agent.elements.map(canonicalElement);
  const bound = new Map<string, string>();
  for (const key of Object.keys(c.bindings)) {
    const canon = canonicalElement(key);
    const twin = bound.get(canon);
    if (twin !== undefined) {
      throw new BlackstartError(Errors.INVALID_DOCUMENT, `'${key}' and '${twin}' bind the same element`, at(doc, ["bindings", key]));
    }
    bound.set(canon, key);
  }
  const missing = elements.filter((e) => !bound.has(e));
  const extra = [...bound.entries()].filter(([canon]) => !elements.includes(canon)).map(([, key]) => key);
  if (missing.length > 0 || extra.length > 0) {
    const parts: string[] = [];
    if (missing.length) parts.push(`not bound: ${missing.join(", ")}`);
    if (extra.length) parts.push(`bound but not in the policy: ${extra.join(", ")}`);
    throw new BlackstartError(
      Errors.MISMATCH,
      `bindings do not match the elements of agent '${policy.agent.id}' in ${join(policy.dir, "manifest.json")} (${parts.join("; ")})`,
      at(doc, extra.length ? ["bindings", extra[0]!] : ["bindings"]),
    );
  }
  return elements;
}

function checkScenario(c: SiteConfig, policy: LoadedPolicyRef, sections: SectionGraph, doc: LoadedDocument<unknown>): SectionMicrogrid {
  if (policy.manifest.scenario !== c.scenario) {
    throw new BlackstartError(Errors.MISMATCH, `policy ${policy.dir} is for scenario '${policy.manifest.scenario}', the site for '${c.scenario}'`, at(doc, ["scenario"]));
  }
  if (sections.scenario !== c.scenario) {
    throw new BlackstartError(Errors.MISMATCH, `section graph is for scenario '${sections.scenario}', the site for '${c.scenario}'`, at(doc, ["sections"]));
  }
  if (sections.scenario_hash !== policy.manifest.scenario_hash) {
    throw new BlackstartError(
      Errors.MISMATCH,
      `section graph and policy were made from different versions of scenario '${c.scenario}' (hash ${sections.scenario_hash.slice(0, 12)}… vs ${policy.manifest.scenario_hash.slice(0, 12)}…); regenerate the graph with 'blackstart scenario sections ${c.scenario} --json'`,
      at(doc, ["sections"]),
    );
  }
  const microgrid = sections.microgrids.find((m) => m.id === c.microgrid);
  if (!microgrid) {
    throw new BlackstartError(Errors.MISMATCH, unknownNameMessage("microgrid", c.microgrid, sections.microgrids.map((m) => m.id)) + " in the section graph", at(doc, ["microgrid"]));
  }
  const known = new Set(sections.switches.map((s) => canonicalElement(s.element)));
  for (const key of Object.keys(c.bindings)) {
    if (!known.has(canonicalElement(key))) {
      throw new BlackstartError(Errors.MISMATCH, `element '${key}' is not a switch of the section graph`, at(doc, ["bindings", key]));
    }
  }
  for (const unit of Object.keys(c.units)) {
    if (!microgrid.units.includes(unit)) {
      throw new BlackstartError(Errors.MISMATCH, unknownNameMessage(`unit of ${c.microgrid}`, unit, microgrid.units), at(doc, ["units", unit]));
    }
  }
  return microgrid;
}

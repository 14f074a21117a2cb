// deploy/ stays valid: every example site parses against the schema, binds
// exactly its microgrid's switches of the scenario, and names a section graph
// made from that scenario; the systemd unit passes `systemd-analyze security`.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadDocument, parseDocumentText } from "../../shared/documents.js";
import { canonicalElement } from "../../shared/names.js";
import { SectionGraph } from "../../shared/scenario/sections.js";
import { SiteConfig } from "../../shared/site/schema.js";
import { bindScenarioFile } from "../../sim-harness/scenarios/bind.js";
import { REPO_ROOT } from "../../test/support/paths.js";

const SITES = join(REPO_ROOT, "deploy/sites/ieee123-5mg");

describe("deploy/sites/ieee123-5mg", () => {
  const files = readdirSync(SITES).filter((f) => f.endsWith(".yaml"));
  const graph = loadDocument(join(SITES, "sections.json"), SectionGraph).value;

  it("has one site per microgrid of the scenario", () => {
    expect(files.sort()).toEqual(graph.microgrids.map((m) => `${m.id}.yaml`).sort());
  });

  it("ships the scenario's section graph as it is now (its hash, its quotas)", () => {
    expect(graph).toEqual(bindScenarioFile(graph.scenario).sections);
  });

  it.each(files)("%s parses and binds exactly its microgrid's switches", (f) => {
    const site = parseDocumentText(readFileSync(join(SITES, f), "utf8"), f, SiteConfig).value;
    expect(site.scenario).toBe(graph.scenario);
    const mg = graph.microgrids.find((m) => m.id === site.microgrid)!;
    expect(Object.keys(site.bindings).map(canonicalElement).sort()).toEqual(mg.switches.map(canonicalElement).sort());
    expect(site.sections).toEqual({ file: "sections.json" });
    // Secrets come from files (systemd credentials), never from the site file.
    expect(site.bus?.password).toEqual({ file: expect.stringContaining("/run/credentials/") });
    expect(site.http.token).toEqual({ file: expect.stringContaining("/run/credentials/") });
  });
});

describe("deploy/systemd", () => {
  const unit = join(REPO_ROOT, "deploy/systemd/blackstart-agent@.service");
  const analyze = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].find(existsSync);
  it.runIf(analyze)("the agent's unit is hardened (systemd-analyze security exposure <= 2.0)", () => {
    const out = execFileSync(analyze!, ["security", "--offline=yes", unit], { encoding: "utf8" });
    const m = /Overall exposure level for .*: ([\d.]+)/.exec(out);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeLessThanOrEqual(2.0);
  });
});

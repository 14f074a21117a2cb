// `blackstart agent --config site.yaml`: the edge agent, one process per
// microgrid. `--check` validates the site file, its profiles and its policy
// and prints what the agent would run, without touching a device.
// Implementations load inside the actions (`await import`), so that
// `blackstart --help` and the light commands never load the agent.
import type { Command } from "commander";

export function register(program: Command): void {
  const agent = program
    .command("agent")
    .description("Run the edge agent for one microgrid (docs/agent.md): read devices, decide, shield, write, verify, journal, publish.")
    .option("-c, --config <site.yaml>", "site configuration file (required)")
    .option("--check", "validate the site, its hardware profiles and its policy, print a summary, and exit")
    .action(async (o: { config?: string; check?: boolean }) => {
      if (!o.config) {
        agent.help({ error: true });
        return;
      }
      if (o.check) {
        const [{ loadSite }, { loadSiteProfiles }, { loadPolicy }, { observationSize }] = await Promise.all([
          import("../../agent/config/load.js"),
          import("../../agent/transports/factory.js"),
          import("../../shared/policy/runner.js"),
          import("../../shared/encoding/observation.js"),
        ]);
        const site = loadSite(o.config);
        const profiles = loadSiteProfiles(site);
        const policy = await loadPolicy(site.policy.dir);
        const observation = policy.manifest.observation.kind;
        const actor = await policy.agent({ id: site.config.microgrid, elements: site.elements, observationSize: observationSize(observation, site.elements.length) });
        const c = site.config;
        const lines = [
          `site ${site.file}: microgrid ${c.microgrid} of scenario ${c.scenario}, clock ${c.clock}`,
          `policy: ${actor.label}; observation ${observation} (${actor.observationSize} values)`,
          `elements (${site.elements.length}): ${Object.entries(c.bindings).map(([e, b]) => `${e} -> ${b.device}`).join(", ")}`,
          ...c.devices.map((d) => `device ${d.id}: ${profiles.get(d.id)!.id} (${profiles.get(d.id)!.kind}) over ${d.transport.kind}`),
          `quota ${site.quotaKw} kW${site.capKw !== undefined ? `, fleet cap ${site.capKw} kW` : ""}; session of ${c.session.episode_length} decisions every ${c.poll.period_ms} ms`,
          `journal ${c.journal.path}; http ${c.http.host}:${c.http.port}${c.bus ? `; bus ${c.bus.url}` : "; no bus (static quota only)"}`,
          "ok",
        ];
        process.stdout.write(lines.join("\n") + "\n");
        await policy.close();
        return;
      }
      const { startAgent } = await import("../../agent/main.js");
      const running = await startAgent(o.config);
      let signals = 0;
      const onSignal = (sig: NodeJS.Signals) => {
        signals++;
        if (signals > 1) {
          running.log.warn({ signal: sig }, "second signal: exiting now");
          process.exit(1);
        }
        running.stop(sig).then(
          () => process.exit(0),
          (e: unknown) => {
            process.stderr.write(`blackstart agent: shutdown failed: ${(e as Error).message}\n`);
            process.exit(1);
          },
        );
      };
      process.on("SIGTERM", onSignal);
      process.on("SIGINT", onSignal);
    });

  agent
    .command("site")
    .description("Write a site file per microgrid of a scenario: from the simulator's endpoint table (`blackstart sim --json`), or a field address plan to edit.")
    .requiredOption("-s, --scenario <name>", "shipped scenario name or scenario file")
    .option("-m, --microgrid <id...>", "microgrid(s) (default: all)", [])
    .requiredOption("-p, --policy <dir>", "policy directory, as the site file should name it (relative to the file, or absolute)")
    .option("-e, --endpoints <json>", "endpoint table: the JSON line `blackstart sim --json` prints (its `endpoints`), or a file holding it; default: a field address plan in 192.0.2.0/24 (RFC 5737) to replace")
    .option("-o, --out <dir>", "write <dir>/<microgrid>.yaml (default: print to stdout)")
    .option("--journal <path>", "journal path, {mg} replaced by the microgrid", "/var/lib/blackstart/{mg}.db")
    .option("--sections <file>", "refer to this section-graph file instead of writing the graph inline (path as the site file should name it)")
    .option("--clock <mode>", "realtime | external", "realtime")
    .option("--http-port <n>", "first HTTP port (one per microgrid, consecutive); 0 = any", "9181")
    .option("--bus <url>", "peer bus broker URL")
    .option("--base-topic <topic>", "bus base topic", "blackstart")
    .option("--bus-user <name>", "bus user name ({mg} = the microgrid)")
    .option("--bus-password-file <path>", "file holding the bus password ({mg} = the microgrid)")
    .option("--bus-ca <path>", "CA certificate to trust for the broker's TLS")
    .option("--http-host <address>", "address the HTTP port listens on", "127.0.0.1")
    .option("--http-token-file <path>", "file holding the bearer token for POST endpoints ({mg} = the microgrid)")
    .action(async (o: import("../../agent/config/write-sites.js").WriteSitesArgs) => {
      const { writeSiteFiles } = await import("../../agent/config/write-sites.js");
      const written = await writeSiteFiles(o);
      if (o.out) process.stderr.write(`agent site: wrote ${written.join(", ")}\n`);
    });
}

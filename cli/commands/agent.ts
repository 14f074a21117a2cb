// `blackstart agent --config site.yaml`: the edge agent, one process per
// microgrid. `--check` validates the site file, its profiles and its policy
// and prints what the agent would run, without touching a device.
import type { Command } from "commander";
import { loadSite } from "../../agent/config/load.js";
import { startAgent } from "../../agent/main.js";
import { loadSiteProfiles } from "../../agent/transports/factory.js";
import { loadPolicy } from "../../shared/policy/runner.js";

export function register(program: Command): void {
  program
    .command("agent")
    .description("Run the edge agent for one microgrid (docs/agent.md): read devices, decide, shield, write, verify, journal, publish.")
    .requiredOption("-c, --config <site.yaml>", "site configuration file")
    .option("--check", "validate the site, its hardware profiles and its policy, print a summary, and exit")
    .action(async (o: { config: string; check?: boolean }) => {
      if (o.check) {
        const site = loadSite(o.config);
        const profiles = loadSiteProfiles(site);
        const policy = await loadPolicy(site.policy.dir);
        const actor = await policy.agent({ id: site.config.microgrid, elements: site.elements });
        const c = site.config;
        const lines = [
          `site ${site.file}: microgrid ${c.microgrid} of scenario ${c.scenario}, clock ${c.clock}`,
          `policy: ${actor.label}`,
          `elements (${site.elements.length}): ${site.elements.map((e) => `${e} -> ${Object.entries(c.bindings).find(([k]) => k.toLowerCase() === e.toLowerCase())?.[1].device}`).join(", ")}`,
          ...c.devices.map((d) => `device ${d.id}: ${profiles.get(d.id)!.id} (${profiles.get(d.id)!.kind}) over ${d.transport.kind}`),
          `quota ${site.quotaKw} kW${site.capKw !== undefined ? `, fleet cap ${site.capKw} kW` : ""}; session of ${c.session.episode_length} decisions every ${c.poll.period_ms} ms`,
          `journal ${c.journal.path}; http ${c.http.host}:${c.http.port}${c.bus ? `; bus ${c.bus.url}` : "; no bus (static quota only)"}`,
          "ok",
        ];
        process.stdout.write(lines.join("\n") + "\n");
        await policy.close();
        return;
      }
      const agent = await startAgent(o.config);
      let signals = 0;
      const onSignal = (sig: NodeJS.Signals) => {
        signals++;
        if (signals > 1) {
          agent.log.warn({ signal: sig }, "second signal: exiting now");
          process.exit(1);
        }
        agent.stop(sig).then(
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
}

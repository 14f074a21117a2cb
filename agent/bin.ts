// `node bin/run-ts.mjs agent/bin.ts --config site.yaml`: the agent alone,
// without the rest of the `blackstart` command line. Same options and
// behaviour as `blackstart agent`; it loads only what the agent needs (the
// full CLI also loads the power flow, the trainer and the simulators, about
// 150 MB more), so it is what deploy/ runs on a gateway.
import { Command } from "commander";
import { isBlackstartError } from "../shared/errors.js";
import { register } from "../cli/commands/agent.js";

const program = new Command().name("blackstart").showHelpAfterError();
register(program);
try {
  await program.parseAsync(["node", "blackstart", "agent", ...process.argv.slice(2)]);
} catch (e) {
  if (isBlackstartError(e)) {
    process.stderr.write(`blackstart: ${e.message}\n`);
    process.exit(e.exitCode);
  }
  throw e;
}

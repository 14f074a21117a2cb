// The `blackstart` command line. Each subcommand lives in its own file under
// cli/commands and registers itself on the program; this file only wires them
// and turns a BlackstartError into one line on stderr plus its exit code.
import { Command } from "commander";
import { isBlackstartError } from "../shared/errors.js";
import { commands } from "./commands/index.js";

const program = new Command();
program
  .name("blackstart")
  .description("Restore load after an outage with a trained multi-agent policy, and prove it safe on a bench first.")
  .version("0.1.0")
  .showHelpAfterError();

for (const register of commands) register(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (isBlackstartError(e)) {
    process.stderr.write(`blackstart: ${e.message}\n`);
    process.exit(e.exitCode);
  }
  throw e;
}

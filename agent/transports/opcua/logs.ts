// node-opcua writes its warnings and errors with console.log, on stdout, where
// the agent's log goes as one JSON object per line: a line such as
// "[NODE-OPCUA-W27] node version v20..." (printed by every process that loads
// the client on Node 20) breaks whoever reads that log. Its loggers
// (node-opcua-debug, resolved from node-opcua-client's own dependencies: the
// very instance the client calls) are pointed at the agent's log instead, or
// at stderr until the agent gives one. Imported before node-opcua-client.
import { createRequire } from "node:module";
import { format } from "node:util";

export interface OpcUaLibraryLog {
  warn(obj: object, msg: string): void;
}

type Logger = (context: unknown, ...args: unknown[]) => void;
const fromClient = createRequire(createRequire(import.meta.url).resolve("node-opcua-client"));
const debug = fromClient("node-opcua-debug") as { setWarningLogger(l: Logger): void; setErrorLogger(l: Logger): void };

let sink: OpcUaLibraryLog | undefined;
const route =
  (level: "warn" | "error"): Logger =>
  (_context, ...args) => {
    const msg = format(...args).trim();
    if (sink) sink.warn({ source: "node-opcua", level }, msg);
    else process.stderr.write(`node-opcua: ${msg}\n`);
  };
debug.setWarningLogger(route("warn"));
debug.setErrorLogger(route("error"));

/** Send node-opcua's own warnings and errors to this log from now on. */
export function routeOpcUaLogs(log: OpcUaLibraryLog): void {
  sink = log;
}

// The bench's broker as its own OS process (so a fault can kill -9 it and
// restart it): the embedded aedes broker of agent/bus, its retained messages
// kept in SQLite across restarts. Prints one JSON line `{"url","port"}` on
// stdout once it listens; stops on SIGTERM/SIGINT.
//   node bin/run-ts.mjs sim-harness/bench/broker-process.ts --host H --port N --store file.db [--base topic] [--users users.json]
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { startBroker, type BrokerUser } from "../../agent/bus/broker.js";

const { values } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "0" },
    store: { type: "string" },
    base: { type: "string", default: "blackstart" },
    users: { type: "string" },
  },
});

const users = values.users ? (JSON.parse(readFileSync(values.users, "utf8")) as Record<string, BrokerUser>) : undefined;
const logger = {
  info: (o: object, m?: string) => process.stderr.write(`${JSON.stringify({ level: "info", msg: m, ...o })}\n`),
  warn: (o: object, m?: string) => process.stderr.write(`${JSON.stringify({ level: "warn", msg: m, ...o })}\n`),
};
const broker = await startBroker({
  host: values.host,
  port: Number(values.port),
  baseTopic: values.base,
  ...(values.store ? { retainedStore: values.store } : {}),
  ...(users ? { users } : {}),
  logger,
});
process.stdout.write(`${JSON.stringify({ url: broker.url, port: broker.port })}\n`);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  broker.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);

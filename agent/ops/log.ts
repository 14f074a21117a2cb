// Structured logs (pino, one JSON object per line on stdout, for journald or
// a log shipper). Secrets print as [redacted] by themselves (config/secrets.ts);
// the redact paths are a second guard for anything that looks like one.
import { pino, type Logger } from "pino";

export type AgentLogger = Logger;

export function agentLogger(microgrid: string, level: string, destination?: NodeJS.WritableStream): AgentLogger {
  return pino(
    {
      level,
      base: { microgrid, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ["*.password", "*.token", "*.key_passphrase", "password", "token", "authorization", "*.authorization"], censor: "[redacted]" },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

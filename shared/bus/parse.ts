// Checking a received message: our topic, a microgrid of this fleet, JSON, the
// schema of its topic, the sender named in the topic. Anything else is dropped
// with a reason (counted and journaled by the client, never acted on).
import { parseTopic } from "./topics.js";
import { SCHEMAS, type AnyMessage } from "./messages.js";

export const DROP_REASONS = ["foreign-topic", "foreign-microgrid", "not-json", "schema", "spoofed", "foreign-scenario", "too-large"] as const;
export type DropReason = (typeof DROP_REASONS)[number];

export type Parsed = ({ ok: true } & AnyMessage) | { ok: false; reason: DropReason; detail: string; microgrid: string | null; kind: string | null };

export interface ParseContext {
  base: string;
  /** Microgrids of this fleet (the section graph's). */
  fleet: ReadonlySet<string>;
  /** This fleet's scenario hash: a state carrying another is foreign. */
  scenarioHash?: string;
  maxBytes?: number;
}

export function parseMessage(ctx: ParseContext, topic: string, payload: Uint8Array | string): Parsed {
  const t = parseTopic(ctx.base, topic);
  if (!t) return { ok: false, reason: "foreign-topic", detail: `not a blackstart topic under '${ctx.base}'`, microgrid: null, kind: null };
  const fail = (reason: DropReason, detail: string): Parsed => ({ ok: false, reason, detail, microgrid: t.microgrid, kind: t.kind });
  if (!ctx.fleet.has(t.microgrid)) return fail("foreign-microgrid", `'${t.microgrid}' is not a microgrid of this fleet`);
  const size = typeof payload === "string" ? Buffer.byteLength(payload) : payload.byteLength;
  if (size > (ctx.maxBytes ?? 65_536)) return fail("too-large", `${size} bytes`);
  let json: unknown;
  try {
    json = JSON.parse(typeof payload === "string" ? payload : Buffer.from(payload).toString("utf8"));
  } catch (e) {
    return fail("not-json", (e as Error).message);
  }
  const r = SCHEMAS[t.kind].safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    return fail("schema", `${issue.path.join(".") || "(root)"}: ${issue.message}`);
  }
  const msg = r.data as { from?: string; scenario_hash?: string; type: string };
  // Operator requests come from people, not from the microgrid in the topic.
  if (t.kind !== "request/command" && msg.from !== t.microgrid) return fail("spoofed", `'from' is '${msg.from}' on ${t.microgrid}'s topic`);
  if (t.kind === "state" && ctx.scenarioHash && msg.scenario_hash && msg.scenario_hash !== ctx.scenarioHash) {
    return fail("foreign-scenario", `scenario ${msg.scenario_hash.slice(0, 12)}... is not this fleet's ${ctx.scenarioHash.slice(0, 12)}...`);
  }
  return { ok: true, kind: t.kind, microgrid: t.microgrid, msg } as Parsed;
}

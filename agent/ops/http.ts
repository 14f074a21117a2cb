// The agent's HTTP face: health (live/ready with reasons), Prometheus
// metrics, the current state, operator commands (restore, abort, release) and, with
// the external clock, one tick per POST /tick (the bench's lockstep driver).
// Reads are open; commands need the bearer token when the site sets one.
import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { METRICS_CONTENT_TYPE } from "./metrics.js";

export interface Health {
  live: boolean;
  ready: boolean;
  /** Why not ready (or not live), one line each. */
  reasons: string[];
}

export interface HttpHandlers {
  health(): Health;
  metrics(): string;
  state(): unknown;
  command(c: { command: "restore" | "abort"; reason?: string }): void;
  /** Release a switch held after an uncommanded change of position: 202, or 404 (no such switch) / 409 (not held). */
  release(element: string, reason?: string): { status: number; body: unknown };
  tick(): Promise<unknown>;
}

export interface HttpOptions {
  host: string;
  port: number;
  /** Bearer token for POST endpoints. */
  token?: string;
  /** Request bodies above this are refused. */
  maxBodyBytes?: number;
}

function send(res: ServerResponse, status: number, body: unknown, type = "application/json; charset=utf-8"): void {
  const text = typeof body === "string" ? body : JSON.stringify(body, null, 1) + "\n";
  res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
  res.end(text);
}

function authorized(req: IncomingMessage, token: string | undefined): boolean {
  if (!token) return true;
  const h = req.headers.authorization ?? "";
  const m = /^Bearer\s+(.+)$/i.exec(h);
  if (!m) return false;
  const a = Buffer.from(m[1]!.trim());
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

async function readBody(req: IncomingMessage, max: number): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > max) throw Object.assign(new Error(`body larger than ${max} bytes`), { status: 413 });
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8").trim();
  if (!text) return {};
  try {
    const v = JSON.parse(text) as unknown;
    if (v === null || typeof v !== "object" || Array.isArray(v)) throw new Error("not an object");
    return v as Record<string, unknown>;
  } catch (e) {
    throw Object.assign(new Error(`body is not a JSON object: ${(e as Error).message}`), { status: 400 });
  }
}

export class AgentHttp {
  private server: Server | undefined;

  constructor(
    private readonly handlers: HttpHandlers,
    private readonly o: HttpOptions,
  ) {}

  /** Listen; resolves with the port (the OS's choice when the site asks for port 0). */
  async listen(): Promise<number> {
    const server = createServer((req, res) => {
      this.route(req, res).catch((e: unknown) => {
        const status = (e as { status?: number }).status ?? 500;
        if (!res.headersSent) send(res, status, { error: (e as Error).message });
        else res.destroy();
      });
    });
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.o.port, this.o.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.server = server;
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeIdleConnections?.();
    await new Promise<void>((r) => s.close(() => r()));
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://agent");
    const path = url.pathname.replace(/\/+$/, "") || "/";
    const method = req.method ?? "GET";
    if (method === "GET" || method === "HEAD") {
      switch (path) {
        case "/healthz": {
          const h = this.handlers.health();
          return send(res, h.live && h.ready ? 200 : 503, h);
        }
        case "/healthz/live": {
          const h = this.handlers.health();
          return send(res, h.live ? 200 : 503, { live: h.live, reasons: h.live ? [] : h.reasons });
        }
        case "/healthz/ready": {
          const h = this.handlers.health();
          return send(res, h.ready ? 200 : 503, { ready: h.ready, reasons: h.reasons });
        }
        case "/metrics":
          return send(res, 200, this.handlers.metrics(), METRICS_CONTENT_TYPE);
        case "/state":
          return send(res, 200, this.handlers.state());
      }
      return send(res, 404, { error: `no ${path}`, endpoints: ["GET /healthz", "GET /healthz/live", "GET /healthz/ready", "GET /metrics", "GET /state", "POST /restore", "POST /abort", "POST /release", "POST /tick"] });
    }
    if (method !== "POST") return send(res, 405, { error: `${method} not allowed` });
    if (!authorized(req, this.o.token)) {
      res.setHeader("www-authenticate", 'Bearer realm="blackstart-agent"');
      return send(res, 401, { error: "operator endpoints need 'Authorization: Bearer <token>'" });
    }
    const body = await readBody(req, this.o.maxBodyBytes ?? 16 * 1024);
    const reason = typeof body.reason === "string" ? body.reason.slice(0, 500) : undefined;
    switch (path) {
      case "/restore":
      case "/abort":
        this.handlers.command({ command: path === "/restore" ? "restore" : "abort", ...(reason ? { reason } : {}) });
        return send(res, 202, { accepted: path.slice(1), note: "takes effect at the next tick" });
      case "/release": {
        if (typeof body.element !== "string" || !body.element) return send(res, 400, { error: "give the switch to release: {\"element\": \"Line.L61\", \"reason\": \"...\"}" });
        const r = this.handlers.release(body.element, reason);
        return send(res, r.status, r.body);
      }
      case "/tick":
        try {
          return send(res, 200, await this.handlers.tick());
        } catch (e) {
          return send(res, 409, { error: (e as Error).message });
        }
    }
    return send(res, 404, { error: `no ${path}` });
  }
}

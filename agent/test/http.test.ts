// The agent's HTTP face over a real socket: health with reasons, Prometheus
// text, state, operator commands behind the bearer token, ticks on demand.
import { afterEach, describe, expect, it } from "vitest";
import { rig } from "./support/rig.js";

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function get(port: number, path: string, init?: RequestInit) {
  const r = await fetch(`http://127.0.0.1:${port}${path}`, init);
  return { status: r.status, type: r.headers.get("content-type") ?? "", text: await r.text() };
}

describe("HTTP", () => {
  it("health, metrics, state, commands with a token, ticks", async () => {
    const r = await rig(cleanup, {
      site: { http: { port: 0, token: { env: "TEST_HTTP_TOKEN" } } },
      prepare: () => (process.env.TEST_HTTP_TOKEN = "t0k3n-for-tests"),
    });
    const port = r.agent.httpPort;
    // Before the first tick: live, not ready, and it says why.
    const h0 = await get(port, "/healthz");
    expect(h0.status).toBe(503);
    expect(JSON.parse(h0.text)).toMatchObject({ live: true, ready: false, reasons: ["no tick yet"] });
    expect((await get(port, "/healthz/live")).status).toBe(200);

    const noToken = await get(port, "/tick", { method: "POST" });
    expect(noToken.status).toBe(401);
    const auth = { authorization: "Bearer t0k3n-for-tests" };
    const tick = await get(port, "/tick", { method: "POST", headers: auth });
    expect(tick.status).toBe(200);
    expect(JSON.parse(tick.text)).toMatchObject({ tick: 1, session: null, switches: { "Line.L1": "open" } });
    expect((await get(port, "/healthz/ready")).status).toBe(200);

    const restore = await get(port, "/restore", { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ reason: "drill" }) });
    expect(restore.status).toBe(202);
    const t2 = JSON.parse((await get(port, "/tick", { method: "POST", headers: auth })).text);
    expect(t2.changes[0]).toMatchObject({ kind: "started" });
    expect((await get(port, "/tick", { method: "POST", headers: { authorization: "Bearer wrong-token-0000" } })).status).toBe(401);
    expect((await get(port, "/restore", { method: "POST", headers: auth, body: "{not json" })).status).toBe(400);

    const m = await get(port, "/metrics");
    expect(m.type).toContain("text/plain; version=0.0.4");
    for (const family of [
      "blackstart_poll_latency_seconds_bucket{device=\"sw-l1\",le=\"0.005\"}",
      "blackstart_decisions_total{action=\"close\"} 1",
      "blackstart_commands_total{outcome=\"confirmed\"} 1",
      "blackstart_session_active 1",
      "blackstart_bus_connected 0",
      "blackstart_journal_bytes ",
      "process_resident_memory_bytes ",
      "# TYPE blackstart_vetoes_total counter",
    ]) {
      expect(m.text).toContain(family);
    }
    const state = JSON.parse((await get(port, "/state")).text);
    expect(state).toMatchObject({ microgrid: "mg1", served_kw: 200, session: { step: 1 }, devices: { "sw-l1": { state: "connected", transport: "modbus-tcp" } } });
    // The token never shows in the state.
    expect(JSON.stringify(state)).not.toContain("t0k3n");
    expect((await get(port, "/nowhere")).status).toBe(404);
    // Without a bus, no answer time is made up.
    expect(m.text).not.toMatch(/^blackstart_bus_answer_time(out)?_seconds /m);
  });

  it("shows the bus's health: connected, connects, watchdog, and the answer time in use", async () => {
    const r = await rig(cleanup, { site: { http: { port: 0 }, bus: { url: "mqtt://127.0.0.1:1883", embedded: { host: "127.0.0.1", port: 0 }, reservation: { ack_timeout_ms: 1500, ack_timeout_max_ms: 6000, lease_ms: 60_000 } } } });
    const port = r.agent.httpPort;
    const end = Date.now() + 5000;
    let m = "";
    while (Date.now() < end) {
      m = (await get(port, "/metrics")).text;
      if (m.includes("blackstart_bus_connected 1")) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    for (const line of [
      "blackstart_bus_connected 1",
      "blackstart_bus_connects_total 1",
      "blackstart_bus_watchdog_resets_total 0",
      "blackstart_bus_echo_late_total 0",
      // Nothing answered yet: each peer is given the configured ack timeout.
      "blackstart_bus_answer_timeout_seconds 1.5",
    ]) {
      expect(m).toContain(line);
    }
    expect(m).not.toMatch(/^blackstart_bus_answer_time_seconds /m);
  });
});

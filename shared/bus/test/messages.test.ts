import { describe, expect, it } from "vitest";
import { BUS_PROTOCOL, parseMessage, parseTopic, topicOf, viewOf } from "../index.js";

const ctx = { base: "blackstart", fleet: new Set(["mg1", "mg2"]), scenarioHash: "a".repeat(64) };
const state = {
  v: BUS_PROTOCOL,
  type: "state",
  from: "mg2",
  incarnation: "5f3a",
  seq: 4,
  tick: 12,
  scenario_hash: "a".repeat(64),
  session: { active: true, id: "s1", step: 3, length: 15 },
  switches: { "Line.l35": "closed", "Line.l40": "unknown" },
  served_kw: 310.5,
  quota_kw: 300,
  leases: [{ id: "mg2-5f3a-1", kw: 100, remaining_ms: 55_000 }],
  committed_kw: 310.5,
  health: "ok",
  view: 123,
};

describe("bus topics and messages", () => {
  it("builds and parses topics under one base", () => {
    expect(topicOf("blackstart", "mg1", "reservation/request")).toBe("blackstart/mg1/reservation/request");
    expect(parseTopic("blackstart", "blackstart/mg1/state")).toEqual({ microgrid: "mg1", kind: "state" });
    expect(parseTopic("blackstart", "blackstart/mg1/other")).toBeNull();
    expect(parseTopic("blackstart", "zigbee2mqtt/bridge/state")).toBeNull();
    expect(parseTopic("fleet/a", "fleet/a/mg1/alarm")).toEqual({ microgrid: "mg1", kind: "alarm" });
  });

  it("accepts a valid state", () => {
    const r = parseMessage(ctx, "blackstart/mg2/state", JSON.stringify(state));
    expect(r.ok && r.kind === "state" && r.msg.served_kw).toBe(310.5);
  });

  it("drops, with a reason, what is not JSON, breaks the schema, is spoofed, foreign or too large", () => {
    const drop = (topic: string, payload: string) => {
      const r = parseMessage(ctx, topic, payload);
      return r.ok ? "accepted" : `${r.reason}: ${r.detail}`;
    };
    expect(drop("blackstart/mg2/state", "{not json")).toMatch(/^not-json/);
    expect(drop("blackstart/mg2/state", JSON.stringify({ ...state, served_kw: -5 }))).toMatch(/^schema: served_kw/);
    expect(drop("blackstart/mg2/state", JSON.stringify({ ...state, extra: 1 }))).toMatch(/^schema/);
    expect(drop("blackstart/mg2/state", JSON.stringify({ ...state, v: 2 }))).toMatch(/^schema: v/);
    expect(drop("blackstart/mg1/state", JSON.stringify(state))).toMatch(/^spoofed: 'from' is 'mg2' on mg1's topic/);
    expect(drop("blackstart/mg9/state", JSON.stringify({ ...state, from: "mg9" }))).toMatch(/^foreign-microgrid/);
    expect(drop("blackstart/mg2/state", JSON.stringify({ ...state, scenario_hash: "b".repeat(64) }))).toMatch(/^foreign-scenario/);
    expect(drop("other/mg2/state", JSON.stringify(state))).toMatch(/^foreign-topic/);
    expect(drop("blackstart/mg2/state", JSON.stringify({ ...state, pad: "x".repeat(70_000) }))).toMatch(/^too-large/);
  });

  it("takes operator requests from anyone the broker lets publish there", () => {
    const r = parseMessage(ctx, "blackstart/mg1/request/command", JSON.stringify({ v: 1, type: "command", command: "restore", request_id: "op-1", by: "alice" }));
    expect(r.ok && r.kind).toBe("request/command");
  });

  it("carries the switches an agent holds after a trip (additive: a state without them stays valid)", () => {
    const holds = [{ element: "Line.l61", kind: "uncommanded-open", sections: ["s18"], tick: 9 }];
    const r = parseMessage(ctx, "blackstart/mg2/state", JSON.stringify({ ...state, holds }));
    expect(r.ok && r.kind === "state" && r.msg.holds).toEqual(holds);
    // An agent of before this field, and one holding nothing, send none.
    expect(parseMessage(ctx, "blackstart/mg2/state", JSON.stringify(state)).ok).toBe(true);
    const bad = parseMessage(ctx, "blackstart/mg2/state", JSON.stringify({ ...state, holds: [{ element: "Line.l61", kind: "tripped", sections: [] }] }));
    expect(bad.ok ? "accepted" : `${bad.reason}: ${bad.detail}`).toMatch(/^schema: holds\.0\.kind/);
  });

  it("takes an operator's release naming the switch, and refuses one without it", () => {
    const release = { v: 1, type: "command", command: "release", request_id: "op-2", by: "alice", element: "Line.L61", reason: "patrolled" };
    const r = parseMessage(ctx, "blackstart/mg1/request/command", JSON.stringify(release));
    expect(r.ok && r.kind === "request/command" && r.msg).toMatchObject({ command: "release", element: "Line.L61" });
    const { element: _e, ...without } = release;
    const bad = parseMessage(ctx, "blackstart/mg1/request/command", JSON.stringify(without));
    expect(bad.ok ? "accepted" : `${bad.reason}: ${bad.detail}`).toMatch(/^schema: element: a release names the switch/);
  });

  it("carries a request's answer time and an answer's held time (additive), bounded to 10 min", () => {
    const request = { v: 1, type: "reservation-request", from: "mg2", incarnation: "5f3a", id: "mg2-5f3a-1", kw: 40, view: 123, members: ["mg1@a", "mg2@5f3a"], lamport: 3, lease_ms: 60_000 };
    const parsed = (o: object) => {
      const r = parseMessage(ctx, "blackstart/mg2/reservation/request", JSON.stringify(o));
      return r.ok ? (r.msg as { answer_ms?: number }).answer_ms ?? "none" : `${r.reason}: ${r.detail}`;
    };
    expect(parsed(request)).toBe("none");
    expect(parsed({ ...request, answer_ms: 8000 })).toBe(8000);
    expect(parsed({ ...request, answer_ms: 1e12 })).toMatch(/^schema: answer_ms/);
    const response = { v: 1, type: "reservation-response", from: "mg2", incarnation: "5f3a", request_id: "mg1-a-1", requester: "mg1", verdict: "ack", view: 123, lamport: 4 };
    const held = (o: object) => {
      const r = parseMessage(ctx, "blackstart/mg2/reservation/response", JSON.stringify(o));
      return r.ok ? (r.msg as { held_ms?: number }).held_ms ?? "none" : `${r.reason}: ${r.detail}`;
    };
    expect(held(response)).toBe("none");
    expect(held({ ...response, held_ms: 1480 })).toBe(1480);
    expect(held({ ...response, held_ms: -1 })).toMatch(/^schema: held_ms/);
  });

  it("computes the same view number from the same members in any order", () => {
    const a = viewOf([{ microgrid: "mg2", incarnation: "b" }, { microgrid: "mg1", incarnation: "a" }]);
    const b = viewOf([{ microgrid: "mg1", incarnation: "a" }, { microgrid: "mg2", incarnation: "b" }]);
    expect(a).toEqual(b);
    expect(a.members).toEqual(["mg1@a", "mg2@b"]);
    expect(viewOf([{ microgrid: "mg1", incarnation: "a" }, { microgrid: "mg2", incarnation: "c" }]).view).not.toBe(a.view);
  });
});

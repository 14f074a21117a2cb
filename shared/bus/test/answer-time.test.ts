import { describe, expect, it } from "vitest";
import { AnswerTime, SentRequests } from "../answer-time.js";
import { BUS_PROTOCOL, type ReservationOutcome, type ReservationRequest, type ReservationResponse } from "../messages.js";
import { ReservationEngine, type Effect, type FleetContext } from "../reservation.js";
import { ClaimEngine, type ClaimFleet } from "../claims.js";
import type { ClaimRequest, ClaimResponse } from "../messages.js";
import { viewOf } from "../view.js";

describe("answer time (RFC 6298's estimator over peers' answers)", () => {
  it("gives the floor until it has heard an answer, and after quick answers", () => {
    const t = new AnswerTime(1000, 4000);
    expect(t.timeoutMs()).toBe(1000);
    for (let i = 0; i < 20; i++) t.sample(5);
    expect(t.timeoutMs()).toBe(1000);
    expect(t.figures()).toMatchObject({ samples: 20, srtt_ms: 5 });
  });

  it("lengthens the wait after slow and scattered answers, never past the ceiling", () => {
    const t = new AnswerTime(1000, 4000);
    t.sample(1500);
    // First sample: srtt 1500, rttvar 750 -> 4500, capped.
    expect(t.timeoutMs()).toBe(4000);
    const u = new AnswerTime(1000, 10_000);
    for (const ms of [200, 2600, 400, 3000, 300]) u.sample(ms);
    // By hand (RFC 6298, alpha 1/8, beta 1/4): srtt 738.87, rttvar 895.31 -> 738.87 + 4 x 895.31 = 4320.1.
    expect(u.figures()).toEqual({ samples: 5, srtt_ms: 739, rttvar_ms: 895, timeout_ms: 4321 });
    // Quick answers again bring it back down to the floor.
    for (let i = 0; i < 60; i++) u.sample(20);
    expect(u.timeoutMs()).toBe(1000);
  });

  it("ignores nonsense samples and refuses a ceiling below the floor", () => {
    const t = new AnswerTime(1000, 2000);
    t.sample(-1);
    t.sample(Number.NaN);
    t.sample(Number.POSITIVE_INFINITY);
    expect(t.figures().samples).toBe(0);
    expect(() => new AnswerTime(1000, 500)).toThrow(/ceiling/);
  });

  it("remembers the last requests sent, and subtracts the time a peer held one", () => {
    const s = new SentRequests(2);
    s.add("a", 0);
    s.add("b", 10);
    s.add("c", 20);
    expect(s.answerMs("a", 100, undefined)).toBeUndefined();
    expect(s.answerMs("b", 100, undefined)).toBe(90);
    expect(s.answerMs("c", 100, 30)).toBe(50);
    expect(s.answerMs("c", 100, 500)).toBe(0);
  });
});

/** Two agents, mg1 asking and mg2 judging, with everything in reach of the cap. */
function fleet(self: string): FleetContext {
  const members = [
    { microgrid: "mg1", incarnation: "i" },
    { microgrid: "mg2", incarnation: "i" },
  ];
  return {
    view: viewOf(members),
    peers: self === "mg1" ? ["mg2"] : ["mg1"],
    ledger: () => ({
      cap_kw: 1000,
      used_kw: 0,
      agents: ["mg1", "mg2"].map((m) => ({ microgrid: m, live: true, quota_kw: 100, leases_kw: 0, committed_kw: 100 })),
    }),
    quotaPool: "fleet",
    publishedLeaseIds: new Set(),
  };
}

const published = <T>(effects: Effect[], topic: string): T[] =>
  effects.flatMap((e) => (e.kind === "publish" && e.topic === topic ? [{ v: BUS_PROTOCOL, from: "x", incarnation: "i", ...e.body } as T] : []));

describe("reservations wait as long as answers take", () => {
  it("a request after a late answer waits twice the learned time and says so; the judge expects the outcome by then", () => {
    const at = new AnswerTime(1000, 4000);
    const mg1 = new ReservationEngine({ self: "mg1", incarnation: "i", ackTimeoutMs: 1000, leaseMs: 60_000, answerTime: at });
    const mg2 = new ReservationEngine({ self: "mg2", incarnation: "i", ackTimeoutMs: 1000, leaseMs: 60_000 });
    // First request: the answer is lost in retransmissions and the request times out after 2 s.
    const r1 = published<ReservationRequest>(mg1.request(50, "pick-up", 0, fleet("mg1")), "reservation/request")[0]!;
    expect(r1.answer_ms).toBe(2000);
    expect(mg1.nextDeadline()).toBe(2001);
    const timeout = mg1.tick(2001, fleet("mg1"));
    expect(timeout.find((e) => e.kind === "settle")).toMatchObject({ result: { granted: false, reason: "timeout" } });
    // Its answer arrives at 2.8 s: a clean sample all the same.
    const late = published<ReservationResponse>(mg2.onRequest({ ...r1, from: "mg1" }, 2700, fleet("mg2")), "reservation/response")[0]!;
    mg1.onResponse({ ...late, from: "mg2" }, 2800, fleet("mg1"));
    // The abort reaches the judge too and ends its hold on the first request.
    for (const o of published<ReservationOutcome>(timeout, "reservation/outcome")) mg2.onOutcome({ ...o, from: "mg1" }, 2900);
    expect(mg2.nextDeadline()).toBeNull();
    expect(at.figures()).toMatchObject({ samples: 1, srtt_ms: 2800 });
    // The next request waits twice the learned answer time (capped at 4 s per answer).
    const r2 = published<ReservationRequest>(mg1.request(50, "pick-up", 3000, fleet("mg1")), "reservation/request")[0]!;
    expect(r2.answer_ms).toBe(8000);
    expect(mg1.tick(3000 + 2001, fleet("mg1")).find((e) => e.kind === "settle")).toBeUndefined();
    // The judge acks and holds it tentatively until answer_ms plus one ack timeout, not 3 ack timeouts.
    const ack = published<ReservationResponse>(mg2.onRequest({ ...r2, from: "mg1" }, 3100, fleet("mg2")), "reservation/response")[0]!;
    expect(ack.verdict).toBe("ack");
    expect(mg2.nextDeadline()).toBe(3100 + 8000 + 1000 + 1);
    const granted = mg1.onResponse({ ...ack, from: "mg2" }, 6500, fleet("mg1"));
    expect(granted.find((e) => e.kind === "settle")).toMatchObject({ result: { granted: true } });
  });

  it("an answer held back behind the judge's own request says for how long, and the requester does not count that as the link's", () => {
    const at1 = new AnswerTime(1000, 8000);
    const mg1 = new ReservationEngine({ self: "mg1", incarnation: "i", ackTimeoutMs: 1000, leaseMs: 60_000, answerTime: at1 });
    const mg2 = new ReservationEngine({ self: "mg2", incarnation: "i", ackTimeoutMs: 1000, leaseMs: 60_000 });
    // mg2 asks first and mg1 answers it, then asks itself (a later Lamport time): its request waits behind mg2's at mg2.
    const r2 = published<ReservationRequest>(mg2.request(10, "pick-up", 0, fleet("mg2")), "reservation/request")[0]!;
    const a1 = published<ReservationResponse>(mg1.onRequest({ ...r2, from: "mg2" }, 3, fleet("mg1")), "reservation/response")[0]!;
    const r1 = published<ReservationRequest>(mg1.request(10, "pick-up", 5, fleet("mg1")), "reservation/request")[0]!;
    expect(mg2.onRequest({ ...r1, from: "mg1" }, 20, fleet("mg2")).find((e) => e.kind === "journal" && e.state === "deferred")).toBeTruthy();
    // mg2 is granted at 1500 (mg1's ack came slowly) and answers mg1's then.
    const afterGrant = mg2.onResponse({ ...a1, from: "mg1" }, 1500, fleet("mg2"));
    const deferredAnswer = published<ReservationResponse>(afterGrant, "reservation/response")[0]!;
    expect(deferredAnswer.held_ms).toBe(1480);
    mg1.onResponse({ ...deferredAnswer, from: "mg2" }, 1520, fleet("mg1"));
    // 1520 - 5 sent - 1480 held: 35 ms of link.
    expect(at1.figures()).toMatchObject({ samples: 1, srtt_ms: 35 });
  });

  it("without an estimator it keeps the fixed window of twice the ack timeout", () => {
    const mg1 = new ReservationEngine({ self: "mg1", incarnation: "i", ackTimeoutMs: 700, leaseMs: 60_000 });
    const r = published<ReservationRequest>(mg1.request(5, "pick-up", 0, fleet("mg1")), "reservation/request")[0]!;
    expect(r.answer_ms).toBe(1400);
    const late = { v: BUS_PROTOCOL, from: "mg2", incarnation: "i", type: "reservation-response", request_id: r.id, requester: "mg1", verdict: "ack", view: r.view, lamport: 9 } as ReservationResponse;
    mg1.tick(1401, fleet("mg1"));
    mg1.onResponse(late, 5000, fleet("mg1"));
    expect(published<ReservationRequest>(mg1.request(5, "pick-up", 5000, fleet("mg1")), "reservation/request")[0]!.answer_ms).toBe(1400);
  });
});

describe("close claims share the learned answer time", () => {
  it("a claim after slow reservation answers waits longer, and its judge holds the ack as long", () => {
    const at = new AnswerTime(1000, 4000);
    at.sample(2000);
    const claimFleet = (self: string): ClaimFleet => ({
      view: fleet(self).view,
      peers: fleet(self).peers,
      ownSwitches: {},
      closingSections: new Set(),
      peerStateSeq: () => null,
    });
    const mg1 = new ClaimEngine({ self: "mg1", incarnation: "i", ackTimeoutMs: 1000, leaseMs: 30_000, answerTime: at });
    const mg2 = new ClaimEngine({ self: "mg2", incarnation: "i", ackTimeoutMs: 1000, leaseMs: 30_000 });
    const effects = mg1.request(["s1"], "Line.a", {}, "close", 0, claimFleet("mg1"));
    const req = effects.flatMap((e) => (e.kind === "publish" && e.topic === "claim/request" ? [{ v: BUS_PROTOCOL, from: "mg1", incarnation: "i", ...e.body } as ClaimRequest] : []))[0]!;
    expect(req.answer_ms).toBe(8000);
    expect(mg1.nextDeadline()).toBe(8001);
    const resp = mg2.onRequest(req, 100, claimFleet("mg2")).flatMap((e) => (e.kind === "publish" ? [{ v: BUS_PROTOCOL, from: "mg2", incarnation: "i", ...e.body } as ClaimResponse] : []))[0]!;
    expect(resp.verdict).toBe("ack");
    expect(mg2.nextDeadline()).toBe(100 + 8000 + 1000 + 1);
    mg1.onResponse(resp, 6000, claimFleet("mg1"));
    expect(at.figures().samples).toBe(2);
  });
});

// When restorations start and end (pure: no devices, no clock but the numbers given).
import { describe, expect, it } from "vitest";
import { SessionControl } from "../runtime/session.js";
import type { PccView } from "../runtime/views.js";

const pcc = (dead: boolean, stale = false): PccView => ({ device: "pcc", voltagePu: dead ? 0.01 : 1, dead: dead && !stale, stale });

describe("restoration sessions", () => {
  it("a PCC dead for confirm_ms starts one session; it must come back before another", () => {
    const s = new SessionControl({ length: 2, autoStart: true, confirmMs: 2000 });
    expect(s.update(0, pcc(false))).toEqual([]);
    expect(s.update(1000, pcc(true))).toEqual([]);
    expect(s.update(2500, pcc(true))).toEqual([]); // dead for 1.5 s: a reclose may still bring it back
    const started = s.update(3000, pcc(true));
    expect(started).toMatchObject([{ kind: "started", session: { trigger: "pcc-dead", length: 2, step: 0 } }]);
    expect(s.stepDone()).toBeUndefined();
    expect(s.stepDone()).toMatchObject({ kind: "ended", outcome: "complete" });
    // Still dead: no second session for the same outage.
    expect(s.update(9000, pcc(true))).toEqual([]);
    expect(s.current).toBeUndefined();
    // Back, then dead again: a new outage.
    s.update(10_000, pcc(false));
    s.update(11_000, pcc(true));
    expect(s.update(13_000, pcc(true))).toMatchObject([{ kind: "started" }]);
  });

  it("a stale or unread PCC never starts a session, and auto_start off waits for an operator", () => {
    const s = new SessionControl({ length: 3, autoStart: true, confirmMs: 0 });
    expect(s.update(0, pcc(true, true))).toEqual([]);
    expect(s.update(5000, undefined)).toEqual([]);
    const manual = new SessionControl({ length: 3, autoStart: false, confirmMs: 0 });
    expect(manual.update(0, pcc(true))).toEqual([]);
    manual.request({ command: "restore", by: "http", reason: "drill" });
    expect(manual.update(1, pcc(true))).toMatchObject([{ kind: "started", session: { trigger: "operator", by: "http", reason: "drill" } }]);
  });

  it("operator commands: restore while running does nothing, abort ends the session", () => {
    const s = new SessionControl({ length: 15, autoStart: false, confirmMs: 0 });
    s.request({ command: "restore", by: "a" });
    const [start] = s.update(0, undefined);
    s.request({ command: "restore", by: "b" });
    expect(s.update(1, undefined)).toEqual([]);
    s.request({ command: "abort", by: "c" });
    expect(s.update(2, undefined)).toEqual([{ kind: "ended", session: start!.session, outcome: "aborted" }]);
    expect(s.current).toBeUndefined();
  });
});

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BlackstartError } from "../../errors.js";
import { channelValue, listProfiles, loadProfile, parseProfile, planReads, pointValueOf, PROFILES_DIR } from "../index.js";

function errorOf(fn: () => unknown): BlackstartError {
  try {
    fn();
  } catch (e) {
    if (e instanceof BlackstartError) return e;
    throw e;
  }
  throw new Error("expected a BlackstartError");
}

const recloserText = readFileSync(join(PROFILES_DIR, "recloser-modbus.yaml"), "utf8");
/** The recloser profile with one line replaced, parsed as if it were `file`. */
const broken = (from: string | RegExp, to: string, file = "recloser-modbus.yaml") => {
  const text = recloserText.replace(from, to);
  expect(text).not.toBe(recloserText);
  return () => parseProfile(text, file);
};

describe("hardware profiles shipped", () => {
  it("every profile in hardware-profiles/ loads", () => {
    const ids = listProfiles();
    expect(ids).toContain("recloser-modbus");
    for (const id of ids) expect(loadProfile(id).id).toBe(id);
  });

  it("resolves the recloser's points, channels and commands", () => {
    const p = loadProfile("recloser-modbus");
    expect(p.kind).toBe("switch");
    expect(p.unitId).toBe(1);
    const pos = p.channels.get("position")!;
    expect(pos.point.table).toBe("discrete");
    expect(channelValue(pos, true)).toBe("closed");
    expect(pointValueOf(pos, "open")).toBe(false);
    const pkw = p.channels.get("p_kw")!;
    expect(pkw.factor).toBe(1);
    expect(p.byRef.get("p_total")!.size).toBe(2);
    const open = p.commands.get("open")!;
    expect(open.kind).toBe("select-before-operate");
    // Neighbouring points are read together; no request crosses a table.
    const blocks = planReads(p.points);
    expect(blocks.find((b) => b.table === "input")).toMatchObject({ address: 0, count: 11 });
    expect(blocks.find((b) => b.table === "discrete")).toMatchObject({ address: 0, count: 7 });
  });
});

describe("a bad profile fails naming the file, the point and the field", () => {
  it("a bad type", () => {
    const e = errorOf(broken("{ name: current_b, table: input, address: 1, type: u16,", "{ name: current_b, table: input, address: 1, type: u17,"));
    expect(e.code).toBe("BLACKSTART_ERR_INVALID_DOCUMENT");
    expect(e.location.file).toBe("recloser-modbus.yaml");
    expect(e.location.field).toBe("points[8].type");
    expect(e.message).toMatch(/point 'current_b'/);
    expect(e.location.line).toBe(recloserText.split("\n").findIndex((l) => l.includes("name: current_b")) + 1);
  });

  it("a missing table", () => {
    const e = errorOf(broken("{ name: current_c, table: input, address: 2,", "{ name: current_c, address: 2,"));
    expect(e.code).toBe("BLACKSTART_ERR_PROFILE_INVALID");
    expect(e.location.field).toBe("points[9].table");
    expect(e.message).toMatch(/recloser-modbus\.yaml:\d+: field 'points\[9\]\.table'.*point 'current_c'/);
  });

  it("overlapping addresses", () => {
    const e = errorOf(broken("{ name: q_total, table: input, address: 8,", "{ name: q_total, table: input, address: 7,"));
    expect(e.message).toMatch(/point 'q_total': input 7 overlaps point 'p_total'/);
    expect(e.location.field).toBe("points[14].address");
  });

  it("an unknown scale factor, read-back or channel point, with suggestions", () => {
    expect(errorOf(broken("readback: closed\n", "readback: closd\n")).message).toMatch(/point 'ctl_operate': unknown point 'closd' \(closest: closed/);
    const e = errorOf(broken("  lockout: lockout\n", "  lockout: lockot\n"));
    expect(e.location.field).toBe("channels.lockout");
    expect(e.message).toMatch(/channel 'lockout': unknown point 'lockot'/);
  });

  it("a channel in the wrong unit, a missing required channel, an unknown command", () => {
    expect(errorOf(broken("{ name: current_a, table: input, address: 0, type: u16, scale: 0.1, unit: A }", "{ name: current_a, table: input, address: 0, type: u16, scale: 0.1, unit: V }")).message).toMatch(
      /channel 'current_a' is in A; point 'current_a' is in V/,
    );
    expect(errorOf(broken("  position: { point: closed, map: { \"true\": closed, \"false\": open } }\n", "")).message).toMatch(/must map the channel 'position'/);
    expect(errorOf(broken("  reset_lockout:\n", "  reset_lockut:\n")).message).toMatch(/'reset_lockut' is not a standard command of a switch \(closest: reset_lockout/);
  });

  it("a command writing a read-only point or an unknown symbol", () => {
    expect(errorOf(broken("select: { point: ctl_select, value: trip }", "select: { point: closed, value: trip }")).message).toMatch(/point 'closed' is read-only/);
    const e = errorOf(broken("select: { point: ctl_select, value: trip }", "select: { point: ctl_select, value: tripp }"));
    expect(e.location.field).toBe("commands.open.select.value");
    expect(e.message).toMatch(/unknown symbol 'tripp'/);
  });

  it("an id that is not the file name", () => {
    expect(errorOf(() => parseProfile(recloserText, "my-recloser.yaml")).message).toMatch(/id 'recloser-modbus' differs from the file name 'my-recloser'/);
  });

  it("an unknown profile id, with suggestions", () => {
    const e = errorOf(() => loadProfile("recloser-modbsu"));
    expect(e.code).toBe("BLACKSTART_ERR_PROFILE_NOT_FOUND");
    expect(e.message).toMatch(/closest: recloser-modbus/);
  });
});

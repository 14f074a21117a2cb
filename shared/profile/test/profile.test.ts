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
    expect(blocks.find((b) => b.table === "input")).toMatchObject({ address: 0, count: 15 });
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

describe("SunSpec profiles", () => {
  it("lay the model chains out with the SunSpec lengths, in both generations", () => {
    const chain = (id: string) => loadProfile(id).sunspec!.models.map((m) => [m.id, m.length]);
    expect(chain("sunspec-inverter-der")).toEqual([[1, 66], [701, 153], [702, 50], [704, 65]]);
    expect(chain("sunspec-battery-der")).toEqual([[1, 66], [701, 153], [702, 50], [704, 65], [713, 7]]);
    expect(chain("sunspec-inverter-legacy")).toEqual([[1, 66], [103, 50], [120, 26], [121, 30], [123, 24]]);
    expect(chain("sunspec-battery-legacy")).toEqual([[1, 66], [103, 50], [120, 26], [121, 30], [123, 24], [124, 24]]);
  });

  it("places points where the SunSpec model reference puts them", () => {
    const der = loadProfile("sunspec-inverter-der");
    // 701 starts at 40070 (after SunS and the 68 registers of model 1); W is its 11th register after ID and L.
    expect(der.byRef.get("DERMeasureAC.W")).toMatchObject({ address: 40070 + 10, modelOffset: 10, scaleFactor: "DERMeasureAC.W_SF" });
    // Scale factors follow ThrotSrc (offset 111-112): A_SF 113, V_SF 114, Hz_SF 115, W_SF 116.
    expect(der.byRef.get("DERMeasureAC.W_SF")!.address).toBe(40070 + 116);
    // Two PF blocks of 6 registers, then WMaxLimPctEna, then WMaxLimPct.
    expect(der.byRef.get("DERCtlAC.WMaxLimPct")!.modelOffset).toBe(2 + 13);
    expect(der.byRef.get("DERCtlAC.PFWAbsRvrt_Ext")!.modelOffset).toBe(2 + 64);
    const legacy = loadProfile("sunspec-inverter-legacy");
    expect(legacy.byRef.get("controls.WMaxLimPct")!.address).toBe(40182 + 2 + 3);
    expect(legacy.byRef.get("inverter.W")!.address).toBe(40070 + 2 + 12);
    // SunSpec's not-implemented values: 0x8000 for an int16, 0xFFFF for a uint16.
    expect(legacy.byRef.get("inverter.W")!.notImplemented).toEqual([0x8000]);
    expect(legacy.byRef.get("inverter.A")!.notImplemented).toEqual([0xffff]);
  });

  it("names the shared model and the point when a `set` names an unknown point", () => {
    const text = readFileSync(join(PROFILES_DIR, "sunspec-inverter-der.yaml"), "utf8").replace("Vr: \"1.0.0\"", "Vx: \"1.0.0\"");
    const e = errorOf(() => parseProfile(text, join(PROFILES_DIR, "sunspec-inverter-der.yaml")));
    expect(e.location.field).toBe("models[0].set.Vx");
    expect(e.message).toMatch(/model 1 \(common\) has no point 'Vx' \(closest: Vr/);
  });

  it("maps OPC UA switchgear channels, inverting the interlock", () => {
    const p = loadProfile("switchgear-opcua");
    expect(channelValue(p.channels.get("position")!, "on")).toBe("closed");
    expect(channelValue(p.channels.get("interlock")!, true)).toBe(false);
    expect(pointValueOf(p.channels.get("interlock")!, true)).toBe(false);
    expect(p.channels.get("p_kw")!.factor).toBe(0.001);
  });
});

// The interpreter on small scripts: OpenDSS's resolution rules (abbreviations,
// positional values, like=, switch=y, units, node fill-in, transformer
// windings), commands, and located errors for bad input.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BlackstartError } from "../../../shared/errors.js";
import { DssInterpreter, lineDataOf, lineImpedance, loadSpec, transformerOf, type DssEngine } from "../index.js";

function script(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "dss-"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

function run(text: string, extra: Record<string, string> = {}) {
  const dir = script({ "master.dss": text, ...extra });
  const dss = new DssInterpreter();
  dss.compile(join(dir, "master.dss"));
  return { dss, circuit: dss.activeCircuit(), dir };
}

function errorOf(fn: () => unknown): BlackstartError {
  try {
    fn();
  } catch (e) {
    if (e instanceof BlackstartError) return e;
    throw e;
  }
  throw new Error("expected a BlackstartError");
}

const HEAD = "clear\nnew circuit.t basekv=12.47\n";

describe("OpenDSS resolution rules", () => {
  it("abbreviations resolve to the first property in OpenDSS order", () => {
    const { circuit } = run(
      HEAD +
        "new transformer.t1 buses=[sourcebus b] ppm=0 %r=0.5\n" +
        "new load.l1 bus=b kv=12.47 kw=10\n" +
        "new linecode.lc nphase=1 r1=0.1\n" +
        "set defaultbasefreq=50 tol=1e-6 maxc=20\n",
    );
    expect(transformerOf(circuit.find("transformer", "t1")!).ppmFloatFactor).toBe(0);
    expect(circuit.find("load", "l1")!.str("bus1")).toBe("b");
    expect(circuit.find("linecode", "lc")!.num("nphases")).toBe(1);
    expect(circuit.options.tolerance).toBe(1e-6);
    expect(circuit.options.maxControlIterations).toBe(20);
  });

  it("CapControl type is decided on its first letter, as in OpenDSS", () => {
    const { circuit } = run(
      HEAD +
        "new capacitor.c1 bus1=sourcebus kvar=300\n" +
        "new capcontrol.a element=vsource.source capacitor=c1 type=PowerFactor\n" +
        "new capcontrol.b element=vsource.source capacitor=c1 type=Volt\n" +
        "new capcontrol.c element=vsource.source capacitor=c1 type=kVAR\n",
    );
    expect(circuit.find("capcontrol", "a")!.str("type")).toBe("pf");
    expect(circuit.find("capcontrol", "b")!.str("type")).toBe("voltage");
    expect(circuit.find("capcontrol", "c")!.str("type")).toBe("kvar");
  });

  it("positional values fill the properties after the last one named", () => {
    const { circuit } = run(
      "clear\nnew circuit.t basekv=115\n~ mvasc3=200000 210000\n" +
        "new line.l1 bus1=sourcebus b linecode= length=2\n".replace("linecode= ", "") +
        "New Load.l1 phases=1 b.1.0 ( 0.4 3 sqrt / ) kW=6 kvar=3\n",
    );
    const src = circuit.source!;
    expect(src.num("MVAsc3")).toBe(200000);
    expect(src.num("MVAsc1")).toBe(210000);
    expect(circuit.find("line", "l1")!.str("bus2")).toBe("b");
    const load = circuit.find("load", "l1")!;
    expect(load.str("bus1")).toBe("b.1.0");
    expect(load.num("kV")).toBeCloseTo(0.4 / Math.sqrt(3), 12);
  });

  it("records assignment order so the last of kW/kvar/kVA wins", () => {
    const { circuit } = run(HEAD + "new load.a bus1=x kw=10 kvar=3\nnew load.b bus1=x kvar=3 kw=10\nnew load.c bus1=x kva=(2475) pf=0.95\nnew load.d like=a\n~ xfkva=50\n");
    expect(loadSpec(circuit.find("load", "a")!)).toBe("kw-kvar");
    expect(loadSpec(circuit.find("load", "b")!)).toBe("kw-pf");
    expect(loadSpec(circuit.find("load", "c")!)).toBe("kva-pf");
    expect(circuit.find("load", "c")!.num("kVA")).toBe(2475);
    expect(loadSpec(circuit.find("load", "d")!)).toBe("xfkva");
    expect(circuit.find("load", "d")!.num("kW")).toBe(10);
  });

  it("New on an existing name edits it; Class.name.property=value edits; batchedit edits by regex", () => {
    const { circuit } = run(
      HEAD +
        "new load.s860 bus1=x kw=60\nnew load.s840 bus1=x kw=27\nnew load.s860 kvar=48\n" +
        "Load.s860.vminpu=.85 kv=24.9\n" +
        "BatchEdit Load..* Vmaxpu=1.1\n",
    );
    const s = circuit.find("load", "s860")!;
    expect(circuit.ofClass("load")).toHaveLength(2);
    expect(s.num("kW")).toBe(60);
    expect(s.num("kvar")).toBe(48);
    expect(s.num("Vminpu")).toBe(0.85);
    expect(s.num("kV")).toBe(24.9);
    expect(circuit.find("load", "s840")!.num("Vmaxpu")).toBe(1.1);
  });

  it("switch=y sets OpenDSS's switch impedance and length", () => {
    const { circuit } = run(HEAD + "new line.sw bus1=a bus2=b switch=y\nnew line.sw2 bus1=a bus2=c switch=y r1=1e-3 r0=1e-3 x1=0 x0=0 c1=0 c0=0\n");
    const sw = circuit.find("line", "sw")!;
    expect(sw.num("r1")).toBe(1);
    expect(sw.num("length")).toBe(0.001);
    const z = lineImpedance(sw, 60).z;
    expect(z.re[0]).toBeCloseTo(0.001, 12); // (2*1 + 1)/3 * 0.001
    const z2 = lineImpedance(circuit.find("line", "sw2")!, 60);
    expect(z2.z.re[0]).toBeCloseTo(1e-6, 15);
    expect(z2.z.im[0]).toBe(0);
    expect(z2.yc.im[0]).toBe(0);
  });

  it("units= converts from the linecode's units; sequence values reset the units", () => {
    const { circuit } = run(
      HEAD +
        "new linecode.mi nphases=3 r1=0.3 x1=0.6 r0=0.6 x0=1.2 c1=10 c0=5 units=mi\n" +
        "new line.a bus1=x bus2=y linecode=mi length=2000 units=ft\n" +
        "new line.b bus1=x bus2=y units=ft linecode=mi length=2000\n" +
        "new line.c bus1=x bus2=y length=2 units=kft r1=0.1 x1=0.2\n" +
        "new line.d bus1=x bus2=y r1=0.1 x1=0.2 r0=0.1 x0=0.2 c1=0 c0=0 length=2 units=kft\n",
    );
    const k = 2000 / 5280;
    for (const n of ["a", "b"]) {
      const z = lineImpedance(circuit.find("line", n)!, 60).z;
      expect(z.re[0]).toBeCloseTo(((2 * 0.3 + 0.6) / 3) * k, 12);
    }
    // units given before r1: r1 resets them, length is taken in the impedance's units
    const c = lineDataOf(circuit.find("line", "c")!);
    expect(c.unitsConvert).toBe(1);
    expect(c.lengthUnits).toBe(0);
    // units after r1 without a linecode: nothing to convert from
    const d = lineImpedance(circuit.find("line", "d")!, 60).z;
    expect(d.re[0]).toBeCloseTo(0.1 * 2, 12);
  });

  it("ratings come from the linecode (as the property values too) unless given", () => {
    const { circuit } = run(HEAD + "new linecode.lc nphases=1 normamps=230 emergamps=300\nnew line.a bus1=x bus2=y linecode=lc\nnew line.b bus1=x bus2=y linecode=lc normamps=100\n");
    expect(circuit.find("line", "a")!.num("normamps")).toBe(230);
    expect(lineDataOf(circuit.find("line", "a")!).emergAmps).toBe(300);
    expect(lineDataOf(circuit.find("line", "b")!).normAmps).toBe(100);
  });

  it("line default capacitances (per kft) follow the length units when not given", () => {
    const { circuit } = run(HEAD + "new line.a bus1=x bus2=y r1=0.1 x1=0.2 r0=0.3 x0=0.6 units=ft length=1000\n");
    const yc = lineImpedance(circuit.find("line", "a")!, 60).yc;
    const w = 2 * Math.PI * 60;
    // (2 C1 + C0)/3 with C = default nF per kft, per ft here, times 1000 ft
    expect(yc.im[0]).toBeCloseTo(((w * (2 * 3.4e-9 + 1.6e-9)) / 3 / 1000) * 1000, 15);
  });

  it("node fill-in: phases first, neutral conductors on node 0, explicit nodes win", () => {
    const { circuit } = run(
      HEAD +
        "new transformer.t phases=3 buses=[sourcebus b.1.2.3.4]\n" +
        "new line.sw bus1=b bus2=c switch=y\n" +
        "new load.d phases=1 bus1=c.2.3 conn=delta kv=12.47\n" +
        "new load.y phases=1 bus1=c.3 kv=7.2\n" +
        "new capacitor.c bus1=c phases=3 kvar=600\n",
    );
    expect(circuit.find("transformer", "t")!.terminals()).toEqual([
      { bus: "sourcebus", nodes: [1, 2, 3, 0] },
      { bus: "b", nodes: [1, 2, 3, 4] },
    ]);
    expect(circuit.find("line", "sw")!.terminals()[1]).toEqual({ bus: "c", nodes: [1, 2, 3] });
    expect(circuit.find("load", "d")!.terminals()).toEqual([{ bus: "c", nodes: [2, 3] }]);
    expect(circuit.find("load", "y")!.terminals()).toEqual([{ bus: "c", nodes: [3, 0] }]);
    expect(circuit.find("capacitor", "c")!.terminals()).toEqual([
      { bus: "c", nodes: [1, 2, 3] },
      { bus: "c", nodes: [0, 0, 0] },
    ]);
  });

  it("transformer windings: wdg scope, kVA propagation, %loadloss split, arrays leave the last winding active, XfmrCode", () => {
    const { circuit } = run(
      HEAD +
        "New Transformer.Sub Phases=3 Windings=2 XHL=(8 1000 /)\n" +
        "~ wdg=1 bus=SourceBus conn=delta kv=115 kva=5000 %r=(.5 1000 /)\n" +
        "~ wdg=2 bus=650 conn=wye kv=4.16 kva=5000 %r=(.5 1000 /)\n" +
        "New Transformer.Reg1 phases=1 bank=reg1 XHL=0.01 kVAs=[1666 1666]\n" +
        "~ Buses=[650.1 RG60.1] kVs=[2.4 2.4] %LoadLoss=0.01\n" +
        "New XfmrCode.code phases=3 windings=3 conns=[delta wye wye] kvs=[115 12.47 12.47] kvas=[10000 5000 5000] xhl=8 xht=9 xlt=10\n" +
        "New Transformer.T3 xfmrcode=code buses=[sourcebus x y]\n" +
        "Transformer.Reg1.Taps=[1.0 1.0625]\n",
    );
    const sub = transformerOf(circuit.find("transformer", "sub")!);
    expect(sub.windings.map((w) => [w.conn, w.kV, w.kVA])).toEqual([
      ["delta", 115, 5000],
      ["wye", 4.16, 5000],
    ]);
    expect(sub.xhl).toBeCloseTo(0.00008, 15);
    expect(sub.windings[0]!.rPu).toBeCloseTo(0.000005, 15);
    const reg = transformerOf(circuit.find("transformer", "reg1")!);
    expect(reg.windings[1]!.rPu).toBeCloseTo(0.00005, 15);
    expect(reg.windings[1]!.tap).toBe(1.0625);
    expect(reg.activeWinding).toBe(2);
    expect(reg.xsc).toEqual([0.0001]);
    const t3 = transformerOf(circuit.find("transformer", "t3")!);
    expect(t3.windings.map((w) => w.bus)).toEqual(["sourcebus", "x", "y"]);
    expect(t3.windings.map((w) => w.conn)).toEqual(["delta", "wye", "wye"]);
    expect(t3.xsc).toEqual([0.08, 0.09, 0.1]);
  });

  it("open/close a terminal's conductors; enable/disable", () => {
    const { dss, circuit } = run(HEAD + "new line.sw bus1=a bus2=b\nopen Line.sw term=2\nclose line.sw 2 3\ndisable line.sw\n");
    const sw = circuit.find("line", "sw")!;
    expect(sw.isClosed(1, 1)).toBe(true);
    expect(sw.isClosed(2, 1)).toBe(false);
    expect(sw.isClosed(2, 3)).toBe(true);
    expect(sw.enabled).toBe(false);
    dss.command("enable line.sw");
    expect(sw.enabled).toBe(true);
  });

  it("like= copies the definition, not the connections", () => {
    const { circuit } = run(HEAD + "new line.a bus1=x bus2=y r1=0.3 length=2\nnew line.b like=a bus1=p bus2=q\nnew transformer.t buses=[x y] kvs=[12.47 4.16]\nnew transformer.u like=t buses=[p q]\n");
    const b = circuit.find("line", "b")!;
    expect(b.num("r1")).toBe(0.3);
    expect(b.terminals().map((t) => t.bus)).toEqual(["p", "q"]);
    const u = transformerOf(circuit.find("transformer", "u")!);
    expect(u.windings.map((w) => [w.bus, w.kV])).toEqual([["p", 12.47], ["q", 4.16]]);
  });

  it("like= copies another element's definition", () => {
    const { circuit } = run(HEAD + "new linegeometry.g1 nconds=2 nphases=1\nnew wiredata.w gmrac=0.01 rac=0.3 diam=0.4 radunits=in gmrunits=ft runits=mi\n~\nnew linegeometry.g2 like=g1\n");
    expect(circuit.find("linegeometry", "g2")!.num("nconds")).toBe(2);
  });

  it("calls the engine for solve and calcvoltagebases, in script order, with options set", () => {
    const calls: string[] = [];
    const engine: DssEngine = {
      solve: (c) => calls.push(`solve tol=${c.options.tolerance}`),
      calcVoltageBases: (c) => calls.push(`calcv ${c.options.voltageBases.join(",")}`),
    };
    const dir = script({ "m.dss": HEAD + "set voltagebases=[12.47, .48]\ncalcv\nsolve tolerance=1e-8\n" });
    const dss = new DssInterpreter({ engine });
    dss.compile(join(dir, "m.dss"));
    expect(calls).toEqual(["calcv 12.47,0.48", "solve tol=1e-8"]);
    expect(dss.activeCircuit().requests.map((r) => [r.command, r.at.line])).toEqual([
      ["calcvoltagebases", 4],
      ["solve", 5],
    ]);
  });

  it("redirect finds files whatever their case and comes back; compile changes the data path", () => {
    const dir = script({
      "Master.DSS": HEAD + "redirect sub\\LineCodes.dss\nredirect Loads\nbuscoords coords.CSV\n",
      "SUB/linecodes.DSS": "new linecode.a nphases=1\n",
      "loads.dss": "new load.x bus1=a\n",
      "Coords.csv": "a, 1.5, 2\n",
    });
    const dss = new DssInterpreter();
    dss.compile(join(dir, "master.dss"));
    const c = dss.activeCircuit();
    expect(c.find("linecode", "a")).toBeDefined();
    expect(c.find("load", "x")).toBeDefined();
    expect(c.busCoords.get("a")).toEqual({ x: 1.5, y: 2 });
  });
});

describe("bad input: one located error, exit code 2", () => {
  const cases: [string, string, string, RegExp][] = [
    ["missing file", HEAD + "redirect nothere.dss\n", "DSS_FILE_NOT_FOUND", /master\.dss:3: .*nothere\.dss/],
    ["unknown class", HEAD + "new lyne.l1 bus1=a\n", "DSS_UNKNOWN_CLASS", /master\.dss:3: .*'lyne' \(closest: Line/],
    ["unknown property", HEAD + "new line.l1 bus1=a\n~ lenght=3\n", "DSS_UNKNOWN_PROPERTY", /master\.dss:4: .*'lenght' \(closest: length/],
    ["bad value", HEAD + "new line.l1 bus1=a length=3ft\n", "DSS_BAD_VALUE", /master\.dss:3: .*Line\.l1\.length: '3ft' is not a number/],
    ["undefined linecode", HEAD + "new line.l1 bus1=a linecode=mtx999\n", "DSS_UNDEFINED_REFERENCE", /master\.dss:3: .*linecode 'mtx999'/],
    ["undefined wiredata", HEAD + "new linegeometry.g nconds=1 nphases=1\n~ cond=1 wire=nowire x=0 h=30\n", "DSS_UNDEFINED_REFERENCE", /master\.dss:4: .*wire 'nowire'/],
    ["undefined xfmrcode", HEAD + "new transformer.t xfmrcode=none1\n", "DSS_UNDEFINED_REFERENCE", /master\.dss:3: .*XfmrCode 'none1'/],
    ["undefined curve", HEAD + "new pvsystem.pv bus1=a effcurve=eff\n", "DSS_UNDEFINED_REFERENCE", /master\.dss:3: .*EffCurve 'eff'/],
    ["unknown command", HEAD + "slove\n", "DSS_UNKNOWN_COMMAND", /master\.dss:3: .*'slove'/],
    ["unknown option", HEAD + "set tolerence=1\n", "DSS_UNKNOWN_OPTION", /master\.dss:3: .*'tolerence' \(closest: tolerance/],
    ["bad enum", HEAD + "new load.l bus1=a conn=star\n", "DSS_BAD_VALUE", /master\.dss:3: .*'star' is not one of wye, delta/],
    ["bad bus node", HEAD + "new line.l bus1=a.1.x bus2=b\n", "DSS_BAD_VALUE", /master\.dss:3: .*node 'x' is not a whole number/],
    ["bad transformer bus", HEAD + "new transformer.t buses=[a b.-1]\n", "DSS_BAD_VALUE", /master\.dss:3: .*node '-1'/],
    ["bad length unit", HEAD + "new line.l bus1=a units=furlong\n", "DSS_BAD_VALUE", /master\.dss:3: .*furlong/],
    ["unmodelled class", HEAD + "new fault.f1 bus1=a\n", "DSS_UNSUPPORTED", /master\.dss:3: .*class .fault. is not modelled/i],
    ["element before circuit", "clear\nnew line.l1 bus1=a\n", "DSS_NO_CIRCUIT", /master\.dss:2: /],
    ["undefined regulated transformer", HEAD + "new regcontrol.r transformer=nope\nsolve\n", "DSS_UNDEFINED_REFERENCE", /master\.dss:4: .*transformer 'nope'/],
    ["edit of an undefined element", HEAD + "Load.nothere.kw=3\n", "DSS_UNKNOWN_ELEMENT", /master\.dss:3: .*'nothere'/],
    ["misspelt property of an ignored class", HEAD + "new monitor.m element=vsource.source termnal=1\n", "DSS_UNKNOWN_PROPERTY", /master\.dss:3: .*'termnal'/],
    ["a recloser that opens its line", HEAD + "new line.l bus1=sourcebus bus2=b\nnew recloser.r monitoredobj=line.l state=open\n", "DSS_UNSUPPORTED", /master\.dss:4: .*Recloser\.r: State=open would open/],
    ["a fuse with one phase blown", HEAD + "new line.l bus1=sourcebus bus2=b\nnew fuse.f monitoredobj=line.l state=[closed open closed]\n", "DSS_UNSUPPORTED", /master\.dss:4: .*Fuse\.f/],
  ];
  for (const [what, text, code, message] of cases) {
    it(what, () => {
      const dir = script({ "master.dss": text });
      const e = errorOf(() => new DssInterpreter().compile(join(dir, "master.dss")));
      expect(e.code).toBe(`BLACKSTART_ERR_${code}`);
      expect(e.exitCode).toBe(2);
      expect(e.message).toMatch(message);
      expect(e.message).not.toContain("\n");
    });
  }

  it("a failure that is not the user's still comes out as one located line", () => {
    const dir = script({ "master.dss": HEAD + "solve\n" });
    const engine: DssEngine = {
      solve: () => {
        throw new TypeError("boom");
      },
      calcVoltageBases: () => {},
    };
    const e = errorOf(() => new DssInterpreter({ engine }).compile(join(dir, "master.dss")));
    expect(e.code).toBe("BLACKSTART_ERR_INTERNAL");
    expect(e.message).toMatch(/master\.dss:3: BLACKSTART_ERR_INTERNAL: while running 'solve': boom/);
  });

  it("a missing master names the path", () => {
    const e = errorOf(() => new DssInterpreter().compile("/nonexistent/master.dss"));
    expect(e.code).toBe("BLACKSTART_ERR_DSS_FILE_NOT_FOUND");
  });

  it("ignored classes resolve OpenDSS's property names and positions but keep values as written", () => {
    const { circuit } = run(
      HEAD +
        "new loadshape.ls 3 1.0 mult=(0.5 0.6 0.7)\n" +
        "new energymeter.m element=line.l term=1 phasevolt=yes\n" +
        "new line.l bus1=sourcebus bus2=b\n" +
        "new recloser.r monitoredobj=line.l phasetrip=140 state=closed\n",
    );
    const ls = circuit.find("loadshape", "ls")!;
    expect([ls.str("npts"), ls.str("interval"), ls.str("mult")]).toEqual(["3", "1.0", "0.5 0.6 0.7"]);
    expect(circuit.find("energymeter", "m")!.str("PhaseVoltageReport")).toBe("yes");
    expect(circuit.find("recloser", "r")!.str("state")).toBe("closed");
  });

  it("an undefined load shape is only a warning, as in OpenDSS", () => {
    const { circuit } = run(HEAD + "new load.l bus1=a daily=ls1\n");
    expect(circuit.warnings.map((w) => w.message)).toEqual(["Load.l: daily 'ls1' is not a defined LoadShape"]);
  });
});

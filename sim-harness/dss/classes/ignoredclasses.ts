// Classes a snapshot power flow does not use: accepted so scripts parse,
// their objects kept (so references to them resolve). Their property names
// are OpenDSS's, in OpenDSS's order (so abbreviations and positional values
// resolve as there, and a misspelt property is a located UNKNOWN_PROPERTY
// error); values are stored as written and not interpreted. Listed in
// docs/dss.md.
//
// Exception: the protective devices (Fuse, Recloser, Relay) set the state of
// the element they switch when given `action`, `state` or `normal` = open or
// trip; OpenDSS then opens that terminal even in a snapshot. We do not model
// that, so such a value is an UNSUPPORTED error rather than silently ignored.
import type { ClassKind, DssClassDef, DssElement, EditContext, PropertyDef } from "../model.js";
import { bool, LIKE, num, str } from "./common.js";

/** Properties stored as written (the whole class is ignored, so none is flagged one by one). */
const raw = (names: string): PropertyDef[] => names.split(/\s+/).filter(Boolean).map((n) => str(n));

/** Tail of circuit-element classes (meters and controls). */
const ELEMENT_TAIL: PropertyDef[] = [num("basefreq", 60), bool("enabled", true), LIKE];

function ignoredClass(name: string, kind: ClassKind, names: string, extra: Partial<DssClassDef> = {}): DssClassDef {
  const own = raw(names);
  const properties = kind === "general" ? [...own, LIKE] : [...own, ...ELEMENT_TAIL];
  return { name, kind, properties, ignored: true, ...extra };
}

/** Refuses `action`/`state`/`normal` values that would open the switched element. */
function protective(name: string, names: string): DssClassDef {
  const def = ignoredClass(name, "meter", names);
  const watched = new Set(["action", "state", "normal"]);
  return {
    ...def,
    onSet(el: DssElement, index: number, ctx: EditContext) {
      const prop = def.properties[index]!.name;
      if (!watched.has(prop.toLowerCase())) return;
      const v = String(el.values[index] ?? "");
      if (/\b(o|op|ope|open|t|tr|tri|trip)\b/i.test(v.replace(/[[\]()"',]/g, " "))) {
        throw ctx.unsupported(`${prop}=${v} would open the switched element; protective devices are not modelled (see docs/dss.md)`);
      }
    },
  };
}

/** Time-series shapes and spectra: only used outside a snapshot. */
export const LoadShape = ignoredClass(
  "LoadShape",
  "general",
  "npts interval mult hour mean stddev csvfile sngfile dblfile action qmult UseActual Pmax Qmax sinterval minterval Pbase Qbase Pmult PQCSVFile MemoryMapping Interpolation",
);
export const TShape = ignoredClass("TShape", "general", "npts interval temp hour mean stddev csvfile sngfile dblfile sinterval minterval action");
export const PriceShape = ignoredClass("PriceShape", "general", "npts interval price hour mean stddev csvfile sngfile dblfile sinterval minterval action");
export const GrowthShape = ignoredClass("GrowthShape", "general", "npts year mult csvfile sngfile dblfile");
export const Spectrum = ignoredClass("Spectrum", "general", "NumHarm harmonic %mag angle CSVFile");
export const TCC_Curve = ignoredClass("TCC_Curve", "general", "npts C_array T_array");
/** Meters only record. */
export const EnergyMeter = ignoredClass(
  "EnergyMeter",
  "meter",
  "element terminal action option kVAnormal kVAemerg peakcurrent Zonelist LocalOnly Mask Losses LineLosses XfmrLosses SeqLosses 3phaseLosses VbaseLosses PhaseVoltageReport Int_Rate Int_Duration SAIFI SAIFIkW SAIDI CAIDI CustInterrupts",
);
export const Monitor = ignoredClass("Monitor", "meter", "element terminal mode action residual VIPolar PPolar");
export const Sensor = ignoredClass("Sensor", "meter", "element terminal kvbase clear kVs currents kWs kvars conn Deltadirection %Error Weight");
/** Protection acts on faults and in time simulations; opening states are refused (see above). */
export const Relay = protective(
  "Relay",
  "MonitoredObj MonitoredTerm SwitchedObj SwitchedTerm type Phasecurve Groundcurve PhaseTrip GroundTrip TDPhase TDGround PhaseInst GroundInst Reset Shots RecloseIntervals Delay Overvoltcurve Undervoltcurve kvbase 47%Pickup 46BaseAmps 46%Pickup 46isqt Variable overtrip undertrip Breakertime action Z1mag Z1ang Z0mag Z0ang Mphase Mground EventLog DebugTrace DistReverse Normal State DOC_TiltAngleLow DOC_TiltAngleHigh DOC_TripSettingLow DOC_TripSettingHigh DOC_TripSettingMag DOC_DelayInner DOC_PhaseCurveInner DOC_PhaseTripInner DOC_TDPhaseInner",
);
export const Recloser = protective(
  "Recloser",
  "MonitoredObj MonitoredTerm SwitchedObj SwitchedTerm NumFast PhaseFast PhaseDelayed GroundFast GroundDelayed PhaseTrip GroundTrip PhaseInst GroundInst Reset Shots RecloseIntervals Delay Action TDPhFast TDGrFast TDPhDelayed TDGrDelayed Normal State",
);
export const Fuse = protective("Fuse", "MonitoredObj MonitoredTerm SwitchedObj SwitchedTerm FuseCurve RatedCurrent Delay Action Normal State");

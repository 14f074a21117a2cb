// `set` options: OpenDSS's full option list in its own order (abbreviations
// resolve to the first option that starts with what was typed, so the whole
// list is needed even where we ignore most of it), and what each does here.
import type { CircuitOptions } from "./model.js";
import { NameList } from "./names.js";

/** OpenDSS ExecOptions, in order. */
export const OPTION_NAMES = [
  "type", "element", "hour", "sec", "year", "frequency", "stepsize", "mode", "random", "number",
  "time", "class", "object", "circuit", "editor", "tolerance", "maxiterations", "h", "Loadmodel", "Loadmult",
  "normvminpu", "normvmaxpu", "emergvminpu", "emergvmaxpu", "%mean", "%stddev", "LDCurve", "%growth", "Genkw", "Genpf",
  "CapkVAR", "Addtype", "Allowduplicates", "Zonelock", "UEweight", "Lossweight", "UEregs", "Lossregs", "Voltagebases", "Algorithm",
  "Trapezoidal", "Autobuslist", "Controlmode", "Tracecontrol", "Genmult", "Defaultdaily", "Defaultyearly", "Allocationfactors", "Cktmodel", "Pricesignal",
  "Pricecurve", "Terminal", "Basefrequency", "Harmonics", "Maxcontroliter", "Bus", "Datapath", "KeepList", "ReduceOption", "DemandInterval",
  "%Normal", "DIVerbose", "Casename", "Markercode", "Nodewidth", "Log", "Recorder", "Overloadreport", "Voltexceptionreport", "Cfactors",
  "Showexport", "Numallociterations", "DefaultBaseFrequency", "Markswitches", "Switchmarkercode", "Daisysize", "Marktransformers", "TransMarkerCode", "TransMarkerSize", "LoadShapeClass",
  "EarthModel", "QueryLog", "MarkCapacitors", "MarkRegulators", "MarkPVSystems", "MarkStorage", "CapMarkerCode", "RegMarkerCode", "PVMarkerCode", "StoreMarkerCode",
  "CapMarkerSize", "RegMarkerSize", "PVMarkerSize", "StoreMarkerSize", "NeglectLoadY", "MarkFuses", "FuseMarkerCode", "FuseMarkerSize", "MarkReclosers", "RecloserMarkerCode",
  "RecloserMarkerSize", "RegistryUpdate", "MarkRelays", "RelayMarkerCode", "RelayMarkerSize", "ProcessTime", "TotalTime", "StepTime", "NumCPUs", "NumCores",
  "NumActors", "ActiveActor", "CPU", "ActorProgress", "Parallel", "ConcatenateReports", "OpenDSSViewer", "DSSVInstalled", "Coverage", "Num_SubCircuits",
  "SampleEnergyMeters", "ADiakoptics", "MinIterations", "LinkBranches", "KeepLoad", "Zmag", "SeasonRating", "SeasonSignal", "NUMANodes", "MarkPVSystems2",
  "GISInstalled", "MarkStorage2", "GISCoords", "GISColor", "GISThickness",
] as const;

export const OPTIONS = new NameList(OPTION_NAMES);

/**
 * Options that only shape output, time series or studies a snapshot does not
 * run: accepted and ignored (listed in docs/dss.md).
 */
export const IGNORED_OPTIONS = new Set(
  [
    "hour", "sec", "time", "random", "editor", "%mean", "%stddev", "LDCurve", "%growth", "Genkw", "Genpf", "CapkVAR",
    "Addtype", "Zonelock", "UEweight", "Lossweight", "UEregs", "Lossregs", "Trapezoidal", "Autobuslist", "Tracecontrol",
    "Pricesignal", "Pricecurve", "Terminal", "Harmonics", "Bus", "KeepList", "ReduceOption", "DemandInterval", "%Normal",
    "DIVerbose", "Casename", "Markercode", "Nodewidth", "Log", "Recorder", "Overloadreport", "Voltexceptionreport",
    "Showexport", "Numallociterations", "Markswitches", "Switchmarkercode", "Daisysize", "Marktransformers",
    "TransMarkerCode", "TransMarkerSize", "LoadShapeClass", "QueryLog", "MarkCapacitors", "MarkRegulators",
    "MarkPVSystems", "MarkStorage", "CapMarkerCode", "RegMarkerCode", "PVMarkerCode", "StoreMarkerCode", "CapMarkerSize",
    "RegMarkerSize", "PVMarkerSize", "StoreMarkerSize", "MarkFuses", "FuseMarkerCode", "FuseMarkerSize", "MarkReclosers",
    "RecloserMarkerCode", "RecloserMarkerSize", "RegistryUpdate", "MarkRelays", "RelayMarkerCode", "RelayMarkerSize",
    "ProcessTime", "TotalTime", "StepTime", "NumCPUs", "NumCores", "NumActors", "ActiveActor", "CPU", "ActorProgress",
    "Parallel", "ConcatenateReports", "OpenDSSViewer", "DSSVInstalled", "Coverage", "Num_SubCircuits",
    "SampleEnergyMeters", "LinkBranches", "KeepLoad", "Zmag", "SeasonRating", "SeasonSignal", "NUMANodes",
    "MarkPVSystems2", "GISInstalled", "MarkStorage2", "GISCoords", "GISColor", "GISThickness",
  ].map((s) => s.toLowerCase()),
);

/** Solution modes OpenDSS knows, by its abbreviations (first letters decide). */
const MODES: readonly [string, string][] = [
  ["snapshot", "snap"],
  ["daily", "daily"],
  ["yearly", "yearly"],
  ["m1", "m1"],
  ["ld1", "ld1"],
  ["peakday", "peakday"],
  ["dutycycle", "dutycycle"],
  ["direct", "direct"],
  ["mf", "mf"],
  ["faultstudy", "faultstudy"],
  ["m2", "m2"],
  ["m3", "m3"],
  ["ld2", "ld2"],
  ["autoadd", "autoadd"],
  ["dynamic", "dynamic"],
  ["harmonic", "harmonic"],
  ["time", "time"],
  ["harmonict", "harmonict"],
];

/** Canonical mode name from what the user wrote (`snap`, `s`, `Snapshot` -> snapshot). */
export function parseMode(text: string): string | undefined {
  const s = text.toLowerCase();
  for (const [name] of MODES) if (name === s) return name;
  for (const [name] of MODES) if (name.startsWith(s)) return name;
  return undefined;
}

export type ControlMode = CircuitOptions["controlMode"];

export function parseControlMode(text: string): ControlMode | undefined {
  const s = text.toLowerCase();
  if ("static".startsWith(s)) return "static";
  if ("event".startsWith(s)) return "event";
  if ("time".startsWith(s)) return "time";
  if ("off".startsWith(s)) return "off";
  if ("multirate".startsWith(s)) return undefined;
  return undefined;
}

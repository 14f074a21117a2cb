// OpenDSS executive commands in OpenDSS's order (abbreviations resolve to the
// first match, so `m` is More, `calcv` Calcvoltagebases), and how each is
// treated here: run, ignored because it only reports or plots, or refused
// because it would change a snapshot in a way not modelled.
import { NameList } from "./names.js";

export const COMMAND_NAMES = [
  "New", "Edit", "More", "M", "~", "Select", "Save", "Show", "Solve", "Enable",
  "Disable", "Plot", "Reset", "Compile", "Set", "Dump", "Open", "Close", "//", "Redirect",
  "Help", "Quit", "?", "Next", "Panel", "Sample", "Clear", "About", "Calcvoltagebases", "SetkVBase",
  "BuildY", "Get", "Init", "Export", "Fileedit", "Voltages", "Currents", "Powers", "Seqvoltages", "Seqcurrents",
  "Seqpowers", "Losses", "Phaselosses", "Cktlosses", "Allocateloads", "Formedit", "Totals", "Capacity", "Classes", "Userclasses",
  "Zsc", "Zsc10", "ZscRefresh", "Ysc", "puvoltages", "VarValues", "Varnames", "Buscoords", "MakeBusList", "MakePosSeq",
  "Reduce", "Interpolate", "AlignFile", "TOP", "Rotate", "Vdiff", "Summary", "Distribute", "DI_plot", "Comparecases",
  "YearlyCurves", "CD", "Visualize", "CloseDI", "DOScmd", "Estimate", "Reconductor", "_InitSnap", "_SolveNoControl", "_SampleControls",
  "_DoControlActions", "_ShowControlQueue", "_SolveDirect", "_SolvePFlow", "AddBusMarker", "Uuids", "SetLoadAndGenKV", "CvrtLoadshapes", "NodeDiff", "Rephase",
  "SetBusXY", "UpdateStorage", "Obfuscate", "LatLongCoords", "BatchEdit", "Pstcalc", "Variable", "ReprocessBuses", "ClearBusMarkers", "RelCalc",
  "var", "Cleanup", "FinishTimeStep", "NodeList", "NewActor", "ClearAll", "Wait", "SolveAll", "CalcIncMatrix", "CalcIncMatrix_O",
  "Tear_Circuit", "Connect", "Disconnect", "Refine_BusLevels", "Remove", "Abort", "CalcLaplacian", "Clone", "FNCSPublish", "StartGIS",
  "GISShowBus", "GISFindRoute", "GISGetRoute", "GISGetDistance", "GISShowRoute", "GISJSONRoute", "WindowDistribLR", "WindowDistribRL", "GISCoords", "UpdateStorage2",
  "GISWindowSize", "ExportOverloads", "ExportVViolations", "Zsc012", "GISPlotCircuit", "GISshowLine", "GISExportMap", "GISFindTrees", "GISMapView", "GISClearMap",
  "GISDrawLine", "GISZoomMap",
] as const;

export const COMMANDS = new NameList(COMMAND_NAMES);

/** Commands that only report, plot, export or manage the program: accepted and skipped (docs/dss.md). */
export const IGNORED_COMMANDS = new Set(
  [
    "Show", "Plot", "Reset", "Dump", "//", "Help", "Quit", "?", "Panel", "Sample", "About", "BuildY", "Get", "Init",
    "Export", "Fileedit", "Voltages", "Currents", "Powers", "Seqvoltages", "Seqcurrents", "Seqpowers", "Losses",
    "Phaselosses", "Cktlosses", "Formedit", "Totals", "Capacity", "Classes", "Userclasses", "Zsc", "Zsc10", "ZscRefresh",
    "Ysc", "puvoltages", "VarValues", "Varnames", "MakeBusList", "Interpolate", "AlignFile", "TOP", "Rotate", "Vdiff",
    "Summary", "DI_plot", "Comparecases", "YearlyCurves", "Visualize", "CloseDI", "_ShowControlQueue", "AddBusMarker",
    "Uuids", "NodeDiff", "SetBusXY", "LatLongCoords", "Pstcalc", "ReprocessBuses", "ClearBusMarkers", "RelCalc",
    "NodeList", "Wait", "CalcIncMatrix", "CalcIncMatrix_O", "CalcLaplacian", "FNCSPublish", "StartGIS", "GISShowBus",
    "GISFindRoute", "GISGetRoute", "GISGetDistance", "GISShowRoute", "GISJSONRoute", "WindowDistribLR", "WindowDistribRL",
    "GISCoords", "GISWindowSize", "ExportOverloads", "ExportVViolations", "Zsc012", "GISPlotCircuit", "GISshowLine",
    "GISExportMap", "GISFindTrees", "GISMapView", "GISClearMap", "GISDrawLine", "GISZoomMap", "Obfuscate", "Refine_BusLevels",
  ].map((s) => s.toLowerCase()),
);

// Every element class the interpreter knows, one module each (as OpenDSS
// keeps one unit per element type), and the OpenDSS classes it refuses
// because they could change a snapshot and are not modelled.
import type { DssClassDef } from "../model.js";
import { Capacitor } from "./capacitor.js";
import { CapControl } from "./capcontrol.js";
import { CNData } from "./cndata.js";
import { Generator } from "./generator.js";
import * as Ignored from "./ignoredclasses.js";
import { Line } from "./line.js";
import { LineCode } from "./linecode.js";
import { LineGeometry } from "./linegeometry.js";
import { LineSpacing } from "./linespacing.js";
import { Load } from "./load.js";
import { PVSystem } from "./pvsystem.js";
import { Reactor } from "./reactor.js";
import { RegControl } from "./regcontrol.js";
import { Storage } from "./storage.js";
import { Transformer } from "./transformer.js";
import { TSData } from "./tsdata.js";
import { Vsource } from "./vsource.js";
import { WireData } from "./wiredata.js";
import { XfmrCode } from "./xfmrcode.js";
import { XYCurve } from "./xycurve.js";

export const CLASSES: readonly DssClassDef[] = [
  Vsource,
  Line,
  LineCode,
  LineGeometry,
  LineSpacing,
  WireData,
  CNData,
  TSData,
  Transformer,
  XfmrCode,
  Capacitor,
  Reactor,
  Load,
  Generator,
  PVSystem,
  Storage,
  XYCurve,
  RegControl,
  CapControl,
  Ignored.LoadShape,
  Ignored.TShape,
  Ignored.PriceShape,
  Ignored.GrowthShape,
  Ignored.Spectrum,
  Ignored.TCC_Curve,
  Ignored.EnergyMeter,
  Ignored.Monitor,
  Ignored.Sensor,
  Ignored.Relay,
  Ignored.Recloser,
  Ignored.Fuse,
];

/** OpenDSS classes that exist but are not modelled here; using one is an UNSUPPORTED error. */
export const UNSUPPORTED_CLASSES: readonly string[] = [
  "Isource",
  "Fault",
  "SwtControl",
  "AutoTrans",
  "GICLine",
  "GICTransformer",
  "GICsource",
  "IndMach012",
  "InvControl",
  "ExpControl",
  "StorageController",
  "GenDispatcher",
  "UPFC",
  "UPFCControl",
  "VSConverter",
  "VCCS",
  "ESPVLControl",
  "WindGen",
  "DynamicExp",
  "Equivalent",
  "CapUserControl",
];

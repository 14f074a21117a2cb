// Error codes of the OpenDSS language room. Every one is bad input (exit 2)
// and is raised with the file and line of the offending command, so a user
// sees `IEEE123Master.dss:42: BLACKSTART_ERR_DSS_UNKNOWN_PROPERTY: ...`.
import { BlackstartError, defineError, type ErrorDefinition, type ErrorLocation } from "../../shared/errors.js";

export const DssErrors = {
  FILE_NOT_FOUND: defineError("DSS_FILE_NOT_FOUND", "A file named by compile, redirect, buscoords or a (file=...) value does not exist."),
  UNKNOWN_COMMAND: defineError("DSS_UNKNOWN_COMMAND", "The first word of a line is neither a command nor Class.name.property=value."),
  UNKNOWN_CLASS: defineError("DSS_UNKNOWN_CLASS", "An element class that OpenDSS does not have (or that blackstart does not model)."),
  UNKNOWN_PROPERTY: defineError("DSS_UNKNOWN_PROPERTY", "A property name that the element class does not have, even as an abbreviation."),
  UNKNOWN_OPTION: defineError("DSS_UNKNOWN_OPTION", "A `set` option that OpenDSS does not have."),
  BAD_VALUE: defineError("DSS_BAD_VALUE", "A value that cannot be read as the property's type (number, integer, yes/no, one of a list)."),
  UNDEFINED_REFERENCE: defineError("DSS_UNDEFINED_REFERENCE", "A reference to an object not defined before it (linecode, geometry, wiredata, xfmrcode, curve, element)."),
  UNKNOWN_ELEMENT: defineError("DSS_UNKNOWN_ELEMENT", "An edit, open, close or Class.name.property of an element that was never defined."),
  NO_CIRCUIT: defineError("DSS_NO_CIRCUIT", "A command that needs a circuit came before `New Circuit`."),
  UNSUPPORTED: defineError("DSS_UNSUPPORTED", "An OpenDSS feature that blackstart does not model and that could change the result."),
  SYNTAX: defineError("DSS_SYNTAX", "A command line that cannot be read (no active element for ~, empty object name, ...)."),
} as const;

/** Where a command came from: its file (as the user named it, resolved) and 1-based line. */
export interface SourceLocation {
  file: string;
  line: number;
}

export function dssError(def: ErrorDefinition, detail: string, at?: SourceLocation | ErrorLocation): BlackstartError {
  return new BlackstartError(def, detail, at ? { file: at.file, line: at.line } : {});
}

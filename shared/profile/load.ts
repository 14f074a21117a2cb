// Loading hardware profiles from files: validate (zod, with the file, line,
// field and point named), then resolve. Profiles are found by id in
// hardware-profiles/ (or a directory the caller gives).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, dirname, extname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { fieldPath, parseDocumentText } from "../documents.js";
import { BlackstartError, Errors, isBlackstartError } from "../errors.js";
import { closestNames } from "../names.js";
import { ProfileErrors } from "./errors.js";
import { resolveProfile, type ResolvedProfile } from "./resolve.js";
import { Profile, SunSpecModel, type ProfileDocument } from "./schema.js";

/** The repository's hardware-profiles/ directory. */
export const PROFILES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../../hardware-profiles");

const EXTENSIONS = [".yaml", ".yml", ".json"];

/** The point a validation path is inside (`models[2].points[5].type` -> `DERCtlAC.WMaxLimPct`), read from the raw document. */
function pointNameAt(raw: unknown, field: string | undefined): string | undefined {
  if (!field) return undefined;
  const m = /^(?:models\[(\d+)\]\.)?points\[(\d+)\]/.exec(field);
  if (!m) return undefined;
  const doc = raw as { models?: { name?: unknown; points?: { name?: unknown }[] }[]; points?: { name?: unknown }[] };
  if (m[1] !== undefined) {
    const model = doc.models?.[Number(m[1])];
    const name = model?.points?.[Number(m[2])]?.name;
    return typeof name === "string" ? `${String(model?.name)}.${name}` : undefined;
  }
  const name = doc.points?.[Number(m[2])]?.name;
  return typeof name === "string" ? name : undefined;
}

/** Validate and resolve a profile given as text (tests, and files). */
export function parseProfile(text: string, file: string): ResolvedProfile {
  let doc;
  try {
    doc = parseDocumentText(text, file, Profile);
  } catch (e) {
    if (isBlackstartError(e) && e.code === Errors.INVALID_DOCUMENT.code) {
      let raw: unknown;
      try {
        raw = parse(text);
      } catch {
        throw e;
      }
      const point = pointNameAt(raw, e.location.field);
      if (point) throw new BlackstartError(Errors.INVALID_DOCUMENT, `point '${point}': ${e.detail}`, e.location, { cause: e });
    }
    throw e;
  }
  const profile = expandModels(doc.value, file, doc.lineOf);
  const stem = basename(file, extname(file));
  if (EXTENSIONS.includes(extname(file)) && stem !== doc.value.id) {
    const line = doc.lineOf(["id"]);
    throw new BlackstartError(ProfileErrors.INVALID, `id '${doc.value.id}' differs from the file name '${stem}'`, { file, field: "id", ...(line !== undefined ? { line } : {}) });
  }
  return resolveProfile(profile, file, doc.lineOf);
}

/** Where a SunSpec model's shared layout lives: beside the profile, else in the repository's hardware-profiles/sunspec/. */
function sunspecModelFile(id: number, profileFile: string): string | undefined {
  for (const dir of [join(dirname(profileFile), "sunspec"), join(PROFILES_DIR, "sunspec")]) {
    const f = join(dir, `model_${id}.yaml`);
    if (existsSync(f)) return f;
  }
  return undefined;
}

const modelCache = new Map<string, SunSpecModel>();

/** Replace `use: <id>` entries by the shared model layouts, with their `set` values applied. */
function expandModels(doc: ProfileDocument, file: string, lineOf: (p: (string | number)[]) => number | undefined): Profile {
  const models = doc.models.map((m, i) => {
    if (!("use" in m)) return m;
    const located = (field: (string | number)[], detail: string): never => {
      const line = lineOf(field);
      throw new BlackstartError(ProfileErrors.INVALID, detail, { file, field: fieldPath(field), ...(line !== undefined ? { line } : {}) });
    };
    const mf = sunspecModelFile(m.use, file);
    if (!mf) return located(["models", i, "use"], `no shared layout for SunSpec model ${m.use} (hardware-profiles/sunspec/model_${m.use}.yaml)`);
    let base = modelCache.get(mf);
    if (!base) {
      base = parseDocumentText(readFileSync(mf, "utf8"), mf, SunSpecModel).value;
      modelCache.set(mf, base);
    }
    if (base.id !== m.use) return located(["models", i, "use"], `${mf} holds model ${base.id}, not ${m.use}`);
    const points = base.points.map((p) => ({ ...p }));
    for (const [name, value] of Object.entries(m.set)) {
      const p = points.find((q) => q.name === name);
      if (!p) {
        const close = closestNames(name, points.map((q) => q.name));
        return located(["models", i, "set", name], `model ${m.use} (${base.name}) has no point '${name}'${close.length ? ` (closest: ${close.join(", ")})` : ""}`);
      }
      p.value = value;
    }
    return { ...base, points };
  });
  return { ...doc, models };
}

export function loadProfileFile(file: string): ResolvedProfile {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new BlackstartError(Errors.FILE_NOT_FOUND, `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { file });
  }
  return parseProfile(text, file);
}

/** Profile ids available in a directory. */
export function listProfiles(dir = PROFILES_DIR): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => EXTENSIONS.includes(extname(f)))
    .map((f) => basename(f, extname(f)))
    .sort();
}

/** Load a profile by id (`recloser-modbus`) from hardware-profiles/ or `dir`. */
export function loadProfile(id: string, dir = PROFILES_DIR): ResolvedProfile {
  for (const ext of EXTENSIONS) {
    const file = join(dir, id + ext);
    if (existsSync(file)) return loadProfileFile(file);
  }
  const known = listProfiles(dir);
  const close = closestNames(id, known);
  throw new BlackstartError(ProfileErrors.NOT_FOUND, `no hardware profile '${id}' in ${dir}${close.length ? ` (closest: ${close.join(", ")})` : ""}`);
}

/** Profiles by id, loaded once per process (they are immutable data). */
const cache = new Map<string, ResolvedProfile>();
export function profileById(id: string, dir = PROFILES_DIR): ResolvedProfile {
  const key = `${dir}\0${id}`;
  let p = cache.get(key);
  if (!p) {
    p = loadProfile(id, dir);
    cache.set(key, p);
  }
  return p;
}

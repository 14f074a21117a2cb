// Where tests find things outside the repository. `../shared` holds the
// reference feeders and OpenDSS's own results; BLACKSTART_SHARED overrides it.
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const SHARED_DIR = process.env.BLACKSTART_SHARED ?? resolve(REPO_ROOT, "../shared");
export const FEEDERS_DIR = resolve(SHARED_DIR, "feeders");
export const PAPER_DIR = resolve(SHARED_DIR, "paper");
export const HAVE_SHARED = existsSync(FEEDERS_DIR);

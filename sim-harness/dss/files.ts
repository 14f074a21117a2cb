// File names in scripts resolved the way Windows (where most feeders were
// written) would find them: backslashes are separators and every path part
// may differ in case from the file on disk. Directory listings are cached per
// interpreter run.
import { existsSync, readdirSync, statSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";

export class FileResolver {
  private readonly listings = new Map<string, Map<string, string>>();

  private entries(dir: string): Map<string, string> | undefined {
    let m = this.listings.get(dir);
    if (m) return m;
    try {
      m = new Map();
      for (const name of readdirSync(dir)) {
        const key = name.toLowerCase();
        if (!m.has(key)) m.set(key, name);
      }
      this.listings.set(dir, m);
      return m;
    } catch {
      return undefined;
    }
  }

  /**
   * The existing path for `name` relative to `dir`, matching each part
   * case-insensitively when the exact spelling does not exist; undefined
   * when there is no such file.
   */
  resolve(dir: string, name: string): string | undefined {
    const cleaned = name.trim().replace(/\\/g, "/");
    const full = isAbsolute(cleaned) ? cleaned : join(dir, cleaned);
    if (existsSync(full)) return resolve(full);
    const parts = resolve(full).split("/");
    let cur = "/";
    for (let i = 1; i < parts.length; i++) {
      const part = parts[i]!;
      if (part === "") continue;
      const exact = join(cur, part);
      if (existsSync(exact)) {
        cur = exact;
        continue;
      }
      const hit = this.entries(cur)?.get(part.toLowerCase());
      if (hit === undefined) return undefined;
      cur = join(cur, hit);
    }
    return cur;
  }

  /** Like resolve, and also tries `name.dss` when the name has no extension (OpenDSS Redirect does). */
  resolveScript(dir: string, name: string): string | undefined {
    const hit = this.resolve(dir, name);
    if (hit && statSync(hit).isFile()) return hit;
    const base = name.replace(/\\/g, "/").split("/").pop() ?? "";
    if (!base.includes(".")) return this.resolve(dir, `${name}.dss`);
    return undefined;
  }
}

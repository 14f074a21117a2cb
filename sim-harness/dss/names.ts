// Name lookup as OpenDSS's TCommandList does it: an exact (case-insensitive)
// match first, then the FIRST name in list order that starts with what was
// typed. So `r` on a Line is `r1`, `ppm` on a Transformer is `ppm_antifloat`,
// `calcv` is `Calcvoltagebases`; list order is part of the language.

export class NameList {
  private readonly exact = new Map<string, number>();
  private readonly cache = new Map<string, number>();
  readonly names: readonly string[];
  private readonly lower: readonly string[];

  constructor(names: readonly string[]) {
    this.names = names;
    this.lower = names.map((n) => n.toLowerCase());
    this.lower.forEach((n, i) => {
      if (!this.exact.has(n)) this.exact.set(n, i);
    });
  }

  /** Index of the name (0-based) or -1. `abbrev` allows a unique-by-order prefix. */
  find(name: string, abbrev = true): number {
    // Scripts spell a property the same way thousands of times (`Bus1=`, `LineCode=`): those
    // spellings, as written, skip the lower-casing.
    if (abbrev) {
      const seen = this.asWritten.get(name);
      if (seen !== undefined) return seen;
    }
    const found = this.lookup(name, abbrev);
    if (abbrev && this.asWritten.size < 4096) this.asWritten.set(name, found);
    return found;
  }

  private readonly asWritten = new Map<string, number>();

  private lookup(name: string, abbrev: boolean): number {
    const key = name.toLowerCase();
    const hit = this.exact.get(key);
    if (hit !== undefined) return hit;
    if (!abbrev || key.length === 0) return -1;
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    let found = -1;
    for (let i = 0; i < this.lower.length; i++) {
      if (this.lower[i]!.startsWith(key)) {
        found = i;
        break;
      }
    }
    this.cache.set(key, found);
    return found;
  }
}

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { Outbox } from "../outbox.js";

const dir = mkdtempSync(join(tmpdir(), "outbox-"));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("bus outbox", () => {
  it("keeps messages across a restart until acknowledged, replaces by key, in order", () => {
    const path = join(dir, "j.db");
    let db = new Database(path);
    let o = new Outbox(db);
    const a = o.put("blackstart/mg1/alarm", '{"n":1}', false);
    o.put("blackstart/mg1/reservation/outcome", '{"n":2}', false, "outcome:r1");
    o.put("blackstart/mg1/reservation/outcome", '{"n":3}', false, "outcome:r1");
    o.acknowledged(a);
    db.close();
    db = new Database(path);
    o = new Outbox(db);
    expect(o.pending().map((r) => r.payload)).toEqual(['{"n":3}']);
    db.close();
  });

  it("is bounded: a broker away for long does not fill the disk", () => {
    const db = new Database(":memory:");
    const o = new Outbox(db, 150);
    for (let i = 0; i < 1000; i++) o.put("t", String(i), false);
    expect(o.size).toBeLessThanOrEqual(250);
    expect(o.pending().at(-1)!.payload).toBe("999");
    db.close();
  });
});

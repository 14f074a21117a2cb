// What the bus must not lose when the broker is away or the agent restarts:
// a table in the agent's SQLite journal (one writer) holding each message
// until its PUBACK arrives (MQTT.js keeps offline publishes in memory only:
// mqttjs #398, #2015). A message with a key replaces the one with the same key
// (only the latest of it matters). Sent again, in order, after every connect.
import type Database from "better-sqlite3";

export interface OutboxRow {
  id: number;
  topic: string;
  payload: string;
  retain: boolean;
}

export class Outbox {
  private readonly put_: Database.Statement;
  private readonly del: Database.Statement;
  private readonly all: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    /** A broker away for days must not fill the disk: keep the newest this many. */
    private readonly max = 10_000,
  ) {
    db.exec(`CREATE TABLE IF NOT EXISTS bus_outbox (
      id INTEGER PRIMARY KEY, key TEXT UNIQUE, topic TEXT NOT NULL, payload TEXT NOT NULL,
      retain INTEGER NOT NULL, created_at INTEGER NOT NULL)`);
    this.put_ = db.prepare(
      "INSERT INTO bus_outbox(key, topic, payload, retain, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET topic = excluded.topic, payload = excluded.payload, retain = excluded.retain, created_at = excluded.created_at RETURNING id",
    );
    this.del = db.prepare("DELETE FROM bus_outbox WHERE id = ?");
    this.all = db.prepare("SELECT id, topic, payload, retain FROM bus_outbox ORDER BY id");
  }

  /** Keep a message until it is acknowledged. Returns its row id. Bounded: past `max` rows the oldest go. */
  put(topic: string, payload: string, retain: boolean, key: string | null = null): number {
    const id = (this.put_.get(key, topic, payload, retain ? 1 : 0, Date.now()) as { id: number }).id;
    if (id % 100 === 0) this.db.prepare("DELETE FROM bus_outbox WHERE id <= (SELECT max(id) FROM bus_outbox) - ?").run(this.max);
    return id;
  }

  /** Its PUBACK came. */
  acknowledged(id: number): void {
    this.del.run(id);
  }

  pending(): OutboxRow[] {
    return (this.all.all() as { id: number; topic: string; payload: string; retain: number }[]).map((r) => ({ ...r, retain: r.retain === 1 }));
  }

  get size(): number {
    return (this.db.prepare("SELECT count(*) AS n FROM bus_outbox").get() as { n: number }).n;
  }
}

// Read planning: which Modbus requests fetch a set of points, fewest first.
// Neighbouring points of one table are read in one request when the gap
// between them is small, so a 32-bit value is never torn across requests.
import type { ModbusTable } from "./schema.js";
import type { ResolvedPoint } from "./resolve.js";

export interface ReadBlock {
  table: ModbusTable;
  address: number;
  count: number;
  points: ResolvedPoint[];
}

/** Modbus limits per request: 125 registers (FC3/FC4), 2000 bits (FC1/FC2). */
export const MAX_REGISTERS = 125;
export const MAX_BITS = 2000;

/**
 * Group points into read requests. `maxGap` registers of unneeded data may be
 * read to join two blocks (a request costs more than a few words).
 */
export function planReads(points: readonly ResolvedPoint[], maxGap = 8): ReadBlock[] {
  const byTable = new Map<ModbusTable, ResolvedPoint[]>();
  for (const p of points) {
    if (p.table === undefined || p.address === undefined) continue;
    let list = byTable.get(p.table);
    if (!list) byTable.set(p.table, (list = []));
    list.push(p);
  }
  const blocks: ReadBlock[] = [];
  for (const table of ["coil", "discrete", "holding", "input"] as const) {
    const list = (byTable.get(table) ?? []).sort((a, b) => a.address! - b.address!);
    const limit = table === "coil" || table === "discrete" ? MAX_BITS : MAX_REGISTERS;
    let cur: ReadBlock | undefined;
    for (const p of list) {
      const end = p.address! + p.size;
      if (cur && p.address! - (cur.address + cur.count) <= maxGap && end - cur.address <= limit) {
        cur.count = Math.max(cur.count, end - cur.address);
        cur.points.push(p);
      } else {
        cur = { table, address: p.address!, count: p.size, points: [p] };
        blocks.push(cur);
      }
    }
  }
  return blocks;
}

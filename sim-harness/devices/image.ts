// A device's Modbus address space: per table, the registers (or bits) its
// profile maps, kept encoded so a read is a copy. Unmapped addresses are
// holes: reading or writing one is exception 2 (illegal data address).
import type { ModbusTable } from "../../shared/profile/schema.js";

export class RegisterBank {
  private lo = 0;
  private words = new Uint16Array(0);
  private mapped = new Uint8Array(0);

  /** Make [address, address + count) part of the bank. */
  map(address: number, count: number): void {
    const end = address + count;
    if (this.words.length === 0) {
      this.lo = address;
      this.words = new Uint16Array(count);
      this.mapped = new Uint8Array(count);
    } else if (address < this.lo || end > this.lo + this.words.length) {
      const lo = Math.min(this.lo, address);
      const hi = Math.max(this.lo + this.words.length, end);
      const words = new Uint16Array(hi - lo);
      const mapped = new Uint8Array(hi - lo);
      words.set(this.words, this.lo - lo);
      mapped.set(this.mapped, this.lo - lo);
      this.lo = lo;
      this.words = words;
      this.mapped = mapped;
    }
    this.mapped.fill(1, address - this.lo, end - this.lo);
  }

  /** All of [address, address + count) is mapped. */
  covers(address: number, count: number): boolean {
    if (count <= 0 || address < this.lo || address + count > this.lo + this.words.length) return false;
    for (let i = address - this.lo, end = i + count; i < end; i++) if (this.mapped[i] === 0) return false;
    return true;
  }

  read(address: number, count: number): number[] {
    const i = address - this.lo;
    return Array.from(this.words.subarray(i, i + count));
  }

  write(address: number, values: ArrayLike<number>): void {
    this.words.set(Array.from(values, (v) => v & 0xffff), address - this.lo);
  }
}

export class RegisterImage {
  readonly tables: Record<ModbusTable, RegisterBank> = {
    coil: new RegisterBank(),
    discrete: new RegisterBank(),
    holding: new RegisterBank(),
    input: new RegisterBank(),
  };
}

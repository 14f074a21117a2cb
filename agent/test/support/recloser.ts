// A recloser (hardware profile recloser-modbus) in a ModbusBank: its points
// filled through the shared codec, and enough of its select-before-operate
// logic for the transport's and the pipeline's tests: operate only the
// selected control, the position follows, a cancel clears the selection.
import { profileById, type ResolvedProfile } from "../../../shared/profile/index.js";
import type { ModbusBank } from "./modbus-bank.js";

export const recloser: ResolvedProfile = profileById("recloser-modbus");

/** Fill a unit with a healthy closed recloser. */
export function fillRecloser(bank: ModbusBank, unit: number, closed = true): void {
  const set = (ref: string, v: number | boolean | string) => bank.set(unit, recloser, ref, v);
  set("model_name", "BR-3");
  set("manufacturer", "blackstart");
  set("closed", closed);
  for (const b of ["lockout", "fault_a", "fault_b", "fault_c", "interlock", "selected"]) set(b, false);
  // No current through an open switch (the shield holds one that shows some).
  set("current_a", closed ? 123.4 : 0);
  set("current_b", closed ? 120 : 0);
  set("current_c", 0);
  set("voltage_a", 2401);
  set("voltage_b", 2399);
  set("voltage_c", 2402);
  // Load side: live when closed (an open switch in these tests feeds a dead section).
  set("load_voltage_a", closed ? 2398 : 0);
  set("load_voltage_b", closed ? 2397 : 0);
  set("load_voltage_c", closed ? 2400 : 0);
  set("nominal_voltage", 2402);
  set("p_total", -1234.5);
  set("q_total", 300);
  set("frequency", 60.01);
}

export interface SboOptions {
  /** Units whose mechanism does not move: the operate is accepted, the position stays. */
  stuck?: Set<number>;
  /** Every operate accepted, per unit (what reached the device). */
  operated?: { unit: number; value: number }[];
  /** Mechanism travel time: the position changes this long after the operate (ms). */
  operateTimeMs?: number;
}

/** The recloser's select-before-operate logic, enough to test the driver's side of it. */
export function sboLogic(bank: ModbusBank, o: SboOptions = {}): void {
  const sel = recloser.byRef.get("ctl_select")!.address!;
  const op = recloser.byRef.get("ctl_operate")!.address!;
  const cancel = recloser.byRef.get("ctl_cancel")!.address!;
  const closedBit = recloser.byRef.get("closed")!.address!;
  const ia = recloser.byRef.get("current_a")!.address!;
  bank.hooks.onWrite = (unit, addr, value, u) => {
    if (addr === op) {
      if ((u.holding.get(sel) ?? 0) !== value || value === 0) return 4;
      o.operated?.push({ unit, value });
      u.holding.set(sel, 0);
      if (o.stuck?.has(unit)) return;
      const move = () => {
        u.discrete.set(closedBit, value === 2);
        if (value === 1) for (let i = 0; i < 3; i++) u.input.set(ia + i, 0);
      };
      if (o.operateTimeMs) setTimeout(move, o.operateTimeMs);
      else move();
    }
    if (addr === cancel) u.holding.set(sel, 0);
  };
}


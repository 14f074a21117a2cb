// Live progress of a bench run on stderr: per microgrid, the switches its
// agent operated (on the plant), the load it serves (simulator), its quota
// and the reservations it holds (as it says on the bus), the shield's vetoes;
// overall, the served load against the cap. Redrawn in place on a terminal,
// one line per tick otherwise (CI logs).
export interface MicrogridProgress {
  id: string;
  alive: boolean;
  online: boolean;
  operations: number;
  served_kw: number;
  quota_kw: number | undefined;
  leases: number;
  leased_kw: number;
  vetoes: number;
}

export interface ProgressFrame {
  tick: number;
  maxTicks: number;
  restored_kw: number;
  cap_kw: number | undefined;
  microgrids: MicrogridProgress[];
}

export interface ProgressSink {
  tick(f: ProgressFrame): void;
  done(): void;
}

function bar(frac: number, width: number): string {
  const n = Math.max(0, Math.min(width, Math.round(frac * width)));
  return `${"#".repeat(n)}${"-".repeat(width - n)}`;
}

export function frameLines(f: ProgressFrame): string[] {
  const overall =
    f.cap_kw !== undefined
      ? `tick ${String(f.tick + 1).padStart(3)}  served ${f.restored_kw.toFixed(1).padStart(8)} kW  [${bar(f.restored_kw / f.cap_kw, 30)}] ${((100 * f.restored_kw) / f.cap_kw).toFixed(1).padStart(5)} % of the ${f.cap_kw} kW cap`
      : `tick ${String(f.tick + 1).padStart(3)}  served ${f.restored_kw.toFixed(1).padStart(8)} kW`;
  const rows = f.microgrids.map((m) => {
    const state = !m.alive ? "DOWN   " : m.online ? "online " : "no bus ";
    const quota = m.quota_kw === undefined ? "   -  " : m.quota_kw.toFixed(0).padStart(6);
    return `  ${m.id.padEnd(6)} ${state} ops ${String(m.operations).padStart(3)}  served ${m.served_kw.toFixed(1).padStart(7)} kW  quota ${quota} kW  leases ${m.leases} (${m.leased_kw.toFixed(0)} kW)  vetoes ${m.vetoes}`;
  });
  return [overall, ...rows];
}

/** One line per tick (no terminal), or a block redrawn in place. */
export function stderrProgress(stream: NodeJS.WriteStream = process.stderr): ProgressSink {
  let drawn = 0;
  const tty = stream.isTTY === true;
  return {
    tick(f) {
      const lines = frameLines(f);
      if (!tty) {
        stream.write(`bench: ${lines[0]} | ${f.microgrids.map((m) => `${m.id} ${m.operations} ops ${m.served_kw.toFixed(0)} kW v${m.vetoes}${m.alive ? "" : " DOWN"}`).join(", ")}\n`);
        return;
      }
      if (drawn) stream.write(`\x1b[${drawn}A`);
      for (const l of lines) stream.write(`\x1b[2K${l}\n`);
      drawn = lines.length;
    },
    done() {
      drawn = 0;
    },
  };
}

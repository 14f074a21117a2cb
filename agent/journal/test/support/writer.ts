// A child process that writes a journal as fast as it can, for the kill -9
// test: after each durable step it prints `<command id> <state>` on stdout,
// so the parent knows what must have survived.
import { Journal } from "../../journal.js";

const path = process.argv[2];
if (!path) throw new Error("usage: writer.ts <journal.db>");
const j = Journal.open(path, { microgrid: "mg1", batchRows: 50, maintenanceIntervalMs: 0 });
const big = { graph: { sections: Array.from({ length: 200 }, (_, i) => ({ id: `s${i}`, load_kw: i })) }, now_ms: 0 };
const say = (line: string) => process.stdout.write(`${line}\n`);
say("ready");
for (let i = 0; ; i++) {
  for (let k = 0; k < 20; k++) j.observation(i, { tick: i, k, v: Array.from({ length: 30 }, (_, n) => n * k) });
  const d = j.decision(i, {
    policy: { kind: "plan" },
    observation: [i],
    logits: [0.5, -1, 2],
    actions: [0],
    shieldInput: { ...big, now_ms: i },
    verdicts: [{ element: "Line.b", action: "close", rule: "generation", values: { pickup_kw: i } }],
  });
  const id = j.commandIntended({ decisionId: d, element: "Line.a", action: "close", device: "sw1" });
  say(`${id} intended`);
  for (const s of ["written", "confirmed", "resolved"] as const) {
    j.commandState(id, s, { i });
    say(`${id} ${s}`);
  }
}

// `npm run bench [-- <suite>...]`: runs the benchmark suites (all by default)
// and prints their figures. Each suite lives in bench/<name>.ts and is listed
// in bench/suites.ts; results go into BENCHMARKS.md by hand, with the command,
// date and machine, beside the anchor figures.
import { suites } from "./suites.js";
import { machineSummary } from "./machine.js";

const wanted = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const unknown = wanted.filter((w) => !suites.some((s) => s.name === w));
if (unknown.length > 0) {
  console.error(`unknown bench suite(s): ${unknown.join(", ")}; known: ${suites.map((s) => s.name).join(", ") || "(none yet)"}`);
  process.exit(2);
}
console.log(`# blackstart bench — ${new Date().toISOString()} — ${machineSummary()}`);
for (const suite of suites) {
  if (wanted.length > 0 && !wanted.includes(suite.name)) continue;
  console.log(`\n## ${suite.name}: ${suite.description}`);
  await suite.run();
}

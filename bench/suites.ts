// The benchmark suites `npm run bench` knows, one module each. Add one line per suite.
export interface BenchSuite {
  name: string;
  description: string;
  run(): Promise<void>;
}

import { agentBench } from "./agent.js";
import { dssParse } from "./dss-parse.js";
import { devices } from "./devices.js";
import { policyBench } from "./policy.js";
import { trainingBench } from "./training.js";
import { powerflow } from "./powerflow.js";
import { envBench } from "./env.js";
import { busSuite } from "./bus.js";
import { journalSuite } from "./journal.js";
import { benchFleet } from "./bench.js";
import { cliSuite } from "./cli.js";

export const suites: BenchSuite[] = [agentBench, dssParse, devices, policyBench, trainingBench, powerflow, envBench, busSuite, journalSuite, benchFleet, cliSuite];

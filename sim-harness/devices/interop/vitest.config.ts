// Interop tests against peers nobody here wrote (mbpoll, Debian's python3-pymodbus,
// node-opcua's client through the CLI): run by .ci/run, not by `npm test`.
//   npx vitest run --config sim-harness/devices/interop/vitest.config.ts
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  root: fileURLToPath(new URL("../../..", import.meta.url)),
  test: {
    include: ["sim-harness/devices/interop/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});

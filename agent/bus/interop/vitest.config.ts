// Interop tests against Debian's mosquitto and its command-line clients
// (apt-get install -y mosquitto mosquitto-clients), run by .ci/run:
//   npx vitest run --config agent/bus/interop/vitest.config.ts
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  root: fileURLToPath(new URL("../../..", import.meta.url)),
  test: {
    include: ["agent/bus/interop/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});

// The agent's transports against third-party Modbus peers (Debian's python3-pymodbus, socat for a
// serial line), run by .ci/run: npx vitest run --config agent/transports/interop/vitest.config.ts
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  root: fileURLToPath(new URL("../../..", import.meta.url)),
  test: {
    include: ["agent/transports/interop/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
